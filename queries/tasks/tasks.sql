-- name: task_list
-- Every task of a plan with its group, Tổ công tác, leads, partners and its last report in
-- force: made before $reports_until_next (exclusive), on a quarter up to $period_through when
-- given (a quarter's report takes in what was reported on it after it closed), reverted
-- uploads left out. The shown state and lateness are computed from these columns (tasks/status.py).
with reports as (
    select r.*,
           row_number() over (partition by r.task_no
                              order by r.reported_at desc, r.period desc, r.step desc) as rn,
           count(*) over (partition by r.task_no) as n_reports
    from task_report r
    join task_upload u using (task_upload_id)
    where r.plan_code = $plan and u.reverted_at is null and r.reported_at < $reports_until_next
      and ($period_through is null or r.period <= $period_through)
),
agencies as (
    select ta.task_no,
           list(a.name_vi order by ta.position) filter (where ta.role = 'lead') as lead_agencies,
           list(ta.agency_code order by ta.position) filter (where ta.role = 'lead') as lead_codes,
           list(a.name_vi order by ta.position) filter (where ta.role = 'partner') as partner_agencies
    from task_agency ta
    join agency a using (agency_code)
    where ta.plan_code = $plan
    group by ta.task_no
),
served as (
    select task_no, list(indicator_code order by indicator_code) as indicator_codes
    from task_indicator where plan_code = $plan group by task_no
),
final as (
    select t.plan_code, p.number as plan_number, t.group_no, g.title as group_title, g.team_no,
           w.title as team_title, w.directed_by, t.task_no, t.position, t.title, t.lead_text,
           t.partner_text, t.product, t.deadline_text, t.deadline_period, t.deadline_date,
           coalesce(ag.lead_agencies, []) as lead_agencies, coalesce(ag.lead_codes, []) as lead_codes,
           coalesce(ag.partner_agencies, []) as partner_agencies,
           coalesce(s.indicator_codes, []) as indicator_codes,
           r.state as reported_state, r.period as last_report_period, r.result, r.product_ref,
           r.completed_on, r.needs, r.needs_from, r.reported_by, r.reported_at as last_report_at,
           coalesce(r.n_reports, 0) as n_reports
    from plan_task t
    join plan p using (plan_code)
    left join task_group g on g.plan_code = t.plan_code and g.group_no = t.group_no
    left join work_team w on w.plan_code = t.plan_code and w.team_no = g.team_no
    left join agencies ag on ag.task_no = t.task_no
    left join served s on s.task_no = t.task_no
    left join reports r on r.task_no = t.task_no and r.rn = 1
    where t.plan_code = $plan
)
select * from final order by group_no, position;

-- name: task_history
-- Every report on one task, newest first, with its upload and whether that upload was reverted.
select r.period, r.step, r.state, r.result, r.product_ref, r.completed_on, r.needs, r.needs_from,
       r.reported_by, r.reported_at, r.task_upload_id, u.source, u.file_name,
       u.reverted_at, u.reverted_by
from task_report r
join task_upload u using (task_upload_id)
where r.plan_code = $plan and r.task_no = $task
order by r.reported_at desc, r.period desc, r.step desc;

-- name: task_plans
-- The plans that have tasks, with how many.
select p.plan_code, p.number, p.title, p.locality_code, count(*) as n_tasks
from plan_task t join plan p using (plan_code)
group by all order by p.plan_code;
