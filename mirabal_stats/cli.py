"""The ``mirabal-stats`` command line: a thin layer where each subcommand calls one public function.

Subcommands::

    mirabal-stats evaluate CONFIG.toml [--output DIR]   # evaluation report from survey exports
    mirabal-stats demo [--output DIR] [--quick]          # the same on the bundled example
    mirabal-stats reproduce [NAME|all] [--quick]         # published vs reproduced numbers
    mirabal-stats datasets                               # bundled data and their provenance

Exit codes: 0 success; 1 a reproduction fell outside its tolerance (or could not run);
2 invalid command line, config or data (one message on standard error; ``--debug`` shows the
traceback); 3 an unexpected internal error (a bug: please report it with the ``--debug`` output).
Progress messages go to standard error; results go to standard output.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence

from mirabal_stats.exceptions import MirabalError

__all__ = ["main", "build_parser", "EXIT_OK", "EXIT_FAILED", "EXIT_USAGE", "EXIT_INTERNAL"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3


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
    p.add_argument(
        "--quick",
        action="store_true",
        help="tiny MCMC draws: checks the pipeline in about a minute; numbers are rough",
    )
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


def _write_report(config, progress) -> int:
    from mirabal_stats.reporting import evaluate

    report = evaluate(config, progress=progress)
    with progress.step(f"Writing the report to {config.output_dir}"):
        written = report.write(config.output_dir)
    print(report.summary())
    print(f"Report: {written.html}")
    print(f"Tables: {len(written.tables)} CSV files in {written.folder / 'tables'}")
    return EXIT_OK


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from mirabal_stats.reporting import Progress, load_config

    config = load_config(args.config).with_output(args.output)
    return _write_report(config, Progress())


def _cmd_demo(args: argparse.Namespace) -> int:
    from mirabal_stats.reporting import Progress, demo_config

    config = demo_config(quick=args.quick)
    if args.print_config:
        print(config.text, end="")
        return EXIT_OK
    progress = Progress()
    progress.message(
        "Demo: the bundled Mirabal-design example (simulated to match the published "
        "before/after figures; not the study's data)."
    )
    return _write_report(config.with_output(args.output), progress)


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
