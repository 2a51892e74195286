"""No input, however malformed, produces anything but diagnostics."""

import random
import subprocess
import sys

import pytest
from hypothesis import given, strategies as st

from obcdsl.checker import MAX_FILE_BYTES, check_bytes, check_path, check_text
from obcdsl.diagnostics import Diagnostic

from conftest import BROKEN, CONTRACTS

TESTS = BROKEN.parent
# every file under contracts/ and tests/ (data and Python files too: to the checker they are just bytes)
SAMPLES = sorted(
    p for root in (CONTRACTS, TESTS) for p in root.rglob("*")
    if p.is_file() and "__pycache__" not in p.parts and ".hypothesis" not in p.parts
)


def assert_only_diagnostics(result):
    assert all(isinstance(d, Diagnostic) for d in result.diagnostics)
    if result.contract is None:
        assert not result.ok, "a contract that did not parse must carry an error"


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_truncated_at_every_97th_byte(path):
    data = path.read_bytes()
    for cut in range(0, len(data), 97):
        assert_only_diagnostics(check_bytes(data[:cut], f"{path.name}[:{cut}]"))


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_random_byte_flips(path):
    data = path.read_bytes()
    rng = random.Random(path.name)
    for trial in range(40):
        mutated = bytearray(data)
        for _ in range(rng.randint(1, 6) if mutated else 0):  # an empty file (a package's __init__.py) has no byte to flip
            index = rng.randrange(len(mutated))
            mutated[index] = rng.randrange(256)
        assert_only_diagnostics(check_bytes(bytes(mutated), f"{path.name}#{trial}"))


@given(st.sampled_from(SAMPLES), st.data())
def test_hypothesis_mutations(path, data):
    original = path.read_bytes()
    start = data.draw(st.integers(0, len(original)))
    end = data.draw(st.integers(start, min(len(original), start + 40)))
    insert = data.draw(st.binary(max_size=12) | st.sampled_from([b"end", b"(", b"%", b"\xc2\xa3", b"\n", b" clause ", b"not "]))
    assert_only_diagnostics(check_bytes(original[:start] + insert + original[end:], path.name))


@given(st.text(max_size=300))
def test_arbitrary_text(text):
    assert_only_diagnostics(check_text(text))


def codes(result):
    return {d.code for d in result.diagnostics}


def test_empty_file():
    result = check_bytes(b"", "empty.obc")
    assert "OBC203" in codes(result) and not result.ok


def test_binary_file():
    result = check_bytes(bytes(range(256)) * 4, "binary.obc")
    assert codes(result) == {"OBC002"}


def test_nul_byte_in_text():
    result = check_bytes(b'contract "x"\x00 end', "nul.obc")
    assert codes(result) == {"OBC002"}
    assert result.diagnostics[0].span.column == 13


def test_wrong_encoding_names_the_line():
    text = 'contract "x"\n  commissioner "Caf\xe9 CCG"\nend\n'.encode("latin-1")
    result = check_bytes(text, "latin1.obc")
    (diagnostic,) = result.diagnostics
    assert diagnostic.code == "OBC002"
    assert (diagnostic.span.line, diagnostic.span.column) == (2, 20)


def test_utf8_bom_is_accepted():
    data = b"\xef\xbb\xbf" + (CONTRACTS / "monitor_staged_linking.obc").read_bytes()
    assert check_bytes(data, "bom.obc").ok


def test_windows_line_endings_are_accepted():
    data = (CONTRACTS / "monitor_staged_linking.obc").read_bytes().replace(b"\n", b"\r\n")
    assert check_bytes(data, "crlf.obc").ok


def test_huge_file_is_refused_with_a_diagnostic():
    result = check_bytes(b"#" * (MAX_FILE_BYTES + 1), "huge.obc")
    assert codes(result) == {"OBC003"}


def test_large_but_acceptable_file():
    # a long run of comments and blank sections still parses
    text = ("# a comment line that says nothing\n" * 20000) + (CONTRACTS / "monitor_staged_linking.obc").read_text()
    assert check_text(text).ok


@pytest.mark.parametrize("depth", [100, 5000, 200000])
def test_deeply_nested_parentheses(depth):
    body = "(" * depth + "1" + ")" * depth
    text = f'contract "x"\nend\noutcomes\n outcome a "A"\n  only if {body} > 0\n end\nend\n'
    assert_only_diagnostics(check_text(text))


@pytest.mark.parametrize("depth", [100, 5000])
def test_deeply_nested_operators(depth):
    body = "not " * depth + "a"
    text = f'contract "x"\nend\noutcomes\n outcome a "A"\n  only if {body}\n end\nend\n'
    result = check_text(text)
    assert_only_diagnostics(result)
    assert "OBC104" in codes(result)


def test_missing_file_is_an_io_error(tmp_path):
    result = check_path(tmp_path / "nope.obc")
    assert codes(result) == {"OBC001"}


def test_directory_given_as_file(tmp_path):
    result = check_path(tmp_path)
    assert codes(result) == {"OBC001"}


def test_cli_never_prints_a_traceback(tmp_path):
    bad = tmp_path / "bad.obc"
    bad.write_bytes(b"\xff\xfe\x00garbage(((((")
    proc = subprocess.run([sys.executable, "-m", "obcdsl", "check", str(bad)], capture_output=True, text=True)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stdout + proc.stderr
