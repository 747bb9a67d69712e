"""The TOML configuration of ``mirabal-stats evaluate``: parsing and validation.

One schema (:data:`SCHEMA`) lists every table and key the file may hold, with its type, default and
a one-line explanation. :func:`load_config` parses the file with :mod:`tomllib`, checks every key
against the schema and returns an immutable :class:`EvaluationConfig`. Anything wrong raises
:class:`~mirabal_stats.exceptions.ConfigError` naming the key (``[bayes] draws``), what was found and
how to fix it, so the command line can print one clear message instead of a traceback.

Paths in ``[data]`` are relative to the folder holding the config file, so a config and its data
can be moved together; ``output`` is relative to the folder the command is run from.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from mirabal_stats.exceptions import ConfigError

__all__ = ["SCHEMA", "EvaluationConfig", "Key", "load_config", "parse_config"]


@dataclass(frozen=True)
class Key:
    """One allowed configuration key: its type(s), default and meaning."""

    types: tuple[type, ...]
    default: Any = None
    required: bool = False
    help: str = ""
    choices: tuple[Any, ...] | None = None
    minimum: float | None = None


_STR = (str,)
_INT = (int,)
_BOOL = (bool,)
_NUM = (int, float)
_LIST = (list,)
_TABLE = (dict,)

#: Every table and key the config may hold. ``""`` is the top level.
SCHEMA: dict[str, dict[str, Key]] = {
    "": {
        "title": Key(_STR, "Programme evaluation", help="report title"),
        "seed": Key(_INT, None, required=True, help="random seed for every random step", minimum=0),
        "output": Key(_STR, "evaluation_report", help="output folder (relative to where you run)"),
        "ci_level": Key(_NUM, 0.95, help="level of every interval, e.g. 0.95"),
    },
    "data": {
        "survey": Key(_STR, None, required=True, help="survey export (CSV or parquet)"),
        "layout": Key(
            _STR, "wide", choices=("wide", "long"), help="'wide' or 'long' survey export"
        ),
        "persons": Key(_STR, None, help="person-level file: covariates and reoffending"),
        "indicators": Key(
            _STR, None, help="indicator dictionary (indicator, measure, benefit) for wide exports"
        ),
    },
    "columns": {
        "person": Key(_STR, "person", help="column identifying a person"),
        "group": Key(_STR, "group", help="column holding the group label"),
        "wave": Key(_STR, "wave", help="column holding the wave (long layout)"),
        "indicator": Key(_STR, "indicator", help="column holding the indicator name (long layout)"),
        "measure": Key(_STR, "measure", help="column holding the measure name (long layout)"),
        "response": Key(_STR, "response", help="column holding the yes/no answer (long layout)"),
    },
    "design": {
        "treated": Key((str, int), None, required=True, help="label of the intervention group"),
        "baseline_wave": Key((str, int), None, required=True, help="the pre-programme wave"),
        "estimand": Key(_STR, "ATT", choices=("ATT", "ATE", "ATO"), help="causal estimand"),
        "covariates": Key(_LIST, [], help="baseline covariates for weighting"),
        "positive_indicators": Key(
            _LIST, [], help="indicators where more 'yes' is good (for the others, less 'yes' is)"
        ),
    },
    # Free-form: measure name -> list of indicator columns (wide exports). See _FREE_TABLES.
    "measures": {},
    "weighting": {
        "enabled": Key(_BOOL, True, help="estimate propensity weights and show balance"),
        "options": Key(_TABLE, {}, help="extra keyword options for PropensityWeights"),
    },
    "bayes": {
        "enabled": Key(_BOOL, True, help="fit the Bayesian hierarchical indicator model"),
        "draws": Key(_INT, 1000, help="posterior draws per chain", minimum=10),
        "tune": Key(_INT, 1000, help="tuning steps per chain", minimum=10),
        "chains": Key(_INT, 2, help="number of chains", minimum=1),
        "options": Key(_TABLE, {}, help="extra keyword options for IndicatorModel"),
    },
    "panel": {
        "enabled": Key(_BOOL, True, help="run the frequentist GEE / DiD cross-checks"),
        "options": Key(_TABLE, {}, help="extra keyword options for the cross-checks"),
    },
    "survival": {
        "enabled": Key(_BOOL, True, help="compare time to reoffending between groups"),
        "duration": Key(
            _STR, "duration", help="column of the person file: time to event or censoring"
        ),
        "event": Key(_STR, "event", help="column of the person file: 1 = reoffended, 0 = censored"),
        "lower": Key(
            _STR, None, help="optional column: last survey time without a reported reoffence"
        ),
        "upper": Key(_STR, None, help="optional column: first survey time with one (inf if none)"),
        "horizons": Key(_LIST, [6, 12], help="follow-up times for the share reoffended (and RMST)"),
        "time_unit": Key(_STR, "months", help="unit of the duration column, for labels"),
        "options": Key(_TABLE, {}, help="extra keyword options for compare_groups"),
    },
    "sensitivity": {
        "enabled": Key(_BOOL, True, help="sensitivity of the effects to informative dropout"),
        "mnar_odds_ratios": Key(
            _LIST,
            [0.5, 0.75, 1.0, 1.5, 2.0],
            help="odds ratios of a 'yes' among dropouts vs stayers to try (1 = MAR)",
        ),
    },
}


#: Tables whose keys are chosen by the user (names of measures); each value is a list of strings.
_FREE_TABLES = ("measures",)


def _key_name(table: str, key: str) -> str:
    return f"[{table}] {key}" if table else key


def _type_name(types: tuple[type, ...]) -> str:
    names = {
        str: "a string",
        int: "an integer",
        float: "a number",
        bool: "true/false",
        list: "a list",
        dict: "a table",
    }
    return " or ".join(names[t] for t in types)


def _suggest(word: str, options: list[str]) -> str:
    close = difflib.get_close_matches(word, options, n=1)
    return f" Did you mean {close[0]!r}?" if close else ""


def _check_value(table: str, name: str, value: Any, spec: Key) -> Any:
    where = _key_name(table, name)
    # bool is a subclass of int in Python: `draws = true` must not pass as an integer.
    ok = isinstance(value, spec.types) and not (isinstance(value, bool) and bool not in spec.types)
    if not ok:
        raise ConfigError(
            f"Config key {where} must be {_type_name(spec.types)} ({spec.help}), got "
            f"{value!r}. Fix it in the config file, e.g. {name} = {_example(spec)}."
        )
    if spec.choices is not None and value not in spec.choices:
        raise ConfigError(
            f"Config key {where} must be one of {', '.join(map(repr, spec.choices))}, got "
            f"{value!r}."
        )
    if spec.minimum is not None and value < spec.minimum:
        raise ConfigError(
            f"Config key {where} must be at least {spec.minimum:g} ({spec.help}), got {value!r}."
        )
    return value


def _example(spec: Key) -> str:
    if spec.choices:
        return repr(spec.choices[0]).replace("'", '"')
    if spec.default is not None and not isinstance(spec.default, (dict, list)):
        return (
            repr(spec.default).replace("'", '"').replace("True", "true").replace("False", "false")
        )
    return {str: '"..."', int: "1", float: "0.5", bool: "true", list: '["a", "b"]', dict: "{ }"}[
        spec.types[0]
    ]


@dataclass(frozen=True)
class EvaluationConfig:
    """A validated configuration of ``mirabal-stats evaluate``.

    Attributes
    ----------
    values : mapping
        ``{table: {key: value}}`` with every key of :data:`SCHEMA`, defaults filled in.
        The top-level keys are under ``""``.
    base_dir : pathlib.Path
        Folder the data paths are relative to (the config file's folder).
    text : str
        The config file as written, copied into the report folder for reproducibility.
    source : str
        Where the config came from (a path, or ``"<string>"``).
    """

    values: MappingProxyType
    base_dir: Path
    text: str = ""
    source: str = "<string>"
    output_override: Path | None = field(default=None)

    def get(self, table: str, key: str) -> Any:
        """Return the value of ``[table] key`` (``table=""`` for top-level keys)."""
        return self.values[table][key]

    @property
    def seed(self) -> int:
        return int(self.values[""]["seed"])

    @property
    def title(self) -> str:
        return str(self.values[""]["title"])

    @property
    def ci_level(self) -> float:
        return float(self.values[""]["ci_level"])

    @property
    def output_dir(self) -> Path:
        """The report folder: ``--output`` if given, else ``output`` from the file."""
        if self.output_override is not None:
            return Path(self.output_override)
        return Path(self.values[""]["output"])

    def data_path(self, key: str) -> Path | None:
        """Absolute path of the ``[data] key`` file, or None when the key is not set."""
        value = self.values["data"][key]
        if value is None:
            return None
        path = Path(value).expanduser()
        return path if path.is_absolute() else (self.base_dir / path)

    def with_output(self, output: str | Path | None) -> EvaluationConfig:
        """Return a copy whose report folder is ``output`` (the ``--output`` flag)."""
        if output is None:
            return self
        return EvaluationConfig(
            values=self.values,
            base_dir=self.base_dir,
            text=self.text,
            source=self.source,
            output_override=Path(output),
        )

    def replace(self, table: str, **changes: Any) -> EvaluationConfig:
        """Return a copy with ``[table]`` keys changed (each checked against the schema).

        The copy's ``text`` records the change as a comment so the config saved next to the
        report still says what was run.
        """
        schema = SCHEMA.get(table)
        if schema is None or table in _FREE_TABLES:
            raise ConfigError(f"Cannot replace keys of table {table!r}.")
        updated = dict(self.values[table])
        for name, value in changes.items():
            if name not in schema:
                raise ConfigError(f"Unknown config key {_key_name(table, name)}.")
            updated[name] = _check_value(table, name, value, schema[name])
        values = dict(self.values)
        values[table] = MappingProxyType(updated)
        note = ", ".join(f"{k} = {v!r}" for k, v in changes.items())
        where = f"[{table}] " if table else ""
        return EvaluationConfig(
            values=MappingProxyType(values),
            base_dir=self.base_dir,
            text=f"{self.text.rstrip()}\n# Overridden when run: {where}{note}\n",
            source=self.source,
            output_override=self.output_override,
        )

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """A plain nested dict of every setting (for provenance)."""
        return {table: dict(keys) for table, keys in self.values.items()}


def parse_config(
    text: str, *, base_dir: str | Path = ".", source: str = "<string>"
) -> EvaluationConfig:
    """Parse and validate config ``text``; see :func:`load_config`."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(
            f"{source} is not valid TOML: {err}. Check quotes and brackets there."
        ) from err

    values: dict[str, dict[str, Any]] = {}
    tables = [t for t in SCHEMA if t]
    top = {k: v for k, v in raw.items() if not isinstance(v, dict) or k not in tables}
    for name in top:
        if name not in SCHEMA[""]:
            options = list(SCHEMA[""]) + tables
            raise ConfigError(
                f"Unknown config key {name!r} at the top level of {source}.{_suggest(name, options)} "
                f"Allowed top-level keys: {', '.join(SCHEMA[''])}; tables: "
                f"{', '.join(f'[{t}]' for t in tables)}."
            )
    for table, schema in SCHEMA.items():
        given = top if table == "" else raw.get(table, {})
        if not isinstance(given, dict):
            raise ConfigError(f"Config entry {table!r} must be a table ([{table}]), got {given!r}.")
        if table in _FREE_TABLES:
            values[table] = MappingProxyType(_check_free_table(table, given))
            continue
        for name in given:
            if name not in schema:
                raise ConfigError(
                    f"Unknown config key {_key_name(table, name)} in {source}."
                    f"{_suggest(name, list(schema))} Allowed keys in [{table}]: "
                    f"{', '.join(schema)}."
                )
        checked = {}
        for name, spec in schema.items():
            if name in given:
                checked[name] = _check_value(table, name, given[name], spec)
            elif spec.required:
                raise ConfigError(
                    f"Config key {_key_name(table, name)} is missing from {source} ({spec.help}). "
                    f"Add it, e.g. under [{table}]: {name} = {_example(spec)}."
                    if table
                    else f"Config key {name!r} is missing from {source} ({spec.help}). Add it at "
                    f"the top of the file, e.g. {name} = {_example(spec)}."
                )
            else:
                default = spec.default
                checked[name] = (
                    list(default)
                    if isinstance(default, list)
                    else (dict(default) if isinstance(default, dict) else default)
                )
        values[table] = MappingProxyType(checked)

    _check_cross_keys(values, raw, source)
    return EvaluationConfig(
        values=MappingProxyType(values), base_dir=Path(base_dir).resolve(), text=text, source=source
    )


