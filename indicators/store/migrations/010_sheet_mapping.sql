-- 010: how an officer's own report sheet reads (issue 14), confirmed once and used again.
--
-- A report sheet (periods as columns, indicators or communes named as officers write them) is
-- read by indicators/excel/layout.py, which guesses some matches. When the officer corrects or
-- confirms the reading, the overrides are kept here for the uploader's locality and the sheet's
-- shape (its signature: kind, column headers, row labels), so that next quarter's file of the
-- same shape goes straight to the preview. Never updated or deleted: the latest step is the
-- mapping in force, the earlier ones its history (who confirmed what, when).
create table sheet_mapping (
    locality_code text not null,         -- the uploader's locality; '' for an account of the whole country
    signature text not null,             -- layout.SheetLayout.signature of the sheet as first read
    step integer not null,               -- 1, 2, … per locality × signature
    sheet_name text not null,            -- the sheet it was confirmed on (for people)
    overrides text not null,             -- JSON: {"rows": {label key: code or ""}, "columns": {header key: period or ""}, "locality": code}
    confirmed_by text not null,
    confirmed_at timestamp not null,
    primary key (locality_code, signature, step)
);
