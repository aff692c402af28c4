-- The password of the login role user-written SQL on the local warehouse runs
-- as (PostgreSQL backend), sealed by the platform's secret box so every
-- process of a fleet connects with the same one.
create table warehouse_login (
  role_name text primary key,
  key_id text not null,
  wrapped_key text,
  ciphertext text not null,
  updated_at timestamptz not null default now()
);
