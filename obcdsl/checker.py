"""The checking pipeline: file bytes → text → AST (parsed and built in one pass) → checks.

`check_path` and `check_text` never raise for a problem in the input: every
problem, from an unreadable file to a band that pays less than the one
below it, comes back as a diagnostic.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import attrs
from lark.exceptions import UnexpectedInput

from . import ast
from . import diagnostics as d
from .builder import read_contract
from .checks import run_checks
from .data import collector_paused
from .diagnostics import Diagnostic, has_errors, sort_key
from .parser import parse_tree
from .source import SourceFile, Span

MAX_FILE_BYTES = 8 * 1024 * 1024


@attrs.frozen
class CheckResult:
    """A checked file: its source, its AST (None if it did not parse) and all diagnostics."""

    path: str
    source: Optional[SourceFile]
    contract: Optional[ast.Contract]
    diagnostics: tuple[Diagnostic, ...]

    @property
    def ok(self) -> bool:
        return not has_errors(self.diagnostics)


def decode(data: bytes, name: str) -> tuple[Optional[SourceFile], list[Diagnostic]]:
    """Bytes to text, or a diagnostic saying why the bytes are not a contract's text."""
    if len(data) > MAX_FILE_BYTES:
        return None, [
            d.error(
                "OBC003",
                f"the file is {len(data):,} bytes; contracts are read up to {MAX_FILE_BYTES:,} bytes",
                Span(name, 0, 0, 1, 1, 1, 1),
                help="is this the contract file? a contract is a short text file",
            )
        ]
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    nul = data.find(b"\x00")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        good = data[: exc.start].decode("utf-8", errors="replace")
        source = SourceFile(name, good)
        span = source.span(len(good), len(good))
        return None, [
            d.error(
                "OBC002",
                f"byte 0x{data[exc.start]:02x} at offset {exc.start} is not UTF-8 text",
                span,
                help="save the contract as UTF-8 text (in most editors: Save As, Encoding: UTF-8)",
            )
        ]
    if nul != -1:
        source = SourceFile(name, text)
        char_offset = len(data[:nul].decode("utf-8"))
        return None, [
            d.error(
                "OBC002",
                "the file contains binary data, not text",
                source.span(char_offset, char_offset + 1),
                help="is this the contract file? a contract is plain text",
            )
        ]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return SourceFile(name, text), []


def check_text(text: str, name: str = "<text>") -> CheckResult:
    """Check a contract given as text."""
    source = SourceFile(name, text.replace("\r\n", "\n").replace("\r", "\n"))
    return check_source(source, name)


def check_bytes(data: bytes, name: str) -> CheckResult:
    source, problems = decode(data, name)
    if source is None:
        return CheckResult(name, None, None, tuple(problems))
    return check_source(source, name)


def check_source(source: SourceFile, name: str) -> CheckResult:
    # a long contract makes hundreds of thousands of objects and almost no cycles: the collector would walk them
    # all again and again (a third of the time for 5,000 indicators), so it rests until the check is done
    with collector_paused():
        return check_parsed(source, name)


def check_parsed(source: SourceFile, name: str) -> CheckResult:
    try:
        contract, problems = read_contract(source)
    except UnexpectedInput:
        # read again as a parse tree, which the search for every further syntax error repairs and re-reads
        _, syntax = parse_tree(source)
        return CheckResult(name, source, None, tuple(syntax))
    found = list(problems)
    if not has_errors(found):
        found += run_checks(contract)
    else:
        # A contract that did not build cleanly is still checked for what can be checked,
        # but a missing piece must not be reported twice.
        found += [x for x in run_checks(contract) if x.code not in ("OBC203",)]
    return CheckResult(name, source, contract, tuple(sorted(found, key=sort_key)))


def check_path(path: str | os.PathLike) -> CheckResult:
    """Check one contract file."""
    name = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return CheckResult(name, None, None, (d.error("OBC001", f"cannot read `{name}`: {reason.lower()}", None),))
    return check_bytes(data, name)


def contract_files(paths: list[str]) -> tuple[list[str], list[Diagnostic]]:
    """Expand directories into the `.obc` files below them, in a stable order."""
    files: list[str] = []
    problems: list[Diagnostic] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(str(p) for p in path.rglob("*.obc") if p.is_file())
            if not found:
                problems.append(d.warning("OBC001", f"no `.obc` files in `{raw}`", None))
            files.extend(found)
        elif path.exists():
            files.append(raw)
        else:
            where = "" if path.is_absolute() else f"; paths are read from {Path.cwd()}"
            problems.append(d.error("OBC001", f"no such file or folder: `{raw}`", None,
                                    help=f"check the name{where}"))
    return files, problems
