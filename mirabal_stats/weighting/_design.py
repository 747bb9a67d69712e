"""The weighting pillar's data door: options, covariates and formulas checked and turned into arrays.

Person-level tables come through :func:`mirabal_stats.data.persons.person_table` (person labels,
the two groups); this module checks what is particular to weighting and builds the numeric
designs from the validated data. Two expansions of the covariates are built:

* the *model* matrix (categoricals as dummies with the first level dropped) that propensity models
  and entropy balancing use, so that the columns are not collinear;
* the *balance* matrix that the balance table reports on: with ``covariates=[...]``, every level
  of a categorical with three or more levels (as cobalt shows it); with a formula, the terms of the
  design (``age``, ``I(age ** 2)``, ``C(site)[T.b]``, ``age:separated`` ...).

How a column is read (:func:`build_design`): numbers (nullable ``Int64``/``Float64`` included)
are numeric; booleans (nullable ``"boolean"`` included), pandas ``Categorical`` and text columns
are categorical, one dummy per level. A text column in which some values read as numbers (``"25"``
beside ``"unknown"``) is refused with the column and a value named: it is either a number with a
stray text, or a category that should say so (``astype("category")``).
"""

from __future__ import annotations

import math
import numbers
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mirabal_stats.data.persons import nearest, plain_value
from mirabal_stats.exceptions import SpecificationError, WeightingError

__all__ = [
    "CovariateDesign",
    "build_design",
    "build_formula_design",
    "parse_formula",
    "dependent_columns",
    "check_number",
    "check_flag",
    "check_random_seed",
    "check_trim_quantile",
    "check_magnitude",
    "MISSING_STRATEGIES",
]

MISSING_STRATEGIES = ("error", "indicator")
_NAME = r"[A-Za-z_][\w.]*"
_PLAIN_RHS = re.compile(rf"^\s*{_NAME}(\s*\+\s*{_NAME})*\s*$")


# --------------------------------------------------------------------------- options
def check_number(
    value: object,
    *,
    name: str,
    lower: float | None = None,
    upper: float | None = None,
    lower_open: bool = False,
    upper_open: bool = False,
    example: str = "",
    integer: bool = False,
) -> float:
    """Return ``value`` as a float after checking it is a finite real number within the bounds.

    The message names the option, what it got and an example; booleans and text are refused
    (``True`` is not a threshold, and ``"0.2"`` is a typo, not a number).
    """
    ok = isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
    number = float(value) if ok else math.nan
    if ok and integer and not float(number).is_integer():
        ok = False
    if ok and not math.isfinite(number):
        ok = False
    if ok and lower is not None:
        ok = number > lower if lower_open else number >= lower
    if ok and upper is not None:
        ok = number < upper if upper_open else number <= upper
    if not ok:
        bounds = []
        if lower is not None:
            bounds.append(f"{'>' if lower_open else '>='} {lower:g}")
        if upper is not None:
            bounds.append(f"{'<' if upper_open else '<='} {upper:g}")
        kind = "a whole number" if integer else "a finite number"
        within = f" {' and '.join(bounds)}" if bounds else ""
        hint = f" (e.g. {example})" if example else ""
        got = f"{plain_value(value)!r}"
        if not isinstance(value, numbers.Real):
            got += f" (a {type(value).__name__})"
        raise SpecificationError(f"{name} must be {kind}{within}{hint}, got {got}.")
    return number


def check_flag(value: object, *, name: str) -> bool:
    """``value`` as a bool, refusing anything but True/False (``"no"`` would be truthy)."""
    if not isinstance(value, (bool, np.bool_)):
        raise SpecificationError(f"{name} must be True or False, got {plain_value(value)!r}.")
    return bool(value)


def check_trim_quantile(value: object) -> float | None:
    """``None`` (no trimming) or the quantile at which weights are capped, strictly in (0.5, 1).

    At or below the median it would cap half the weights or more; at 1 it would cap none.
    """
    if value is None:
        return None
    return check_number(
        value,
        name="trim_quantile",
        lower=0.5,
        upper=1.0,
        lower_open=True,
        upper_open=True,
        example="0.99",
    )


def check_random_seed(value: object, *, name: str = "random_seed") -> int | None:
    """``None`` or a non-negative whole number (what numpy's ``default_rng`` accepts)."""
    if value is None:
        return None
    return int(check_number(value, name=name, lower=0, integer=True, example="2024"))


