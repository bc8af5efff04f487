-- 009: the scorecard itself, computed ahead for the milestone years, so that the national
-- overview reads 90,000 rows instead of recomputing milestones, baselines, series and
-- projections on every read (0,4 s -> 0,06 s on the national dataset, 2 cores).
--
-- Derived, never edited by hand: indicators.progress.scorecard.refresh_current_observations keeps
-- it with current_observation and current_series, in the same transaction as the change
-- (import, revert, restore, a target, baseline or plan saved, init-db, a PostgreSQL replica
-- catching up). A read uses it only when current_observation is fresh and
-- scorecard_cache_state records the inputs it was computed from; otherwise it computes live.

-- One row per year judged toward ($year of the scorecard query) × target (plan × locality ×
-- indicator): exactly the columns the scorecard query returns for the whole country.
create table scorecard_cache (
    year integer not null,
    province_code text not null,          -- the locality itself for a province, its parent for a commune
    locality_code text not null,
    indicator_code text not null,
    baseline_value double,
    baseline_year integer,
    target_value double,
    target_comparator text,
    target_year integer,
    latest_value double,
    latest_period text,
    projected_value double,
    status text,
    plan_code text,
    is_every_year boolean,
    is_qualitative boolean,
    baseline_source text,
    latest_time double,
    previous_value double,
    previous_period text,
    change double,
    trend text,
    ratio double,
    progress_share double,
    required_annual_change double,
    n_points integer,
    is_latest_illustrative boolean
);

-- One row when scorecard_cache is complete: the fingerprint of the tables it was computed from
-- besides the current values (target, baseline, plan, indicator, locality), and its years.
create table scorecard_cache_state (
    inputs_fingerprint text not null,
    years integer[] not null,
    refreshed_at timestamp not null default current_timestamp
);
