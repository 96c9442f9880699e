"""The reason-code catalogue, served to anyone."""
