"""Shared pieces of the study scripts in this folder (not tests)."""


def interval_records(table, truth) -> list[dict]:
    """One JSON-ready record per row of an effects table: its interval, estimate, the truth and
    whether the interval covers it."""
    return [
        {
            "name": str(k),
            "lower": round(float(r["lower"]), 4),
            "upper": round(float(r["upper"]), 4),
            "estimate": round(float(r["estimate"]), 4),
            "truth": round(float(truth[k]), 4),
            "covered": bool(r["lower"] <= truth[k] <= r["upper"]),
        }
        for k, r in table.iterrows()
    ]
