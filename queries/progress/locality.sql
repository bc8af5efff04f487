-- name: locality_targets
-- One target per plan × indicator for $locality toward $year: the milestone of that year,
-- else the next later milestone, else the latest earlier one; with the indicator, the plan
-- and the document's baseline (the latest one not after the target year), if any.
with targets as (
    select * from target where locality_code = $locality
),

ranked as (
    select
        *,
        row_number() over (
            partition by plan_code, indicator_code
            order by
                case when target_year = $year then 0 when target_year > $year then 1 else 2 end,
                case when target_year > $year then target_year else -target_year end
        ) as milestone_rank
    from targets
),

baselines as (
    select
        *,
        row_number() over (
            partition by locality_code, indicator_code order by baseline_year desc
        ) as baseline_rank
    from baseline
    where locality_code = $locality
),

final as (
    select
        r.plan_code, r.locality_code, r.indicator_code, r.target_year, r.comparator,
        r.target_value, r.is_every_year, r.target_text, r.clause, r.year_note,
        i.name_vi, i.name_en, i.unit, i.value_kind, i.direction, i.min_value, i.max_value,
        i.decimals, i.indicator_group,
        p.number as plan_number, p.issuer as plan_issuer, p.issued_on as plan_issued_on,
        p.title as plan_title, p.start_year as plan_start_year,
        b.baseline_year, b.baseline_value, b.source as baseline_source_text
    from ranked as r
    inner join indicator as i on i.indicator_code = r.indicator_code
    inner join plan as p on p.plan_code = r.plan_code
    left join baselines as b
        on b.indicator_code = r.indicator_code and b.baseline_year <= r.target_year
        and b.baseline_rank = 1
    where r.milestone_rank = 1
)

select * from final
order by indicator_group, indicator_code, plan_code

-- name: locality_milestones
-- Every milestone of every plan for $locality (whatever years they name), for the charts.
select plan_code, indicator_code, target_year, comparator, target_value, is_every_year
from target
where locality_code = $locality
order by plan_code, indicator_code, target_year

-- name: current_observations
-- The current reported value of each indicator × period for $locality: the one from the
-- latest committed upload (earlier uploads stay as history), with whether it is illustrative;
-- with $approved_only, of the approved periods only.
with committed as (
    select upload_id, is_illustrative from upload where state = 'committed'
),

observations as (
    select o.*, c.is_illustrative
    from observation as o
    inner join committed as c on c.upload_id = o.upload_id
    where o.locality_code = $locality
        -- $approved_only: only the periods an approver has approved (period_approval)
        and (not $approved_only or exists (
            select 1 from period_approval as a
            where a.locality_code = o.locality_code and a.period = o.period and a.state = 'approved'))
),

ranked as (
    select
        *,
        row_number() over (
            partition by indicator_code, period order by upload_id desc
        ) as upload_rank
    from observations
),

final as (
    select
        locality_code, indicator_code, period, period_time, value, numerator, denominator,
        note, upload_id, is_illustrative
    from ranked
    where upload_rank = 1
)

select * from final
order by indicator_code, period_time
