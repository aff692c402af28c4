-- Cancelling a run (issue 3): a RUNNING TaskRun is asked to stop here (and by
-- NOTIFY etl_cancel); the worker running it aborts it and records CANCELLED.
-- The column is the fallback its heartbeat reads when a notification is missed.
alter table task_run add column cancel_requested_at timestamptz;
