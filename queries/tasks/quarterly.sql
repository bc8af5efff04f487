-- name: quarterly_plan
-- The plan a quarterly report of tasks is about: its number, title, issuer and date.
select plan_code, number, title, issuer, issued_on, locality_code
from plan
where plan_code = $plan;

-- name: task_reporters
-- The name to print for each account that reported on a plan's tasks (the user name when the
-- account is gone or has no display name).
select distinct r.reported_by as user_name, coalesce(a.display_name, r.reported_by) as display_name
from task_report r
left join account a on a.user_name = r.reported_by
where r.plan_code = $plan;
