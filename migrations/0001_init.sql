-- Core tables, designed for the whole platform (DESIGN.md "Storage"); later
-- issues add users, schedules and alerts in their own migrations.

create table connector (
  id bigint generated always as identity primary key,
  name text not null unique check (name ~ '^[a-z0-9_-]+$'),
  kind text not null,
  -- Non-secret settings only; secret fields live in credential.
  config jsonb not null default '{}',
  builtin boolean not null default false,
  owner_id bigint,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- One encrypted secret field of a connector (AES-256-GCM, never plaintext).
create table credential (
  id bigint generated always as identity primary key,
  connector_id bigint not null references connector (id) on delete cascade,
  field text not null,
  key_id text not null,
  ciphertext text not null,
  updated_at timestamptz not null default now(),
  unique (connector_id, field)
);

create table pipeline (
  id bigint generated always as identity primary key,
  name text not null unique check (name ~ '^[a-z0-9_-]+$'),
  description text not null default '',
  owner_id bigint,
  current_version integer not null default 1,
  max_concurrent_runs integer,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- Every save is an immutable version; runs record which one they ran.
create table pipeline_version (
  id bigint generated always as identity primary key,
  pipeline_id bigint not null references pipeline (id) on delete cascade,
  version integer not null,
  definition jsonb not null,
  author_id bigint,
  message text not null default '',
  created_at timestamptz not null default now(),
  unique (pipeline_id, version)
);

create table pipeline_step (
  id bigint generated always as identity primary key,
  pipeline_version_id bigint not null references pipeline_version (id) on delete cascade,
  step_key text not null,
  type text not null check (type in ('extract', 'transform', 'load', 'sql', 'http', 'check')),
  needs text[] not null default '{}',
  connector_id bigint references connector (id),
  config jsonb not null default '{}',
  position integer not null,
  unique (pipeline_version_id, step_key)
);

create table pipeline_run (
  id bigint generated always as identity primary key,
  pipeline_id bigint not null references pipeline (id) on delete cascade,
  pipeline_version_id bigint not null references pipeline_version (id),
  status text not null default 'PENDING'
    check (status in ('PENDING', 'RUNNING', 'SUCCESS', 'FAILURE', 'CANCELLED')),
  trigger text not null default 'manual' check (trigger in ('manual', 'schedule', 'api')),
  params jsonb not null default '{}',
  -- Set for scheduled runs: the unique key stops two schedulers double-firing.
  scheduled_for timestamptz,
  created_by bigint,
  error text,
  created_at timestamptz not null default now(),
  started_at timestamptz,
  finished_at timestamptz,
  unique (pipeline_id, scheduled_for)
);
create index pipeline_run_recent on pipeline_run (pipeline_id, id desc);

create table task_run (
  id bigint generated always as identity primary key,
  pipeline_run_id bigint not null references pipeline_run (id) on delete cascade,
  step_key text not null,
  step_type text not null,
  needs text[] not null default '{}',
  status text not null default 'PENDING'
    check (status in ('PENDING', 'RUNNING', 'SUCCESS', 'FAILURE', 'SKIPPED', 'CANCELLED')),
  attempt integer not null default 0,
  rows_in bigint,
  rows_out bigint,
  error text,
  started_at timestamptz,
  finished_at timestamptz,
  unique (pipeline_run_id, step_key)
);

create table task_log (
  id bigint generated always as identity primary key,
  task_run_id bigint not null references task_run (id) on delete cascade,
  at timestamptz not null default now(),
  level text not null default 'info',
  message text not null
);
create index task_log_by_task on task_log (task_run_id, id);

-- A step's staged output: record batches other steps stream from.
create table dataset (
  id bigint generated always as identity primary key,
  task_run_id bigint not null references task_run (id) on delete cascade,
  uri text not null,
  columns jsonb not null,
  row_count bigint not null default 0,
  byte_count bigint not null default 0,
  created_at timestamptz not null default now(),
  unique (task_run_id)
);

-- The work queue, claimed with FOR UPDATE SKIP LOCKED.
create table job (
  id bigint generated always as identity primary key,
  queue text not null,
  payload jsonb not null default '{}',
  priority integer not null default 0,
  run_after timestamptz not null default now(),
  status text not null default 'queued'
    check (status in ('queued', 'running', 'done', 'failed', 'cancelled')),
  attempts integer not null default 0,
  max_attempts integer not null default 3,
  locked_by text,
  locked_until timestamptz,
  last_error text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index job_ready on job (queue, priority desc, run_after, id) where status = 'queued';
create index job_leased on job (locked_until) where status = 'running';

create table scheduler_tick (
  id bigint generated always as identity primary key,
  node text not null,
  ticked_at timestamptz not null default now()
);
