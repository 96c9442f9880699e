"""Benchmarks, and the synthetic trails they (and a few tests) run on."""
