"""Task reports and task lists in spreadsheets: the report template, reading officers' filled sheets
(cells, headers, preview, commit), and an admin's list of a plan's tasks."""
