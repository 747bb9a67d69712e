"""The ``mirabal-stats`` command line: a thin layer where each subcommand calls one public function.

Subcommands::

    mirabal-stats evaluate CONFIG.toml [--output DIR] [--quick] [--draws N] [--tune N] [--chains N]
    mirabal-stats check CONFIG.toml                      # validate config and data; fit nothing
    mirabal-stats demo [--output DIR] [--quick] [--print-config]
    mirabal-stats reproduce [NAME|all] [--quick]         # published vs reproduced numbers
    mirabal-stats datasets                               # bundled data and their provenance

Exit codes:

- 0: every analysis step ran (``evaluate``, ``demo``), the config and data are valid (``check``),
  every reproduction passed (``reproduce``);
- 1: some analysis steps could not run on these data (the report is written and says why), or a
  reproduction fell outside its tolerance;
- 2: a user error in the command line, the config or the data: one message naming the file, the
  key, the value and the fix (``--debug`` adds the traceback); nothing is analysed;
- 3: an internal error, i.e. a bug in mirabal_stats (please report it with the ``--debug``
  output); when it happens inside one analysis step the rest of the report is still written and
  the traceback is in its log file.

Progress messages go to standard error; results go to standard output.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence

from mirabal_stats.exceptions import MirabalError

__all__ = ["main", "build_parser", "EXIT_OK", "EXIT_FAILED", "EXIT_USAGE", "EXIT_INTERNAL"]

EXIT_OK = 0  # everything ran
EXIT_FAILED = 1  # some analysis steps could not run (or a reproduction failed)
EXIT_USAGE = 2  # user error: command line, config or data
EXIT_INTERNAL = 3  # a bug in mirabal_stats


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for the docs and the tests)."""
    parser = argparse.ArgumentParser(
        prog="mirabal-stats",
        description="Evaluate a social programme against a comparison group from survey "
        "exports, and reproduce the published examples.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    debug = argparse.ArgumentParser(add_help=False)
    debug.add_argument(
        "--debug", action="store_true", help="show the full traceback when something goes wrong"
    )

    p = sub.add_parser(
        "evaluate",
        parents=[debug],
        help="write an evaluation report from a config",
        description="Run the analyses in CONFIG.toml and write report.html, "
        "tables/*.csv, config.toml and provenance.json to the output folder.",
    )
    p.add_argument("config", metavar="CONFIG.toml", help="the evaluation config (TOML)")
    p.add_argument(
        "--output", "-o", metavar="DIR", help="output folder (overrides `output` in the config)"
    )
    _sampling_options(p)

    p = sub.add_parser(
        "check",
        parents=[debug],
        help="validate a config and its data, and say what would be analysed (fits nothing)",
        description="Read CONFIG.toml and the files it names exactly as `evaluate` would, check "
        "them, and print what would be analysed: persons per group, waves, indicators per "
        "measure, answer codes (missing codes counted), covariates, how the survey and the "
        "person file agree, and which analyses will run. Nothing is fitted.",
    )
    p.add_argument("config", metavar="CONFIG.toml", help="the evaluation config (TOML)")

    p = sub.add_parser(
        "demo",
        parents=[debug],
        help="evaluate the bundled Mirabal-design example",
        description="Run `evaluate` on the bundled Mirabal-design example with the "
        "config shipped in the package (a simulation matched to the published "
        "figures, not the study's data).",
    )
    p.add_argument(
        "--output",
        "-o",
        metavar="DIR",
        default="mirabal_demo_report",
        help="output folder (default: %(default)s)",
    )
    _sampling_options(p)
    p.add_argument(
        "--print-config",
        action="store_true",
        help="print the demo config (a template for your own) and exit",
    )

    p = sub.add_parser(
        "reproduce",
        parents=[debug],
        help="reproduce published numbers",
        description="Run reproduction examples and print, for each, the published "
        "value, ours, the tolerance and pass/fail.",
    )
    p.add_argument(
        "name",
        nargs="?",
        default="all",
        metavar="NAME|all",
        help="a reproduction name (see `--list`) or 'all' (default)",
    )
    p.add_argument("--quick", action="store_true", help="fewer MCMC draws (still must pass)")
    p.add_argument("--list", action="store_true", help="list the reproductions and exit")

    sub.add_parser("datasets", parents=[debug], help="list bundled data sets with provenance")
    return parser


def _sampling_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--quick",
        action="store_true",
        help="tiny MCMC settings to check the whole pipeline quickly; the report and the "
        "terminal are labelled 'not for reporting'",
    )
    p.add_argument(
        "--draws", type=int, metavar="N", help="posterior draws per chain ([bayes] draws)"
    )
    p.add_argument("--tune", type=int, metavar="N", help="tuning steps per chain ([bayes] tune)")
    p.add_argument("--chains", type=int, metavar="N", help="number of chains ([bayes] chains)")


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("mirabal_stats")
    except metadata.PackageNotFoundError:
        return "(not installed)"


