-- 007: approval of reported periods (issue 12), and permissions an admin grants to an account.
--
-- A locality × reporting period is chưa nộp (open) → đã nộp (submitted, by an officer whose
-- scope holds the locality) → đã duyệt (approved, by the level above); the approver returns
-- (trả lại) a submitted or approved period to open, with a reason. An approved period is
-- locked: the import refuses its rows, and the revert of an upload touching it is refused.
-- indicators/auth/approval.py is the only code that writes these tables.

-- The current state of each locality × period that ever changed state; no row = open.
create table period_approval (
    locality_code text not null,
    period text not null,                -- as observation.period: '2026', '2026-Q1', '2026-06'
    state text not null,                 -- open | submitted | approved
    last_action text not null,           -- submit | approve | return: open after a return is "trả lại"
    changed_by text not null,            -- user_name of the last change
    changed_at timestamp not null,
    reason text,                         -- the reason of a return (null otherwise)
    step integer not null,               -- how many changes so far: the last history row's step
    primary key (locality_code, period)
);

-- Every state change, never updated or deleted. The key is natural: the n-th change of a
-- locality × period (no sequence, so the PostgreSQL store needs nothing beyond its push).
create table period_approval_history (
    locality_code text not null,
    period text not null,
    step integer not null,               -- 1, 2, … per locality × period
    action text not null,                -- submit | approve | return
    from_state text not null,
    to_state text not null,
    changed_by text not null,
    changed_at timestamp not null,
    reason text,
    primary key (locality_code, period, step)
);

-- Permissions beyond the role, granted by an admin; one row per account × permission held.
-- 'approve': approve and return the periods of the communes of the account's province
-- (the account's scope must be a province). Admins approve everything without a grant.
-- A revoke deletes the row; both are in the audit log (account_change).
create table account_permission (
    user_name text not null,
    permission text not null,            -- approve
    granted_by text not null,
    granted_at timestamp not null,
    primary key (user_name, permission)
);
