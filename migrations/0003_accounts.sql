-- Accounts, sessions, API tokens, sign-in throttling, sharing and the audit
-- log (issue 6). Secrets of users are stored hashed only.

create table app_user (
  id bigint generated always as identity primary key,
  email text not null unique check (email = lower(email)),
  name text not null default '',
  -- "pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>"; null until set.
  password_hash text,
  role text not null check (role in ('admin', 'editor', 'operator', 'viewer')),
  active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- Server-side sessions; the cookie holds a random id, the table its SHA-256.
create table session (
  id_hash text primary key,
  user_id bigint not null references app_user (id) on delete cascade,
  created_at timestamptz not null default now(),
  last_seen_at timestamptz not null default now(),
  expires_at timestamptz not null,
  ip text not null default '',
  user_agent text not null default ''
);
create index session_user_idx on session (user_id);

-- Personal API tokens; only the SHA-256 of the secret is kept.
create table api_token (
  id bigint generated always as identity primary key,
  user_id bigint not null references app_user (id) on delete cascade,
  name text not null,
  token_hash text not null unique,
  -- The first characters of the token, to recognise it in lists.
  prefix text not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz,
  last_used_at timestamptz,
  revoked_at timestamptz
);
create index api_token_user_idx on api_token (user_id);

-- Failed sign-ins, keyed "email:<address>" or "ip:<address>", for throttling.
create table sign_in_failure (
  id bigint generated always as identity primary key,
  key text not null,
  failed_at timestamptz not null default now()
);
create index sign_in_failure_key_idx on sign_in_failure (key, failed_at);

-- One-time link that creates the first admin when none was configured.
create table setup_token (
  token_hash text primary key,
  expires_at timestamptz not null,
  used_at timestamptz
);

-- Editors may edit the connectors and pipelines shared with them.
create table resource_share (
  resource_type text not null check (resource_type in ('connector', 'pipeline')),
  resource_id bigint not null,
  user_id bigint not null references app_user (id) on delete cascade,
  created_at timestamptz not null default now(),
  primary key (resource_type, resource_id, user_id)
);

create table audit_event (
  id bigint generated always as identity primary key,
  at timestamptz not null default now(),
  actor_id bigint,
  -- Kept as text so the trail survives the actor's deletion.
  actor text not null,
  action text not null,
  target_type text,
  target_id text,
  target_name text,
  ip text not null default '',
  detail jsonb not null default '{}'
);
create index audit_event_at_idx on audit_event (at desc);
create index audit_event_action_idx on audit_event (action, at desc);
