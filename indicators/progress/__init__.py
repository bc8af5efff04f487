"""The progress method: statuses and milestone years (statuses), the method itself (method, pure), one locality's status (locality) and the national scorecard in SQL (scorecard)."""
