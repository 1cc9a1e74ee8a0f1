"""The revisions, oldest first: e75588bf2531 (legacy init), 3f1c2b9d7a10 (visitor_total),
5a0c7e2d9b41 (schema_compatibility)."""
