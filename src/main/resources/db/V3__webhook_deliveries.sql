-- fetchd schema, version 3: webhook deliveries (at least once). A delivery is recorded when its event happens
-- and kept until it succeeded or its retries ran out; any replica sends the due ones. A replica claims a due
-- row (FOR UPDATE SKIP LOCKED), counts the attempt and moves next_attempt_at past the time a send takes: if it
-- dies before recording the outcome, the row is due again then, for whoever claims first. No foreign key to
-- fetchd_jobs: the job's removal deletes its deliveries in the same statement's caller (PgJobStore.delete).

CREATE TABLE fetchd_webhook_deliveries (
  -- webhook-id: the same for every attempt (msg_<uuid>)
  id               text        PRIMARY KEY,
  -- order of recording: the listing's order and cursor
  seq              bigserial   NOT NULL UNIQUE,
  job_id           text        NOT NULL,
  event            text        NOT NULL,
  url              text        NOT NULL,
  -- whsec_...: the deliveries are signed with it; emptied (as body is) once the delivery is done
  secret           text        NOT NULL,
  -- the exact body every attempt sends (text, not jsonb: the signature covers these bytes)
  body             text        NOT NULL,
  status           text        NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
  attempts         integer     NOT NULL DEFAULT 0,
  last_status      integer,
  last_error       text,
  -- when a pending delivery is due (again); null once it succeeded or failed for good
  next_attempt_at  timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);

-- claims: the due pending deliveries, earliest first
CREATE INDEX fetchd_webhook_deliveries_due_idx ON fetchd_webhook_deliveries (next_attempt_at) WHERE status = 'pending';
-- a job's deliveries in order
CREATE INDEX fetchd_webhook_deliveries_job_idx ON fetchd_webhook_deliveries (job_id, seq);
