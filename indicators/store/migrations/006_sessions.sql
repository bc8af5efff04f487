-- 006: sign-in sessions kept in the store, so that a sign-in survives a reload, a new tab and a
-- shared link, and works with several app processes (indicators/auth/sessions.py).
--
-- The browser holds a random token in an HttpOnly cookie, signed with the secret below; the
-- store keeps only its SHA-256. A sign-in first creates the session with a one-time hand-off
-- code (also stored as a hash, valid for a minute), which the cookie route exchanges for the
-- token: the token never passes through the page's websocket or the store in clear.
create table web_session (
    session_id text primary key,         -- random, not secret: what a tab remembers
    user_name text not null,
    token_hash text,                     -- SHA-256 of the cookie's token; null until the hand-off
    code_hash text,                      -- SHA-256 of the one-time hand-off code; null once used
    code_expires_at timestamp,
    next_path text,                      -- where the hand-off lands: a path of this app, with its query
    created_at timestamp not null default current_timestamp,
    last_seen timestamp not null default current_timestamp,
    ended_at timestamp,
    ended_reason text,                   -- sign_out | idle | ended_by_admin | password_changed | account_disabled
    client text                          -- the address the app saw at sign-in
);

-- Secrets of this installation, made once (the cookie-signing key); shared by every process.
create table server_secret (
    name text primary key,
    value text not null,
    created_at timestamp not null default current_timestamp
);
