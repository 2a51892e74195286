"""Every syntax error in one run: repair each one where it stands, and parse on.

LALR parsers stop at the first token they cannot take. To find the next real
mistake, the text is repaired at the one just reported, in the way that lets
the parser read furthest, and parsed again:

- a character that cannot be read at all is blanked out, and a title left
  open is closed at the end of its line;
- a line whose words do not fit is blanked out (the item is left out), or
  only the word, or the run of marks written with it (`(a)` of `5.1.2(a)`);
- where a block (`outcome`, `indicator`, `bands` ...) is still open when a
  word that opens another begins, an `end` is put in before it.

Repairs are only for finding the errors that follow; nothing is ever built
from a repaired text. Each reported error is one mistake the author made, so
a file with three typos gets three errors; a mistake that makes the rest of
the file unreadable is reported once, with at most `MAX_ERRORS` in all.
"""

from __future__ import annotations

from typing import Callable, Optional

import attrs
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from .diagnostics import Diagnostic
from .source import SourceFile

MAX_ERRORS = 20
REPARSE_BUDGET = 5_000_000  # characters read again in search of further errors: a long contract's worth, many times over
# what stands in for a missing word of each kind while the rest of the file is read
STAND_INS = {"NAME": "missing_name ", "STRING": '"" ', "PERCENT": "0% ", "NUMBER": "0 ", "MONEY": "£0 "}


def first_error(parse: Callable[[str], object], text: str) -> Optional[UnexpectedInput]:
    try:
        parse(text)
    except UnexpectedInput as exc:
        return exc
    return None


def error_offset(exc: Optional[UnexpectedInput], text: str) -> int:
    """How far the parser read: the offset of the error, or past the end when it read everything."""
    if exc is None:
        return len(text) + 1
    if isinstance(exc, UnexpectedToken):
        if exc.token.type == "$END":
            return len(text)
        return exc.token.start_pos or 0
    if isinstance(exc, UnexpectedCharacters):
        return exc.pos_in_stream or 0
    return len(text)


def line_bounds(text: str, offset: int) -> tuple[int, int]:
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    return start, len(text) if end == -1 else end


@attrs.frozen
class Repaired:
    """A repaired text, and where it had words put in (offset, length), to map its offsets back."""

    text: str
    inserted: tuple[tuple[int, int], ...] = ()

    def original(self, offset: int) -> int:
        shift = sum(length for at, length in self.inserted if at <= offset)
        return max(0, offset - shift)

    def insert(self, offset: int, words: str) -> "Repaired":
        return Repaired(self.text[:offset] + words + self.text[offset:], self.inserted + ((offset, len(words)),))

    def blank(self, start: int, end: int) -> "Repaired":
        return Repaired(self.text[:start] + " " * (end - start) + self.text[end:], self.inserted)


def repairs(current: Repaired, exc: UnexpectedInput) -> list[Repaired]:
    """Candidate repairs of one error, each keeping the offsets that follow it (or recording the shift)."""
    text = current.text
    offset = error_offset(exc, text)
    start, end = line_bounds(text, offset)
    if isinstance(exc, UnexpectedCharacters):
        if text[offset: offset + 1] == '"' and '"' not in text[offset + 1: end]:
            return [current.insert(len(text[:end].rstrip()), '"'), current.blank(offset, offset + 1)]  # close the title
        return [current.blank(offset, offset + 1)]
    candidates = []
    if isinstance(exc, UnexpectedToken):
        expected = exc.expected or set()
        if "END" in expected:
            candidates.append(current.insert(offset, "end "))  # close the block still open before this word
        for terminal, words in STAND_INS.items():  # put in what is missing: a name, a title, a number
            if terminal in expected:
                candidates.append(current.insert(offset, words))
    candidates.append(current.blank(start, end))  # leave out the line that does not fit
    token = getattr(exc, "token", None)
    if token is not None and token.end_pos is not None and text[start:end].strip() != str(token).strip():
        candidates.append(current.blank(offset, token.end_pos))  # leave out only the word that does not fit
        run = offset + len(text[offset:end].split()[0]) if text[offset:end].strip() else offset
        if run > token.end_pos:
            candidates.append(current.blank(offset, run))  # leave out what is written with it, as `(a)` of `5.1.2(a)`
    return candidates


def moved(diagnostic: Diagnostic, repaired: Repaired, source: SourceFile) -> Diagnostic:
    """A diagnostic found in a repaired text, with its spans put back on the author's text."""
    if not repaired.inserted:
        return diagnostic

    def back(span):
        if span is None:
            return None
        start, end = repaired.original(span.start), repaired.original(span.end)
        return source.span(min(start, len(source.text)), min(max(end, start), len(source.text)))

    related = tuple(attrs.evolve(label, span=back(label.span)) for label in diagnostic.related)
    fixes = tuple(attrs.evolve(fix, span=back(fix.span)) for fix in diagnostic.fixes)
    return attrs.evolve(diagnostic, span=back(diagnostic.span), related=related, fixes=fixes)


def syntax_errors(source: SourceFile, first: UnexpectedInput, parse: Callable[[str], object],
                  describe: Callable[[SourceFile, UnexpectedInput], Diagnostic]) -> list[Diagnostic]:
    """The first error, and each one after it that a repair of the ones before uncovers.

    `parse` is the parser (it raises lark's UnexpectedInput), `describe` turns an error into its diagnostic.
    """
    syntax_diagnostic = describe
    found = [syntax_diagnostic(source, first)]
    if not source.text[: error_offset(first, source.text)].strip():
        return found  # nothing before the first error reads as a contract: this is not one, and one error says so
    current, exc = Repaired(source.text), first
    budget = REPARSE_BUDGET
    while len(found) < MAX_ERRORS and not isinstance(exc, UnexpectedEOF) and budget > 0:
        if isinstance(exc, UnexpectedToken) and exc.token.type == "$END":
            break  # the file ends too early: nothing follows to find
        before = current.original(error_offset(exc, current.text))
        best: Optional[tuple[int, Repaired, Optional[UnexpectedInput]]] = None
        for candidate in repairs(current, exc):
            budget -= len(candidate.text)
            after = first_error(parse, candidate.text)
            reach = candidate.original(error_offset(after, candidate.text)) if after is not None else len(source.text) + 1
            if best is None or reach > best[0]:
                best = (reach, candidate, after)
        if best is None or best[2] is None:
            break  # the repaired text reads to its end: no more mistakes
        reach, current, following = best
        if following is None:
            break
        exc = following
        if reach <= before:
            break  # no repair reads past this error: the rest cannot be read, and is not reported twice
        found.append(moved(syntax_diagnostic(SourceFile(source.name, current.text), exc), current, source))
    return found
