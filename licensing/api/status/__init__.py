"""The public register: /api/v1/status, no token, rate-limited per client address."""
