"""The tasks plans assign (who delivers what by when), reports on them, and what is overdue."""
