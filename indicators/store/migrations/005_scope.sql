-- 005: the locality-scope step of the overview's queries, written once.
--
-- in_scope(scope_kind, scope_province, code, code_province): whether the locality `code`, whose
-- province is `code_province` (itself for a province, its parent for a commune), is in
--   'country'  : every locality
--   'province' : the province scope_province and its communes
--   'communes' : the communes of scope_province only.
-- A macro is expanded where it is used, so filters on province_code still prune as before.
create or replace macro in_scope(scope_kind, scope_province, code, code_province) as
    scope_kind = 'country'
    or (code_province = scope_province and (scope_kind = 'province' or code <> scope_province));
