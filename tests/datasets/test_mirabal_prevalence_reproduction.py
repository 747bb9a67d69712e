"""The bundled example reproduces the published Project Mirabal before/after percentages."""

from mirabal_stats.reproductions import run_reproduction


def test_published_percentages_reproduced():
    result = run_reproduction("mirabal_prevalence")
    frame = result.to_frame()
    # 13 indicators with both percentages published, before and after.
    assert len(frame) == 26
    result.raise_if_failed()
    # The large published drops are reproduced as large drops, not only within tolerance.
    slapped = frame.loc[["slapped_pushed % before", "slapped_pushed % after"], "reproduced"]
    assert slapped.iloc[0] - slapped.iloc[1] > 60
