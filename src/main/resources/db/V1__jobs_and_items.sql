-- fetchd schema, version 1: jobs, their items, and what claiming needs.
-- Applied by PgSchema inside one transaction that holds an advisory lock; never edit a released
-- version, add V2__... instead.

CREATE TABLE fetchd_jobs (
  id               text        PRIMARY KEY,
  -- submission order: list cursors and FIFO claiming within a priority
  seq              bigserial   NOT NULL UNIQUE,
  type             text        NOT NULL CHECK (type IN ('download', 'crawl')),
  state            text        NOT NULL CHECK (state IN ('queued', 'running', 'completed', 'failed', 'cancelled', 'timed_out')),
  priority         integer     NOT NULL,
  labels           jsonb       NOT NULL DEFAULT '{}',
  -- the accepted spec without its URL list (the URLs are the items): type, urlCount, limits, crawl, priority, labels
  spec             jsonb       NOT NULL,
  created_at       timestamptz NOT NULL,
  started_at       timestamptz,
  finished_at      timestamptz,
  error_code       text,
  error_message    text,
  -- item counts by kind and state, and bytes stored: {"bytes": n, "counts": {"file": {"queued": n, ...}, ...}}
  progress         jsonb       NOT NULL,
  -- Idempotency-Key as scoped by the engine (per submitter)
  idempotency_key  text        UNIQUE,
  request_hash     text,
  -- who submitted the job (API token fingerprint), null without tokens
  owner            text,
  -- claiming: which replica runs the job, until when without a heartbeat, and the fencing token
  claimed_by       text,
  lease_until      timestamptz,
  attempt          integer     NOT NULL DEFAULT 0,
  -- set at the first claim and kept across takeovers and hand-backs: the job deadline holds
  deadline_at      timestamptz,
  -- a cancel asked for while another replica runs the job; that replica sees it by NOTIFY or heartbeat
  cancel_code      text,
  cancel_message   text
);

-- claim: the next queued jobs by priority, then submission order
CREATE INDEX fetchd_jobs_claim_idx ON fetchd_jobs (priority DESC, seq) WHERE state = 'queued';
-- list with a state filter, newest first
CREATE INDEX fetchd_jobs_state_seq_idx ON fetchd_jobs (state, seq);
-- list of one submitter's jobs, newest first
CREATE INDEX fetchd_jobs_owner_seq_idx ON fetchd_jobs (owner, seq) WHERE owner IS NOT NULL;
-- rescuer: running jobs whose lease ran out
CREATE INDEX fetchd_jobs_lease_idx ON fetchd_jobs (lease_until) WHERE state = 'running';
-- retention sweep
CREATE INDEX fetchd_jobs_finished_idx ON fetchd_jobs (finished_at) WHERE finished_at IS NOT NULL;

CREATE TABLE fetchd_items (
  job_id           text        NOT NULL REFERENCES fetchd_jobs (id) ON DELETE CASCADE,
  idx              integer     NOT NULL,
  url              text        NOT NULL,
  final_url        text,
  kind             text        NOT NULL CHECK (kind IN ('file', 'page', 'asset')),
  depth            integer     NOT NULL,
  parent           text,
  state            text        NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'skipped', 'cancelled')),
  status           integer,
  content_type     text,
  bytes            bigint      NOT NULL DEFAULT 0,
  sha256           text,
  error_code       text,
  error_message    text,
  attempts         integer     NOT NULL DEFAULT 0,
  duration_ms      bigint,
  stored_file      text,
  -- the job attempt (fencing token) whose owner wrote this row last; 0 before any claim
  written_attempt  integer     NOT NULL DEFAULT 0,
  PRIMARY KEY (job_id, idx)
);

-- items of a job filtered by state, in index order
CREATE INDEX fetchd_items_state_idx ON fetchd_items (job_id, state, idx);
