-- 008: sign-in throttling per client and per (name, client), in the store so that every app
-- process sees the same counts. One row per throttled key, deleted once it is old:
--   'client|<ip>'          every wrong sign-in from that address, whatever the name;
--   'name|<name>|<ip>'     wrong sign-ins for one typed name from that address (kept for any
--                          name, existing or not, so the answer never tells which names exist).
-- An account's owner signing in from another address is never slowed by these rows.
create table sign_in_throttle (
    throttle_key text primary key,
    failures integer not null,
    last_failure_at timestamp not null,
    wait_until timestamp                  -- no password is checked from this key before then
);
