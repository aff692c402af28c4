-- Incremental extracts: the largest cursor value an extract step has
-- delivered, advanced only when its run succeeds.

create table extract_cursor (
  pipeline_id bigint not null references pipeline (id) on delete cascade,
  step_key text not null,
  value jsonb not null,
  updated_at timestamptz not null default now(),
  primary key (pipeline_id, step_key)
);

-- The value a successful extract reached; copied to extract_cursor when the
-- whole run succeeds, so a failed load never skips rows next time.
alter table task_run add column cursor_value jsonb;
