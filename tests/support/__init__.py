"""Test helpers that stand outside the registry: independent implementations of the
specifications it follows, so that a test compares the registry with the specification and
not with itself. Nothing here imports the `licensing` package."""
