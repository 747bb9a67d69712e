"""Property-based tests (issue 14): whatever the input, only the library's named errors and warnings
escape; valid inputs are never refused; rows are accounted for; the same seed gives the same
result; weights are matched by label, never by position; no NaN or infinite estimate appears
without a warning that says why.

The cases come from :mod:`tests.properties.strategies`. ``make test`` runs the derandomised ``ci``
profile (a fixed set of cases); ``make fuzz`` the ``long`` one.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mirabal_stats.exceptions import MirabalError, MirabalWarning

from .strategies import (
    BAD_WEIGHT_VALUES,
    malformed_exports,
    person_tables,
    positive_person_weights,
    survey_exports,
)

# Third-party warnings that only developers see (Python hides them from users by default).
_DEVELOPER_WARNINGS = (DeprecationWarning, PendingDeprecationWarning)


def run(call):
    """Call, and return ``(result or None, error or None, warnings)``.

    Any exception that is not a :class:`MirabalError` propagates: a crash fails the property.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result, error = call(), None
        except MirabalError as err:
            result, error = None, err
    foreign = [
        w
        for w in caught
        if not issubclass(w.category, MirabalWarning)
        and not issubclass(w.category, _DEVELOPER_WARNINGS)
    ]
    assert not foreign, "a third-party warning escaped: " + "; ".join(
        f"{w.category.__name__}: {w.message}" for w in foreign
    )
    return result, error, [w for w in caught if issubclass(w.category, MirabalWarning)]


def assert_not_silently_wrong(table: pd.DataFrame, caught) -> None:
    """A NaN or infinite estimate, SE or bound needs a warning that says why."""
    columns = [c for c in ("estimate", "std_error", "lower", "upper") if c in table]
    values = table[columns].to_numpy(dtype=float)
    if not np.isfinite(values).all():
        assert caught, f"non-finite values without a warning:\n{table[columns]}"


def _panel(frame, kwargs):
    from mirabal_stats import IndicatorPanel

    return IndicatorPanel.from_wide(frame, **kwargs)


# --------------------------------------------------------------------------- the data door
@given(survey_exports())
def test_valid_exports_are_accepted_and_every_cell_is_accounted_for(case):
    frame, kwargs, expected = case
    panel, error, _ = run(lambda: _panel(frame, kwargs))
    assert error is None, f"a valid export was refused: {error}"
    assert set(panel.persons) == expected["persons"]
    assert list(panel.waves) == list(expected["waves"])
    assert panel.n_observed == expected["n_observed"]
    grid = panel.n_persons * len(panel.waves) * len(panel.indicators)
    assert panel.n_observed + panel.n_missing == grid
    table = panel.attrition_table()
    assert (table["n_responding"] <= table["n_persons"]).all()


@given(survey_exports())
def test_long_and_wide_layouts_give_the_same_panel(case):
    from mirabal_stats import IndicatorPanel

    frame, kwargs, _ = case
    wide = _panel(frame, kwargs)
    long = frame.melt(
        id_vars=["id", "wave", "arm", "age", "separated"],
        value_vars=list(kwargs["indicators"]),
        var_name="item",
        value_name="answer",
    )
    from_long = IndicatorPanel.from_long(
        long,
        person="id",
        wave="wave",
        indicator="item",
        response="answer",
        group="arm",
        treated=kwargs["treated"],
        measure=kwargs["indicators"],
        beneficial=kwargs["beneficial"],
        covariates=["age", "separated"],
        wave_order=kwargs["wave_order"],
    )
    pd.testing.assert_frame_equal(wide.prevalence_table(), from_long.prevalence_table())
    assert wide.n_missing == from_long.n_missing


@given(malformed_exports())
def test_malformed_exports_get_a_named_error(case):
    name, frame, kwargs = case
    _, error, _ = run(lambda: _panel(frame, kwargs))
    assert error is not None, f"{name}: accepted"
    assert len(str(error)) > 40, f"{name}: the message is too thin to act on: {error}"


# --------------------------------------------------------------------------- panel estimators
@given(survey_exports(), st.sampled_from(["indicator", "measure", "overall"]))
def test_panel_estimators_only_raise_named_errors(case, level):
    from mirabal_stats import did, event_study, indicator_gee

    frame, kwargs, _ = case
    panel = _panel(frame, kwargs)
    for estimator in (did, indicator_gee):
        result, _, caught = run(lambda est=estimator: est(panel, level=level))
        if result is not None:
            assert_not_silently_wrong(result.to_frame(), caught)
    result, _, caught = run(lambda: event_study(panel, level="overall"))
    if result is not None:
        assert_not_silently_wrong(result.to_frame(), caught)


@given(survey_exports(), st.data())
def test_panel_weights_are_matched_by_person_label(case, data):
    from mirabal_stats import did

    frame, kwargs, _ = case
    panel = _panel(frame, kwargs)
    weights = data.draw(positive_person_weights(panel.persons))
    shuffled = weights.sample(frac=1.0, random_state=1)
    first, error, _ = run(lambda: did(panel, level="overall", weights=weights))
    if error is None:
        second = did(panel, level="overall", weights=shuffled)
        pd.testing.assert_frame_equal(first.to_frame(), second.to_frame())


