"""The Lalonde reproduction (docs example and `mirabal-stats reproduce lalonde_att`)."""

from __future__ import annotations

import pytest

from mirabal_stats.reproductions import run_reproduction


def test_lalonde_reproduction_passes():
    rep = run_reproduction("lalonde_att", quick=True)
    rep.raise_if_failed()
    frame = rep.to_frame()
    assert len(frame) == 16 and frame["passed"].all()
    assert rep.extra["benchmark"]["att"] == 1794.0
    assert rep.extra["gap_to_benchmark"] == pytest.approx(1214.07 - 1794.0, abs=0.01)
    assert "1,794" in rep.notes and "standard errors" in rep.notes
    assert any("age" in w for w in rep.extra["warnings"])
