"""What leaders are sent and shown: the quarterly report (content, workbook, printed PDF) and the
task board's slides."""