# --------------------------------------------------------------------------- designs
@dataclass(frozen=True)
class CovariateDesign:
    """Numeric expansions of the covariates, with what was done to them.

    Attributes
    ----------
    model_matrix : numpy.ndarray, shape (n, p)
        Columns for the propensity model (no intercept; categoricals with the first level dropped).
    model_names : list of str
        Names of ``model_matrix`` columns (``race_hispan``, ``age`` ...).
    balance_matrix : numpy.ndarray, shape (n, q)
        Columns for the balance table (every level of categoricals with 3+ levels; with a
        formula, the model columns).
    balance_names : list of str
    balance_binary : numpy.ndarray of bool, shape (q,)
        True where the balance column only takes the values 0 and 1.
    balance_source : list of str
        The original covariate (or formula term) each balance column came from.
    missing_report : dict
        ``{covariate: number of missing values}`` filled under the ``"indicator"`` strategy.
    covariates : tuple of str
        The data columns the design reads.
    formula : str or None
        The right-hand side of the formula, when the design came from one.
    """

    model_matrix: np.ndarray
    model_names: list
    balance_matrix: np.ndarray
    balance_names: list
    balance_binary: np.ndarray
    balance_source: list
    missing_report: dict = field(default_factory=dict)
    covariates: tuple = ()
    formula: str | None = None

    def take(self, rows: np.ndarray) -> CovariateDesign:
        """The same design restricted to (or resampled at) ``rows``; used by bootstrap refits."""
        return CovariateDesign(
            model_matrix=self.model_matrix[rows],
            model_names=self.model_names,
            balance_matrix=self.balance_matrix[rows],
            balance_names=self.balance_names,
            balance_binary=self.balance_binary,
            balance_source=self.balance_source,
            missing_report=self.missing_report,
            covariates=self.covariates,
            formula=self.formula,
        )


def _is_number(value: object) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, numbers.Real):
        return True
    if isinstance(value, str):
        try:
            float(value.strip())
        except ValueError:
            return False
        return bool(value.strip())
    return False


def _where(keys: pd.Index | None, position: int) -> str:
    if keys is None:
        return f"row {position}"
    return f"person {plain_value(keys[position])!r}"


def _read_column(col: pd.Series, name: str, keys: pd.Index | None) -> tuple[str, pd.Series]:
    """``("numeric", float Series)`` or ``("categorical", Series)``, refusing ambiguous text."""
    dtype = col.dtype
    if isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(dtype):
        return "categorical", col
    if pd.api.types.is_numeric_dtype(dtype):
        return "numeric", pd.Series(
            col.to_numpy(dtype=float, na_value=np.nan), index=col.index, name=name
        )
    if not (pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)):
        raise SpecificationError(
            f"covariate {name!r} has dtype {dtype}, neither numbers nor categories. Convert it, "
            f"e.g. a date to a number of days or years: data[{name!r}].dt.year."
        )
    present = col.notna().to_numpy()
    values = col.to_numpy(dtype=object)
    odd = [
        j
        for j in np.flatnonzero(present)
        if not isinstance(values[j], (str, numbers.Real, np.bool_))
    ]
    if odd:
        j = odd[0]
        raise SpecificationError(
            f"covariate {name!r} holds a {type(values[j]).__name__} ({values[j]!r}) for "
            f"{_where(keys, j)} where one number or one category is expected. Clean that column."
        )
    is_text = np.array([isinstance(v, str) for v in values]) & present
    is_number = np.array([_is_number(v) for v in values]) & present
    if not is_text.any():
        if is_number.any() and (is_number == present).all():
            return "numeric", pd.Series(
                pd.to_numeric(col, errors="coerce").to_numpy(dtype=float), index=col.index
            )
        return "categorical", col
    if is_number.any():
        words = present & ~is_number
        if words.any():
            j, k = int(np.flatnonzero(words)[0]), int(np.flatnonzero(is_number)[0])
            raise WeightingError(
                f"covariate {name!r} mixes numbers and text: {int(is_number.sum())} value(s) read "
                f"as numbers (e.g. {plain_value(values[k])!r}) and {int(words.sum())} do not (e.g. "
                f"{plain_value(values[j])!r} for {_where(keys, j)}). If it is a number, make the text missing "
                f"(data[{name!r}] = pd.to_numeric(data[{name!r}], errors='coerce'), then see "
                f"missing=); if it is a category, say so: data[{name!r}] = "
                f"data[{name!r}].astype('category')."
            )
        k = int(np.flatnonzero(is_number)[0])
        raise WeightingError(
            f"covariate {name!r} is stored as text, but every value reads as a number (e.g. "
            f"{plain_value(values[k])!r} for {_where(keys, k)}): is it a number or a category? Convert it: "
            f"pd.to_numeric(data[{name!r}]) for a number, data[{name!r}].astype('category') for "
            "a category."
        )
    return "categorical", col


