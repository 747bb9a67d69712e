"""Hypothesis generators of the inputs users give the library: survey exports (wide and long, valid
and malformed), person tables (right- and interval-censored survival, covariates), weights and
configs. Every generator returns the data together with the keyword arguments that describe it, so
a property can both call the library and check its answer against what was generated.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import strategies as st

GROUP_CODINGS = [
    ("programme", "comparison"),
    (1, 0),
    (True, False),
    ("B", "A"),
]
INDICATOR_POOL = ["slapped", "negotiates", "threatened", "listens", "shouts", "blames_her"]
MEASURE_POOL = ["safety", "respect", "talk"]
YES = ["yes", "Yes", " YES ", 1, True]
NO = ["no", "No", "no ", 0, False]
MISSING = [None, np.nan, "", "  "]


@st.composite
def survey_exports(draw, *, max_persons: int = 6, max_waves: int = 4, max_indicators: int = 4):
    """A valid wide survey export and the ``from_wide`` arguments that describe it.

    Returns ``(frame, kwargs, expected)`` where ``expected`` holds the generated truth used by the
    properties: the persons, the waves in order and the number of observed answers.
    """
    n_t = draw(st.integers(2, max_persons))
    n_c = draw(st.integers(2, max_persons))
    n_waves = draw(st.integers(2, max_waves))
    n_ind = draw(st.integers(1, max_indicators))
    treated, comparison = draw(st.sampled_from(GROUP_CODINGS))
    text_ids = draw(st.booleans())
    ids = [f"P{i:03d}" if text_ids else 1000 + i for i in range(n_t + n_c)]
    text_waves = draw(st.booleans())
    waves = ["baseline", "3m", "6m", "9m"][:n_waves] if text_waves else list(range(1, n_waves + 1))
    indicators = draw(
        st.lists(st.sampled_from(INDICATOR_POOL), min_size=n_ind, max_size=n_ind, unique=True)
    )
    measures = {k: draw(st.sampled_from(MEASURE_POOL)) for k in indicators}
    beneficial = {k: "increase" for k in indicators if draw(st.booleans())}
    p_respond = draw(st.floats(0.5, 1.0))
    p_item_missing = draw(st.floats(0.0, 0.3))
    rows = []
    n_observed = 0
    for i, person in enumerate(ids):
        group = treated if i < n_t else comparison
        age = draw(st.one_of(st.integers(18, 70), st.just(None)))
        separated = draw(st.booleans())
        for t, wave in enumerate(waves):
            # The first person of each group answers everything at the first wave, so that every
            # indicator and both groups are observed (a valid panel).
            anchor = t == 0 and i in (0, n_t)
            if not anchor and draw(st.floats(0, 1)) > p_respond:
                continue  # the person did not take part in this wave: no row at all
            row = {"id": person, "wave": wave, "arm": group, "age": age, "separated": separated}
            for k in indicators:
                if not anchor and draw(st.floats(0, 1)) < p_item_missing:
                    row[k] = draw(st.sampled_from(MISSING))
                else:
                    row[k] = draw(st.sampled_from(YES + NO))
                    n_observed += 1
            rows.append(row)
    frame = pd.DataFrame(rows)
    order = draw(st.permutations(range(len(frame))))
    frame = frame.iloc[list(order)].reset_index(drop=True)
    kwargs = dict(
        person="id",
        wave="wave",
        group="arm",
        treated=treated,
        indicators=measures,
        beneficial=beneficial,
        covariates=["age", "separated"],
        wave_order=waves if text_waves else None,
    )
    present = set(frame["wave"])
    expected = dict(
        # A person or wave with no row at all is not part of the export.
        persons=set(frame["id"]),
        waves=[w for w in waves if w in present],
        n_observed=n_observed,
        n_indicators=n_ind,
    )
    return frame, kwargs, expected


def _mutations(frame: pd.DataFrame, kwargs: dict):
    """Ways a survey export goes wrong; each must be refused with a named error."""
    k0 = next(iter(kwargs["indicators"]))
    out = {}

    def copy():
        return frame.copy(), dict(kwargs)

    f, kw = copy()
    out["duplicate row"] = (pd.concat([f, f.iloc[[0]]], ignore_index=True), kw)
    f, kw = copy()
    f.loc[0, "id"] = None
    out["missing person id"] = (f, kw)
    f, kw = copy()
    f["wave"] = f["wave"].astype(object)
    f.loc[0, "wave"] = None
    out["missing wave"] = (f, kw)
    f, kw = copy()
    f["arm"] = f["arm"].astype(object)
    f.loc[0, "arm"] = "third group"
    out["three groups"] = (f, kw)
    f, kw = copy()
    f[k0] = f[k0].astype(object)
    f.at[0, k0] = ["yes", "no"]
    out["list in an answer"] = (f, kw)
    f, kw = copy()
    f[k0] = f[k0].astype(object)
    f.loc[0, k0] = "maybe"
    out["unknown answer code"] = (f, kw)
    f, kw = copy()
    out["duplicate column label"] = (pd.concat([f, f[[k0]]], axis=1), kw)
    f, kw = copy()
    kw["indicators"] = {**kw["indicators"], k0: None}
    out["measure missing in the mapping"] = (f, kw)
    f, kw = copy()
    kw["indicators"] = {**kw["indicators"], "not_a_column": "safety"}
    out["indicator not in the data"] = (f, kw)
    f, kw = copy()
    kw["treated"] = "nobody"
    out["treated label not a group"] = (f, kw)
    f, kw = copy()
    waves = list(pd.unique(f["wave"]))
    kw["wave_order"] = [*waves, waves[0]]
    out["wave_order repeats a wave"] = (f, kw)
    f, kw = copy()
    kw["wave_order"] = list(pd.unique(f["wave"]))[1:]
    out["wave_order misses a wave"] = (f, kw)
    f, kw = copy()
    f = f.rename(columns={k0: "person"})
    kw["indicators"] = {("person" if k == k0 else k): m for k, m in kw["indicators"].items()}
    kw["beneficial"] = {("person" if k == k0 else k): v for k, v in kw["beneficial"].items()}
    out["indicator named like a panel column"] = (f, kw)
    f, kw = copy()
    f["id"] = f["id"].astype(object)
    first = f.loc[0, "id"]
    other = f.index[f["id"] == first]
    alt = int(first) if isinstance(first, str) and first.isdigit() else str(first)
    f.loc[other[-1], "id"] = alt
    # Only a person with two rows can be written both ways (a lone row just changes type).
    if len(other) > 1 and alt != first and str(alt) == str(first):
        out["same id as number and text"] = (f, kw)
    f, kw = copy()
    person = f.loc[0, "id"]
    rows = f.index[f["id"] == person]
    if len(rows) > 1:
        f["arm"] = f["arm"].astype(object)
        f.loc[rows[-1], "arm"] = next(a for a in pd.unique(frame["arm"]) if a != f.loc[0, "arm"])
        out["person in both groups"] = (f, kw)
    out["no rows"] = (frame.iloc[0:0], dict(kwargs))
    return out


@st.composite
def malformed_exports(draw):
    """``(name, frame, kwargs)``: a survey export with one defect."""
    frame, kwargs, _ = draw(survey_exports())
    options = _mutations(frame, kwargs)
    name = draw(st.sampled_from(sorted(options)))
    bad_frame, bad_kwargs = options[name]
    return name, bad_frame, bad_kwargs


@st.composite
def person_tables(draw, *, interval: bool = False, max_per_group: int = 25):
    """A person-level survival table: ``(frame, kwargs)`` for ``compare_groups``.

    Right-censored by default (``duration``, ``event``); with ``interval=True`` the event lies in
    ``(lower, upper]`` with ``upper = inf`` for persons with no event by the last survey.
    """
    n_t = draw(st.integers(2, max_per_group))
    n_c = draw(st.integers(2, max_per_group))
    treated, comparison = draw(st.sampled_from(GROUP_CODINGS))
    n = n_t + n_c
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    group = np.array([treated] * n_t + [comparison] * n_c, dtype=object)
    hazard = np.where(np.arange(n) < n_t, 0.05, 0.08)
    time = rng.exponential(1 / hazard)
    follow = draw(st.sampled_from([6.0, 12.0, 15.0]))
    event = (time <= follow).astype(int)
    duration = np.minimum(time, follow).round(draw(st.sampled_from([0, 1, 3])))
    duration = np.maximum(duration, 0.5)
    ids = [f"p{i}" for i in range(n)] if draw(st.booleans()) else list(range(500, 500 + n))
    frame = pd.DataFrame(
        {
            "person": ids,
            "arm": group,
            "age": rng.integers(18, 70, n).astype(float),
            "separated": rng.integers(0, 2, n).astype(bool),
        }
    )
    if interval:
        months = np.array([0.0, 3.0, 6.0, 9.0, 12.0, 15.0])
        months = months[months <= follow]
        lower = np.array([months[months < t].max() if t < follow else follow for t in time])
        upper = np.array(
            [
                months[months >= t].min() if t < follow and (months >= t).any() else np.inf
                for t in time
            ]
        )
        lower = np.where(np.isfinite(upper), lower, follow)
        frame["lower"], frame["upper"] = lower, upper
        kwargs = dict(group="arm", treated=treated, lower="lower", upper="upper")
    else:
        frame["duration"], frame["event"] = duration, event
        kwargs = dict(group="arm", treated=treated, duration="duration", event="event")
    if draw(st.booleans()):
        kwargs["covariates"] = ["age"]
    order = draw(st.permutations(range(n)))
    frame = frame.iloc[list(order)].reset_index(drop=True)
    return frame, kwargs


@st.composite
def positive_person_weights(draw, persons):
    """Positive weights keyed by person label, in a random order."""
    persons = list(persons)
    values = draw(
        st.lists(st.floats(0.2, 5.0, allow_nan=False), min_size=len(persons), max_size=len(persons))
    )
    order = draw(st.permutations(range(len(persons))))
    return pd.Series([values[i] for i in order], index=[persons[i] for i in order])


BAD_WEIGHT_VALUES = [0.0, -1.0, np.nan, np.inf]
