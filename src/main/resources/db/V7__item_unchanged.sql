-- fetchd schema, version 7: a recrawl's item whose target answered 304 Not Modified to the validators of the job
-- named in "since" (its body, bytes and sha256 are that job's). A constant default adds the column without
-- rewriting the table (PostgreSQL 11+); items written before read as fetched.
-- (Numbered 7: version 6 is taken by another change made in parallel.)
ALTER TABLE fetchd_items ADD COLUMN unchanged boolean NOT NULL DEFAULT false;
