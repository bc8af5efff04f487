-- name: catalogue_history
-- Changes to plans, targets and baselines (previous and new row as JSON), newest first;
-- $prefix narrows to keys that start with it ('' for all).
select changed_at, changed_by, table_name, key_text, old_value, new_value, reason
from target_history
where starts_with(key_text, $prefix)
order by changed_at desc, key_text

-- name: audit_log
-- The audit log, newest first, filtered by user, action and time ($user / $action null = all).
select event_id, occurred_at, user_name, action, locality_code, detail
from audit_event
where ($user is null or user_name = $user)
    and ($action is null or action = $action)
    and occurred_at >= $since and occurred_at < $until
order by event_id desc
limit $limit

-- name: accounts
-- Every account with its scope's name, for the administration page.
select a.user_name, a.display_name, a.role, a.locality_code, l.name as locality_name,
    a.is_active, a.created_at, a.failed_attempts
from account as a
left join locality as l on l.locality_code = a.locality_code
order by a.user_name
