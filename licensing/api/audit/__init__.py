"""The audit trail: events (paged or streamed), verification, signed checkpoints."""