def _check_free_table(table: str, given: dict[str, Any]) -> dict[str, list[str]]:
    checked = {}
    for name, value in given.items():
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise ConfigError(
                f"Config key [{table}] {name} must be a non-empty list of indicator column "
                f'names, got {value!r}. Write e.g. {name} = ["slapped_pushed", "injured"].'
            )
        checked[name] = list(value)
    seen: dict[str, str] = {}
    for name, indicators in checked.items():
        for indicator in indicators:
            if indicator in seen:
                raise ConfigError(
                    f"Indicator {indicator!r} is listed under both [{table}] {seen[indicator]} "
                    f"and [{table}] {name}; each indicator belongs to one measure."
                )
            seen[indicator] = name
    return checked


def _check_cross_keys(values: dict[str, Any], raw: dict[str, Any], source: str) -> None:
    """Checks that involve more than one key.

    Weighting and survival are on by default, but only when their inputs are there: a config
    without covariates (or without a person file) that does not mention ``[weighting]`` (or
    ``[survival]``) simply skips that step; asking for it explicitly without its input is an error.
    """
    from mirabal_stats._results import check_ci_level

    try:
        check_ci_level(values[""]["ci_level"])
    except ValueError as err:
        raise ConfigError(f"Config key ci_level: {err}") from None
    for key in ("covariates", "positive_indicators"):
        bad = [c for c in values["design"][key] if not isinstance(c, str)]
        if bad:
            raise ConfigError(
                f"Config key [design] {key} must be a list of column names (strings); "
                f'{bad[0]!r} is not. Quote it: {key} = ["name", ...].'
            )
    covariates = values["design"]["covariates"]
    horizons = values["survival"]["horizons"]
    if not horizons or any(
        isinstance(h, bool) or not isinstance(h, (int, float)) or h <= 0 for h in horizons
    ):
        raise ConfigError(
            f"Config key [survival] horizons must be a non-empty list of positive times, got "
            f"{horizons!r}. Use e.g. horizons = [6, 12]."
        )
    ratios = values["sensitivity"]["mnar_odds_ratios"]
    bad = [r for r in ratios if isinstance(r, bool) or not isinstance(r, (int, float)) or r <= 0]
    if bad:
        raise ConfigError(
            f"Config key [sensitivity] mnar_odds_ratios must be a list of positive numbers; "
            f"{bad[0]!r} is not. Use e.g. mnar_odds_ratios = [0.5, 1.0, 2.0]."
        )
    if not covariates and values["weighting"]["enabled"]:
        if "weighting" not in raw:
            values["weighting"] = MappingProxyType({**values["weighting"], "enabled": False})
        else:
            raise ConfigError(
                f"[weighting] is enabled but [design] covariates is empty in {source}: propensity "
                'weights need baseline covariates. Add covariates = ["age", ...] under '
                "[design], or set enabled = false under [weighting]."
            )
    if values["survival"]["enabled"] and values["data"]["persons"] is None:
        if "survival" not in raw:
            values["survival"] = MappingProxyType({**values["survival"], "enabled": False})
            return
        raise ConfigError(
            f"[survival] is enabled but [data] persons is not set in {source}: the reoffending "
            'times live in the person-level file. Add persons = "people.csv" under [data], '
            "or set enabled = false under [survival]."
        )


def load_config(path: str | Path) -> EvaluationConfig:
    """Read and validate the TOML config at ``path``.

    Parameters
    ----------
    path : str or pathlib.Path
        The config file. Data paths inside it are resolved relative to its folder.

    Returns
    -------
    EvaluationConfig

    Raises
    ------
    ConfigError
        If the file is missing, is not valid TOML, has an unknown or missing key, or a value of
        the wrong type; the message names the key and the fix.

    Examples
    --------
    >>> from importlib import resources
    >>> cfg = load_config(resources.files("mirabal_stats.datasets") / "files" / "mirabal_demo.toml")
    >>> cfg.get("design", "estimand")
    'ATT'
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(
            f"Config file {str(path)!r} not found. Check the path, or run "
            "`mirabal-stats demo` to see a working example config."
        )
    text = path.read_text(encoding="utf-8")
    return parse_config(text, base_dir=path.parent, source=str(path))
