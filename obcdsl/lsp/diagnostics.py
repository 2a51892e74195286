"""The checker's diagnostics as LSP diagnostics, and their fixes as quick fixes."""

from __future__ import annotations

from lsprotocol import types

from ..diagnostics import Diagnostic, Severity
from .positions import LineIndex

SEVERITIES = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.NOTE: types.DiagnosticSeverity.Information,
}


def message(diagnostic: Diagnostic) -> str:
    """The message (with its clause), then its label, notes and help on lines of their own, as `obcdsl check` shows them."""
    lines = [diagnostic.message + (f" (clause {diagnostic.clause})" if diagnostic.clause else "")]
    if diagnostic.label:
        lines.append(diagnostic.label)
    lines += [f"note: {note}" for note in diagnostic.notes]
    if diagnostic.help:
        lines.append(f"help: {diagnostic.help}")
    return "\n".join(lines)


def to_lsp(diagnostic: Diagnostic, lines: LineIndex, uri: str) -> types.Diagnostic:
    file = diagnostic.span.file if diagnostic.span is not None else None
    related = [
        types.DiagnosticRelatedInformation(types.Location(uri, lines.range(label.span)), label.message)
        for label in diagnostic.related
        if label.span is not None and label.span.file == file
    ]
    return types.Diagnostic(
        range=lines.range(diagnostic.span),
        message=message(diagnostic),
        severity=SEVERITIES[diagnostic.severity],
        code=diagnostic.code,
        source="obcdsl",
        related_information=related or None,
    )


def overlaps(first: types.Range, second: types.Range) -> bool:
    def key(position: types.Position) -> tuple[int, int]:
        return position.line, position.character

    return key(first.start) <= key(second.end) and key(second.start) <= key(first.end)


def quick_fixes(diagnostics: tuple[Diagnostic, ...], lines: LineIndex, uri: str, wanted: types.Range) -> list[types.CodeAction]:
    """A quick fix for each fix of each diagnostic touching the range, each edit checked to lie in the text."""
    actions = []
    for diagnostic in diagnostics:
        if not diagnostic.fixes or not overlaps(lines.range(diagnostic.span), wanted):
            continue
        for fix in diagnostic.fixes:
            edit = types.TextEdit(lines.range(fix.span), fix.replacement)
            actions.append(types.CodeAction(
                title=fix.title,
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[to_lsp(diagnostic, lines, uri)],
                edit=types.WorkspaceEdit(changes={uri: [edit]}),
                is_preferred=len(diagnostic.fixes) == 1,
            ))
    return actions
