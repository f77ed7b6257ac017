"""`aigw report diff|matrix`: compare two report.json files, or put several targets' reports side by side."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from aigw_conformance import exit_codes
from aigw_conformance.commands import UsageError
from aigw_conformance.reports.diff import diff_reports, render_diff_markdown
from aigw_conformance.reports.json_writer import load_json
from aigw_conformance.reports.matrix import write_matrix
from aigw_conformance.reports.model import Report


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `report` and its subcommands on the `aigw` parser."""
    report = sub.add_parser("report", help="work with written reports (diff, matrix)")
    actions = report.add_subparsers(dest="report_command", required=True)
    diff = actions.add_parser("diff", help="compare two report.json files: regressions, fixes, new tests",
                              epilog=exit_codes.epilog("report"), formatter_class=argparse.RawDescriptionHelpFormatter)
    diff.add_argument("base", help="the report.json to compare against")
    diff.add_argument("new", help="the newer report.json")
    diff.add_argument("--format", choices=("md", "json"), default="md", help="output format (default: md)")
    diff.add_argument("--strict", action="store_true",
                      help="a regression only on inferred spec elements also exits 1")
    matrix = actions.add_parser("matrix", help="several targets' reports side by side: matrix.html, matrix.md")
    matrix.add_argument("reports", nargs="+", metavar="REPORT.json", help="report.json files, one per target")
    matrix.add_argument("--out", default="reports/matrix", help="output directory (default: reports/matrix)")


def load_report(path: str) -> Report:
    """Load one report.json, turning every way it can be unreadable into a UsageError (exit 2)."""
    try:
        return load_json(Path(path))
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror or error}") from error
    except json.JSONDecodeError as error:
        raise UsageError(f"{path} is not JSON: {error}") from error
    except (ValueError, TypeError, AttributeError, KeyError, RecursionError) as error:
        raise UsageError(f"{path} is not a usable aigw report: {error}") from error


def diff(args: argparse.Namespace) -> int:
    result = diff_reports(load_report(args.base), load_report(args.new))
    regressed = result.gate_failed(strict=args.strict)
    if args.format == "json":
        data: dict[str, Any] = {"regressed": regressed, **result.to_dict()}
        print(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        print(render_diff_markdown(result, strict=args.strict), end="")
    return 1 if regressed else 0


def matrix(args: argparse.Namespace) -> int:
    reports = [load_report(path) for path in args.reports]
    try:
        written = write_matrix(reports, Path(args.out))
    except OSError as error:
        raise UsageError(f"cannot write to {args.out}: {error.strerror or error}") from error
    for kind, path in written.items():
        print(f"{kind:<9} {path}")
    return 0


def run(args: argparse.Namespace) -> int:
    return diff(args) if args.report_command == "diff" else matrix(args)
