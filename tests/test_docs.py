"""The docs stay true: every code documented, every example readable by the parser."""

import re

import pytest

from obcdsl.checker import check_text
from obcdsl.diagnostics import CODES

from conftest import ROOT

LANGUAGE = ROOT / "docs" / "language.md"
DIAGNOSTICS = ROOT / "docs" / "diagnostics.md"

# The block an example fragment belongs in, by its first word.
WRAPPERS = {
    "outcome": ("outcomes\n", "\nend\n"),
    "bonus": ("outcomes\n", "\nend\n"),
    "unearned": ("outcomes\n", "\nend\n"),
    "indicator": ('outcomes\noutcome o "O"\n', "\nend\nend\n"),
    "bands": ('outcomes\noutcome o "O"\nindicator i "I"\n', "\nend\nend\nend\n"),
    "target": ('outcomes\noutcome o "O"\nindicator i "I"\n', "\nend\nend\nend\n"),
    "sliding": ('outcomes\noutcome o "O"\nindicator i "I"\n', "\nend\nend\nend\n"),
    "higher": ('outcomes\noutcome o "O"\nindicator i "I"\n', "\nend\nend\nend\n"),
    "measured": ('outcomes\noutcome o "O"\nindicator i "I"\n', "\nend\nend\nend\n"),
    "only": ('outcomes\noutcome o "O"\nindicator i "I"\n', "\nend\nend\nend\n"),
    "term": ('contract "c"\n', "\nend\n"),
    "phase": ("phasing\n", "\nend\n"),
    "shares": ("phasing\nphase p year 1\n", "\nend\nend\n"),
    "up": ("risk share\nlosses\n", "\nend\nend\n"),
    "per": ("risk share\n", "\nend\n"),
    "provider": ("risk share\n", "\nend\n"),
    "item": ("activity\n", "\nend\n"),
    "good": ('outcomes\noutcome o "O"\nindicator i "I"\nbands\n', "\nend\nend\nend\nend\n"),
}
SECTIONS = {"contract", "population", "budget", "payments", "outcomes", "phasing", "risk", "distribution", "activity"}


def obc_blocks(path, only_after=None):
    text = path.read_text(encoding="utf-8")
    blocks = []
    for match in re.finditer(r"```obc\n(.*?)```", text, re.S):
        if only_after is not None:
            before = text[: match.start()].rstrip().splitlines()[-1]
            if not before.startswith(only_after):
                continue
        blocks.append(match.group(1))
    return blocks


def wrapped(block):
    if "..." in block:
        return None
    first = block.split()[0].lower()
    if first in SECTIONS:
        return block
    if first in WRAPPERS:
        head, tail = WRAPPERS[first]
        return head + block + tail
    return None


def syntax_codes(text):
    return [d for d in check_text(text).diagnostics if d.code.startswith("OBC1")]


@pytest.mark.parametrize("block", [b for b in obc_blocks(LANGUAGE) if wrapped(b)], ids=lambda b: b.split("\n")[0][:40])
def test_language_examples_parse(block):
    assert syntax_codes(wrapped(block)) == []


@pytest.mark.parametrize(
    "block", [b for b in obc_blocks(DIAGNOSTICS, only_after="Fixed") if wrapped(b)], ids=lambda b: b.split("\n")[0][:40]
)
def test_fixed_examples_parse(block):
    assert syntax_codes(wrapped(block)) == []


def test_most_examples_are_checked():
    # the wrapping above must not silently skip everything
    assert sum(1 for b in obc_blocks(LANGUAGE) if wrapped(b)) >= 12
    assert sum(1 for b in obc_blocks(DIAGNOSTICS, only_after="Fixed") if wrapped(b)) >= 12


def test_every_code_is_documented():
    text = DIAGNOSTICS.read_text(encoding="utf-8")
    headings = set(re.findall(r"^### (OBC\d{3}):", text, re.M))
    assert headings == set(CODES)


def test_codes_are_documented_with_their_titles():
    text = DIAGNOSTICS.read_text(encoding="utf-8")
    for code, title in CODES.items():
        assert f"### {code}: {title}" in text


def test_language_doc_names_every_section():
    text = LANGUAGE.read_text(encoding="utf-8")
    for section in ("contract", "population", "budget", "payments", "outcomes", "phasing", "risk share", "distribution"):
        assert f"## The `{section}` section" in text
