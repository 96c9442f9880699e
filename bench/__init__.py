"""Benchmarks: export, verification and serving speed as ratios against same-run baselines."""
