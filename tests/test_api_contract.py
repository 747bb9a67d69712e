"""The contract every pillar follows (ARCHITECTURE.md, "The shared core").

Introspects the public API and fails when an entry point or a results class breaks it:

- data first: every entry point's first parameter is ``data`` (a DataFrame) or ``panel`` (an
  IndicatorPanel), and every other option is keyword-only (no ``*args`` / ``**kwargs``);
- one vocabulary: no parameter uses a synonym of a role name (``df``, ``treatment``, ``n_boot``,
  ``seed`` ...);
- ``ci_level`` defaults to 0.95 everywhere (``None`` on a results method means "the level of the
  fit");
- results classes derive from :class:`mirabal_stats._results.Results`; ``to_frame()`` starts with
  the estimate columns; ``summary()`` is a :class:`Summary`; every ``plot_*`` takes ``ax=`` and
  returns the Axes it drew on;
- every error the package raises is a :class:`MirabalError` (checked on the source: no ``raise
  ValueError(...)``, ``TypeError``, ``KeyError`` ... of its own).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

from mirabal_stats._results import DEFAULT_CI_LEVEL, Results

PACKAGE = Path(__file__).resolve().parents[1] / "mirabal_stats"

PILLARS = (
    "data",
    "weighting",
    "bayes",
    "survival",
    "frequentist",
    "reporting",
    "datasets",
    "studies",
)

#: Synonyms that must not appear as parameter names, with the role name to use instead.
FORBIDDEN_NAMES = {
    "df": "data",
    "frame": "data",
    "dataset": "data",
    "indicator_panel": "panel",
    "treatment": "group (the column) and treated (its intervention label)",
    "treat": "group / treated",
    "arm": "group",
    "outcome": "response",
    "y": "response",
    "n_boot": "n_bootstrap",
    "n_bootstraps": "n_bootstrap",
    "B": "n_bootstrap",
    "seed": "random_seed",
    "rng": "random_seed",
    "alpha": "ci_level",
    "level_ci": "ci_level",
    "conf_level": "ci_level",
    "id": "person",
    "person_id": "person",
    "subject": "person",
    "time_point": "wave",
    "timepoint": "wave",
    "covariate": "covariates",
    "weight": "weights",
    "w": "weights",
}

#: The front door (issue 13): importable from the top-level package.
FRONT_DOOR = (
    "IndicatorPanel",
    "PropensityWeights",
    "AttritionWeights",
    "Weights",
    "weighted_effect",
    "IndicatorModel",
    "BinaryMixedModel",
    "compare_groups",
    "complier_survival",
    "did",
    "event_study",
    "gee",
    "completion_effects",
    "evaluate",
)

#: Pure computations on arrays (ArviZ-style functions): the data-first rule does not apply, the
#: vocabulary and keyword-only options do.
ARRAY_FUNCTIONS = {
    "smd",
    "variance_ratio",
    "weighted_ks",
    "weighted_mean",
    "weighted_variance",
    "effective_sample_size",
    "weights_from_propensity",
    "normalize_weights",
    "trim_weights",
    "kaplan_meier",
    "restricted_mean",
    "turnbull",
    "efron_score_residuals",
    "robust_variance",
    "effects_from_counts",
    "se_from_interval",
    "performance_measures",
}

#: Callables that take something other than data first, by design.
NOT_DATA_FIRST = {
    "evaluate": "takes a config (its data files are named in it)",
    "load_config": "takes a path",
    "parse_config": "takes TOML text",
    "demo_config": "builds a config",
    "simulate_mirabal": "generates data",
    "Weights": "wraps weights",
    "love_plot": "draws a balance table",
    "propensity_plot": "draws a fitted result",
    "indicator_catalogue": "returns bundled metadata",
    "list_datasets": "returns bundled metadata",
    "verify_bundled_files": "checks bundled files",
    "wave_months": "returns the design's months",
    "run_study": "takes a design",
    "power_curve": "takes a design",
    "sample_size": "takes a design",
}


def _public(module_name: str):
    module = importlib.import_module(f"mirabal_stats.{module_name}")
    for name in getattr(module, "__all__", ()):
        yield name, getattr(module, name)


def _entry_points():
    seen = {}
    for pillar in PILLARS:
        for name, obj in _public(pillar):
            if name.startswith("load_") or name.isupper() or inspect.ismodule(obj):
                continue
            if inspect.isclass(obj):
                # Analyses are classes named for what is fitted (...Model, ...Weights); other
                # classes are values or results, checked below.
                if name.endswith(("Model", "Weights")) and name != "Weights":
                    seen.setdefault(name, obj)
                continue
            if callable(obj):
                seen.setdefault(name, obj)
    from mirabal_stats import IndicatorPanel

    seen["IndicatorPanel.from_long"] = IndicatorPanel.from_long
    seen["IndicatorPanel.from_wide"] = IndicatorPanel.from_wide
    return sorted(seen.items())


def _signature(obj):
    target = obj.__init__ if inspect.isclass(obj) else obj
    params = list(inspect.signature(target).parameters.values())
    return params[1:] if inspect.isclass(obj) else params


def _result_classes():
    found = {}
    for pillar in PILLARS:
        for name, obj in _public(pillar):
            if inspect.isclass(obj) and issubclass(obj, Results):
                found[name] = obj
    return sorted(found.items())


ENTRY_POINTS = _entry_points()
RESULT_CLASSES = _result_classes()


@pytest.mark.parametrize(("name", "obj"), ENTRY_POINTS, ids=[n for n, _ in ENTRY_POINTS])
def test_entry_point_takes_data_first_and_options_by_keyword(name, obj):
    params = _signature(obj)
    kinds = {p.kind for p in params}
    assert inspect.Parameter.VAR_POSITIONAL not in kinds, f"{name} takes *args"
    assert inspect.Parameter.VAR_KEYWORD not in kinds, f"{name} takes **kwargs"
    if name in ARRAY_FUNCTIONS or name in NOT_DATA_FIRST:
        positional = [p for p in params if p.kind != p.KEYWORD_ONLY]
        # Arrays may come positionally; options never do.
        assert all(p.default is p.empty for p in positional), (
            f"{name}: options with defaults must be keyword-only: "
            f"{[p.name for p in positional if p.default is not p.empty]}"
        )
        return
    assert params, f"{name} takes no data"
    first, rest = params[0], params[1:]
    assert first.name in ("data", "panel"), (
        f"{name}: the first parameter is {first.name!r}; it must be 'data' (a DataFrame) or "
        "'panel' (an IndicatorPanel)"
    )
    assert first.kind == first.POSITIONAL_OR_KEYWORD and first.default is first.empty
    loose = [p.name for p in rest if p.kind != p.KEYWORD_ONLY]
    assert not loose, f"{name}: options {loose} must be keyword-only"


def _all_parameters():
    rows = []
    for name, obj in ENTRY_POINTS:
        rows += [(name, p) for p in _signature(obj)]
        if inspect.isclass(obj):
            rows += _method_parameters(name, obj)
    for name, cls in RESULT_CLASSES:
        rows += _method_parameters(name, cls)
    return rows


def _method_parameters(name, cls):
    rows = []
    for method_name, method in inspect.getmembers(cls, inspect.isfunction):
        if method_name.startswith("_"):
            continue
        params = list(inspect.signature(method).parameters.values())[1:]
        rows += [(f"{name}.{method_name}", p) for p in params]
    return rows


ALL_PARAMETERS = _all_parameters()


def test_parameters_use_the_role_vocabulary():
    bad = [
        f"{where}({p.name}=...): use {FORBIDDEN_NAMES[p.name]}"
        for where, p in ALL_PARAMETERS
        if p.name in FORBIDDEN_NAMES
    ]
    assert not bad, "synonyms of role names:\n" + "\n".join(bad)


def test_ci_level_defaults_to_095_everywhere():
    bad = [
        f"{where}: ci_level={p.default!r}"
        for where, p in ALL_PARAMETERS
        if p.name == "ci_level"
        and p.default is not p.empty
        and p.default is not None
        and p.default != DEFAULT_CI_LEVEL
    ]
    assert not bad, "ci_level must default to 0.95:\n" + "\n".join(bad)


def test_results_methods_take_options_by_keyword():
    bad = []
    for name, cls in RESULT_CLASSES:
        for method_name, method in inspect.getmembers(cls, inspect.isfunction):
            if method_name.startswith("_"):
                continue
            params = list(inspect.signature(method).parameters.values())[1:]
            loose = [
                p.name for p in params if p.kind != p.KEYWORD_ONLY and p.default is not p.empty
            ]
            if loose:
                bad.append(f"{name}.{method_name}: {loose}")
    assert not bad, "options with defaults must be keyword-only:\n" + "\n".join(bad)


@pytest.mark.parametrize(("name", "cls"), RESULT_CLASSES, ids=[n for n, _ in RESULT_CLASSES])
def test_result_class_has_the_shared_interface(name, cls):
    assert callable(getattr(cls, "to_frame", None)), f"{name} has no to_frame()"
    assert callable(getattr(cls, "summary", None)), f"{name} has no summary()"
    for method_name, method in inspect.getmembers(cls, inspect.isfunction):
        if method_name.startswith("plot_"):
            params = inspect.signature(method).parameters
            assert "ax" in params and params["ax"].kind == params["ax"].KEYWORD_ONLY, (
                f"{name}.{method_name} must take ax= (keyword-only)"
            )


def test_public_classes_that_hold_results_derive_from_results():
    suffixes = ("Results", "Result", "Effects", "Effect", "Comparison")
    bad = []
    for pillar in PILLARS:
        for name, obj in _public(pillar):
            if inspect.isclass(obj) and name.endswith(suffixes) and not issubclass(obj, Results):
                bad.append(f"mirabal_stats.{pillar}.{name}")
    assert not bad, "results classes outside the shared base:\n" + "\n".join(bad)


def test_to_frame_is_never_a_per_unit_table():
    # Per-unit tables (weights, curves, balance) have their own names; to_frame() belongs to the
    # estimate table of a Results subclass only.
    bad = []
    for pillar in PILLARS:
        for name, obj in _public(pillar):
            if inspect.isclass(obj) and hasattr(obj, "to_frame") and not issubclass(obj, Results):
                bad.append(f"mirabal_stats.{pillar}.{name}.to_frame")
    assert not bad, "to_frame() outside a Results class:\n" + "\n".join(bad)


# --------------------------------------------------------------------------- errors
_BUILTIN_ERRORS = {
    "ValueError",
    "TypeError",
    "KeyError",
    "IndexError",
    "RuntimeError",
    "Exception",
    "ZeroDivisionError",
    "LookupError",
    "OSError",
    "FileNotFoundError",
    "AssertionError",
    "ArithmeticError",
}
# Raises of builtin errors that are part of Python's protocols, not user-facing errors.
_PROTOCOL_RAISES = {
    ("__getattr__", "AttributeError"),
    ("__setattr__", "AttributeError"),
}


def _own_raises():
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for func in ast.walk(tree):
            if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(func):
                if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                    target = node.exc.func
                    name = (
                        target.id if isinstance(target, ast.Name) else getattr(target, "attr", "")
                    )
                    if name in _BUILTIN_ERRORS and (func.name, name) not in _PROTOCOL_RAISES:
                        rel = path.relative_to(PACKAGE.parent)
                        yield f"{rel}:{node.lineno} raise {name}(...) in {func.name}()"


def test_every_error_the_package_raises_is_a_mirabal_error():
    bad = list(_own_raises())
    assert not bad, (
        "raise a MirabalError subclass (exceptions.py) that names the problem, where and the fix:\n"
        + "\n".join(bad)
    )


def test_exception_hierarchy():
    from mirabal_stats import exceptions

    for name in exceptions.__all__:
        obj = getattr(exceptions, name)
        if issubclass(obj, Warning):
            assert issubclass(obj, exceptions.MirabalWarning), name
        else:
            assert issubclass(obj, exceptions.MirabalError), name
            assert issubclass(obj, ValueError), name


# --------------------------------------------------------------------------- front door
def test_front_door_imports_lazily():
    names = ", ".join(FRONT_DOOR)
    code = (
        "import sys, mirabal_stats\n"
        "heavy = [m for m in ('pandas', 'pymc', 'pytensor', 'scipy', 'matplotlib', 'lifelines',"
        " 'linearmodels', 'statsmodels', 'sklearn') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        f"from mirabal_stats import {names}\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_front_door_names_are_in_all():
    import mirabal_stats

    missing = [n for n in FRONT_DOOR if n not in mirabal_stats.__all__]
    assert not missing, missing


# --------------------------------------------------------------------------- the shared core
def test_check_ci_level_refuses_non_scalars_and_out_of_range():
    import pandas as pd

    from mirabal_stats._results import check_ci_level
    from mirabal_stats.exceptions import SpecificationError

    assert check_ci_level(0.9) == 0.9
    for bad in (pd.Series([0.9]), True, "0.95", 95, 0.0, 1.0, float("nan")):
        with pytest.raises(SpecificationError, match="strictly between 0 and 1"):
            check_ci_level(bad)


def test_id_checks_name_lists_and_true_mixed_with_numbers():
    import pandas as pd

    from mirabal_stats.data.persons import check_id_types
    from mirabal_stats.exceptions import PanelValidationError

    with pytest.raises(PanelValidationError, match="holds a list"):
        check_id_types(pd.Series([1, [2, 3]], dtype=object), column="id")
    with pytest.raises(PanelValidationError, match="mixes True/False with numbers"):
        check_id_types(pd.Series([True, 1, 2], dtype=object), column="id")
    with pytest.raises(PanelValidationError, match="both as a number and as text"):
        check_id_types(pd.Series([7, "7"], dtype=object), column="id")


def test_person_table_needs_a_group_column():
    import pandas as pd

    from mirabal_stats.data.persons import person_table
    from mirabal_stats.exceptions import SpecificationError

    with pytest.raises(SpecificationError, match="needs group="):
        person_table(pd.DataFrame({"a": [1]}), group=None, source="f")