@given(survey_exports(), st.sampled_from(BAD_WEIGHT_VALUES))
def test_bad_panel_weights_get_a_weighting_error(case, bad):
    from mirabal_stats import did
    from mirabal_stats.exceptions import WeightingError

    frame, kwargs, _ = case
    panel = _panel(frame, kwargs)
    weights = pd.Series(1.0, index=list(panel.persons))
    # Weights are checked where the analysis looks them up: at the answers given. A person with
    # no answer contributes nothing, so the bad value goes to one who answered.
    answered = panel.to_long(include_missing=False)["person"].iloc[0]
    _, design_error, _ = run(lambda: did(panel, level="overall", weights=weights.copy()))
    weights[answered] = bad
    if design_error is not None:
        # The design itself cannot be analysed (e.g. one wave): that error may come first, but
        # bad weights must never yield a result.
        result, error, _ = run(lambda: did(panel, level="overall", weights=weights))
        assert result is None and len(str(error)) > 40, error
        return
    with pytest.raises(WeightingError, match="weight"):
        did(panel, level="overall", weights=weights)


# --------------------------------------------------------------------------- survival
def _times_within_follow_up(result) -> list[float]:
    """Times where every group's curve is estimated (curves are never extrapolated)."""
    last = min(result.last_follow_up.values())
    return [last * fraction for fraction in (0.25, 0.5, 1.0)]


@given(person_tables(), st.data())
def test_survival_comparison_is_safe_and_matches_weights_by_label(case, data):
    from mirabal_stats import compare_groups

    frame, kwargs = case
    result, error, caught = run(
        lambda: compare_groups(frame, **kwargs, parametric=(), ph_alpha=None)
    )
    if error is not None:
        return
    assert_not_silently_wrong(result.to_frame(), caught)
    weights = data.draw(positive_person_weights(frame["person"]))
    weighted, error, caught = run(
        lambda: compare_groups(frame, **kwargs, weights=weights, parametric=(), ph_alpha=None)
    )
    if error is None:
        reordered = compare_groups(
            frame,
            **kwargs,
            weights=weights.sample(frac=1.0, random_state=2),
            parametric=(),
            ph_alpha=None,
        )
        times = _times_within_follow_up(weighted)
        pd.testing.assert_frame_equal(
            weighted.survival_at(times), reordered.survival_at(times), check_exact=True
        )


@given(person_tables(interval=True), st.integers(0, 2**16))
def test_interval_censored_comparison_is_reproducible(case, seed):
    from mirabal_stats import compare_groups

    frame, kwargs = case
    first, error, caught = run(
        lambda: compare_groups(frame, **kwargs, parametric=(), n_bootstrap=20, random_seed=seed)
    )
    if error is not None:
        return
    second = compare_groups(frame, **kwargs, parametric=(), n_bootstrap=20, random_seed=seed)
    times = _times_within_follow_up(first)
    a = first.survival_at(times)
    b = second.survival_at(times)
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert_not_silently_wrong(a, caught)


@given(person_tables(), st.sampled_from(BAD_WEIGHT_VALUES))
def test_bad_person_weights_get_a_weighting_error(case, bad):
    from mirabal_stats import compare_groups
    from mirabal_stats.exceptions import WeightingError

    frame, kwargs = case
    weights = pd.Series(1.0, index=frame["person"])
    weights.iloc[-1] = bad
    with pytest.raises(WeightingError, match="weight"):
        compare_groups(frame, **kwargs, weights=weights, parametric=(), ph_alpha=None)


# --------------------------------------------------------------------------- weighting
@given(person_tables())
def test_propensity_weighting_and_weighted_effect_are_safe(case):
    from mirabal_stats import PropensityWeights, weighted_effect

    frame, kwargs = case
    spec = dict(group="arm", treated=kwargs["treated"], covariates=["age", "separated"])
    fitted, error, caught = run(lambda: PropensityWeights(frame, **spec).fit())
    if error is not None:
        return
    assert np.isfinite(fitted.weights_frame()["weights"]).all()
    frame = frame.assign(outcome=frame.index % 3)
    effect, error, caught = run(
        lambda: weighted_effect(
            frame, response="outcome", group="arm", treated=kwargs["treated"], weights=fitted
        )
    )
    if error is None:
        assert_not_silently_wrong(effect.to_frame(), caught)


# --------------------------------------------------------------------------- configs
_MINIMAL = """seed = 1
[data]
survey = "survey.csv"
[columns]
person = "id"
wave = "wave"
group = "arm"
[design]
treated = "programme"
"""

_CONFIG_VALUES = st.one_of(
    st.integers(-5, 10**6),
    st.floats(allow_nan=True, allow_infinity=True).map(
        lambda v: "nan" if v != v else ("inf" if v == float("inf") else repr(v))
    ),
    st.sampled_from(['"text"', "true", "[]", "[1, 2]", '["a"]', "{}", '"0"']),
)
_CONFIG_KEYS = st.sampled_from(
    [
        ("", "ci_level"),
        ("", "seed"),
        ("bayes", "draws"),
        ("bayes", "chains"),
        ("survival", "horizons"),
        ("survival", "n_bootstrap"),
        ("weighting", "enabled"),
        ("design", "estimand"),
        ("design", "baseline_wave"),
        ("nonsense", "key"),
        ("bayes", "nonsense"),
    ]
)


@given(_CONFIG_KEYS, _CONFIG_VALUES)
def test_configs_parse_or_get_a_config_error(key, value):
    from mirabal_stats.exceptions import ConfigError
    from mirabal_stats.reporting import parse_config

    table, name = key
    line = f"{name} = {value}\n"
    text = (line + _MINIMAL) if not table else (_MINIMAL + f"[{table}]\n" + line)
    if f"[{table}]\n[{table}]" in text or text.count(f"[{table}]") > 1:
        return  # the table is already in the minimal config: TOML would refuse the repeat
    _, error, _ = run(lambda: parse_config(text, base_dir="."))
    if error is not None:
        assert isinstance(error, ConfigError), type(error)
