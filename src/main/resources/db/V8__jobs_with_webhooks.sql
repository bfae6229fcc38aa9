-- fetchd schema, version 8: the finished jobs that have a webhook, by end time. A replica that died between
-- saving a job's end and recording its end event's delivery left that event out; every replica looks for such
-- jobs now and then (PgJobStore.endedWithoutEndEvent), and this keeps the look to the jobs that can have one.
CREATE INDEX fetchd_jobs_webhook_ended_idx ON fetchd_jobs (finished_at)
  WHERE jsonb_exists(spec, 'webhook') AND finished_at IS NOT NULL;
