"""Benchmarks of the likelihood kernel and of NUTS sampling (see docs/performance.md)."""
