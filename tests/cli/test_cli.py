"""The command line: exit codes, one-line errors, --debug tracebacks, subcommand output."""

from __future__ import annotations

import tomllib

import pytest

from mirabal_stats import cli
from mirabal_stats.reproductions import Check, Reproduction


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_missing_config_is_a_clear_error(capsys, tmp_path):
    code, out, err = run(capsys, "evaluate", str(tmp_path / "missing.toml"))
    assert code == cli.EXIT_USAGE == 2
    assert "error: Config file" in err and "not found" in err
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
    assert "Unknown config key [bayes] draw" in err and "Did you mean 'draws'" in err


def test_missing_data_file_names_the_key(capsys, tmp_path):
    path = tmp_path / "eval.toml"
    path.write_text(
        'seed = 1\n[data]\nsurvey = "nothere.csv"\n[design]\ntreated = 1\nbaseline_wave = 1\n'
    )
    code, _, err = run(capsys, "evaluate", str(path))
    assert code == 2
    assert "[data] survey names" in err and "nothere.csv" in err


def test_bad_survey_data_is_exit_2(capsys, tmp_path):
    (tmp_path / "s.csv").write_text("id,wave,arm,hit\n1,1,a,yes\n2,1,b,maybe\n")
    path = tmp_path / "eval.toml"
    path.write_text(
        'seed = 1\n[data]\nsurvey = "s.csv"\n[columns]\nperson = "id"\n'
        'group = "arm"\n[design]\ntreated = "a"\nbaseline_wave = 1\n'
        '[measures]\nharm = ["hit"]\n'
    )
    code, _, err = run(capsys, "evaluate", str(path))
    assert code == 2
    assert "maybe" in err
    assert "Traceback" not in err


def test_internal_error_is_exit_3(capsys, monkeypatch):
    import mirabal_stats.reporting as reporting

    def broken(config, progress=None):
        raise RuntimeError("boom")

    monkeypatch.setattr(reporting, "evaluate", broken)
    code, _, err = run(capsys, "demo", "--quick")
    assert code == cli.EXIT_INTERNAL == 3
    assert "internal error: RuntimeError: boom" in err
    assert "This is a bug in mirabal_stats" in err


def test_usage_error_is_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
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