#: Values beyond this magnitude overflow when squared (variances, information matrices).
MAX_MAGNITUDE = 1e100


def check_magnitude(x: np.ndarray, *, name: str, keys: pd.Index | None) -> None:
    """Refuse infinite values and values so large that their squares overflow."""
    infinite = np.isinf(x)
    if infinite.any():
        j = int(np.flatnonzero(infinite)[0])
        raise WeightingError(
            f"{name} holds {int(infinite.sum())} infinite value(s) (e.g. {_where(keys, j)}); "
            "recode them as numbers or as missing."
        )
    with np.errstate(invalid="ignore"):
        huge = np.abs(x) > MAX_MAGNITUDE
    if huge.any():
        j = int(np.flatnonzero(huge)[0])
        raise WeightingError(
            f"{name} holds {int(huge.sum())} value(s) too large to compute with (e.g. "
            f"{float(x[j]):.3g} for {_where(keys, j)}; the limit is {MAX_MAGNITUDE:.0e}). "
            "Rescale it (e.g. in thousands) or check for a data-entry error."
        )


def _missing_counts(data: pd.DataFrame, columns: list, missing: str) -> dict:
    counts = {c: int(data[c].isna().sum()) for c in columns}
    with_missing = {c: k for c, k in counts.items() if k}
    if with_missing and missing == "error":
        detail = "; ".join(f"{c!r}: {k} of {len(data)} rows" for c, k in with_missing.items())
        raise WeightingError(
            f"covariates have missing values ({detail}). Weights cannot be estimated for those "
            "persons, and none is dropped silently. Impute them, drop those rows explicitly, or "
            "pass missing='indicator' to fill them and add a missingness indicator per column."
        )
    return with_missing


def _check_missing_strategy(missing: object) -> None:
    if missing not in MISSING_STRATEGIES:
        raise SpecificationError(
            f"missing must be one of {', '.join(map(repr, MISSING_STRATEGIES))}, got {missing!r}."
        )


def _check_covariate_list(data: pd.DataFrame, covariates: object) -> list:
    if isinstance(covariates, str):
        covariates = [covariates]
    try:
        covariates = list(covariates)
    except TypeError:
        raise SpecificationError(
            f"covariates must be a list of column names, got {type(covariates).__name__}."
        ) from None
    # numpy strings (np.str_) read as plain names in messages and tables.
    covariates = [plain_value(c) for c in covariates]
    if not covariates:
        raise SpecificationError("covariates is empty: name at least one baseline covariate.")
    for c in covariates:
        try:
            present = c in data.columns
        except TypeError:
            present = False
        if not present:
            raise SpecificationError(
                f"covariate {plain_value(c)!r} is not in the data{nearest(c, data.columns)}; "
                f"columns are {', '.join(map(str, data.columns[:15]))}."
            )
    dupes = sorted({str(c) for c in covariates if covariates.count(c) > 1})
    if dupes:
        raise SpecificationError(
            f"covariate(s) listed more than once: {', '.join(dupes)}. Name each covariate once."
        )
    return covariates


