-- name: approval_state
-- The current approval row of one locality × period (none: open, never changed), with the
-- display name of who changed it last.
select a.state, a.last_action, a.changed_by, coalesce(u.display_name, a.changed_by) as changed_by_name,
       a.changed_at, a.reason, a.step
from period_approval as a
left join account as u on u.user_name = a.changed_by
where a.locality_code = $locality and a.period = $period

-- name: approval_save_state
-- Write the new current state of a locality × period (the first change inserts it).
insert into period_approval (locality_code, period, state, last_action, changed_by, changed_at, reason, step)
values ($locality, $period, $state, $action, $user, $at, $reason, $step)
on conflict (locality_code, period) do update set
    state = excluded.state, last_action = excluded.last_action, changed_by = excluded.changed_by,
    changed_at = excluded.changed_at, reason = excluded.reason, step = excluded.step

-- name: approval_add_history
-- One state change, appended.
insert into period_approval_history (locality_code, period, step, action, from_state, to_state, changed_by,
                                     changed_at, reason)
values ($locality, $period, $step, $action, $from_state, $to_state, $user, $at, $reason)

-- name: approval_list
-- Per period of locality $locality: every period with committed reported values or an approval
-- row, newest first, with its state (open where no row), who changed it last and when, the reason
-- of a return, and whether the locality holds current values for it.
with reported as (
    select distinct o.period
    from observation as o
    semi join upload as u on u.upload_id = o.upload_id and u.state = 'committed'
    where o.locality_code = $locality
), periods as (
    select period from reported
    union
    select period from period_approval where locality_code = $locality
)
select p.period,
       coalesce(a.state, 'open') as state,
       a.last_action,
       a.changed_by,
       coalesce(u.display_name, a.changed_by) as changed_by_name,
       a.changed_at,
       a.reason,
       p.period in (select period from reported) as has_values
from periods as p
left join period_approval as a on a.locality_code = $locality and a.period = p.period
left join account as u on u.user_name = a.changed_by
order by left(p.period, 4) desc, p.period desc

-- name: approval_history
-- Every state change of locality $locality (of one period when $period is not null), in order.
select h.period, h.step, h.action, h.from_state, h.to_state, h.changed_by,
       coalesce(u.display_name, h.changed_by) as changed_by_name, h.changed_at, h.reason
from period_approval_history as h
left join account as u on u.user_name = h.changed_by
where h.locality_code = $locality and ($period is null or h.period = $period)
order by h.period, h.step

-- name: approval_locked
-- The approved (locked) periods of the localities in $localities: who approved, when, and the
-- names a message needs.
select a.locality_code, l.name as locality_name, a.period, a.changed_by as approved_by,
       coalesce(u.display_name, a.changed_by) as approved_by_name, a.changed_at as approved_at
from period_approval as a
inner join locality as l on l.locality_code = a.locality_code
left join account as u on u.user_name = a.changed_by
where a.state = 'approved' and a.locality_code in (select unnest($localities))
order by a.locality_code, a.period

-- name: approval_locked_of_upload
-- The approved (locked) periods that upload $upload_id holds values for.
select a.locality_code, l.name as locality_name, a.period, a.changed_by as approved_by,
       coalesce(u.display_name, a.changed_by) as approved_by_name, a.changed_at as approved_at
from period_approval as a
inner join locality as l on l.locality_code = a.locality_code
left join account as u on u.user_name = a.changed_by
where a.state = 'approved'
  and exists (select 1 from observation as o
              where o.upload_id = $upload_id and o.locality_code = a.locality_code and o.period = a.period)
order by a.locality_code, a.period

-- name: account_permissions
-- The permissions each account holds, with who granted them and when.
select p.user_name, u.display_name, u.role, u.locality_code, p.permission, p.granted_by, p.granted_at
from account_permission as p
inner join account as u on u.user_name = p.user_name
order by p.user_name, p.permission

-- name: approval_list_of
-- approval_list for several localities ($localities) at once, with each locality's name: every
-- locality × period with committed reported values or an approval row, newest period first.
with reported as (
    select distinct o.locality_code, o.period
    from observation as o
    semi join upload as u on u.upload_id = o.upload_id and u.state = 'committed'
    where o.locality_code in (select unnest($localities))
), periods as (
    select locality_code, period from reported
    union
    select locality_code, period from period_approval where locality_code in (select unnest($localities))
)
select p.locality_code,
       l.name as locality_name,
       l.level,
       p.period,
       coalesce(a.state, 'open') as state,
       a.last_action,
       a.changed_by,
       coalesce(u.display_name, a.changed_by) as changed_by_name,
       a.changed_at,
       a.reason,
       (p.locality_code, p.period) in (select (locality_code, period) from reported) as has_values
from periods as p
inner join locality as l on l.locality_code = p.locality_code
left join period_approval as a on a.locality_code = p.locality_code and a.period = p.period
left join account as u on u.user_name = a.changed_by
order by left(p.period, 4) desc, p.period desc, l.level desc, p.locality_code

-- name: approval_queue
-- The submitted and approved locality × periods an approver reaches: every locality when
-- $province is null (an admin), else the communes of province $province. Who submitted and
-- when (the latest submit of the period), and the current state's change.
with last_submit as (
    select locality_code, period, arg_max(changed_by, step) as submitted_by, max(changed_at) as submitted_at
    from period_approval_history
    where action = 'submit'
    group by locality_code, period
)
select a.locality_code, l.name as locality_name, l.level, l.parent_code, a.period, a.state,
       s.submitted_by, coalesce(su.display_name, s.submitted_by) as submitted_by_name, s.submitted_at,
       a.changed_by, coalesce(u.display_name, a.changed_by) as changed_by_name, a.changed_at
from period_approval as a
inner join locality as l on l.locality_code = a.locality_code
left join last_submit as s on s.locality_code = a.locality_code and s.period = a.period
left join account as su on su.user_name = s.submitted_by
left join account as u on u.user_name = a.changed_by
where a.state in ('submitted', 'approved')
    and ($province is null or (l.level = 'commune' and l.parent_code = $province))
order by a.state desc, a.changed_at, a.locality_code, a.period
