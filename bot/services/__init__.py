"""Service layer: one function per use case, each one database transaction."""
