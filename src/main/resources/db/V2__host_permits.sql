-- fetchd schema, version 2: per-host politeness for the whole cluster (perHostConcurrency, perHostDelayMs,
-- Crawl-delay). A replica asks here after its own local limiter granted a slot.
--
-- UNLOGGED: permits are short-lived coordination state, not data. No WAL means no commit flush on the
-- path of every fetch; after a database crash (or a fail-over) the tables come back empty, which only lets
-- the fetches then in flight go uncounted until they end.

-- the last grant to each host, by the database clock: what the delay between two starts is measured from
CREATE UNLOGGED TABLE fetchd_hosts (
  host        text        PRIMARY KEY,
  last_start  timestamptz NOT NULL
);
CREATE INDEX fetchd_hosts_idle_idx ON fetchd_hosts (last_start);

-- one row per request in flight to a host, anywhere in the cluster; a slot whose lease ran out (its replica
-- died or stalled) no longer counts
CREATE UNLOGGED TABLE fetchd_host_slots (
  id          bigserial   PRIMARY KEY,
  host        text        NOT NULL,
  holder      text        NOT NULL,
  granted_at  timestamptz NOT NULL,
  expires_at  timestamptz NOT NULL
);
CREATE INDEX fetchd_host_slots_host_idx ON fetchd_host_slots (host, expires_at);
CREATE INDEX fetchd_host_slots_holder_idx ON fetchd_host_slots (holder);

-- replicas refused a slot of a host, so that one that waited longer goes first: without them the replica
-- that frees a slot takes it again in the next instant and the others starve. A row whose replica stopped
-- asking for a second no longer counts.
CREATE UNLOGGED TABLE fetchd_host_waiters (
  host        text        NOT NULL,
  holder      text        NOT NULL,
  since       timestamptz NOT NULL,
  seen        timestamptz NOT NULL,
  PRIMARY KEY (host, holder)
);

-- One round trip per grant. The transaction-scoped advisory lock on the host serialises the acquirers of one
-- host; as the function is VOLATILE, each statement after the lock takes a fresh snapshot and so sees every
-- slot committed by the acquirers before it (they held the lock until their commit). Releases need no lock:
-- a delete only lowers the count. The key includes the schema, so schemas never wait for each other.
-- Answers the slot (null when refused), the rest of the delay when that is what refused it (else -1), and
-- whether another replica waits for this host (then a slot should not be kept for long without asking).
CREATE FUNCTION fetchd_host_acquire(p_host text, p_max integer, p_delay_ms bigint, p_holder text, p_lease_ms bigint,
                                    OUT slot bigint, OUT retry_ms bigint, OUT others_wait boolean)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  t       timestamptz;
  busy    integer;
  prev    timestamptz;
  mine    timestamptz;
  oldest  timestamptz;
  rest    bigint := -1;
BEGIN
  -- 1752134516 = 'host'
  PERFORM pg_advisory_xact_lock(1752134516, hashtext(current_schema() || '/' || p_host));
  t := clock_timestamp();
  DELETE FROM fetchd_host_slots WHERE host = p_host AND expires_at <= t;
  DELETE FROM fetchd_host_waiters WHERE host = p_host AND seen < t - interval '1 second';
  SELECT count(*) INTO busy FROM fetchd_host_slots WHERE host = p_host;
  SELECT h.last_start INTO prev FROM fetchd_hosts h WHERE h.host = p_host;
  IF prev IS NOT NULL AND prev + p_delay_ms * interval '1 millisecond' > t THEN
    rest := ceil(extract(epoch FROM (prev + p_delay_ms * interval '1 millisecond' - t)) * 1000)::bigint;
  END IF;
  SELECT w.since INTO mine FROM fetchd_host_waiters w WHERE w.host = p_host AND w.holder = p_holder;
  SELECT min(w.since) INTO oldest FROM fetchd_host_waiters w WHERE w.host = p_host AND w.holder <> p_holder;
  others_wait := oldest IS NOT NULL;
  IF busy >= p_max OR rest >= 0 OR (oldest IS NOT NULL AND (mine IS NULL OR oldest < mine)) THEN
    INSERT INTO fetchd_host_waiters AS w (host, holder, since, seen) VALUES (p_host, p_holder, t, t)
      ON CONFLICT (host, holder) DO UPDATE SET seen = EXCLUDED.seen;
    slot := NULL;
    retry_ms := CASE WHEN busy >= p_max THEN -1 ELSE rest END;
    RETURN;
  END IF;
  IF mine IS NOT NULL THEN
    DELETE FROM fetchd_host_waiters w WHERE w.host = p_host AND w.holder = p_holder;
  END IF;
  INSERT INTO fetchd_hosts AS h (host, last_start) VALUES (p_host, t)
    ON CONFLICT (host) DO UPDATE SET last_start = EXCLUDED.last_start;
  INSERT INTO fetchd_host_slots (host, holder, granted_at, expires_at)
    VALUES (p_host, p_holder, t, t + p_lease_ms * interval '1 millisecond')
    RETURNING id INTO slot;
  retry_ms := 0;
END
$$;
