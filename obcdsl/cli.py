"""The `obcdsl` command line.

Exit codes: 0 when clean, 1 when a contract has errors, 2 for usage or I/O
errors (a file that cannot be found or read).
"""

from __future__ import annotations

import argparse
import sys
from typing import Optional, Sequence

from . import __version__
from .checker import check_path, contract_files
from .diagnostics import Severity
from .render import diagnostics_json, dumps, make_console, print_diagnostics, summary_line

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2


class Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's own exits with 2 too; keep its words short
        self.print_usage(sys.stderr)
        sys.stderr.write(f"obcdsl: error: {message}\n")
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="obcdsl", description="Write, check and settle outcomes-based contracts.")
    parser.add_argument("--version", action="version", version=f"obcdsl {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    check = commands.add_parser("check", help="parse and validate contracts", description="Parse and validate .obc contracts.")
    check.add_argument("paths", nargs="+", metavar="FILE_OR_DIR", help="contract files, or folders to search for .obc files")
    check.add_argument("--format", choices=("text", "json"), default="text", help="text for people (default), json for tools")
    return parser


def run_check(args) -> int:
    files, problems = contract_files(args.paths)
    results = [check_path(f) for f in files]
    io_failure = any(p.severity is Severity.ERROR for p in problems) or any(
        x.code == "OBC001" for r in results for x in r.diagnostics
    )
    errors = sum(1 for r in results for x in r.diagnostics if x.is_error)
    if args.format == "json":
        document = diagnostics_json(results)
        document["problems"] = [p.to_dict() for p in problems]
        sys.stdout.write(dumps(document) + "\n")
    else:
        out = make_console(sys.stdout)
        err = make_console(sys.stderr)
        for problem in problems:
            print_diagnostics(err, [problem], None)
        for result in results:
            print_diagnostics(out, result.diagnostics, result.source)
        warnings = sum(1 for r in results for x in r.diagnostics if x.severity is Severity.WARNING)
        out.print(summary_line(errors, warnings, len(results)))
    if io_failure:
        return EXIT_USAGE
    return EXIT_ERRORS if errors else EXIT_OK


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    try:
        if args.command == "check":
            return run_check(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
    return EXIT_USAGE


def entry_point() -> None:
    sys.exit(main())
