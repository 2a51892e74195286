"""The one renderer of diagnostics: rustc-style text for people, JSON for tools.

The CLI, the JSON output and any editor integration all go through here.
"""

from __future__ import annotations

import json
from typing import Iterable, Optional

from rich.console import Console
from rich.text import Text

from .diagnostics import Diagnostic, Severity
from .source import SourceFile

STYLES = {
    Severity.ERROR: "bold red",
    Severity.WARNING: "bold yellow",
    Severity.NOTE: "bold cyan",
}


def render_text(diagnostic: Diagnostic, source: Optional[SourceFile]) -> Text:
    """One diagnostic as rich text (plain text when the console has no colour)."""
    out = Text()
    style = STYLES[diagnostic.severity]
    out.append(f"{diagnostic.severity.value}[{diagnostic.code}]", style=style)
    out.append(f": {diagnostic.message}\n", style="bold")
    span = diagnostic.span
    if span is None:
        for note in diagnostic.notes:
            out.append(f"  = note: {note}\n")
        if diagnostic.help:
            out.append("  = help: ", style="bold")
            out.append(f"{diagnostic.help}\n")
        return out
    gutter = len(str(max(span.line, *(r.place.line for r in diagnostic.related)) if diagnostic.related else span.line))
    pad = " " * gutter
    out.append(f"{pad}--> ", style="bold blue")
    where = f"{span.file}:{span.line}:{span.column}"
    if diagnostic.clause:
        where += f" (clause {diagnostic.clause})"
    out.append(where + "\n")
    if source is not None:
        out.append(f"{pad} |\n", style="bold blue")
        snippets = [(span, diagnostic.label, style)]
        snippets += [(r.place, r.message, "bold blue") for r in diagnostic.related if r.place.file == span.file]
        by_line: dict[int, list] = {}
        for snippet in snippets:
            by_line.setdefault(snippet[0].line, []).append(snippet)
        previous = None
        for line in sorted(by_line):
            if previous is not None and line > previous + 1:
                out.append(f"{pad}...\n", style="bold blue")  # lines in between are left out
            marks = sorted(by_line[line], key=lambda s: s[0].column, reverse=True)
            append_snippet(out, source, line, marks, gutter)
            previous = line
        out.append(f"{pad} |\n", style="bold blue")
    for note in diagnostic.notes:
        out.append(f"{pad} = ", style="bold blue")
        out.append(f"note: {note}\n")
    if diagnostic.help:
        out.append(f"{pad} = ", style="bold blue")
        out.append("help: ", style="bold")
        out.append(f"{diagnostic.help}\n")
    return out


def append_snippet(out: Text, source: SourceFile, line: int, marks: list, gutter: int) -> None:
    """A source line, then one caret line per mark, the rightmost first."""
    line_text = source.line_text(line).replace("\t", " ")
    shown = line_text if len(line_text) <= 160 else line_text[:157] + "..."
    out.append(f"{line:>{gutter}} | ", style="bold blue")
    out.append(shown + "\n")
    for span, label, style in marks:
        start = min(span.column - 1, len(shown))
        if span.end_line == span.line:
            width = max(1, span.end_column - span.column)
        else:
            width = max(1, len(line_text) - start)
        width = max(1, min(width, max(1, len(shown) - start)))
        out.append(" " * gutter + " | ", style="bold blue")
        out.append(" " * start + "^" * width, style=style)
        if label:
            out.append(" " + label, style=style)
        out.append("\n")


def summary_line(errors: int, warnings: int, files: int) -> str:
    def plural(n, word):
        return f"{n} {word}{'' if n == 1 else 's'}"

    if errors == 0 and warnings == 0:
        return f"{plural(files, 'contract')} checked: no problems found"
    return f"{plural(files, 'contract')} checked: {plural(errors, 'error')}, {plural(warnings, 'warning')}"


def diagnostics_json(results) -> dict:
    """The `--format json` document for a list of CheckResults."""
    files = []
    errors = warnings = 0
    for result in results:
        items = [x.to_dict() for x in result.diagnostics]
        errors += sum(1 for x in result.diagnostics if x.severity is Severity.ERROR)
        warnings += sum(1 for x in result.diagnostics if x.severity is Severity.WARNING)
        files.append({"path": result.path, "ok": result.ok, "diagnostics": items})
    return {
        "version": 1,
        "files": files,
        "summary": {"files": len(files), "errors": errors, "warnings": warnings},
    }


def dumps(document) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=False)


def make_console(stream=None, force_terminal: Optional[bool] = None) -> Console:
    """A console that colours only a terminal, and never under NO_COLOR."""
    import os

    no_colour = "NO_COLOR" in os.environ or force_terminal is False
    return Console(
        file=stream,
        force_terminal=force_terminal,
        no_color=no_colour,
        highlight=False,
        soft_wrap=True,
        emoji=False,
        color_system=None if no_colour else "auto",
    )


def print_diagnostics(console: Console, diagnostics: Iterable[Diagnostic], source: Optional[SourceFile]) -> None:
    for diagnostic in diagnostics:
        console.print(render_text(diagnostic, source))
