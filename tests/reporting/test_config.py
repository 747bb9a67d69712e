"""Config parsing and validation: every error names the file, the key, the value and the fix."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from mirabal_stats.exceptions import ConfigError
from mirabal_stats.reporting import demo_config, load_config, parse_config
from mirabal_stats.reporting.config import SCHEMA, toml_value

FIXTURE = Path(__file__).parent / "fixtures" / "export"

MINIMAL = """
seed = 7
[data]
survey = "survey.csv"
[design]
treated = "programme"
baseline_wave = 1
"""


def _with(extra: str) -> str:
    return MINIMAL + "\n" + extra


def assert_config_terms(message: str) -> None:
    """A message in config terms: no Python call, internal column name or numpy repr."""
    assert "np." not in message and "numpy" not in message
    assert "__" not in message
    assert not re.search(r"\b[a-z_]+=[^= ]", message), message  # keyword=value: a Python call
    for python in ("IndicatorPanel", "from_wide", "from_long", "response_map", "Pass "):
        assert python not in message, message


def test_minimal_config_fills_defaults():
    config = parse_config(MINIMAL)
    assert config.seed == 7
    assert config.get("design", "estimand") == "ATT"
    assert config.get("bayes", "draws") == 1000
    assert config.ci_level == 0.95
    assert config.get("responses", "missing") == [""]
    assert config.get("survival", "parametric") == ["weibull", "loglogistic"]
    # No covariates and no person file: weighting and survival are skipped, not errors.
    assert config.get("weighting", "enabled") is False
    assert config.get("survival", "enabled") is False


def test_seed_has_a_fixed_default():
    assert parse_config(MINIMAL.replace("seed = 7", "")).seed == 1


def test_issue_config_as_written_parses():
    # The config of issue 15, verbatim: it must keep working as written.
    config = load_config(FIXTURE / "evaluation.toml")
    assert config.get("data", "codebook") == "codebook.csv"
    assert config.values["columns.persons"]["person"] == "client_id"
    assert config.values["columns.persons"]["group"] is None
    assert config.get("design", "wave_order") == ["baseline", "3m", "6m", "9m", "12m", "15m"]
    assert config.get("responses", "missing") == ["Don't know", "Refused", "8", "9", ""]
    assert config.get("survival", "enabled") is True  # a person file is named


def test_per_indicator_response_codes():
    config = parse_config(
        _with('[responses]\nyes = ["Yes"]\n[responses.feels_safe]\nyes = ["Always", "Often"]\n')
    )
    assert config.values["responses.<indicator>"]["feels_safe"]["yes"] == ["Always", "Often"]
    assert config.values["responses.<indicator>"]["feels_safe"]["no"] is None  # inherits


def test_treated_may_be_text_or_number():
    assert parse_config(MINIMAL.replace('"programme"', "1")).get("design", "treated") == 1


def test_demo_config_is_valid_and_points_at_bundled_files():
    config = demo_config()
    assert config.get("design", "treated") == "intervention"
    assert config.data_path("survey").is_file()
    assert config.data_path("persons").is_file()
    assert len(config.values["measures"]) == 6
    assert config.get("frequentist", "enabled") is True
    assert config.get("survival", "time_unit") == "months"
    assert tomllib.loads(config.text)["seed"] == config.seed


def test_quick_demo_overrides_are_recorded_and_labelled():
    config = demo_config(quick=True)
    assert config.quick is True
    assert config.get("bayes", "draws") == 40
    assert "# Overridden when run: [bayes] draws = 40" in config.text
    assert demo_config().quick is False


def test_output_override():
    config = parse_config(MINIMAL).with_output("elsewhere")
    assert str(config.output_dir) == "elsewhere"


def test_data_paths_are_relative_to_config_file(tmp_path):
    path = tmp_path / "sub" / "eval.toml"
    path.parent.mkdir()
    path.write_text(MINIMAL)
    assert load_config(path).data_path("survey") == (tmp_path / "sub" / "survey.csv").resolve()


@pytest.mark.parametrize(
    ("text", "match"),
    [
        # an unknown key: the nearest name and the allowed keys
        (
            _with("[bayes]\ndraw = 10"),
            r"^eval\.toml: \[bayes\] draw: unknown key\. Did you mean draws\? Allowed keys in "
            r"\[bayes\]: enabled, draws",
        ),
        ("sede = 3\n" + MINIMAL, r"^eval\.toml: sede: unknown key\. Did you mean seed\?"),
        (
            _with("[panel]\nenabled = true"),
            r"\[panel\]: unknown table \(the table \[panel\] is now called \[frequentist\]\)",
        ),
        # a wrong type: the value as written in TOML and an example of the fix
        (
            _with("[bayes]\ndraws = 'many'"),
            r'\[bayes\] draws = "many": must be a whole number \(posterior draws per chain\)\. '
            r"Write it e\.g\. as draws = 1000",
        ),
        (_with("[bayes]\ndraws = true"), r"\[bayes\] draws = true: must be a whole number"),
        # every numeric option: range checked, key named
        (_with("[bayes]\nchains = 0"), r"\[bayes\] chains = 0: must be at least 1"),
        (
            _with("[bayes]\ndraws = 1000000000000000"),
            r"\[bayes\] draws = 1000000000000000: must be at most 100,000",
        ),
        (_with("[bayes]\ntune = 5"), r"\[bayes\] tune = 5: must be at least 10"),
        ("seed = -1\n" + MINIMAL.replace("seed = 7", ""), r"seed = -1: must be at least 0"),
        ("ci_level = 95\n" + MINIMAL, r"ci_level = 95: must be strictly between 0 and 1"),
        ("ci_level = 0.0\n" + MINIMAL, r"ci_level = 0\.0: must be greater than 0"),
        ("ci_level = nan\n" + MINIMAL, r"ci_level = nan: must be a finite number"),
        (_with("[survival]\nn_bootstrap = 0"), r"\[survival\] n_bootstrap = 0: must be at least 1"),
        (
            _with("[survival]\nn_bootstrap = -5"),
            r"\[survival\] n_bootstrap = -5: must be at least 1",
        ),
        (
            _with("[survival]\nn_boot = 50"),
            r"\[survival\] n_boot: unknown key \(\[survival\] n_boot is now called \[survival\] "
            r"n_bootstrap\)",
        ),
        (
            _with("[survival]\nhorizons = [nan]"),
            r"\[survival\] horizons = \[nan\]: every element must be a finite number",
        ),
        (
            _with("[survival]\nhorizons = [6, inf]"),
            r"\[survival\] horizons = \[6, inf\]: every element must be a finite number",
        ),
        (
            _with("[survival]\nhorizons = [0, 6]"),
            r"\[survival\] horizons = \[0, 6\]: every element must be greater than 0",
        ),
        (
            _with("[sensitivity]\nmnar_odds_ratios = [1, -2]"),
            r"\[sensitivity\] mnar_odds_ratios = \[1, -2\]: every element must be greater than 0",
        ),
        (
            _with("[sensitivity]\nmnar_odds_ratios = [1, nan]"),
            r"mnar_odds_ratios = \[1, nan\]: every element must be a finite number",
        ),
        (
            _with("[survival]\nparametric = ['weibul']"),
            r'\[survival\] parametric = \["weibul"\]: "weibul" is not one of "weibull", '
            r'"loglogistic"\. Did you mean "weibull"\?',
        ),
        (
            MINIMAL.replace('treated = "programme"', 'treated = "programme"\nestimand = "ATX"'),
            r'\[design\] estimand = "ATX": must be one of "ATT", "ATE", "ATO"\. Did you mean "ATT"\?',
        ),
        # missing keys, and keys that need another
        ("seed = 1\n", r"\[data\] survey: is missing .*Add it under \[data\], e\.g\. survey = "),
        (
            _with("[survival]\nenabled = true"),
            r"\[survival\] enabled = true: is true but \[data\] persons is not set",
        ),
        (
            _with("[weighting]\nenabled = true"),
            r"\[weighting\] enabled = true: is true but \[design\] covariates is empty",
        ),
        (
            _with("[survival]\nlower = 'lo'"),
            r"\[survival\] lower = \"lo\": is set but \[survival\] upper is not",
        ),
        # waves: baseline_wave must be one of wave_order; no wave twice
        (
            MINIMAL.replace(
                "baseline_wave = 1", 'baseline_wave = 0\nwave_order = ["baseline", "3m"]'
            ),
            r"\[design\] baseline_wave = 0: is not one of the waves in \[design\] wave_order = "
            r'\["baseline", "3m"\]\.',
        ),
        (
            MINIMAL.replace(
                "baseline_wave = 1", 'baseline_wave = "basline"\nwave_order = ["baseline", "3m"]'
            ),
            r'baseline_wave = "basline": .* Did you mean "baseline"\?',
        ),
        (
            MINIMAL.replace(
                "baseline_wave = 1", 'baseline_wave = "3m"\nwave_order = ["baseline", "3m", "3m"]'
            ),
            r'\[design\] wave_order = \["baseline", "3m", "3m"\]: lists "3m" more than once',
        ),
        (
            _with("[measures]\nsafety = ['a', 'b']\nharm = ['b']"),
            r"\[measures\] harm: lists \"b\", which is also under \[measures\] safety",
        ),
        (_with("[measures]\nsafety = 'a'"), r'\[measures\] safety = "a": must be a non-empty list'),
        (
            _with("[responses]\nyess = ['Yes']"),
            r"\[responses\] yess: unknown key\. Did you mean yes\?",
        ),
        (
            _with("[responses.x]\nnoo = ['N']"),
            r"\[responses\.x\] noo: unknown key\. Did you mean no\?",
        ),
        (
            MINIMAL.replace("[data]", "[data]\nencoding = 'utf-9'"),
            r"\[data\] encoding = \"utf-9\": is not a text encoding",
        ),
        ("seed = [", r"eval\.toml: not valid TOML"),
    ],
)
def test_invalid_configs(text, match):
    with pytest.raises(ConfigError, match=match) as err:
        parse_config(text, source="eval.toml")
    assert_config_terms(str(err.value))


def test_codebook_key_was_renamed(tmp_path):
    text = MINIMAL.replace('survey = "survey.csv"', 'survey = "survey.csv"\nindicators = "i.csv"')
    with pytest.raises(
        ConfigError, match=r"\[data\] indicators: unknown key \(\[data\] indicators is now called"
    ):
        parse_config(text, source="eval.toml")


def test_wrong_type_for_a_list():
    with pytest.raises(
        ConfigError, match=r'\[design\] covariates = "age": must be a list in brackets'
    ):
        parse_config(
            MINIMAL.replace("baseline_wave = 1", 'baseline_wave = 1\ncovariates = "age"'),
            source="eval.toml",
        )


def test_missing_config_file_suggests_print_config(tmp_path):
    with pytest.raises(ConfigError, match=r"nope\.toml\" not found") as err:
        load_config(tmp_path / "nope.toml")
    assert "mirabal-stats demo --print-config > nope.toml" in str(err.value)


def test_config_that_is_a_folder(tmp_path):
    with pytest.raises(ConfigError, match=r"this is a folder"):
        load_config(tmp_path)


def test_config_not_utf8_names_the_line(tmp_path):
    path = tmp_path / "eval.toml"
    path.write_bytes(MINIMAL.replace("programme", "programm\xe9").encode("latin-1"))
    with pytest.raises(
        ConfigError, match=r"eval\.toml: the config is not UTF-8 text \(byte 0xe9 on line 6\)"
    ):
        load_config(path)


def test_utf8_bom_config_is_accepted(tmp_path):
    path = tmp_path / "eval.toml"
    path.write_bytes("\ufeff".encode() + MINIMAL.encode())
    assert load_config(path).seed == 7
    assert parse_config("\ufeff" + MINIMAL).seed == 7


def test_output_that_is_an_existing_file(tmp_path):
    target = tmp_path / "report"
    target.write_text("not a folder")
    config = parse_config(
        MINIMAL.replace("seed = 7", f"seed = 7\noutput = {toml_value(str(target))}"),
        source="e.toml",
    )
    with pytest.raises(
        ConfigError, match=r"e\.toml: output = .*report\": names an existing file, not a folder"
    ):
        config.check_output()
    with pytest.raises(ConfigError, match=r"--output .*: this is an existing file"):
        parse_config(MINIMAL).with_output(target).check_output()


def test_replace_checks_the_schema():
    config = parse_config(MINIMAL, source="e.toml")
    with pytest.raises(ConfigError, match=r"\[bayes\] drawz: unknown key\. Did you mean draws\?"):
        config.replace("bayes", drawz=3)
    with pytest.raises(ConfigError, match=r"\[bayes\] draws = 3: must be at least 10"):
        config.replace("bayes", draws=3)


def test_schema_help_is_written_for_every_key():
    for table, keys in SCHEMA.items():
        for name, spec in keys.items():
            assert spec.help, f"[{table}] {name} has no help text"