def build_design(
    data: pd.DataFrame,
    covariates: list,
    *,
    missing: str = "error",
    keys: pd.Index | None = None,
) -> CovariateDesign:
    """Validate ``covariates`` in ``data`` and expand them (see the module docstring).

    Parameters
    ----------
    data : pandas.DataFrame
    covariates : list of str
        Column names; how each column is read is described in the module docstring.
    missing : {"error", "indicator"}
        ``"error"`` raises on any missing covariate value, naming the column and count.
        ``"indicator"`` fills numeric columns with their mean (categoricals with a level
        ``"missing"``) and adds a 0/1 column ``<name>_missing``; the counts are reported in
        :attr:`CovariateDesign.missing_report`.
    keys : pandas.Index, optional
        The person label of each row, named in messages.
    """
    _check_missing_strategy(missing)
    covariates = _check_covariate_list(data, covariates)
    with_missing = _missing_counts(data, covariates, missing)

    model_cols: list[np.ndarray] = []
    model_names: list[str] = []
    bal_cols: list[np.ndarray] = []
    bal_names: list[str] = []
    bal_source: list[str] = []
    for name in covariates:
        kind, col = _read_column(data[name], str(name), keys)
        has_missing = name in with_missing
        if kind == "categorical":
            values = col.astype(object).where(col.notna(), "missing") if has_missing else col
            if isinstance(col.dtype, pd.CategoricalDtype):
                levels = [lv for lv in col.cat.categories if (values == lv).any()]
                if has_missing:
                    levels.append("missing")
            else:
                levels = sorted(pd.unique(values.astype(object)), key=str)
            if len(levels) < 2:
                raise WeightingError(
                    f"covariate {name!r} is constant (every row is {plain_value(levels[0])!r}); it "
                    "cannot differ between groups. Remove it from covariates."
                )
            dummies = {lv: (values == lv).to_numpy(dtype=float) for lv in levels}
            # The level "missing" (when filled) is itself the missingness indicator.
            for lv in levels[1:]:
                model_cols.append(dummies[lv])
                model_names.append(f"{name}_{plain_value(lv)}")
            shown = levels[1:] if len(levels) == 2 else levels
            for lv in shown:
                bal_cols.append(dummies[lv])
                bal_names.append(f"{name}_{plain_value(lv)}")
                bal_source.append(name)
        else:
            x = col.to_numpy(dtype=float)
            check_magnitude(x, name=f"covariate {name!r}", keys=keys)
            if has_missing:
                x = np.where(np.isnan(x), np.nanmean(x), x)
            if np.nanmax(x) == np.nanmin(x):
                raise WeightingError(
                    f"covariate {name!r} is constant (every row is {x[0]:g}); it cannot differ "
                    "between groups. Remove it from covariates."
                )
            model_cols.append(x)
            model_names.append(str(name))
            bal_cols.append(x)
            bal_names.append(str(name))
            bal_source.append(name)
            if has_missing:
                ind = data[name].isna().to_numpy(dtype=float)
                model_cols.append(ind)
                model_names.append(f"{name}_missing")
                bal_cols.append(ind)
                bal_names.append(f"{name}_missing")
                bal_source.append(name)
    balance_matrix = np.column_stack(bal_cols)
    return CovariateDesign(
        model_matrix=np.column_stack(model_cols),
        model_names=model_names,
        balance_matrix=balance_matrix,
        balance_names=bal_names,
        balance_binary=_binary_columns(balance_matrix),
        balance_source=bal_source,
        missing_report=dict(with_missing) if missing == "indicator" else {},
        covariates=tuple(covariates),
    )


def _binary_columns(matrix: np.ndarray) -> np.ndarray:
    return np.array([bool(np.all((c == 0) | (c == 1))) for c in matrix.T], dtype=bool)


# --------------------------------------------------------------------------- formulas
def parse_formula(formula: object) -> tuple[str, str, list | None]:
    """Split ``"group ~ terms"`` into the group column, the right-hand side, and (for a formula of
    plain column names joined by ``+``) those names, else None.

    The left-hand side must be one column name: the two-group column.
    """
    from formulaic import Formula

    if not isinstance(formula, str) or formula.count("~") != 1:
        raise SpecificationError(
            f"formula must be a string 'group ~ covariate + ...' (e.g. 'treated ~ age + "
            f"I(age**2) + C(site)'), got {formula!r}."
        )
    lhs, rhs = (part.strip() for part in formula.split("~"))
    if not re.fullmatch(_NAME, lhs):
        raise SpecificationError(
            f"the left-hand side of formula {formula!r} must be the group column's name (e.g. "
            f"'treated ~ ...'), got {lhs!r}."
        )
    try:
        Formula(rhs)
    except Exception as err:  # formulaic raises several parser error types
        raise SpecificationError(
            f"cannot parse the right-hand side {rhs!r} of formula {formula!r}: {err}. Terms are "
            "formulaic syntax: age + I(age**2) + C(site) + age:separated."
        ) from err
    if _PLAIN_RHS.match(rhs):
        return lhs, rhs, [t.strip() for t in rhs.split("+")]
    return lhs, rhs, None


