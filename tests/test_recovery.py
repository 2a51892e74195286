"""Every syntax error in one run, each real mistake reported once (issue 13, item 2)."""

from obcdsl.checker import check_text

from conftest import CONTRACTS

OXFORDSHIRE = (CONTRACTS / "oxfordshire_mental_health.obc").read_text()


def errors(text):
    return [(x.code, x.span.line, x.span.column, x.message) for x in check_text(text, "ox.obc").diagnostics if x.is_error]


def test_three_typos_are_three_errors():
    text = (OXFORDSHIRE.replace("weight 20 points", "weighting 20 points", 1)
            .replace("unit percent", "unit precent", 1)
            .replace("target at least 80%", "target at least 80 percent", 1))
    found = errors(text)
    assert [(code, line) for code, line, _, _ in found] == [("OBC102", 100), ("OBC102", 115), ("OBC102", 185)]
    assert found[0][3] == "unexpected `weighting`"
    assert found[1][3].startswith("unexpected `precent`")


def test_a_missing_end_is_one_error_not_a_cascade():
    lines = OXFORDSHIRE.splitlines(keepends=True)
    closing = next(k for k, line in enumerate(lines) if line.strip() == "end" and k > 95)
    found = errors("".join(lines[:closing] + lines[closing + 1:]))
    assert len(found) == 1
    assert "is not closed with `end`" in found[0][3]


def test_a_stray_character_and_a_typo_further_on():
    text = OXFORDSHIRE.replace("baseline £37,110,000", "baseline £37,110,000 ~", 1).replace("unit percent", "unit precent", 1)
    found = errors(text)
    assert [(code, line, column) for code, line, column, _ in found] == [("OBC101", 63, 24), ("OBC102", 115, 12)]


def test_a_truncated_file_is_one_error():
    found = errors(OXFORDSHIRE[:3000])
    assert [code for code, *_ in found] == ["OBC103"]


def test_a_missing_word_is_one_error():
    header = 'contract "x"\n commissioner "c"\n lead provider "p"\n term 3 years from 2020/21\nend\n'
    found = errors(header + 'outcomes\n outcome "A"\n end\n unearned pot retained by the commissioner\nend\n')
    assert [(code, line) for code, line, _, _ in found] == [("OBC102", 7)]


def test_a_clean_contract_has_no_syntax_error():
    assert errors(OXFORDSHIRE) == []
