-- Cron schedules and per-pipeline concurrency (issue 3).
--
-- One row a scheduled pipeline, kept in step with its current version by
-- savePipeline (deleted with the pipeline or when the schedule is removed).
-- evaluated_until: every occurrence up to this instant has been considered
-- (fired or skipped by the catch-up policy); the next tick looks past it.
create table schedule (
  pipeline_id bigint primary key references pipeline (id) on delete cascade,
  cron text not null,
  timezone text not null default 'UTC',
  catchup text not null default 'none' check (catchup in ('none', 'latest', 'all')),
  catchup_limit integer,
  evaluated_until timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- Pipelines saved with a schedule before this migration: their schedules
-- start now (nothing missed is caught up).
insert into schedule (pipeline_id, cron, timezone, catchup, catchup_limit)
select p.id, v.definition -> 'schedule' ->> 'cron',
  coalesce(v.definition -> 'schedule' ->> 'timezone', 'UTC'),
  coalesce(v.definition -> 'schedule' ->> 'catchup', 'none'),
  (v.definition -> 'schedule' ->> 'catchup_limit')::int
from pipeline p
join pipeline_version v on v.pipeline_id = p.id and v.version = p.current_version
where v.definition ? 'schedule';

-- A run started while its pipeline had max_concurrent_runs runs going waits
-- (PENDING, no job queued); this says why, and is null once it is admitted.
alter table pipeline_run add column waiting text;
create index pipeline_run_waiting on pipeline_run (pipeline_id, id)
  where waiting is not null;
create index pipeline_run_active on pipeline_run (pipeline_id)
  where status in ('PENDING', 'RUNNING');
