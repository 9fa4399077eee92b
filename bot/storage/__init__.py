"""SQLite storage: the only package that contains SQL."""
