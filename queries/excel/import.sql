-- name: import_indicators
-- The indicator catalogue as validation needs it.
select indicator_code, name_vi, unit, value_kind, min_value, max_value, decimals
from indicator

-- name: import_localities
-- Every locality code with its parent (null for a province).
select locality_code, parent_code
from locality

-- name: import_history_stats
-- For each locality × indicator of the localities in $localities: how many current values it
-- has (latest committed upload per period), their median and median absolute deviation — the
-- history the outlier warning compares with.
with committed as (
    select upload_id from upload where state = 'committed'
),

ranked as (
    select
        o.locality_code, o.indicator_code, o.period, o.value,
        row_number() over (
            partition by o.locality_code, o.indicator_code, o.period order by o.upload_id desc
        ) as upload_rank
    from observation as o
    inner join committed as c on c.upload_id = o.upload_id
    where o.locality_code in (select unnest($localities))
),

final as (
    select
        locality_code, indicator_code, count(*) as n_values,
        median(value) as median_value, mad(value) as mad_value
    from ranked
    where upload_rank = 1
    group by locality_code, indicator_code
)

select * from final

-- name: import_diff
-- Each row of the registered relation import_rows beside the key's current value, and
-- whether it is new, changed (value, numerator or denominator differ) or unchanged.
with committed as (
    select upload_id from upload where state = 'committed'
),

keys as (
    select distinct locality_code, indicator_code from import_rows
),

ranked as (
    select
        o.locality_code, o.indicator_code, o.period, o.value, o.numerator, o.denominator,
        row_number() over (
            partition by o.locality_code, o.indicator_code, o.period order by o.upload_id desc
        ) as upload_rank
    from observation as o
    inner join committed as c on c.upload_id = o.upload_id
    inner join keys as k on k.locality_code = o.locality_code and k.indicator_code = o.indicator_code
),

current_values as (
    select * from ranked where upload_rank = 1
),

final as (
    select
        r.locality_code, r.indicator_code, r.period, r.period_time, r.value, r.numerator,
        r.denominator, r.note, r.sheet, r.row,
        c.value as old_value,
        case
            when c.value is null then 'new'
            when r.value is distinct from c.value
                or r.numerator is distinct from c.numerator
                or r.denominator is distinct from c.denominator then 'changed'
            else 'unchanged'
        end as change
    from import_rows as r
    left join current_values as c
        on c.locality_code = r.locality_code and c.indicator_code = r.indicator_code
        and c.period = r.period
)

select * from final

-- name: committed_upload_by_sha
-- The earliest committed upload of a file with this SHA-256, if any.
select upload_id, user_name, uploaded_at, file_name
from upload
where sha256 = $sha and state = 'committed'
order by upload_id
limit 1

-- name: insert_upload
-- One upload record; returns its id.
insert into upload (file_name, sha256, user_name, n_rows, n_new, n_changed, n_unchanged,
                    n_rejected, state, size_bytes, sheet_names, n_warnings)
values ($file_name, $sha, $user, $n_rows, $n_new, $n_changed, $n_unchanged, 0, 'committed',
        $size_bytes, $sheet_names, $n_warnings)
returning upload_id

-- name: insert_observations
-- The new and changed rows of the registered relation import_changes, with the upload id.
insert into observation (locality_code, indicator_code, period, period_time, value, numerator,
                         denominator, note, upload_id)
select locality_code, indicator_code, period, period_time, value, numerator, denominator, note,
       $upload_id
from import_changes

-- name: import_audit
-- An audit event written inside the import's own transaction (auth.audit uses its own cursor).
insert into audit_event (user_name, action, locality_code, detail)
values ($user, $action, $locality, $detail)

-- name: upload_by_id
select upload_id, file_name, user_name, uploaded_at, state, n_rows, n_new, n_changed,
       n_unchanged, reverted_at, reverted_by
from upload
where upload_id = $upload_id

-- name: revert_upload
-- Mark a committed upload reverted: its values stop being current, earlier ones return.
update upload
set state = 'reverted', reverted_at = current_timestamp, reverted_by = $user
where upload_id = $upload_id and state = 'committed'

