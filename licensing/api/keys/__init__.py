"""The registry's public signing keys."""
