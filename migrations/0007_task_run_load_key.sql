-- A TaskRun's load id, written to a database target's load marker table in
-- the load's own transaction (connectors/*/..._load_marker.ts). Random, not the
-- TaskRun id: several platforms (or test databases) may load into one target.
alter table task_run add column load_key uuid not null default gen_random_uuid();