def build_formula_design(
    data: pd.DataFrame,
    rhs: str,
    *,
    missing: str = "error",
    keys: pd.Index | None = None,
    exclude: tuple = (),
) -> CovariateDesign:
    """Expand the right-hand side of a formula with formulaic; balance is on its design columns.

    Missing values in the variables the formula reads are refused (``missing="error"``) or
    filled before the formula is evaluated, with ``<name>_missing`` indicators added to the
    design (``missing="indicator"``). The propensity model always has an intercept, so the
    formula may not remove it.
    """
    from formulaic import Formula, model_matrix

    _check_missing_strategy(missing)
    parsed = Formula(rhs)
    variables = sorted(str(getattr(v, "name", v)) for v in parsed.required_variables)
    columns = [v for v in variables if v in data.columns]
    unknown = [v for v in variables if v not in data.columns and v not in _FORMULA_NAMES]
    if unknown:
        raise SpecificationError(
            f"formula term(s) use {', '.join(map(repr, unknown))}, not in the data"
            f"{nearest(unknown[0], data.columns)}; columns are "
            f"{', '.join(map(str, data.columns[:15]))}."
        )
    if not columns:
        raise SpecificationError(
            f"the formula's right-hand side {rhs!r} names no column of the data; name at least "
            "one baseline covariate."
        )
    clash = [c for c in columns if c in exclude]
    if clash:
        raise SpecificationError(
            f"the formula uses the group column {clash[0]!r} as a covariate; the group is the "
            "left-hand side only."
        )
    with_missing = _missing_counts(data, columns, missing)
    frame = pd.DataFrame(index=pd.RangeIndex(len(data)))
    indicators: dict[str, np.ndarray] = {}
    for name in columns:
        kind, col = _read_column(data[name], name, keys)
        col = col.reset_index(drop=True)
        if name in with_missing:
            indicators[f"{name}_missing"] = col.isna().to_numpy(dtype=float)
            if kind == "numeric":
                col = col.fillna(col.mean())
            else:
                col = col.astype(object).where(col.notna(), "missing")
        frame[name] = col if kind == "categorical" else col.astype(float)
    try:
        # Undefined transformations (log(0), 1/0) are reported below with a person named.
        with np.errstate(all="ignore"):
            matrix = model_matrix(parsed, frame, na_action="ignore")
    except Exception as err:  # formulaic raises several evaluation error types
        raise SpecificationError(
            f"cannot evaluate formula terms {rhs!r} on the data: {err}."
        ) from err
    names = [str(c) for c in matrix.columns]
    if "Intercept" not in names:
        raise SpecificationError(
            f"the propensity model always has an intercept; remove '- 1' / '+ 0' from {rhs!r}."
        )
    values = np.asarray(matrix, dtype=float)
    keep = [j for j, nm in enumerate(names) if nm != "Intercept"]
    values, names = values[:, keep], [names[j] for j in keep]
    if not names:
        raise SpecificationError(f"the formula {rhs!r} has no terms besides the intercept.")
    for name in columns:
        if pd.api.types.is_numeric_dtype(frame[name].dtype):
            check_magnitude(
                frame[name].to_numpy(dtype=float), name=f"covariate {name!r}", keys=keys
            )
    bad = ~np.isfinite(values)
    if bad.any():
        i, j = (int(v[0]) for v in np.nonzero(bad))
        raise WeightingError(
            f"formula term {names[j]!r} is not a finite number for {int(bad[:, j].sum())} "
            f"person(s) (e.g. {_where(keys, i)}: {float(values[i, j])}); a transformation such as "
            "log() or a division is undefined there. Change the term or the data."
        )
    constant = [nm for j, nm in enumerate(names) if np.ptp(values[:, j]) == 0]
    if constant:
        raise WeightingError(
            f"formula term(s) {', '.join(map(repr, constant))} are constant in the data; they "
            "cannot differ between groups. Remove them from the formula."
        )
    for name, ind in indicators.items():
        values = np.column_stack([values, ind])
        names.append(name)
    return CovariateDesign(
        model_matrix=values,
        model_names=names,
        balance_matrix=values,
        balance_names=list(names),
        balance_binary=_binary_columns(values),
        balance_source=list(names),
        missing_report=dict(with_missing) if missing == "indicator" else {},
        covariates=tuple(columns),
        formula=rhs,
    )


_FORMULA_NAMES = {"np", "C", "I", "Treatment", "Sum", "Poly", "center", "scale", "log", "exp"}


# --------------------------------------------------------------------------- rank
def dependent_columns(matrix: np.ndarray, names: list) -> list[tuple[str, list]]:
    """Columns that are linear combinations of earlier ones: ``[(column, [earlier columns])]``.

    Columns are standardised first so that the rank tolerance does not depend on units (dollars
    beside 0/1 indicators). Empty when the matrix has full column rank.
    """
    x = np.asarray(matrix, dtype=float)
    if x.size == 0:
        return []
    scale = np.max(np.abs(x), axis=0)
    scale[~(scale > 0)] = 1.0
    z = x / scale
    if np.linalg.matrix_rank(z) == z.shape[1]:
        return []
    found = []
    kept: list[int] = []
    for j in range(z.shape[1]):
        trial = kept + [j]
        if np.linalg.matrix_rank(z[:, trial]) == len(trial):
            kept.append(j)
            continue
        coef = np.linalg.lstsq(z[:, kept], z[:, j], rcond=None)[0] if kept else np.zeros(0)
        partners = [names[k] for k, c in zip(kept, coef) if abs(c) > 1e-8]
        found.append((names[j], partners))
    return found
