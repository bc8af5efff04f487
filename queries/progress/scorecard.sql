-- Leaders' overview at national scale: the progress method of indicators/progress/method.py in SQL,
-- roll-ups from numerators and denominators, reporting completeness, trajectories, and the
-- caches of current values (current_observation, current_series; migration 004) that keep
-- them fast.
--
-- Scope parameters, shared by the overview queries and tested by the macro in_scope
-- (migration 005), the one place the step is written:
--   $scope_kind 'country'  : every locality (34 provinces and 3,321 communes)
--               'province' : the province $province and its communes
--               'communes' : the communes of $province only
-- "Current" observations are the ones from the latest committed upload of each
-- locality × indicator × period (upload.state = 'committed', highest upload_id). The overview
-- queries read them from the caches current_observation and current_series (migration 004),
-- which indicators/progress/scorecard.py refreshes, or rebuilds in temporary tables of the same names
-- when they are stale, before reading.


-- name: current_stale_uploads
-- Uploads whose presence or committed state differs from what current_observation reflects.
with uploads as (
    select upload_id, state = 'committed' as is_committed from upload
),

reflected as (
    select upload_id, is_committed from current_observation_upload
),

final as (
    (select * from uploads except select * from reflected)
    union
    (select * from reflected except select * from uploads)
)

select distinct upload_id from final order by upload_id


-- name: cache_state
-- One row: how many uploads the caches do not reflect (added, reverted, restored, removed).
select
    (select count(*)
     from upload as u
     left join current_observation_upload as c on c.upload_id = u.upload_id
     where c.is_committed is distinct from (u.state = 'committed'))
    + (select count(*)
       from current_observation_upload as c
       anti join upload as u on u.upload_id = c.upload_id) as n_stale_uploads


-- name: series_missing_horizons
-- Target years that current_series has no sums for (it holds none at all when empty).
with needed as (
    -- the milestones ($milestones) are always cached (series_insert); only other years need a look
    select distinct target_year as horizon
    from target
    where target_year not in (select unnest($milestones))
),

cached as (
    select distinct horizon
    from current_series
    where horizon in (select horizon from needed)
),

final as (
    select n.horizon
    from needed as n
    anti join cached as c on c.horizon = n.horizon
    where exists (select 1 from current_series)
)

select * from final order by horizon


-- name: current_delete
-- Remove the cached rows of every key the uploads $upload_ids reported (null: every row).
delete from current_observation
where $upload_ids is null
    or (locality_code, indicator_code, period) in (
        select locality_code, indicator_code, period
        from observation
        where upload_id in (select unnest($upload_ids)))


-- name: current_insert
-- Cache the current value of every key the uploads $upload_ids reported (null: every key),
-- ordered by province so that one province's rows sit together.
insert into current_observation
with committed as (
    select upload_id from upload where state = 'committed'
),

touched as (
    select distinct locality_code, indicator_code, period
    from observation
    where upload_id in (select unnest($upload_ids))
),

candidates as (
    select o.*
    from observation as o
    where $upload_ids is null and o.upload_id in (select upload_id from committed)
    union all
    select o.*
    from observation as o
    semi join touched as t
        on t.locality_code = o.locality_code and t.indicator_code = o.indicator_code
        and t.period = o.period
    where $upload_ids is not null and o.upload_id in (select upload_id from committed)
),

current_values as (
    select
        locality_code,
        indicator_code,
        period,
        any_value(period_time) as period_time,
        arg_max(value, upload_id) as value,
        arg_max_null(numerator, upload_id) as numerator,
        arg_max_null(denominator, upload_id) as denominator,
        max(upload_id) as upload_id
    from candidates
    group by locality_code, indicator_code, period
),

final as (
    select
        coalesce(l.parent_code, c.locality_code) as province_code,
        c.locality_code, c.indicator_code, c.period, c.period_time, c.value, c.numerator,
        c.denominator, c.upload_id
    from current_values as c
    left join locality as l on l.locality_code = c.locality_code
)

select * from final
order by province_code, locality_code, indicator_code, period_time


-- name: series_delete
-- Remove the cached series of every locality × indicator the uploads $upload_ids reported
-- (null: every series). The test on locality_code alone is implied by the pair's, and is what
-- makes it fast: DuckDB filters current_series by it before the pairs are compared (on the
-- national data 6 ms instead of about 45).
delete from current_series
where $upload_ids is null
    or (locality_code in (
            select locality_code
            from observation
            where upload_id in (select unnest($upload_ids)))
        and (locality_code, indicator_code) in (
            select locality_code, indicator_code
            from observation
            where upload_id in (select unnest($upload_ids))))


