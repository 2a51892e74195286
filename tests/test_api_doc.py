"""The examples in docs/api.md run as written."""

import os
import re

from conftest import ROOT


def python_blocks(name="api.md"):
    text = (ROOT / "docs" / name).read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, re.S)


def test_api_examples_run(capsys):
    blocks = python_blocks()
    assert len(blocks) >= 2
    here = os.getcwd()
    os.chdir(ROOT)
    try:
        for block in blocks:
            exec(compile(block, "docs/api.md", "exec"), {})
    finally:
        os.chdir(here)
    out = capsys.readouterr().out
    assert "OBC103" in out
    assert "750000.00" in out


def test_verification_example_runs():
    (block,) = python_blocks("verification.md")
    here = os.getcwd()
    os.chdir(ROOT)
    try:
        namespace = {}
        exec(compile(block, "docs/verification.md", "exec"), namespace)
        tests = [v for k, v in namespace.items() if k.startswith("test_")]
        assert tests
        for test in tests:
            test()
    finally:
        os.chdir(here)
