"""The Python API: load a contract, read data, evaluate a year.

    import obcdsl
    contract = obcdsl.load("contracts/monitor_staged_linking.obc")
    data = obcdsl.read_data("contracts/data/monitor_staged_linking.csv")
    statement = contract.evaluate(data, year=2)
    statement.total_to_provider     # Decimal('1050000.00')
    statement.to_dict()             # the JSON document of docs/statement.md
"""

from __future__ import annotations

import os
from typing import Optional

import attrs

from . import ast
from .checker import CheckResult, check_path, check_text
from .data import Data
from .diagnostics import Diagnostic
from .evaluate import evaluate
from .statement import Statement


class ContractError(Exception):
    """A contract that could not be loaded: it has errors. `diagnostics` lists them all."""

    def __init__(self, diagnostics: tuple[Diagnostic, ...], path: str = ""):
        self.diagnostics = diagnostics
        self.path = path
        errors = [x for x in diagnostics if x.is_error]
        first = errors[0] if errors else None
        where = f"{first.span.file}:{first.span.line}:{first.span.column}: " if first and first.span else ""
        summary = f"{where}{first.code} {first.message}" if first else "the contract has errors"
        super().__init__(f"{len(errors)} error(s) in the contract; first: {summary}")


@attrs.frozen
class Contract:
    """A checked contract, ready to evaluate. `ast` is its syntax tree; `warnings` what the checker warned of."""

    ast: ast.Contract
    path: str
    warnings: tuple[Diagnostic, ...] = ()
    _plans: dict = attrs.field(factory=dict, eq=False, repr=False)  # each year compiled once

    @property
    def name(self) -> str:
        return self.ast.header.name if self.ast.header else ""

    @property
    def years(self) -> range:
        """The contract years, extension included."""
        from .model import contract_years

        return contract_years(self.ast)

    def evaluate(self, data: Data, year: int) -> Statement:
        """The payment statement for `year`. Raises `obcdsl.DataError` for data problems."""
        return evaluate(self.ast, data, year, self._plans)


def _checked(result: CheckResult) -> Contract:
    if not result.ok or result.contract is None:
        raise ContractError(result.diagnostics, result.path)
    return Contract(result.contract, result.path, tuple(result.diagnostics))


def load(path: str | os.PathLike) -> Contract:
    """Read and check a `.obc` file. Raises `ContractError` if it has errors."""
    return _checked(check_path(path))


def loads(text: str, name: Optional[str] = None) -> Contract:
    """Check contract text. Raises `ContractError` if it has errors."""
    return _checked(check_text(text, name or "<text>"))
