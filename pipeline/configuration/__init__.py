"""The service contract's configuration: one schema of keys (``schema``) and the one reader
that validates a repository's configuration against it (``loader``)."""