-- name: series_insert
-- Cache, from current_observation, the series of every locality × indicator the uploads
-- $upload_ids reported (null: every series): count, first, last two values, and the weighted
-- sums for every target year in `target` and the milestones $milestones.
insert into current_series
with touched as (
    select distinct locality_code, indicator_code
    from observation
    where upload_id in (select unnest($upload_ids))
),

horizons as (
    select distinct target_year as horizon from target
    union
    select unnest($milestones)
),

current_values as (
    select * from current_observation where $upload_ids is null
    union all
    select c.*
    from current_observation as c
    semi join touched as t
        on t.locality_code = c.locality_code and t.indicator_code = c.indicator_code
    where $upload_ids is not null
),

ordered as (
    -- A quarter and a month can share a midpoint (2024-Q1, 2024-02): the quarter counts as
    -- later, as its text sorts later. Distinct midpoints are at least 1/24 year apart.
    select
        *,
        period_time + case when contains(period, 'Q') then 1e-6 else 0 end as order_key
    from current_values
),

stats as (
    select
        locality_code,
        indicator_code,
        any_value(province_code) as province_code,
        count(*) as n_obs,
        min(period_time) as first_time,
        arg_min(value, order_key) as first_value,
        max(period_time) as last_time,
        -- top two by time; scalar aggregates are much cheaper here than one over a struct
        max_by(value, order_key, 2) as last_values,
        max_by(period, order_key, 2) as last_periods,
        arg_max(upload_id, order_key) as last_upload_id
    from ordered
    group by locality_code, indicator_code
),

sums as (
    -- Weights leave out the common factor (T − t_min); times are centred on T for precision.
    select
        c.locality_code,
        c.indicator_code,
        h.horizon,
        sum(1.0 / greatest(h.horizon - c.period_time, 0.25)) as sw,
        sum((c.period_time - h.horizon) / greatest(h.horizon - c.period_time, 0.25)) as swu,
        sum(c.value / greatest(h.horizon - c.period_time, 0.25)) as swv,
        sum((c.period_time - h.horizon) ^ 2 / greatest(h.horizon - c.period_time, 0.25)) as swuu,
        sum((c.period_time - h.horizon) * c.value / greatest(h.horizon - c.period_time, 0.25))
            as swuv
    from current_values as c
    cross join horizons as h
    group by c.locality_code, c.indicator_code, h.horizon
),

final as (
    select
        s.province_code, s.locality_code, s.indicator_code, w.horizon, s.n_obs, s.first_time,
        s.first_value, s.last_time, s.last_values[1] as last_value,
        s.last_periods[1] as last_period, s.last_upload_id,
        s.last_values[2] as previous_value, s.last_periods[2] as previous_period,
        w.sw, w.swu, w.swv, w.swuu, w.swuv
    from stats as s
    inner join sums as w
        on w.locality_code = s.locality_code and w.indicator_code = s.indicator_code
)

select * from final
order by province_code, horizon, locality_code, indicator_code


-- name: current_snapshot_clear
delete from current_observation_upload


-- name: current_snapshot_fill
-- Record which uploads (and states) current_observation and current_series now reflect.
insert into current_observation_upload
select upload_id, state = 'committed' from upload


