"""The two PyMC models the benchmarks compare.

``build_kernel_model``: the parametrisation recommended in docs/performance.md ("Before the
kernel": centred person effects, centred within group in the likelihood; non-centred indicator
effects), its likelihood
written with :func:`mirabal_stats.bayes.likelihood.logit_cells_loglik` on the small cell table
``F[indicator, wave, group]``.

``build_default_model``: what a PyMC user writes first: every effect gathered per answer and a
``pm.Bernoulli(logit_p=...)`` likelihood, all random effects non-centred.

Both have the same priors and the same meaning for ``d``, ``mu_d``, ``tau_d`` and ``sigma``.
"""

from __future__ import annotations

import numpy as np

from benchmarks._data import N_MEASURES, N_WAVES, BenchPanel


def _common_priors(pm, pt, panel: BenchPanel):
    n_ind = panel.indicator_measure.shape[0]
    a = pm.Normal("a", 0.0, 1.5, shape=n_ind)
    b_free = pm.Normal("b_free", 0.0, 1.0, shape=(N_MEASURES, N_WAVES - 1))
    b = pt.concatenate([pt.zeros((N_MEASURES, 1)), b_free], axis=1)  # wave 0 is the reference
    c = pm.Normal("c", 0.0, 1.0, shape=N_MEASURES)
    mu_d = pm.Normal("mu_d", 0.0, 1.0, shape=N_MEASURES)
    tau_d = pm.HalfNormal("tau_d", 0.5)
    z_d = pm.Normal("z_d", 0.0, 1.0, shape=n_ind)
    d = pm.Deterministic("d", mu_d[panel.indicator_measure] + tau_d * z_d)
    sigma = pm.HalfNormal("sigma", 1.0)
    return a, b, c, d, sigma


def build_kernel_model(panel: BenchPanel, *, implementation: str = "numba"):
    """Centred, within-group-centred person effects; likelihood on the cell table."""
    import pymc as pm
    import pytensor.tensor as pt

    from mirabal_stats.bayes.likelihood import logit_cells_loglik

    with pm.Model() as model:
        a, b, c, d, sigma = _common_priors(pm, pt, panel)
        u = pm.Normal("u", 0.0, sigma, shape=panel.n_persons)
        # Centre u within each group in the likelihood: removes the intercept/group-mean ridge.
        g = panel.person_group.astype("float64")
        n1 = g.sum()
        mean1 = pt.sum(u * g) / n1
        mean0 = pt.sum(u * (1 - g)) / (panel.n_persons - n1)
        u_c = u - g * mean1 - (1 - g) * mean0
        m = panel.indicator_measure
        grp = np.arange(2)[None, None, :]
        post = (np.arange(N_WAVES) > 0)[None, :, None].astype("float64")
        F = (
            a[:, None, None]
            + b[m][:, :, None]
            + c[m][:, None, None] * grp
            + d[:, None, None] * grp * post
        ).ravel()  # (indicator, wave, group) flattened as likelihood.cell_index
        pm.Potential(
            "loglik",
            logit_cells_loglik(
                F,
                u_c,
                cell=panel.cell,
                person=panel.person,
                sign=1,
                y=panel.y,
                implementation=implementation,
            ),
        )
    return model


def build_default_model(panel: BenchPanel):
    """Textbook PyMC model: per-answer gathers, Bernoulli likelihood, non-centred u."""
    import pymc as pm
    import pytensor.tensor as pt

    with pm.Model() as model:
        a, b, c, d, sigma = _common_priors(pm, pt, panel)
        z_u = pm.Normal("z_u", 0.0, 1.0, shape=panel.n_persons)
        u = pm.Deterministic("u", sigma * z_u)
        eta = (
            a[panel.indicator]
            + u[panel.person]
            + b[panel.measure, panel.wave]
            + c[panel.measure] * panel.group
            + d[panel.indicator] * panel.group * panel.post
        )
        pm.Bernoulli("y", logit_p=eta, observed=panel.y)
    return model


def bambi_formula() -> str:
    """The closest bambi formula to the default model (string columns are categorical)."""
    return "y ~ 0 + indicator + measure:wave + measure:group + indicator:gp + (1|person)"
