"""Use cases. Each owns its transaction: lock, ask the domain, change, append the audit event,
commit; or roll back and change nothing."""
