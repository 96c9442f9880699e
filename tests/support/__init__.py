"""Test helpers that stand outside the registry: independent implementations of the
specifications it follows, so that a test compares the registry with the specification and
not with itself, and the servers it runs against (PostgreSQL clusters of a test's own). Nothing
here imports the `licensing` package."""
