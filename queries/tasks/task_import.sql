-- name: task_reports_in_force
-- The report in force for each task and quarter of a plan: the latest step of an upload that
-- was not reverted (what a new report on the same task and quarter is compared with).
select r.task_no, r.period, r.step, r.state, r.result, r.product_ref, r.completed_on, r.needs,
       r.needs_from, r.reported_by, r.reported_at, r.task_upload_id
from task_report r
join task_upload u using (task_upload_id)
where r.plan_code = $plan and u.reverted_at is null
qualify row_number() over (partition by r.task_no, r.period order by r.step desc) = 1;

-- name: task_upload_by_sha
-- The latest upload of task reports from a file with these bytes that still stands, if any.
select task_upload_id, user_name, uploaded_at, file_name
from task_upload
where sha256 = $sha and reverted_at is null
order by task_upload_id desc
limit 1;

-- name: task_agency_names
-- The names of the agencies an account reports for.
select a.name_vi
from account_agency aa
join agency a using (agency_code)
where aa.user_name = $user
order by a.name_vi;
