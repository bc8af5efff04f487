-- name: provinces
-- The 34 provinces, with how many targets each has in the catalogue (for the picker).
select
    l.locality_code, l.name, l.search_key,
    (select count(*) from target as t where t.locality_code = l.locality_code) as n_targets
from locality as l
where l.level = 'province'
order by l.locality_code

-- name: communes_of
-- The communes and wards of province $province, with how many targets each has.
select
    l.locality_code, l.name, l.search_key,
    (select count(*) from target as t where t.locality_code = l.locality_code) as n_targets
from locality as l
where l.level = 'commune' and l.parent_code = $province
order by l.search_key

-- name: locality_by_code
-- One locality with its parent's name.
select l.locality_code, l.name, l.level, l.parent_code, p.name as parent_name
from locality as l
left join locality as p on p.locality_code = l.parent_code
where l.locality_code = $locality

-- name: localities_with_targets
-- Localities that have at least one target, with their plans, for the "no plan here" hint.
select l.locality_code, l.name, l.level, count(*) as n_targets
from target as t
inner join locality as l on l.locality_code = t.locality_code
group by all
order by l.level desc, l.locality_code

-- name: indicators_with_targets
-- Indicators some plan sets a target for, with how many localities (for the presenter).
select i.indicator_code, i.name_vi, count(distinct t.locality_code) as n_localities
from indicator as i
inner join target as t on t.indicator_code = i.indicator_code
group by all
order by i.name_vi

-- name: province_index
-- Every locality with the province it belongs to (a province: itself).
select locality_code, coalesce(parent_code, locality_code) as province_code
from locality
