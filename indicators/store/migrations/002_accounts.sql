-- 002: accounts with role and locality scope, and the audit log of who did what.
create table account (
    user_name text primary key,
    display_name text not null,
    role text not null,                  -- viewer | officer | admin
    locality_code text,                  -- scope: a province or a commune; null = whole country
    password_hash text not null,         -- argon2id, never the password
    is_active boolean not null default true,
    must_change_password boolean not null default false,
    created_at timestamp not null default current_timestamp,
    failed_attempts integer not null default 0,
    locked_until timestamp
);

create sequence audit_event_id_seq start 1;

create table audit_event (
    event_id bigint primary key default nextval('audit_event_id_seq'),
    occurred_at timestamp not null default current_timestamp,
    user_name text,                      -- who acted (or tried to); null when unknown
    action text not null,                -- sign_in, sign_in_failed, sign_in_locked, denied, upload, revert, target_change, account_change, ...
    locality_code text,
    detail text                          -- a short Vietnamese sentence, and ids where useful
);

-- Every change to a target or baseline keeps the previous value (who, when, why).
create table target_history (
    changed_at timestamp not null default current_timestamp,
    changed_by text not null,
    table_name text not null,            -- target | baseline
    key_text text not null,              -- e.g. 'LC-243-2025|12|bhyt_coverage|2030'
    old_value text,                      -- JSON of the previous row, null when added
    new_value text,                      -- JSON of the new row, null when deleted
    reason text
);
