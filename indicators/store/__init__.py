"""The store: the database connection and migrations, named SQL, the audit log, localities, the seed catalogue and the illustrative samples."""
