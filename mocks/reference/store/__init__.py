"""The data store: multi-tenant JSON records in SQLite under /store/{collection}/{key} (all inferred, 001)."""
