"""The health-target dashboard: one folder per capability (docs/ARCHITECTURE.md)."""
