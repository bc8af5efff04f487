-- 001: the catalogue from the plan documents, reported values and their uploads.
create table locality (
    locality_code text primary key,      -- official 2025 code, text: '01', '12', '09931'
    name text not null,                  -- 'Thành phố Hà Nội', 'Tỉnh Lai Châu', 'Xã Hưng Đạo'
    short_name text not null,            -- as the package ships it: 'Lai Châu'
    division_type text not null,         -- 'tỉnh', 'thành phố trung ương', 'xã', 'phường', 'đặc khu'
    level text not null,                 -- 'province' | 'commune'
    parent_code text,                    -- province of a commune, null for a province
    search_key text not null             -- lower case, diacritics removed, for search
);

create table indicator (
    indicator_code text primary key,
    name_vi text not null,
    name_en text not null,
    unit text not null,
    value_kind text not null,            -- percent, percent_change, per_1000, per_10000, years, count, yes_no
    direction text not null,             -- 'higher' | 'lower'
    min_value double,
    max_value double,
    decimals integer not null,
    indicator_group text not null
);

create table plan (
    plan_code text primary key,
    number text,
    issuer text not null,
    issued_on date,
    title text not null,
    locality_code text not null,
    start_year integer,
    end_year integer,
    source_file text
);

create table target (
    plan_code text not null,
    locality_code text not null,
    indicator_code text not null,
    target_year integer not null,
    comparator text,                     -- ≥ > ≤ < =  ('=' : reach or keep this level); null when qualitative
    target_value double,                 -- null when the plan gives no number
    is_every_year boolean not null default false,
    target_text text not null,
    clause text not null,
    year_note text,
    primary key (plan_code, locality_code, indicator_code, target_year)
);

create table baseline (
    locality_code text not null,
    indicator_code text not null,
    baseline_year integer not null,
    baseline_value double not null,
    plan_code text,
    source text not null,
    primary key (locality_code, indicator_code, baseline_year)
);

create sequence upload_id_seq start 1;

create table upload (
    upload_id bigint primary key default nextval('upload_id_seq'),
    file_name text not null,
    sha256 text not null,
    user_name text not null,
    uploaded_at timestamp not null default current_timestamp,
    n_rows integer not null default 0,
    n_new integer not null default 0,
    n_changed integer not null default 0,
    n_unchanged integer not null default 0,
    n_rejected integer not null default 0,
    state text not null default 'committed',   -- committed | reverted
    is_illustrative boolean not null default false
);

-- Append-only. The current value of a key is the one from the latest committed upload;
-- uniqueness is kept by the import, not by a key (DESIGN.md: a composite key on millions
-- of rows made bulk loads 10x slower).
create table observation (
    locality_code text not null,
    indicator_code text not null,
    period text not null,                -- '2024', '2024-Q1', '2024-06'
    period_time double not null,         -- the period's midpoint on a year axis (progress.period_time)
    value double not null,
    numerator double,
    denominator double,
    note text,
    upload_id bigint not null
);
