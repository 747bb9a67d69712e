"""Hypothesis profiles for the property-based tests (issue 14).

``ci`` (the default, run by ``make test``): derandomised (a fixed seed, the same cases every run)
and bounded to about two minutes in all. ``long`` (``make fuzz``): many more cases, random seed,
for the campaign reported in the closing note. Choose with ``HYPOTHESIS_PROFILE=long``.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_COMMON = dict(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.register_profile("ci", max_examples=25, derandomize=True, **_COMMON)
settings.register_profile("long", max_examples=2500, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
