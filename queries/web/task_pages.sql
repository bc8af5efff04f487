-- What the task pages read besides a plan's task list (queries/tasks/tasks.sql): the agency
-- catalogue, which account reports for which agency, a plan's groups and Tổ công tác.

-- name: agency_catalogue
-- Every agency, with how many tasks (of every plan) it leads and partners.
select a.agency_code, a.name_vi, a.kind, a.locality_code,
       count(ta.task_no) filter (where ta.role = 'lead') as n_lead,
       count(ta.task_no) filter (where ta.role = 'partner') as n_partner
from agency a
left join task_agency ta using (agency_code)
group by all
order by a.name_vi;

-- name: account_agency_list
-- Which agency each account reports for, with who granted it and when.
select aa.user_name, acc.display_name, acc.role, acc.is_active, aa.agency_code, a.name_vi as agency_name,
       aa.granted_by, aa.granted_at
from account_agency aa
left join account acc using (user_name)
left join agency a using (agency_code)
order by aa.user_name, a.name_vi;

-- name: plan_task_groups
-- The groups of one plan with the Tổ công tác following each (null: not set) and its tasks.
select g.group_no, g.title, g.team_no, w.title as team_title, w.directed_by,
       (select count(*) from plan_task t where t.plan_code = g.plan_code and t.group_no = g.group_no) as n_tasks
from task_group g
left join work_team w on w.plan_code = g.plan_code and w.team_no = g.team_no
where g.plan_code = $plan
order by g.group_no;

-- name: plan_work_teams
-- The Tổ công tác of one plan and who directs each.
select team_no, title, directed_by
from work_team
where plan_code = $plan
order by team_no;
