-- Envelope encryption of credentials (issue 6): each secret is sealed by its
-- own data key, stored here wrapped by the master key named in key_id. Null
-- marks a legacy row sealed directly by the master key; key rotation
-- converts those.
alter table credential add column wrapped_key text;
