"""Code lens: what each indicator pays on the contract's sample data, in the latest year the data has.

Where the data is: the `obcdsl.sampleData` setting (a path, or a mapping from
contract to path, relative to the workspace folder), else by convention
`data/<contract name>.csv` (or `.json`, `.xlsx`) beside the contract. No data,
data that cannot be read, or a contract with errors: no lens.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Optional

import attrs
from lsprotocol import types

from .. import model
from ..data import Data, read_data
from ..evaluate import evaluate
from ..money import pounds
from ..statement import Line, Statement
from .analysis import Analysis
from .positions import LineIndex

EXTENSIONS = (".csv", ".json", ".xlsx")


@attrs.frozen
class SampleData:
    """Where sample data is: `setting` as the user gave it, read against the workspace folders."""

    setting: Any = None
    roots: tuple[Path, ...] = ()

    def path_for(self, contract: Path) -> Optional[Path]:
        setting = self.setting
        if isinstance(setting, str) and setting:
            return self.resolve(setting, contract)
        if isinstance(setting, dict):
            for key, value in setting.items():
                if isinstance(value, str) and self.names(key, contract):
                    return self.resolve(value, contract)
        for extension in EXTENSIONS:
            candidate = contract.parent / "data" / f"{contract.stem}{extension}"
            if candidate.is_file():
                return candidate
        return None

    def resolve(self, written: str, contract: Path) -> Path:
        path = Path(os.path.expanduser(written))
        if path.is_absolute():
            return path
        base = next((root for root in self.roots if root in contract.parents), self.roots[0] if self.roots else contract.parent)
        return base / path

    def names(self, key: str, contract: Path) -> bool:
        """A mapping's key names the contract: its path (from a workspace folder, or absolute), its file name or its stem."""
        if key in (contract.name, contract.stem, str(contract)):
            return True
        return any((root / key).resolve() == contract.resolve() for root in self.roots)


DATA_CACHE: dict[tuple[str, int], Data] = {}


def load(path: Path) -> Data:
    """Read a data file, once for each time it changes."""
    key = (str(path), path.stat().st_mtime_ns)
    if key not in DATA_CACHE:
        DATA_CACHE.clear()
        DATA_CACHE[key] = read_data(path)
    return DATA_CACHE[key]


def latest_statement(analysis: Analysis, sample: SampleData) -> Optional[Statement]:
    """The statement for the latest contract year in the sample data; None without data. Raises for bad data."""
    if not analysis.ok or analysis.contract is None or not analysis.path:
        return None
    path = sample.path_for(Path(analysis.path))
    if path is None or not path.is_file():
        return None
    key = ("statement", str(path), path.stat().st_mtime_ns)
    if key not in analysis.memo:
        data = load(path)
        contract = analysis.contract
        years = sorted({p.year for p in data.points if p.year is not None} & set(model.contract_years(contract)))
        analysis.memo[key] = evaluate(contract, data, years[-1], analysis.memo.setdefault("statement plans", {})) if years else None
    return analysis.memo[key]


def lens_words(line: Line, year: int) -> str:
    if not line.linked:
        return f"not linked to payment in year {year}"
    text = f"pays {pounds(line.amount)} in year {year}"
    bands = [facts["band"] for facts in line.inputs.values() if isinstance(facts, dict) and "band" in facts]
    if bands:
        return text + f" (band {', '.join(bands)})"
    if line.rule == "target":
        return text + (" (target met)" if line.amount > 0 else " (target missed)")
    if line.rule == "sliding scale":
        return text + " (on the sliding scale)"
    return text


def code_lenses(analysis: Analysis, sample: SampleData, lines: LineIndex) -> list[types.CodeLens]:
    statement = latest_statement(analysis, sample)
    if statement is None or analysis.contract is None:
        return []
    paid = {line.name: line for line in statement.lines if line.kind == "indicator"}
    lenses = []
    for indicator in analysis.contract.all_indicators:
        line = paid.get(indicator.name)
        if line is None or indicator.name_span is None:
            continue
        words = lens_words(line, statement.year)
        lenses.append(types.CodeLens(range=lines.range(indicator.name_span), command=types.Command(title=words, command="")))
    return lenses
