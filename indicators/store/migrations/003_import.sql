-- 003: what an Excel import records beyond 001's upload columns: the file's size and sheets,
-- the warnings the uploader confirmed, and who reverted an upload and when.
alter table upload add column size_bytes bigint;
alter table upload add column sheet_names text;            -- the sheets read, comma separated
alter table upload add column n_warnings integer default 0; -- warnings shown and confirmed at commit
alter table upload add column reverted_at timestamp;
alter table upload add column reverted_by text;
