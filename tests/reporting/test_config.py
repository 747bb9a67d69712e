"""Config parsing and validation: every error names the key and the fix."""

from __future__ import annotations

import tomllib

import pytest

from mirabal_stats.exceptions import ConfigError
from mirabal_stats.reporting import demo_config, load_config, parse_config

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


def test_minimal_config_fills_defaults():
    config = parse_config(MINIMAL)
    assert config.seed == 7
    assert config.get("design", "estimand") == "ATT"
    assert config.get("bayes", "draws") == 1000
    assert config.ci_level == 0.95
    # No covariates and no person file: weighting and survival are skipped, not errors.
    assert config.get("weighting", "enabled") is False
    assert config.get("survival", "enabled") is False


def test_demo_config_is_valid_and_points_at_bundled_files():
    config = demo_config()
    assert config.get("design", "treated") == "intervention"
    assert config.data_path("survey").is_file()
    assert config.data_path("persons").is_file()
    assert len(config.values["measures"]) == 6
    assert tomllib.loads(config.text)["seed"] == config.seed


def test_quick_demo_overrides_are_recorded():
    config = demo_config(quick=True)
    assert config.get("bayes", "draws") == 40
    assert "# Overridden when run: [bayes] draws = 40" in config.text


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
        ("seed = 1\n", r"Config key \[data\] survey is missing"),
        (MINIMAL.replace("seed = 7", ""), r"Config key 'seed' is missing .* seed = "),
        (_with("[bayes]\ndraw = 10"), r"Unknown config key \[bayes\] draw .*Did you mean 'draws'"),
        ("sede = 3\n" + MINIMAL, r"Unknown config key 'sede' .*Did you mean 'seed'"),
        (_with("[bayes]\ndraws = 'many'"), r"\[bayes\] draws must be an integer .*got 'many'"),
        (_with("[bayes]\ndraws = true"), r"\[bayes\] draws must be an integer"),
        (_with("[bayes]\nchains = 0"), r"\[bayes\] chains must be at least 1"),
        (
            MINIMAL.replace('treated = "programme"', 'treated = "programme"\nestimand = "ATX"'),
            r"\[design\] estimand must be one of 'ATT', 'ATE', 'ATO'",
        ),
        (_with("[sensitivity]\nmnar_odds_ratios = [1, -2]"), r"mnar_odds_ratios .* -2 is not"),
        (
            "ci_level = 95\n" + MINIMAL,
            r"ci_level: ci_level must be a number strictly between 0 and 1",
        ),
        (_with("[survival]\nenabled = true"), r"\[survival\] is enabled but \[data\] persons"),
        (
            _with("[weighting]\nenabled = true"),
            r"\[weighting\] is enabled but \[design\] covariates",
        ),
        (
            _with("[measures]\nsafety = ['a', 'b']\nharm = ['b']"),
            r"Indicator 'b' is listed under both \[measures\] safety and \[measures\] harm",
        ),
        (_with("[measures]\nsafety = 'a'"), r"\[measures\] safety must be a non-empty list"),
        (_with("[survival]\nhorizons = []"), r"\[survival\] horizons must be a non-empty list"),
        ("seed = [", r"is not valid TOML"),
    ],
)
def test_invalid_configs(text, match):
    with pytest.raises(ConfigError, match=match):
        parse_config(text)


def test_missing_config_file(tmp_path):
    with pytest.raises(
        ConfigError, match=r"Config file .*nope.toml' not found.*mirabal-stats demo"
    ):
        load_config(tmp_path / "nope.toml")


def test_replace_rejects_unknown_key():
    with pytest.raises(ConfigError, match=r"Unknown config key \[bayes\] drawz"):
        parse_config(MINIMAL).replace("bayes", drawz=3)
