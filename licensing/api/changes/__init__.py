"""The change feed: /api/v1/changes, no token, under the public rate budget."""
