-- fetchd schema, version 6: reference counts of the bodies in the content-addressed file store
-- (files/sha256/<2 hex>/<64 hex>; an item's stored_file is 'sha256/<2 hex>/<64 hex>'). A body whose count is 0,
-- or that has no row (a replica died between storing it and saving its item), is nobody's: the sweep of any replica
-- removes its file once it has not been used for files.sweepGraceMs, then the row.
--
-- The counts are kept by triggers on fetchd_items, in the transaction of the item write itself (inserts, updates,
-- deletes, and the deletes cascaded from fetchd_jobs): they cannot drift from the items, whichever replica writes
-- and whenever one dies. Statement-level triggers with transition tables: one upsert per statement (a batch of up to
-- 5,000 items), not one per row, and the rows of fetchd_blobs are locked in hash order, so two batches that share
-- bodies never deadlock. Names of bodies stored by earlier versions ('<job>/<index>') are not counted: those files
-- go with their job.

CREATE TABLE fetchd_blobs (
  sha256      text        PRIMARY KEY,
  -- the body's size (as the items that refer to it say)
  bytes       bigint      NOT NULL,
  -- items referring to it
  refs        bigint      NOT NULL,
  -- when the count last reached 0 (null while some item refers to it)
  zero_since  timestamptz
);

CREATE FUNCTION fetchd_blob_refs() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- each statement below reads only the transition tables its event has (plpgsql plans a statement when it runs)
  IF TG_OP = 'INSERT' THEN
    PERFORM fetchd_blob_delta(array_agg(substr(stored_file, 11)), array_agg(bytes), array_agg(1::bigint))
      FROM new_items WHERE stored_file LIKE 'sha256/%';
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM fetchd_blob_delta(array_agg(substr(stored_file, 11)), array_agg(bytes), array_agg(-1::bigint))
      FROM old_items WHERE stored_file LIKE 'sha256/%';
  ELSE
    PERFORM fetchd_blob_delta(array_agg(sha), array_agg(b), array_agg(d)) FROM (
        SELECT substr(stored_file, 11) AS sha, bytes AS b, 1::bigint AS d FROM new_items WHERE stored_file LIKE 'sha256/%'
        UNION ALL
        SELECT substr(stored_file, 11), bytes, -1::bigint FROM old_items WHERE stored_file LIKE 'sha256/%') x;
  END IF;
  RETURN NULL;
END
$$;

-- Applies +1/-1 per (body, size) entry: summed per body, bodies whose sum is 0 (an update that kept its body) left
-- alone, rows locked in hash order.
CREATE FUNCTION fetchd_blob_delta(p_sha text[], p_bytes bigint[], p_delta bigint[]) RETURNS void
LANGUAGE sql AS $$
  INSERT INTO fetchd_blobs AS b (sha256, bytes, refs, zero_since)
  SELECT sha, bytes, delta, CASE WHEN delta <= 0 THEN now() END FROM (
      SELECT u.sha, max(u.bytes) AS bytes, sum(u.delta)::bigint AS delta
      FROM unnest(p_sha, p_bytes, p_delta) AS u(sha, bytes, delta)
      WHERE u.sha IS NOT NULL GROUP BY u.sha HAVING sum(u.delta) <> 0) d
  ORDER BY sha
  ON CONFLICT (sha256) DO UPDATE SET
    refs = b.refs + EXCLUDED.refs,
    bytes = greatest(b.bytes, EXCLUDED.bytes),
    zero_since = CASE WHEN b.refs + EXCLUDED.refs > 0 THEN NULL ELSE coalesce(b.zero_since, now()) END
$$;

CREATE TRIGGER fetchd_items_blob_refs_insert AFTER INSERT ON fetchd_items
  REFERENCING NEW TABLE AS new_items FOR EACH STATEMENT EXECUTE FUNCTION fetchd_blob_refs();
CREATE TRIGGER fetchd_items_blob_refs_update AFTER UPDATE ON fetchd_items
  REFERENCING OLD TABLE AS old_items NEW TABLE AS new_items FOR EACH STATEMENT EXECUTE FUNCTION fetchd_blob_refs();
CREATE TRIGGER fetchd_items_blob_refs_delete AFTER DELETE ON fetchd_items
  REFERENCING OLD TABLE AS old_items FOR EACH STATEMENT EXECUTE FUNCTION fetchd_blob_refs();
