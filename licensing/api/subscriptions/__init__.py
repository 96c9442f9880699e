"""Webhook subscriptions: /api/v1/subscriptions, for subscribers, miners and regulators."""
