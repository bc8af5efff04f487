-- 011: the tasks a plan assigns (issue 15): who leads, who partners, what product, by when;
-- the quarterly reports on them, and which agency an account reports for.
--
-- Seeded from data/seed/plan_tasks.csv and its siblings (indicators/tasks/catalogue.py); an
-- admin adds a plan's tasks from an Excel list in the same columns. Whether a task is overdue
-- is computed (indicators/tasks/status.py), never stored.

-- Agencies named by the plans (Sở Y tế, Sở Tài chính, UBND xã/phường, BHXH …).
create table agency (
    agency_code text primary key,        -- a short ascii code: 'so_y_te', 'ubnd_xa_phuong'
    name_vi text not null,               -- as the plans write it
    kind text not null,                  -- so | ubnd | bhxh | other | generic ('các đơn vị liên quan')
    locality_code text,                  -- the province or commune it belongs to; null when generic
    also_written text                    -- other spellings the plans use, separated by "; "
);

-- The groups of tasks of a plan (mục II), and the Tổ công tác that follows each group: the
-- plan may leave it open (71/KH-UBND does), then team_no is null ("chưa phân Tổ") until an
-- admin sets it.
create table task_group (
    plan_code text not null,
    group_no integer not null,
    title text not null,
    team_no integer,
    primary key (plan_code, group_no)
);

-- The Tổ công tác of a plan and the leader who directs each.
create table work_team (
    plan_code text not null,
    team_no integer not null,
    title text not null,
    directed_by text,                    -- 'Đồng chí Vũ Thu Hà' (Phó Chủ tịch UBND Thành phố)
    primary key (plan_code, team_no)
);

create table plan_task (
    plan_code text not null,
    task_no text not null,               -- '3.10', as the plan numbers it
    group_no integer not null,
    position integer not null,           -- order within the plan
    title text not null,
    lead_text text not null,             -- the lead agencies exactly as written, roles included
    partner_text text,                   -- the partners exactly as written
    product text,                        -- the expected product ('Đề án', 'Quyết định' …)
    deadline_text text not null,         -- as written: 'Quý I năm 2026'
    deadline_period text not null,       -- '2026-Q1', '2026-02', '2026'
    deadline_date date not null,         -- the period's last day
    added_by text,                       -- null for the seed; the admin who added it otherwise
    added_at timestamp,
    primary key (plan_code, task_no)
);

-- The agencies of a task, parsed from lead_text and partner_text: one row per agency per role.
create table task_agency (
    plan_code text not null,
    task_no text not null,
    role text not null,                  -- lead | partner
    position integer not null,           -- order as written
    agency_code text not null,
    role_note text,                      -- '(cơ quan rà soát, đề xuất)'
    primary key (plan_code, task_no, role, position)
);

-- The targets a task serves (task 2.3 of 71/KH-UBND serves the private-beds target).
create table task_indicator (
    plan_code text not null,
    task_no text not null,
    indicator_code text not null,
    primary key (plan_code, task_no, indicator_code)
);

-- Which agency an account reports for (an admin sets it); an officer reports only the tasks
-- its agency leads.
create table account_agency (
    user_name text not null,
    agency_code text not null,
    granted_by text not null,
    granted_at timestamp not null,
    primary key (user_name, agency_code)
);

-- A batch of task reports (one Excel file, or one form sent from the page).
create table task_upload (
    task_upload_id bigint primary key,   -- max + 1 under the write lock (no sequence: see 007)
    user_name text not null,
    source text not null,                -- 'excel' | 'form'
    file_name text,
    sha256 text,
    n_rows integer not null,
    uploaded_at timestamp not null,
    reverted_at timestamp,
    reverted_by text
);

-- Progress reports on tasks, never updated or deleted: a new report on the same task and
-- quarter is a new step, the latest step of an upload not reverted is the one in force.
create table task_report (
    plan_code text not null,
    task_no text not null,
    period text not null,                -- the reporting quarter: '2026-Q4'
    step integer not null,               -- 1, 2, … per task × quarter
    state text not null,                 -- not_started | in_progress | done | done_late | blocked
    result text,                         -- a short result
    product_ref text,                    -- the number/date of the document issued
    completed_on date,                   -- when the product was issued (done states)
    needs text,                          -- where stuck: what is needed
    needs_from text,                     -- … and from whom
    reported_by text not null,
    reported_at timestamp not null,
    task_upload_id bigint not null,
    primary key (plan_code, task_no, period, step)
);
