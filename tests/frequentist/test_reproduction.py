"""The toenail_gee reproduction (docs example and CLI) passes."""

from mirabal_stats.reproductions import run_reproduction


def test_toenail_gee_reproduction_passes():
    result = run_reproduction("toenail_gee", quick=True)
    assert result.passed, result.summary()
    assert len(result.checks) == 10