-- name: scorecard
-- One row per target (plan × locality × indicator) in scope and per year of $years (a list of
-- milestone years; its first column, `year`, says which), judged toward that year exactly as
-- indicators.progress.evaluate judges it: milestone (the year's, else the next later, else
-- the latest earlier), baseline (the document's latest, if not after the milestone, else the
-- latest reported value at or before the plan's start year, else the earliest one after it),
-- latest and previous values with a direction-aware trend,
-- projection by the UN ESCAP time-weighted regression in closed form, ratio r and status.
-- $indicator null = every indicator; $localities null = every locality in scope, else only those
-- (scorecard_cache's refresh of the localities an upload touched). A locality × indicator has one row per plan that sets a
-- target for it; indicators/scorecard.py picks the one a scorecard cell shows. Every year in
-- one statement: the cache's refresh reads targets, baselines and series once, not once a year.
with scope as (
    select locality_code
    from locality
    where in_scope($scope_kind, $province, locality_code, coalesce(parent_code, locality_code))
),

indicators as (
    select
        indicator_code,
        value_kind = 'yes_no' as is_yes_no,
        case when direction = 'higher' then 1.0 else -1.0 end as d,
        -- progress.weighted_projection clamps only when both ends of the range are known
        case when min_value is not null and max_value is not null then min_value
            else '-infinity'::double end as lo,
        case when min_value is not null and max_value is not null then max_value
            else 'infinity'::double end as hi
    from indicator
    where $indicator is null or indicator_code = $indicator
),

scoped_targets as (
    select plan_code, locality_code, indicator_code, target_year, comparator, target_value,
        is_every_year
    from target
    where ($indicator is null or indicator_code = $indicator)
        and ($scope_kind = 'country' or locality_code in (select locality_code from scope))
        and ($localities is null or locality_code in (select unnest($localities)))
),

chosen as (
    select
        y.year,
        plan_code,
        locality_code,
        indicator_code,
        arg_min(
            {'target_year': target_year, 'comparator': comparator, 'target_value': target_value,
             'is_every_year': is_every_year},
            -- the year's milestone, else the nearest later one, else the nearest earlier one
            case
                when target_year = y.year then 0
                when target_year > y.year then target_year - y.year
                else 10000 + y.year - target_year
            end
        ) as milestone
    from scoped_targets
    cross join (select unnest($years)::integer as year) as y
    group by y.year, plan_code, locality_code, indicator_code
),

milestones as (
    -- with the plan's start year (rule 7); a target of no known plan is left out
    select
        c.year,
        c.plan_code,
        c.locality_code,
        c.indicator_code,
        c.milestone.target_year as target_year,
        c.milestone.comparator as target_comparator,
        c.milestone.target_value as target_value,
        c.milestone.is_every_year as is_every_year,
        p.start_year
    from chosen as c
    inner join plan as p on p.plan_code = c.plan_code
),

latest_baselines as (
    select
        locality_code,
        indicator_code,
        max(baseline_year) as baseline_year,
        arg_max(baseline_value, baseline_year) as baseline_value
    from baseline
    where ($indicator is null or indicator_code = $indicator)
        and ($scope_kind = 'country' or locality_code in (select locality_code from scope))
        and ($localities is null or locality_code in (select unnest($localities)))
    group by locality_code, indicator_code
),

series as (
    select
        locality_code, indicator_code, horizon, n_obs, first_time, first_value, last_time,
        last_value, last_period, last_upload_id, previous_value, previous_period, sw, swu, swv,
        swuu, swuv
    from current_series
    where in_scope($scope_kind, $province, locality_code, province_code)
        and ($indicator is null or indicator_code = $indicator)
        and ($localities is null or locality_code in (select unnest($localities)))
),

inputs as (
    select
        m.year,
        m.plan_code,
        m.locality_code,
        m.indicator_code,
        m.target_year,
        m.target_year::double as horizon,
        m.target_comparator,
        m.target_value,
        m.is_every_year,
        m.start_year,
        m.target_value is null as is_qualitative,
        i.is_yes_no,
        i.d,
        i.lo,
        i.hi,
        coalesce(b.baseline_year <= m.target_year, false) as has_doc,
        b.baseline_year as doc_year,
        b.baseline_value as doc_value,
        -- the document baseline as a regression point (weight 0 when it is not used)
        case when b.baseline_year <= m.target_year
            then 1.0 / greatest((m.target_year - b.baseline_year)::double, 0.25) else 0 end as w_doc,
        coalesce(b.baseline_year - m.target_year, 0) as u_doc,
        coalesce(r.n_obs, 0) as n_obs,
        r.first_time,
        r.first_value,
        r.last_time,
        r.last_value,
        r.last_period,
        r.last_upload_id,
        r.previous_value,
        r.previous_period,
        coalesce(r.sw, 0) as sw,
        coalesce(r.swu, 0) as swu,
        coalesce(r.swv, 0) as swv,
        coalesce(r.swuu, 0) as swuu,
        coalesce(r.swuv, 0) as swuv
    from milestones as m
    inner join indicators as i on i.indicator_code = m.indicator_code
    left join latest_baselines as b
        on b.locality_code = m.locality_code and b.indicator_code = m.indicator_code
    left join series as r
        on r.locality_code = m.locality_code and r.indicator_code = m.indicator_code
        and r.horizon = m.target_year
),

start_keys as (
    -- Rule 7 without a document baseline: the latest reported value at or before the plan's
    -- start year (any period of that year: time ≤ start_year + 0.5), else the earliest one
    -- after it; no start year: the earliest. current_series answers it when every value is on
    -- one side of that year (its last value, or its first): only a series with values on both
    -- sides is looked up, in current_observation.
    select
        *,
        coalesce(not has_doc and first_time <= start_year + 0.5 + 1e-9
            and last_time > start_year + 0.5 + 1e-9, false) as is_looked_up
    from inputs
),

start_values as (
    -- A quarter and a month sharing a midpoint: the quarter counts as later (series_insert).
    select
        k.locality_code,
        k.indicator_code,
        k.start_year,
        arg_max(c.value, c.period_time + case when contains(c.period, 'Q') then 1e-6 else 0 end)
            as value,
        max(c.period_time) as time
    from (select distinct locality_code, indicator_code, start_year
          from start_keys where is_looked_up) as k
    inner join current_observation as c
        on c.locality_code = k.locality_code and c.indicator_code = k.indicator_code
        and c.period_time <= k.start_year + 0.5 + 1e-9
    group by k.locality_code, k.indicator_code, k.start_year
),

reported as (
    -- The reported baseline (rule 7) of targets without a document baseline: current_series's
    -- first or last value, or, for a series with values on both sides of the start year, the
    -- value looked up in start_values.
    select
        k.*,
        case
            when k.has_doc or k.n_obs = 0 then null
            when k.is_looked_up then s.value
            when k.start_year is null or k.first_time > k.start_year + 0.5 + 1e-9 then k.first_value
            else k.last_value
        end as reported_value,
        case
            when k.has_doc or k.n_obs = 0 then null
            when k.is_looked_up then s.time
            when k.start_year is null or k.first_time > k.start_year + 0.5 + 1e-9 then k.first_time
            else k.last_time
        end as reported_time
    from start_keys as k
    left join start_values as s
        on k.is_looked_up and s.locality_code = k.locality_code
        and s.indicator_code = k.indicator_code and s.start_year = k.start_year
),

points as (
    -- Rule 7: a document baseline, else the reported one (see reported). Only a document
    -- baseline is an extra regression point, weighted like the others: a reported one is
    -- already an observation. Without observations the latest value is the baseline's.
    select
        year, plan_code, locality_code, indicator_code, target_year, horizon, target_comparator,
        target_value, is_every_year, is_qualitative, is_yes_no, d, n_obs, last_value,
        last_upload_id, previous_value, previous_period, lo, hi,
        case when has_doc then doc_value else reported_value end as baseline_value,
        case
            when has_doc then doc_year
            -- the calendar year holding the baseline's period (year Y spans [Y − 0.5, Y + 0.5))
            else floor(reported_time + 0.5 + 1e-9)::integer
        end as baseline_year,
        case when has_doc then 'document' when n_obs > 0 then 'reported' end as baseline_source,
        case when n_obs > 0 then last_time when has_doc then doc_year end as latest_time,
        case when n_obs > 0 then last_value when has_doc then doc_value end as latest_value,
        case when n_obs > 0 then last_period when has_doc then doc_year::text end
            as latest_period,
        n_obs + has_doc::integer as n_points,
        -- (T − t_min), floored like progress.weighted_projection; least() skips nulls
        greatest(horizon - least(first_time, case when has_doc then doc_year end), 0.25)
            as w_scale,
        sw + w_doc as s0,
        swu + w_doc * u_doc as s1,
        swv + w_doc * coalesce(doc_value, 0) as sv,
        swuu + w_doc * u_doc * u_doc as s2,
        swuv + w_doc * u_doc * coalesce(doc_value, 0) as s1v
    from reported
),

judged as (
    -- The weighted least-squares line at T (times centred on T), clamped to the value range;
    -- all points at one time leave the line undefined: the weighted mean is projected.
    select
        year, plan_code, locality_code, indicator_code, target_year, horizon, target_comparator,
        target_value, is_every_year, is_qualitative, is_yes_no, d, n_obs, last_value,
        last_upload_id, previous_value, previous_period, baseline_value, baseline_year,
        baseline_source, latest_time, latest_value, latest_period, n_points,
        case
            when n_points < 2 then null
            else least(greatest(
                case
                    when w_scale * (s2 - s1 * s1 / s0) <= 1e-9 then sv / s0
                    else sv / s0 - (s1v - s1 * sv / s0) / (s2 - s1 * s1 / s0) * (s1 / s0)
                end, lo), hi)
        end as clamped_value,
        not is_qualitative and not is_yes_no and not is_every_year as is_regular,
        d * (target_value - baseline_value) > 1e-9 as is_ahead,
        case coalesce(target_comparator, '=')
            when '≥' then latest_value >= target_value - 1e-9
            when '>' then latest_value > target_value + 1e-9
            when '≤' then latest_value <= target_value + 1e-9
            when '<' then latest_value < target_value - 1e-9
            else d * (latest_value - target_value) >= -1e-9
        end as is_met
    from points
),

verdicts as (
    select
        year, plan_code, locality_code, indicator_code, baseline_value, baseline_year, target_value,
        target_comparator, target_year, latest_value, latest_period, is_every_year,
        is_qualitative, baseline_source, latest_time, previous_value, previous_period,
        last_upload_id, n_points,
        case when is_qualitative or (is_regular and latest_value is not null) then clamped_value
        end as projected_value,
        case
            when is_regular and is_ahead and latest_value is not null
                then (clamped_value - baseline_value) / (target_value - baseline_value)
        end as ratio,
        case
            when is_regular and is_ahead and latest_value is not null
                -- + 0.0: not −0 where the latest value is the baseline (as progress.evaluate)
                then d * (latest_value - baseline_value) / abs(target_value - baseline_value) + 0.0
        end as progress_share,
        case
            when not is_regular or latest_value is null then null
            when is_met then 0.0
            when horizon - latest_time > 1e-9
                then (target_value - latest_value) / (horizon - latest_time)
        end as required_annual_change,
        case
            when is_qualitative then 'no_data'
            when is_yes_no then
                case
                    when latest_value is null then 'no_data'
                    when abs(latest_value - 1) <= 1e-9 then 'achieved'
                    when latest_time < horizon - 1e-9 then 'needs_acceleration'
                    else 'off_track'
                end
            when is_every_year then
                -- the last year's last figure is the latest observation
                case when n_obs = 0 then 'no_data' when is_met then 'achieved' else 'off_track' end
            when latest_value is null then 'no_data'
            when is_met then 'achieved'
            when clamped_value is null then 'no_data'
            when not is_ahead then
                case
                    when d * (clamped_value - latest_value) > 1e-9 then 'needs_acceleration'
                    else 'off_track'
                end
            when (clamped_value - baseline_value) / (target_value - baseline_value) >= 0.95 - 1e-9
                then 'on_track'
            when (clamped_value - baseline_value) / (target_value - baseline_value) > 1e-9
                then 'needs_acceleration'
            else 'off_track'
        end as status,
        last_value - previous_value as change,
        case
            when previous_value is null then null
            when d * (last_value - previous_value) > 1e-9 then 'improving'
            when d * (last_value - previous_value) < -1e-9 then 'worsening'
            else 'flat'
        end as trend
    from judged
),

final as (
    select
        v.year, v.locality_code, v.indicator_code, v.baseline_value, v.baseline_year, v.target_value,
        v.target_comparator, v.target_year, v.latest_value, v.latest_period,
        v.projected_value, v.status,
        v.plan_code, v.is_every_year, v.is_qualitative, v.baseline_source, v.latest_time,
        v.previous_value, v.previous_period, v.change, v.trend, v.ratio, v.progress_share,
        v.required_annual_change, v.n_points,
        coalesce(u.is_illustrative, false) as is_latest_illustrative
    from verdicts as v
    left join upload as u on u.upload_id = v.last_upload_id
)

select * from final


-- name: scorecard_inputs_fingerprint
-- What scorecard_cache was computed from besides the current values: every row of target,
-- baseline, plan, indicator and locality that the scorecard query reads, hashed (order-free).
select concat_ws('|',
    (select count(*) || ':' || coalesce(bit_xor(hash(plan_code, locality_code, indicator_code,
            target_year, comparator, target_value, is_every_year)), 0) from target),
    (select count(*) || ':' || coalesce(bit_xor(hash(locality_code, indicator_code, baseline_year,
            baseline_value)), 0) from baseline),
    (select count(*) || ':' || coalesce(bit_xor(hash(plan_code, start_year)), 0) from plan),
    (select count(*) || ':' || coalesce(bit_xor(hash(indicator_code, value_kind, direction,
            min_value, max_value)), 0) from indicator),
    (select count(*) || ':' || coalesce(bit_xor(hash(locality_code, parent_code)), 0) from locality)
) as fingerprint


-- name: scorecard_cache_years
-- The years scorecard_cache holds (no row: it is not complete).
select years from scorecard_cache_state


-- name: scorecard_cache_delete
-- Remove the cached scorecard rows of the localities $localities (null: every row).
delete from scorecard_cache
where $localities is null or locality_code in (select unnest($localities))


-- name: scorecard_cached
-- The scorecard rows of year $year in scope ($scope_kind, $province, $indicator as the
-- scorecard query), as scorecard_cache holds them.
select *
from scorecard_cache
where year = $year
    and in_scope($scope_kind, $province, locality_code, province_code)
    and ($indicator is null or indicator_code = $indicator)


-- name: province_rollup
-- Per province × indicator × period: the province value from its communes' current
-- numerators and denominators, Σ numerator / Σ denominator × scale (100 for percent, 1,000,
-- 10,000), never an average of the communes' percentages. Only percent, per_1000 and
-- per_10000 indicators. n_reporting = communes that reported both, out of n_communes (all
-- communes of the province). $province, $indicator, $period: null = all.
with communes as (
    select parent_code as province_code, count(*) as n_communes
    from locality
    where level = 'commune' and ($province is null or parent_code = $province)
    group by parent_code
),

ratio_indicators as (
    select
        indicator_code,
        case value_kind when 'percent' then 100.0 when 'per_1000' then 1000.0 else 10000.0 end
            as scale
    from indicator
    where value_kind in ('percent', 'per_1000', 'per_10000')
        and ($indicator is null or indicator_code = $indicator)
),

sums as (
    select
        province_code,
        indicator_code,
        period,
        any_value(period_time) as period_time,
        sum(numerator) as numerator_sum,
        sum(denominator) as denominator_sum,
        count(*) as n_reporting
    from current_observation
    where ($province is null or province_code = $province)
        and locality_code <> province_code
        and indicator_code in (select indicator_code from ratio_indicators)
        and ($period is null or period = $period)
        and numerator is not null
        and denominator is not null
    group by province_code, indicator_code, period
),

final as (
    select
        s.province_code,
        s.indicator_code,
        s.period,
        s.period_time,
        case when s.denominator_sum > 0 then s.numerator_sum / s.denominator_sum * r.scale end
            as value,
        s.numerator_sum,
        s.denominator_sum,
        s.n_reporting,
        c.n_communes,
        s.n_reporting = c.n_communes as is_complete
    from sums as s
    inner join ratio_indicators as r on r.indicator_code = s.indicator_code
    inner join communes as c on c.province_code = s.province_code
)

select * from final
order by province_code, indicator_code, period_time, period


-- name: completeness
-- Reporting completeness per indicator for the localities in scope. The period is $period,
-- else the latest period (greatest midpoint, then text) any locality in scope reported for
-- that indicator. Expected: the localities in scope with a target for the indicator (any plan,
-- any year), or every locality in scope when $expect_all. n_reported counts the expected
-- localities with a current value for that period; n_approved those of them whose
-- locality × period an approver has approved (period_approval, migration 007).
with scope as (
    select locality_code
    from locality
    where in_scope($scope_kind, $province, locality_code, coalesce(parent_code, locality_code))
),

latest as (
    -- A locality's latest period is the scope's latest when that is what it last reported.
    select locality_code, indicator_code, last_time, last_period
    from current_series
    where horizon = (select min(horizon) from current_series)
        and in_scope($scope_kind, $province, locality_code, province_code)
),

periods as (
    select indicator_code, arg_max(last_period, (last_time, last_period)) as period
    from latest
    group by indicator_code
),

reported as (
    select l.indicator_code, l.locality_code, l.last_period as period
    from latest as l
    inner join periods as p on p.indicator_code = l.indicator_code and p.period = l.last_period
    where $period is null
    union all
    select indicator_code, locality_code, period
    from current_observation
    where $period is not null
        and period = $period
        and in_scope($scope_kind, $province, locality_code, province_code)
),

expected as (
    select i.indicator_code, s.locality_code
    from indicator as i
    cross join scope as s
    where $expect_all
    union
    select distinct indicator_code, locality_code
    from target
    where not $expect_all and locality_code in (select locality_code from scope)
),

final as (
    select
        i.indicator_code,
        i.name_vi as indicator_name,
        i.indicator_group,
        coalesce($period, any_value(p.period)) as period,
        count(e.locality_code) as n_expected,
        count(r.locality_code) as n_reported,
        count(e.locality_code) - count(r.locality_code) as n_missing,
        count(r.locality_code) / count(e.locality_code) as reported_share,
        count(a.locality_code) as n_approved
    from indicator as i
    inner join expected as e on e.indicator_code = i.indicator_code
    left join periods as p on p.indicator_code = i.indicator_code
    left join reported as r
        on r.indicator_code = e.indicator_code and r.locality_code = e.locality_code
    left join period_approval as a
        on a.locality_code = r.locality_code and a.period = r.period and a.state = 'approved'
    group by i.indicator_code, i.name_vi, i.indicator_group
)

select * from final
order by indicator_group, indicator_code


-- name: completeness_missing
-- The expected localities in scope that did not report $indicator for the period that
-- `completeness` judges (same rules and parameters), with the last period each did report.
with scope as (
    select
        locality_code,
        name as locality_name,
        level,
        coalesce(parent_code, locality_code) as province_code
    from locality
    where in_scope($scope_kind, $province, locality_code, coalesce(parent_code, locality_code))
),

latest as (
    select locality_code, last_time, last_period
    from current_series
    where indicator_code = $indicator
        and horizon = (select min(horizon) from current_series)
        and locality_code in (select locality_code from scope)
),

the_period as (
    select coalesce($period, arg_max(last_period, (last_time, last_period))) as period
    from latest
),

reported as (
    select locality_code
    from current_observation
    where indicator_code = $indicator
        and period = (select period from the_period)
        and locality_code in (select locality_code from scope)
),

expected as (
    select locality_code from scope where $expect_all
    union
    select distinct locality_code from target
    where not $expect_all and indicator_code = $indicator
        and locality_code in (select locality_code from scope)
),

final as (
    select
        s.locality_code, s.locality_name, s.level, s.province_code,
        $indicator as indicator_code, p.period, l.last_period
    from expected as e
    inner join scope as s on s.locality_code = e.locality_code
    cross join the_period as p
    left join latest as l on l.locality_code = e.locality_code
    where e.locality_code not in (select locality_code from reported)
)

select * from final
order by province_code, level desc, locality_code


-- name: approval_latest
-- The approval state of each locality's latest reported period: the localities in scope (only
-- those of level $level when it is not null) with a current value, their latest period
-- (greatest midpoint, then text), its state (open where no row), who changed it last, when,
-- and the reason of a return.
with scope as (
    select locality_code, name as locality_name, level, coalesce(parent_code, locality_code) as province_code
    from locality
    where in_scope($scope_kind, $province, locality_code, coalesce(parent_code, locality_code))
        and ($level is null or level = $level)
),

latest as (
    select locality_code, arg_max(period, (period_time, period)) as period
    from current_observation
    where in_scope($scope_kind, $province, locality_code, province_code)
    group by locality_code
)

select s.locality_code, s.locality_name, s.level, s.province_code, l.period,
       coalesce(a.state, 'open') as state, a.last_action, a.changed_by,
       coalesce(u.display_name, a.changed_by) as changed_by_name, a.changed_at, a.reason
from scope as s
inner join latest as l on l.locality_code = s.locality_code
left join period_approval as a on a.locality_code = l.locality_code and a.period = l.period
left join account as u on u.user_name = a.changed_by
order by s.province_code, s.level desc, s.locality_code


-- name: trajectories
-- Current values of $indicator for every locality in scope, one row per period, for small
-- multiples: value, numerator, denominator, and whether the value is illustrative.
with committed as (
    select upload_id, is_illustrative from upload where state = 'committed'
),

final as (
    select
        c.locality_code, c.province_code, c.indicator_code, c.period, c.period_time, c.value,
        c.numerator, c.denominator, u.is_illustrative
    from current_observation as c
    inner join committed as u on u.upload_id = c.upload_id
    where c.indicator_code = $indicator
        and in_scope($scope_kind, $province, c.locality_code, c.province_code)
)

select * from final
order by province_code, locality_code, period_time, period