def _err(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mirabal-stats`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    # Figures are only ever written to files: never try to open a window.
    import matplotlib

    matplotlib.use("Agg")
    commands = {
        "evaluate": _cmd_evaluate,
        "check": _cmd_check,
        "demo": _cmd_demo,
        "reproduce": _cmd_reproduce,
        "datasets": _cmd_datasets,
    }
    try:
        return commands[args.command](args)
    except MirabalError as err:
        if args.debug:
            traceback.print_exc()
        _err(f"mirabal-stats {args.command}: error: {err}")
        if not args.debug:
            _err("(run again with --debug to see the traceback)")
        return EXIT_USAGE
    except KeyboardInterrupt:
        _err("mirabal-stats: interrupted.")
        return 130
    except Exception as err:  # a bug, not a user error: say so and point to --debug
        if args.debug:
            traceback.print_exc()
        _err(
            f"mirabal-stats {args.command}: internal error: {type(err).__name__}: {err}\n"
            "This is a bug in mirabal_stats, not in your data. Please report it with the output "
            "of the same command run with --debug."
        )
        return EXIT_INTERNAL


_EXIT_TEXT = {
    EXIT_OK: "every analysis step ran",
    EXIT_FAILED: "some analysis steps could not run on these data (see above and the report)",
    EXIT_INTERNAL: "an internal error (a bug in mirabal_stats) stopped a step; the rest of the "
    "report was written and the traceback is in its log file; please report it",
}


def _with_sampling(config, args: argparse.Namespace):
    from mirabal_stats.reporting.demo import QUICK_BAYES

    if args.quick:
        config = config.with_quick(QUICK_BAYES)
    overrides = {
        k: getattr(args, k) for k in ("draws", "tune", "chains") if getattr(args, k) is not None
    }
    if overrides:
        config = config.replace("bayes", **overrides)
    return config


def _write_report(config, progress, *, debug: bool) -> int:
    from mirabal_stats.reporting import evaluate

    if config.quick:
        progress.message("QUICK RUN: not for reporting (tiny MCMC settings).")
    report = evaluate(config, progress=progress, debug=debug)
    with progress.step(f"Writing the report to {config.output_dir}"):
        written = report.write(config.output_dir)
    print(report.summary())
    print(f"Report: {written.html}")
    print(f"Tables: {len(written.tables)} CSV files in {written.folder / 'tables'}")
    print(f"Log (library warnings, timings): {written.log}")
    code = report.exit_code
    print(f"Exit status {code}: {_EXIT_TEXT[code]}.")
    if report.quick:
        _err(report.quick)
    return code


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from mirabal_stats.reporting import Progress, load_config

    config = _with_sampling(load_config(args.config).with_output(args.output), args)
    return _write_report(config, Progress(), debug=args.debug)


def _cmd_check(args: argparse.Namespace) -> int:
    from mirabal_stats.reporting import load_config
    from mirabal_stats.reporting.check import check_config

    print(check_config(load_config(args.config)).text)
    return EXIT_OK


def _cmd_demo(args: argparse.Namespace) -> int:
    from mirabal_stats.reporting import Progress, demo_config

    config = demo_config()
    if args.print_config:
        print(config.text, end="")
        return EXIT_OK
    config = _with_sampling(config, args)
    progress = Progress()
    progress.message(
        "Demo: the bundled Mirabal-design example (simulated to match the published "
        "before/after figures; not the study's data)."
    )
    return _write_report(config.with_output(args.output), progress, debug=args.debug)


def _cmd_reproduce(args: argparse.Namespace) -> int:
    from mirabal_stats.reporting import Progress
    from mirabal_stats.reproductions import REPRODUCTIONS, run_reproduction

    if args.list:
        for name, (_, description) in REPRODUCTIONS.items():
            print(f"{name:20s} {description}")
        return EXIT_OK
    if args.name != "all" and args.name not in REPRODUCTIONS:
        raise MirabalError(
            f"Unknown reproduction {args.name!r}. Choose one of {', '.join(REPRODUCTIONS)} "
            "or 'all' (see `mirabal-stats reproduce --list`)."
        )
    names = list(REPRODUCTIONS) if args.name == "all" else [args.name]
    progress = Progress()
    verdicts = {}
    for name in names:
        with progress.step(f"Reproducing {name}{' (quick)' if args.quick else ''}"):
            try:
                result = run_reproduction(name, quick=args.quick)
            except ModuleNotFoundError as err:
                if err.name != f"mirabal_stats.reproductions.{REPRODUCTIONS[name][0]}":
                    raise
                verdicts[name] = "NOT AVAILABLE"
                print(f"{name}: not available in this installation.\n")
                continue
        verdicts[name] = "PASS" if result.passed else "FAIL"
        print(result.summary())
        print()
    print("Summary: " + ", ".join(f"{n} {v}" for n, v in verdicts.items()))
    return EXIT_OK if all(v == "PASS" for v in verdicts.values()) else EXIT_FAILED


def _cmd_datasets(args: argparse.Namespace) -> int:
    from mirabal_stats.datasets import list_datasets

    table = list_datasets()
    for row in table.itertuples(index=False):
        print(f"{row.name}  ({row.loader})")
        print(f"    {row.description}")
        print(f"    source:   {row.source}")
        print(f"    citation: {row.citation}")
        print(f"    licence:  {row.licence}")
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
