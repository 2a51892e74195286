"""`obcdsl fmt`: the canonical layout, keeping every comment, never changing what a contract means."""

import re

import pytest
from hypothesis import given, strategies as st

from obcdsl.checker import check_text
from obcdsl.cli import main
from obcdsl.format import render
from obcdsl.layout import layout
from obcdsl.testing import contracts

from conftest import BROKEN, CONTRACTS

PARSEABLE = [p for p in sorted(CONTRACTS.glob("*.obc")) + sorted(BROKEN.glob("*.obc")) if layout(p.read_text()) is not None]
COMMENT = re.compile(r"#[^\n]*")


def comments(text):
    return [c.rstrip() for c in COMMENT.findall(text.replace('"#', '"'))]


@pytest.mark.parametrize("path", PARSEABLE, ids=lambda p: p.name)
def test_layout_keeps_meaning_and_comments_and_is_idempotent(path):
    text = path.read_text()
    formatted = layout(text)
    assert check_text(formatted).contract == check_text(text).contract
    assert comments(formatted) == comments(text)
    assert layout(formatted) == formatted


def test_the_bundled_contracts_are_in_the_canonical_layout():
    for path in CONTRACTS.glob("*.obc"):
        assert layout(path.read_text()) == path.read_text(), path.name


MESSY = """# Source: a made-up pilot   
contract "Pilot" commissioner "ICB"   lead provider "Trust"
term 2 years from 2024/25 end
\t
budget baseline £10m   # the 2023/24 spend
      efficiency 4% each year from year 2 end
payments core 80% of budget outcomes pot 20% of budget end
outcomes
outcome access "Access"
# measured monthly
indicator seen "Seen in time" unit percent higher is better
bands good at least 70% pays 50%  excellent at least 90% pays 100% end end end
unearned pot retained by the commissioner end
"""

TIDY = """# Source: a made-up pilot
contract "Pilot"
  commissioner "ICB"
  lead provider "Trust"
  term 2 years from 2024/25
end

budget
  baseline £10m  # the 2023/24 spend
  efficiency 4% each year from year 2
end

payments
  core 80% of budget
  outcomes pot 20% of budget
end

outcomes
  outcome access "Access"
    # measured monthly
    indicator seen "Seen in time"
      unit percent
      higher is better
      bands
        good      at least 70% pays 50%
        excellent at least 90% pays 100%
      end
    end
  end
  unearned pot retained by the commissioner
end
"""


def test_a_messy_contract_is_laid_out():
    assert layout(MESSY) == TIDY
    assert layout(MESSY.replace("\n", "\r\n")) == TIDY
    assert check_text(TIDY).contract == check_text(MESSY).contract


@given(contracts(), st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from(["# note", "# £20,000 (see 4.2)", "#"])), max_size=4))
def test_generated_contracts_with_comments_keep_their_meaning(contract, notes):
    text = render(contract)
    lines = text.splitlines()
    for position, note in notes:  # comments on their own lines, anywhere between lines
        lines.insert(position % (len(lines) + 1), note)
    text = "\n".join(lines) + "\n"
    formatted = layout(text)
    assert formatted is not None
    assert check_text(formatted).contract == check_text(text).contract == contract
    assert sorted(comments(formatted)) == sorted(comments(text))
    assert layout(formatted) == formatted


def test_fmt_command(tmp_path, capsys):
    path = tmp_path / "pilot.obc"
    path.write_text(MESSY)
    assert main(["fmt", "--check", str(path)]) == 1
    assert path.read_text() == MESSY
    assert main(["fmt", "--diff", str(path)]) == 1
    assert "+  commissioner \"ICB\"" in capsys.readouterr().out
    assert main(["fmt", str(path)]) == 0
    assert path.read_text() == TIDY
    assert main(["fmt", "--check", str(path)]) == 0


def test_fmt_leaves_a_file_with_a_syntax_error_alone(tmp_path, capsys):
    path = tmp_path / "broken.obc"
    text = (BROKEN / "OBC101_stray_character.obc").read_text().replace("fmt: skip", "kept")
    path.write_text(text)
    assert main(["fmt", str(path)]) == 1
    assert path.read_text() == text
    assert "error[OBC101]" in capsys.readouterr().err


def test_fmt_leaves_a_file_marked_fmt_skip_as_written(tmp_path, capsys):
    text = (BROKEN / "OBC101_stray_character.obc").read_text()
    assert "fmt: skip" in text.split("\n")[1]
    path = tmp_path / "kept.obc"
    path.write_text(text)
    assert main(["fmt", "--check", str(path)]) == 0
    assert main(["fmt", str(path)]) == 0 and path.read_text() == text
    assert "1 marked `# fmt: skip`" in capsys.readouterr().err
    path.write_text(text.replace("fmt: skip", "kept"))
    assert main(["fmt", "--check", str(path)]) == 1  # without the mark, a syntax error fails the check


def test_the_tests_and_contracts_folders_are_in_the_canonical_layout():
    """The issue's check: `obcdsl fmt --check contracts/ tests/` passes (the examples of syntax errors, which must
    keep their form, are marked `fmt: skip`)."""
    assert main(["fmt", "--check", str(CONTRACTS), str(BROKEN.parent)]) == 0


def test_fmt_of_a_missing_file_is_a_usage_error(capsys):
    assert main(["fmt", "no/such/file.obc"]) == 2
