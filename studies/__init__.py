"""Slow simulation studies of the Bayesian models (not tests; see studies/README.md)."""
