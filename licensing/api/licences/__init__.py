"""The licences resource: issue, read, amend, suspend, resume, revoke, history."""
