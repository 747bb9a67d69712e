"""The group size that gives a target power: a search over simulated studies.

Power of a test whose standard error shrinks as ``1 / sqrt(n)`` is close to
``Phi(beta0 + beta1 * sqrt(n))`` (``beta0`` about ``-z_{1 - alpha/2}``, ``beta1`` the effect
over the SD of one person's contribution). The search fits this probit curve by maximum
likelihood to *every* replicate run so far (binomial counts of rejections at each size visited),
solves it for the target power, and spends the next round of replicates where they inform the
answer most: at the current answer and at the sizes where the fitted power is
``target -+ 0.1`` (which pin down the slope). Replicates are never thrown away: a size visited
again gets new replicates (its replicate numbers continue), and all of them enter the next fit.
The Monte-Carlo uncertainty of the answer comes from the fit's covariance (delta method on
``sqrt(n*)``, an interval for ``n*`` by squaring the interval of ``sqrt(n*)``).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
from scipy import stats

from mirabal_stats._results import Provenance, Results, Summary, axes_or_new, check_ci_level
from mirabal_stats.exceptions import EstimabilityWarning, SpecificationError
from mirabal_stats.studies import _engine
from mirabal_stats.studies.analyses import Analysis, check_analyses
from mirabal_stats.studies.study import (
    _check_cluster,
    _check_count,
    _check_design,
    _entropy,
    _preflight,
    _results,
    _run,
    _stored_entropy,
)

__all__ = ["sample_size", "SampleSizeResult", "fit_probit_power"]

_OVER = "n_intervention"


def fit_probit_power(sizes, rejections, trials) -> tuple[np.ndarray, np.ndarray, bool]:
    """Maximum-likelihood fit of ``P(reject) = Phi(b0 + b1 sqrt(n))`` to binomial counts.

    Returns ``(beta, covariance, converged)``; ``converged`` is False when the counts do not
    determine a finite curve (e.g. every size has power 0 or 1).

    Examples
    --------
    >>> beta, cov, ok = fit_probit_power([25, 100], [30, 80], [100, 100])  # exact: 2 points
    >>> ok, [round(float(b), 3) for b in beta]
    (True, [-1.89, 0.273])
    """
    s = np.sqrt(np.asarray(sizes, dtype=float))
    k = np.asarray(rejections, dtype=float)
    m = np.asarray(trials, dtype=float)
    x = np.column_stack([np.ones_like(s), s])
    start = stats.norm.ppf((k + 0.5) / (m + 1.0))
    beta = np.linalg.lstsq(x, start, rcond=None)[0]
    converged = False
    info = np.eye(2)
    for _ in range(200):
        eta = x @ beta
        mu = np.clip(stats.norm.cdf(eta), 1e-12, 1 - 1e-12)
        phi = np.maximum(stats.norm.pdf(eta), 1e-300)
        w = m * phi**2 / (mu * (1 - mu))
        z = eta + (k / m - mu) / phi
        info = x.T @ (w[:, None] * x)
        try:
            new = np.linalg.solve(info, x.T @ (w * z))
        except np.linalg.LinAlgError:
            break
        if not np.all(np.isfinite(new)) or np.max(np.abs(new)) > 1e6:
            break
        step = np.max(np.abs(new - beta))
        beta = new
        if step < 1e-10:
            converged = True
            break
    try:
        cov = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        cov, converged = np.full((2, 2), np.nan), False
    finite_counts = np.any((k > 0) & (k < m)) or len(np.unique(k / m)) > 1
    converged = bool(converged and finite_counts and beta[1] > 0 and np.all(np.isfinite(cov)))
    return beta, cov, converged


def _solve(beta, cov, target: float, ci_level: float):
    """n* with its MC SE and interval (delta method on sqrt(n*))."""
    q = stats.norm.ppf(target)
    root = (q - beta[0]) / beta[1]
    grad = np.array([-1.0 / beta[1], -(q - beta[0]) / beta[1] ** 2])
    se_root = float(np.sqrt(grad @ cov @ grad))
    z = stats.norm.ppf(0.5 + ci_level / 2.0)
    low = max(root - z * se_root, 0.0) ** 2
    return (
        float(root**2),
        float(2 * max(root, 0.0) * se_root),
        float(low),
        float((root + z * se_root) ** 2),
    )


def _size_at(beta, power: float) -> float:
    return float(((stats.norm.ppf(power) - beta[0]) / beta[1]) ** 2)


class SampleSizeResult(Results):
    """The group size for a target power, with its Monte-Carlo uncertainty
    (from :func:`sample_size`).

    - :meth:`to_frame`: one row (``n_intervention``): ``estimate`` (the size at which the
      fitted power curve reaches the target), ``std_error`` (its Monte-Carlo SE), ``lower``,
      ``upper`` (Monte-Carlo interval), ``ci_level``, then ``recommended`` (the estimate rounded
      up), ``n_comparison`` at that size, ``target_power``, ``fitted_power`` and its MC SE at
      the recommended size, ``empirical_power`` (and MC SE, replicates) at the visited size
      nearest the answer, ``rounds``;
    - :meth:`curve_frame`: every size visited with its replicates, power and MC SE, and the
      fitted power;
    - :attr:`study`: every replicate (a :class:`StudyResults` over ``n_intervention``).
    """

    def __init__(
        self,
        *,
        table,
        curve,
        study,
        beta,
        cov,
        target_power,
        estimand,
        scale,
        analysis,
        allocation_ratio,
        converged,
        rounds,
        gof_p_value,
        provenance,
    ):
        self._table = table
        self._curve = curve
        self.study = study
        self.beta = beta
        self.cov = cov
        self.target_power = target_power
        self.estimand = estimand
        self.scale = scale
        self.analysis = analysis
        self.allocation_ratio = allocation_ratio
        self.converged = converged
        self.rounds = rounds
        self.gof_p_value = gof_p_value
        self.provenance: Provenance = provenance

    def to_frame(self) -> pd.DataFrame:
        """One row: the size per group (intervention) for the target power."""
        return self._table.copy()

    def curve_frame(self) -> pd.DataFrame:
        """Sizes visited: ``n_intervention, n_comparison, n_replicates, power, power_mcse,
        fitted_power``."""
        return self._curve.copy()

    def fitted_power(self, sizes) -> np.ndarray:
        """Power of the fitted probit curve at ``sizes`` (intervention group)."""
        return stats.norm.cdf(self.beta[0] + self.beta[1] * np.sqrt(np.asarray(sizes, float)))

    def summary(self) -> Summary:
        row = self._table.iloc[0]
        level = 100 * row["ci_level"]
        if self.converged:
            text = (
                f"About {row['recommended']:.0f} women in the intervention group "
                f"(and {row['n_comparison']:.0f} in the comparison group) give "
                f"{100 * self.target_power:g}% power for {self.analysis}: {self.estimand} "
                f"({self.scale}). Monte-Carlo uncertainty of the size: SE {row['std_error']:.1f}, "
                f"{level:g}% interval {row['lower']:.0f} to {row['upper']:.0f}; fitted power at "
                f"{row['recommended']:.0f}: {row['fitted_power']:.3f} (MC SE "
                f"{row['fitted_power_mcse']:.3f}); simulated power at the nearest size visited "
                f"({row['empirical_n']:.0f}): {row['empirical_power']:.3f} (MC SE "
                f"{row['empirical_power_mcse']:.3f}, {row['empirical_replicates']:.0f} replicates)."
            )
        else:
            text = (
                f"The target power {self.target_power:g} was not bracketed by the sizes visited "
                f"for {self.analysis}: {self.estimand} ({self.scale}); see curve_frame() and "
                "widen n_range."
            )
        method = (
            f"Probit curve Phi(b0 + b1 sqrt(n)) fitted to every replicate ({self.rounds} rounds, "
            f"{int(self._curve['n_replicates'].sum())} replicates; goodness of fit p = "
            f"{self.gof_p_value:.2f})."
        )
        return Summary.build(
            text, method, tables={"sample size": self._table, "sizes visited": self._curve}
        )

    def plot_power_curve(self, *, ax=None):
        """Simulated power at each size visited (+-2 MC SE), the fitted curve, the target and
        the answer with its Monte-Carlo interval.

        Returns
        -------
        matplotlib.axes.Axes
        """
        ax = axes_or_new(ax)
        curve = self._curve
        ax.errorbar(
            curve["n_intervention"],
            curve["power"],
            yerr=2 * curve["power_mcse"],
            fmt="o",
            capsize=3,
            label="simulated (+-2 MC SE)",
        )
        grid = np.linspace(
            max(2.0, 0.5 * curve["n_intervention"].min()), 1.2 * curve["n_intervention"].max(), 200
        )
        if self.converged:
            ax.plot(grid, self.fitted_power(grid), label="probit fit")
            row = self._table.iloc[0]
            ax.axvspan(
                row["lower"],
                row["upper"],
                color="0.85",
                zorder=0,
                label=f"MC {100 * row['ci_level']:g}% interval",
            )
            ax.axvline(row["estimate"], color="0.3", linewidth=1)
        ax.axhline(self.target_power, color="0.5", linestyle="--", linewidth=1)
        ax.set_xlabel("women in the intervention group")
        ax.set_ylabel("power")
        ax.set_ylim(-0.02, 1.02)
        ax.legend(fontsize="small")
        return ax


def sample_size(
    design,
    analysis: Analysis,
    *,
    estimand: str = "overall",
    scale: str = "pp",
    target_power: float = 0.8,
    n_range: tuple[int, int] = (20, 1000),
    allocation_ratio: float = 1.0,
    n_replicates: int = 200,
    max_rounds: int = 4,
    tolerance: float = 0.05,
    random_seed: int | None = None,
    ci_level: float = 0.95,
    client=None,
    scheduler: str | None = None,
    n_workers: int | None = None,
    store=None,
    progress: bool = True,
) -> SampleSizeResult:
    """Search the group size that gives ``target_power`` for one estimand of one analysis.

    Round 1 runs ``n_replicates`` replicates at five sizes spread geometrically over
    ``n_range``; each later round runs ``n_replicates`` more at the current answer and at the
    sizes where the fitted power is ``target -+ 0.1`` (see the module docstring), until the
    Monte-Carlo SE of the answer is at most ``tolerance`` times the answer or ``max_rounds``
    rounds have run. Power is the share of ``ci_level`` intervals that exclude 0.

    Parameters
    ----------
    design : MirabalDesign
        Everything but the group sizes.
    analysis : Analysis
        One analysis (e.g. ``analyses.did(level="indicator")``).
    estimand, scale : str
        The row of the analysis whose power is wanted (default the overall pp effect).
    target_power : float, default 0.8
    n_range : (int, int), default (20, 1000)
        Intervention group sizes of the first round.
    allocation_ratio : float, default 1.0
        Comparison women per intervention woman (``n_comparison = round(ratio * n)``).
    n_replicates : int, default 200
        Replicates per size per round.
    max_rounds : int, default 4
    tolerance : float, default 0.05
        Stop when the MC SE of the size is at most this share of it.
    random_seed, ci_level, client, scheduler, n_workers, store, progress
        As in :func:`~mirabal_stats.studies.run_study` (one LocalCluster for all rounds; with
        ``store`` each size has its own subfolder ``n_intervention=<n>``).

    Returns
    -------
    SampleSizeResult

    Warns
    -----
    EstimabilityWarning
        The target power was not bracketed by the sizes visited (the answer is NaN).
    """
    design = _check_design(design)
    (analysis,) = check_analyses(analysis) if isinstance(analysis, Analysis) else (None,)
    if analysis is None:
        raise SpecificationError(
            "sample_size searches for one analysis: pass a single Analysis (e.g. "
            "analyses.did(level='overall')), not a list."
        )
    ci_level = check_ci_level(ci_level)
    if isinstance(target_power, bool) or not 0 < float(target_power) < 1:
        raise SpecificationError(
            f"target_power must lie strictly between 0 and 1, got {target_power!r}."
        )
    target_power = float(target_power)
    try:
        lo, hi = (int(v) for v in n_range)
    except (TypeError, ValueError) as err:
        raise SpecificationError(
            f"n_range must be two whole numbers (low, high), got {n_range!r}."
        ) from err
    if not 2 <= lo < hi:
        raise SpecificationError(f"n_range must satisfy 2 <= low < high, got {n_range!r}.")
    if isinstance(allocation_ratio, bool) or not float(allocation_ratio) > 0:
        raise SpecificationError(
            f"allocation_ratio must be a number > 0, got {allocation_ratio!r}."
        )
    n_replicates = _check_count("n_replicates", n_replicates, 10)
    max_rounds = _check_count("max_rounds", max_rounds)
    if not 0 < float(tolerance) < 1:
        raise SpecificationError(f"tolerance must lie strictly between 0 and 1, got {tolerance!r}.")
    _check_cluster(client, scheduler, n_workers)
    entropy = _entropy(random_seed, _stored_entropy(store))

    import dataclasses

    def at(n: int):
        return dataclasses.replace(
            design, n_intervention=int(n), n_comparison=max(2, round(allocation_ratio * n))
        )

    _preflight([at(lo)])
    counts: dict[int, int] = {}
    frames: list[pd.DataFrame] = []
    sizes = sorted({int(round(v)) for v in np.geomspace(lo, hi, 5)})
    beta, cov, converged = np.array([np.nan, np.nan]), np.full((2, 2), np.nan), False
    rounds = 0
    with _engine.cluster_client(client, scheduler, n_workers, 5 * n_replicates) as dask_client:
        for rounds in range(1, max_rounds + 1):
            points = [
                (n, at(n), _engine.point_key("sample_size", [n, at(n).n_comparison])) for n in sizes
            ]
            replicates = {
                i: range(counts.get(n, 0), counts.get(n, 0) + n_replicates)
                for i, n in enumerate(sizes)
            }
            frames.append(
                _run(
                    points,
                    (analysis,),
                    replicates=replicates,
                    entropy=entropy,
                    ci_level=ci_level,
                    over=_OVER,
                    client=dask_client,
                    scheduler=None,
                    n_workers=None,
                    store=store,
                    progress=progress,
                    label=f"sample size, round {rounds}",
                )
            )
            for n in sizes:
                counts[n] = counts.get(n, 0) + n_replicates
            curve = _curve(
                pd.concat(frames, ignore_index=True),
                estimand,
                scale,
                analysis.name,
                allocation_ratio,
            )
            beta, cov, converged = fit_probit_power(
                curve["n_intervention"], curve["rejections"], curve["n_replicates"]
            )
            power = curve["power"].to_numpy()
            if not converged or not (power.min() < target_power < power.max()):
                low_n, high_n = (
                    int(curve["n_intervention"].min()),
                    int(curve["n_intervention"].max()),
                )
                if power.min() >= target_power:
                    sizes = sorted({max(2, low_n // 4), max(2, low_n // 2)} - set(counts))
                else:
                    sizes = sorted({2 * high_n, 4 * high_n} - set(counts))
                converged = False
                if not sizes:
                    break
                continue
            n_star, se, _, _ = _solve(beta, cov, target_power, ci_level)
            if se <= tolerance * n_star and rounds > 1:
                break
            proposals = {
                n_star,
                _size_at(beta, max(0.05, target_power - 0.1)),
                _size_at(beta, min(0.95, target_power + 0.1)),
            }
            sizes = sorted({max(2, int(round(v))) for v in proposals})
    table = pd.concat(frames, ignore_index=True)
    curve = _curve(table, estimand, scale, analysis.name, allocation_ratio)
    designs = {n: at(n) for n in sorted(counts)}
    study = _results(
        table.sort_values([_OVER, "replicate"], kind="stable").reset_index(drop=True),
        at(sizes[0] if sizes else lo),
        designs,
        _OVER,
        (analysis,),
        n_replicates,
        entropy,
        ci_level,
    )
    curve["fitted_power"] = stats.norm.cdf(beta[0] + beta[1] * np.sqrt(curve["n_intervention"]))
    expected = curve["n_replicates"] * curve["fitted_power"]
    with np.errstate(divide="ignore", invalid="ignore"):
        chi2 = float(
            np.nansum(
                (curve["rejections"] - expected) ** 2 / (expected * (1 - curve["fitted_power"]))
            )
        )
    dof = max(len(curve) - 2, 1)
    gof = float(stats.chi2.sf(chi2, dof)) if converged else float("nan")
    row = _answer(beta, cov, converged, curve, target_power, ci_level, allocation_ratio, rounds)
    if not converged:
        warnings.warn(
            f"sample_size: the target power {target_power:g} for {analysis.name}: {estimand} "
            f"({scale}) was not bracketed by the sizes visited "
            f"({', '.join(map(str, curve['n_intervention']))}, simulated power "
            f"{', '.join(f'{p:.2f}' for p in curve['power'])}); the answer is NaN. Widen n_range "
            "or check that the design has an effect on this estimand.",
            EstimabilityWarning,
            stacklevel=2,
        )
    return SampleSizeResult(
        table=row,
        curve=curve.drop(columns="rejections"),
        study=study,
        beta=beta,
        cov=cov,
        target_power=target_power,
        estimand=estimand,
        scale=scale,
        analysis=analysis.name,
        allocation_ratio=float(allocation_ratio),
        converged=converged,
        rounds=rounds,
        gof_p_value=gof,
        provenance=study.provenance,
    )


def _curve(table: pd.DataFrame, estimand: str, scale: str, name: str, ratio: float):
    rows = table[(table["estimand"] == estimand) & (table["scale"] == scale)]
    if rows.empty:
        present = table.dropna(subset=["estimand"])[["estimand", "scale"]].drop_duplicates()
        errors = table["error"].dropna().unique()[:1]
        raise SpecificationError(
            f"analysis {name!r} has no estimand {estimand!r} on scale {scale!r}; it has "
            f"{[tuple(r) for r in present.head(8).to_numpy()]}"
            + (f" (its fits failed: {errors[0]})" if len(errors) else "")
            + ". Pass estimand= and scale= accordingly."
        )
    valid = rows.dropna(subset=["estimate"])
    rejected = (valid["lower"] > 0) | (valid["upper"] < 0)
    grouped = valid.assign(rejected=rejected).groupby(_OVER)["rejected"]
    curve = pd.DataFrame({"n_replicates": grouped.size(), "rejections": grouped.sum()})
    curve = curve.reset_index().sort_values(_OVER).reset_index(drop=True)
    curve.insert(1, "n_comparison", [max(2, round(ratio * n)) for n in curve[_OVER]])
    curve["power"] = curve["rejections"] / curve["n_replicates"]
    curve["power_mcse"] = np.sqrt(curve["power"] * (1 - curve["power"]) / curve["n_replicates"])
    return curve


def _answer(beta, cov, converged, curve, target, ci_level, ratio, rounds) -> pd.DataFrame:
    nan = float("nan")
    if converged:
        n_star, se, low, high = _solve(beta, cov, target, ci_level)
        recommended = math.ceil(n_star)
        eta = beta[0] + beta[1] * math.sqrt(recommended)
        grad = np.array([1.0, math.sqrt(recommended)])
        fitted = float(stats.norm.cdf(eta))
        fitted_se = float(stats.norm.pdf(eta) * math.sqrt(grad @ cov @ grad))
        nearest = curve.iloc[int(np.argmin(np.abs(curve[_OVER] - n_star)))]
    else:
        n_star = se = low = high = fitted = fitted_se = nan
        recommended = nan
        nearest = pd.Series({_OVER: nan, "power": nan, "power_mcse": nan, "n_replicates": nan})
    return pd.DataFrame(
        {
            "estimate": [n_star],
            "std_error": [se],
            "lower": [low],
            "upper": [high],
            "ci_level": [ci_level],
            "recommended": [recommended],
            "n_comparison": [max(2, round(ratio * recommended)) if converged else nan],
            "target_power": [target],
            "fitted_power": [fitted],
            "fitted_power_mcse": [fitted_se],
            "empirical_n": [nearest[_OVER]],
            "empirical_power": [nearest["power"]],
            "empirical_power_mcse": [nearest["power_mcse"]],
            "empirical_replicates": [nearest["n_replicates"]],
            "rounds": [rounds],
        },
        index=pd.Index([_OVER], name="quantity"),
    )
