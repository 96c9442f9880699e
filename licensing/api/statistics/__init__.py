"""/api/v1/statistics: the register in numbers."""
