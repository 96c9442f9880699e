"""Fast paths: the same answers as the reference rules (domain/) and the ordinary database path,
reached with fewer Python objects, fewer round trips or more cores. Each is held equal to what it
speeds up by a test; none holds a rule of its own."""
