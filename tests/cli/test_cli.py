"""The command line: exit codes, one-line errors, --debug tracebacks, subcommand output."""

from __future__ import annotations

import tomllib

import pytest

from mirabal_stats import cli
from mirabal_stats.reproductions import Check, Reproduction
from tests.reporting.conftest import write_study


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_missing_config_is_a_clear_error(capsys, tmp_path):
    code, out, err = run(capsys, "evaluate", str(tmp_path / "missing.toml"))
    assert code == cli.EXIT_USAGE == 2
    assert "error: Config file" in err and "not found" in err
    assert "mirabal-stats demo --print-config > missing.toml" in err
    assert "Traceback" not in err
    assert "--debug" in err


def test_debug_shows_traceback(capsys, tmp_path):
    code, _, err = run(capsys, "evaluate", str(tmp_path / "missing.toml"), "--debug")
    assert code == 2
    assert "Traceback (most recent call last)" in err


def test_invalid_key_names_key_and_fix(capsys, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(
        'seed = 1\n[data]\nsurvey = "s.csv"\n[design]\ntreated = 1\n'
        "baseline_wave = 1\n[bayes]\ndraw = 5\n"
    )
    code, _, err = run(capsys, "evaluate", str(path))
    assert code == 2
    assert "[bayes] draw: unknown key. Did you mean draws?" in err


def test_missing_data_file_names_the_key(capsys, tmp_path):
    path = tmp_path / "eval.toml"
    path.write_text(
        'seed = 1\n[data]\nsurvey = "nothere.csv"\n[design]\ntreated = 1\nbaseline_wave = 1\n'
    )
    code, _, err = run(capsys, "evaluate", str(path))
    assert code == 2
    assert '[data] survey = "nothere.csv": the file' in err and "does not exist" in err


def test_bad_survey_data_is_exit_2(capsys, tmp_path):
    (tmp_path / "s.csv").write_text("id,wave,arm,hit\n1,1,a,yes\n2,1,b,maybe\n1,2,a,no\n")
    path = tmp_path / "eval.toml"
    path.write_text(
        'seed = 1\n[data]\nsurvey = "s.csv"\n[columns]\nperson = "id"\n'
        'group = "arm"\n[design]\ntreated = "a"\nbaseline_wave = 1\n'
        '[measures]\nharm = ["hit"]\n'
    )
    code, _, err = run(capsys, "evaluate", str(path))
    assert code == 2
    assert '"maybe" (1 cells)' in err and "[responses.hit]" in err
    assert "Traceback" not in err


def test_internal_error_is_exit_3(capsys, monkeypatch):
    import mirabal_stats.reporting as reporting

    def broken(config, progress=None, debug=False):
        raise RuntimeError("boom")

    monkeypatch.setattr(reporting, "evaluate", broken)
    code, _, err = run(capsys, "demo", "--quick")
    assert code == cli.EXIT_INTERNAL == 3
    assert "internal error: RuntimeError: boom" in err
    assert "This is a bug in mirabal_stats" in err


def test_usage_error_is_exit_2(capsys):
    with pytest.raises(SystemExit, match="^2$") as exc:
        cli.main(["frobnicate"])
    assert exc.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_datasets_lists_provenance(capsys):
    code, out, _ = run(capsys, "datasets")
    assert code == 0
    assert "rossi" in out and "citation:" in out and "licence:" in out


def test_demo_print_config_is_valid_toml(capsys):
    code, out, _ = run(capsys, "demo", "--print-config")
    assert code == 0
    assert tomllib.loads(out)["design"]["treated"] == "intervention"


def test_reproduce_list(capsys):
    code, out, _ = run(capsys, "reproduce", "--list")
    assert code == 0
    assert "rossi_cox" in out and "lalonde_att" in out


def test_reproduce_unknown_name(capsys):
    code, _, err = run(capsys, "reproduce", "nonesuch")
    assert code == 2
    assert "Unknown reproduction 'nonesuch'" in err


def _fake(passed: bool) -> Reproduction:
    reproduced = 1.0 if passed else 2.0
    return Reproduction(
        name="fake",
        title="Fake study",
        source="Author (2000)",
        checks=(Check("hazard ratio", 1.0, reproduced, 0.1, "rounding"),),
    )


@pytest.mark.parametrize(("passed", "expected"), [(True, 0), (False, 1)])
def test_reproduce_exit_code_follows_verdict(capsys, monkeypatch, passed, expected):
    import mirabal_stats.reproductions as reproductions

    monkeypatch.setattr(reproductions, "REPRODUCTIONS", {"fake": ("fake", "a fake")})
    monkeypatch.setattr(reproductions, "run_reproduction", lambda name, quick: _fake(passed))
    code, out, err = run(capsys, "reproduce", "fake", "--quick")
    assert code == expected
    assert "Fake study" in out and "published" in out and "tolerance" in out
    assert f"fake {'PASS' if passed else 'FAIL'}" in out
    assert "Reproducing fake (quick)" in err


# --------------------------------------------------------------------------- check, --quick, --draws
def test_check_describes_and_fits_nothing(capsys, tmp_path):
    path = write_study(tmp_path, covariates=["age"], extra="[weighting]\nenabled = true\n")
    code, out, err = run(capsys, "check", str(path))
    assert code == 0, err
    assert 'Persons: 54 (30 in the programme group "intervention", 24 in the comparison' in out
    assert "Waves (6, in time order): 1, 2, 3, 4, 5, 6; baseline (before the programme): 1." in out
    assert "  safety (2): slapped_pushed (-), injured (-)" in out
    assert "Covariates: age (from the person file)." in out
    assert "will run  Estimating propensity weights and balance" in out
    assert "skipped   Sampling the Bayesian indicator model" in out
    assert "not estimable: only one wave (the baseline) before the programme" in out
    assert "Nothing was fitted." in out
    assert not (tmp_path / "evaluation_report").exists()


def test_check_reports_config_mistakes_like_evaluate(capsys, tmp_path):
    path = write_study(tmp_path)
    path.write_text(
        path.read_text().replace('treated = "intervention"', 'treated = "interventoin"')
    )
    code, _, err = run(capsys, "check", str(path))
    assert code == 2
    assert '[design] treated = "interventoin": no person in survey.csv' in err
    assert 'Did you mean "intervention"?' in err


def test_check_accepts_a_bom_and_refuses_latin1(capsys, tmp_path):
    path = write_study(tmp_path)
    text = path.read_text()
    path.write_bytes("\ufeff".encode() + text.encode())
    assert run(capsys, "check", str(path))[0] == 0
    path.write_bytes(text.replace("Small study", "Petite \xe9tude").encode("latin-1"))
    code, _, err = run(capsys, "check", str(path))
    assert code == 2
    assert "the config is not UTF-8 text (byte 0xe9 on line 2)" in err


def test_quick_run_is_labelled_not_for_reporting(capsys, tmp_path):
    path = write_study(tmp_path / "s")
    code, out, err = run(capsys, "evaluate", str(path), "--quick", "--output", str(tmp_path / "o"))
    assert code == 0, err
    assert "QUICK RUN: not for reporting" in err
    assert "QUICK RUN, NOT FOR REPORTING" in out
    page = (tmp_path / "o" / "report.html").read_text()
    assert '<div class="banner" role="alert">QUICK RUN, NOT FOR REPORTING' in page
    config = (tmp_path / "o" / "config.toml").read_text()
    assert "# Overridden when run: [bayes] draws = 40, tune = 40, chains = 2" in config


def test_draws_and_chains_overrides(capsys, tmp_path):
    path = write_study(tmp_path / "s")
    code, _, err = run(
        capsys, "evaluate", str(path), "--draws", "300", "--chains", "3", "-o", str(tmp_path / "o")
    )
    assert code == 0, err
    config = (tmp_path / "o" / "config.toml").read_text()
    assert "# Overridden when run: [bayes] draws = 300, chains = 3" in config
    code, _, err = run(capsys, "evaluate", str(path), "--draws", "5")
    assert code == 2
    assert "[bayes] draws = 5: must be at least 10" in err