-- name: upload_localities
-- The localities an upload wrote, the first one is used for the audit row.
select distinct locality_code
from observation
where upload_id = $upload_id
order by locality_code

-- name: observation_history
-- Every value ever reported for $locality × $indicator (all uploads, reverted ones too), who
-- reported it, when, in which file, and whether it is the current value of its period.
with observations as (
    select o.*, u.file_name, u.user_name, u.uploaded_at, u.state, u.is_illustrative
    from observation as o
    inner join upload as u on u.upload_id = o.upload_id
    where o.locality_code = $locality and ($indicator is null or o.indicator_code = $indicator)
),

ranked as (
    select
        *,
        row_number() over (
            partition by indicator_code, period
            order by case when state = 'committed' then 0 else 1 end, upload_id desc
        ) as current_rank
    from observations
),

final as (
    select
        locality_code, indicator_code, period, period_time, value, numerator, denominator,
        note, upload_id, file_name, user_name, uploaded_at, state, is_illustrative,
        (current_rank = 1 and state = 'committed') as is_current
    from ranked
)

select * from final
order by indicator_code, period_time desc, upload_id desc

-- name: recent_uploads
-- The latest uploads, newest first.
select upload_id, file_name, user_name, uploaded_at, state, n_rows, n_new, n_changed,
       n_unchanged, n_rejected, is_illustrative, reverted_at, reverted_by
from upload
order by upload_id desc
limit $limit

-- name: export_current_values
-- The current value of every indicator × period of $locality and its communes, with names,
-- unit, the upload it came from and whether it is illustrative.
with places as (
    select locality_code, name, level
    from locality
    where locality_code = $locality or parent_code = $locality
),

committed as (
    select upload_id, uploaded_at, is_illustrative from upload where state = 'committed'
),

ranked as (
    select
        o.*, c.uploaded_at, c.is_illustrative,
        row_number() over (
            partition by o.locality_code, o.indicator_code, o.period order by o.upload_id desc
        ) as upload_rank
    from observation as o
    inner join committed as c on c.upload_id = o.upload_id
    inner join places as p on p.locality_code = o.locality_code
),

final as (
    select
        r.locality_code, p.name as locality_name, r.indicator_code, i.name_vi as indicator_name,
        i.unit, r.period, r.value, r.numerator, r.denominator, r.note, r.upload_id,
        r.uploaded_at, r.is_illustrative, p.level, r.period_time
    from ranked as r
    inner join places as p on p.locality_code = r.locality_code
    inner join indicator as i on i.indicator_code = r.indicator_code
    where r.upload_rank = 1
)

select * exclude (level, period_time) from final
order by level desc, locality_code, indicator_code, period_time

-- name: template_localities
-- $locality and, for a province, its communes, with the plan-holding locality whose
-- indicators each one reports (its own plans, else its province's).
select
    l.locality_code, l.name, l.level,
    case
        when exists (select 1 from target as t where t.locality_code = l.locality_code)
            then l.locality_code
        else coalesce(l.parent_code, l.locality_code)
    end as plan_locality
from locality as l
where l.locality_code = $locality or l.parent_code = $locality
order by case when l.level = 'province' then 0 else 1 end, l.search_key

-- name: template_indicators
-- The indicators with targets for each plan-holding locality in $plan_localities.
select distinct t.locality_code as plan_locality, i.indicator_code, i.name_vi, i.unit, i.value_kind
from target as t
inner join indicator as i on i.indicator_code = t.indicator_code
where t.locality_code in (select unnest($plan_localities))
order by plan_locality, i.indicator_code

-- name: history_indicators
-- Every indicator, those with reported values for $locality first, for the history picker.
with reported as (
    select indicator_code, count(*) as n_values
    from observation
    where locality_code = $locality
    group by indicator_code
)

select i.indicator_code, i.name_vi, coalesce(r.n_values, 0) as n_values
from indicator as i
left join reported as r on r.indicator_code = i.indicator_code
order by (r.n_values is null), i.name_vi
