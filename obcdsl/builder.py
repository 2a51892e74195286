"""Source text to AST in one pass: the LALR parser calls a builder method as it reduces each rule.

No parse tree is made. Each method gets the rule's children, every token kept
(the keywords too, so that a node's span runs from its first word to its last),
and returns an AST node or a small part of one (`Item`, `Clause`, `Part`).
Problems found while building (a number that cannot be read, an item stated
twice in one block, an expression nested too deeply) become diagnostics; a part
that cannot be built is `Failed`, and the block around it is built without it,
so that one pass reports them all.
"""

from __future__ import annotations

import functools
import threading
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Iterable, Optional

import attrs
from lark import Lark, Token

from . import ast
from . import diagnostics as d
from .diagnostics import Diagnostic
from .lalr import QuickParser, Stuck, WholeWords, grammar_path
from .source import SourceFile, Span

MAX_EXPRESSION_DEPTH = 64
MAX_DIGITS = 15  # whole-number digits: up to £999 trillion, so that all arithmetic stays exact

MONEY_SCALE = {"": Decimal(1), "k": Decimal(1000), "m": Decimal(10) ** 6, "bn": Decimal(10) ** 9}

COMPARATORS = {
    "at least": ">=", "at most": "<=", "above": ">", "below": "<",
    ">=": ">=", "<=": "<=", ">": ">", "<": "<", "=": "=", "!=": "!=",
}

# What each section is called in messages, by the word that opens it.
SECTION_WORDS = {
    "header": "contract", "population": "population", "budget": "budget", "payments": "payments",
    "outcomes": "outcomes", "phasing": "phasing", "risk_share": "risk share", "distribution": "distribution",
    "measures": "measures", "activity": "activity",
}


def parse_money(text: str) -> Decimal:
    """`£35m` → 35000000, `£20,000` → 20000, `£1.5m` → 1500000."""
    text = text.strip()
    sign = -1 if text.startswith("-") else 1
    body = text.lstrip("-")[1:].replace(",", "").lower()
    suffix = ""
    for candidate in ("bn", "m", "k"):
        if body.endswith(candidate):
            suffix, body = candidate, body[: -len(candidate)]
            break
    return sign * Decimal(body) * MONEY_SCALE[suffix]


def parse_percent(text: str) -> Decimal:
    """`4%` → 4."""
    return Decimal(text.strip().rstrip("%"))


def parse_number(text: str) -> Decimal:
    """`12,000` → 12000."""
    return Decimal(text.replace(",", ""))


def normalise(value: Decimal) -> Decimal:
    """One canonical form so that `£1m` and `£1,000,000` compare equal."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


# ---------------------------------------------------------------- the parts a rule can return


@attrs.frozen
class Failed:
    """A part that could not be built; its diagnostic is already recorded."""

    span: Optional[Span]


@attrs.frozen
class Clause:
    """`clause 4.3`."""

    number: str
    span: Span


@attrs.frozen
class Part:
    """What a rule passes up to the rule around it: `at least`, `half even`, a year range, a unit and its `per`."""

    value: Any
    span: Span


@attrs.frozen
class Item:
    """One item of a block: the field it sets, its value, and where it is written.

    `extra` fields are set by the first statement only (`baseline` also sets `baseline_span`);
    a `repeatable` item is added to a list (`segment`, `indicator`, `efficiency` ...).
    """

    key: str
    value: Any
    span: Span
    repeatable: bool = False
    extra: tuple[tuple[str, Any], ...] = ()


@attrs.frozen
class Expression:
    """An expression and how deeply it nests, so that one too deep is refused once, where it is used."""

    node: ast.Expr
    height: int
    brackets: Optional[Span] = None  # `( ... )` around it: part of the text of the expression it is in

    @property
    def span(self) -> Optional[Span]:
        return self.brackets or self.node.span


class BuildError(Exception):
    """Stops building one part; the diagnostic is already recorded."""


Child = Any  # a Token, an AST node or one of the parts above

new_tuple = tuple.__new__  # `Span.in_source` without the call, in `callback`


def callback(tolerant: bool = False) -> Callable:
    """Wrap a rule's method: a part that cannot be built, or whose children could not, is `Failed`.

    A `tolerant` rule (a block) is built from the children that could be, leaving the others out.
    """

    def wrap(method: Callable) -> Callable:
        @functools.wraps(method)
        def built(self: "ContractBuilder", children: list) -> Any:
            # the span: from the start of the first child to the end of the last (a token, or a part with a
            # span; none if either has none), worked out here as the parser calls this for every rule
            span = None
            start: Optional[int]
            end: Optional[int]
            if children:
                head, tail = children[0], children[-1]
                if type(head) is Token:
                    start = head.start_pos or 0
                else:
                    head_span = head.span
                    start = head_span[1] if head_span is not None else None
                if start is not None:
                    if type(tail) is Token:
                        end = tail.end_pos or 0
                    else:
                        tail_span = tail.span
                        end = tail_span[2] if tail_span is not None else None
                    if end is not None:
                        source = self.source
                        span = new_tuple(Span, (source.name, start, end, source))
            # most files have no part that failed: then no rule need look for one among its children
            if self.failures and any(type(c) is Failed for c in children):
                if not tolerant:
                    return self.failed(span)
                children = [c for c in children if type(c) is not Failed]
            try:
                return method(self, children, span)
            except BuildError:
                return self.failed(span)

        return built

    return wrap


def tokens(children: Iterable[Child], kind: str) -> list[Token]:
    return [c for c in children if isinstance(c, Token) and c.type == kind]


def parts(children: Iterable[Child], kind: type) -> list:
    return [c for c in children if isinstance(c, kind)]


def first(children: Iterable[Child], kind: type) -> Any:
    for c in children:
        if isinstance(c, kind):
            return c
    return None


def clause(children: Iterable[Child]) -> Optional[str]:
    found = first(children, Clause)
    return found.number if found is not None else None


def words(children: Iterable[Child]) -> str:
    return " ".join(str(c).lower() for c in children if isinstance(c, Token))


def text(token: Token) -> str:
    """A STRING token without its quotes."""
    return str(token)[1:-1]


class ContractBuilder:
    """The methods the parser calls, one for each rule of grammar/obc.lark (by its name or `->` alias)."""

    def __init__(self) -> None:
        self.source = SourceFile("<none>", "")
        self.diagnostics: list[Diagnostic] = []
        self.failures = 0

    def failed(self, span: Optional[Span]) -> Failed:
        self.failures += 1
        return Failed(span)

    # ------------------------------------------------------------ helpers

    def token_span(self, token: Token) -> Span:
        return self.source.span(token.start_pos or 0, token.end_pos or 0)

    def report(self, code: str, message: str, span: Optional[Span], **kw) -> None:
        self.diagnostics.append(d.error(code, message, span, **kw))

    def number(self, token: Token) -> Decimal:
        try:
            if token.type == "MONEY":
                value = parse_money(token)
            elif token.type == "PERCENT":
                value = parse_percent(token)
            else:
                value = parse_number(token)
        except (InvalidOperation, ValueError):
            self.report("OBC105", f"`{token}` cannot be read as a number", self.token_span(token))
            raise BuildError from None  # the diagnostic says what is wrong
        if value.adjusted() >= MAX_DIGITS or len(value.as_tuple().digits) > 40:
            self.report("OBC105", f"`{token}` is too large a number for a contract", self.token_span(token),
                        help=f"amounts and numbers have at most {MAX_DIGITS} digits before the decimal point")
            raise BuildError
        return normalise(value)

    def whole_number(self, token: Token, what: str) -> int:
        value = self.number(token)
        if value != value.to_integral_value():
            self.report("OBC105", f"{what} must be a whole number, not `{token}`", self.token_span(token))
            raise BuildError
        return int(value)

    def the_number(self, children: list) -> Decimal:
        """The one MONEY, PERCENT or NUMBER among a rule's children."""
        for c in children:
            if isinstance(c, Token) and c.type in ("MONEY", "PERCENT", "NUMBER"):
                return self.number(c)
        raise AssertionError("the grammar gives this rule a number")

    def collect(self, items: Iterable[Child], block: str, lists: Iterable[str] = ()) -> dict[str, Any]:
        """A block's fields from its items; a second statement of a single item is OBC204."""
        fields: dict[str, Any] = {key: [] for key in lists}
        for item in items:
            if not isinstance(item, Item):
                continue
            if item.repeatable:
                fields.setdefault(item.key, []).append(item.value)
                continue
            if item.key in fields:
                self.report(
                    "OBC204",
                    f"`{item.key.replace('_', ' ')}` is stated twice in this {block}",
                    item.span,
                    label="second statement",
                    help="keep one statement and delete the other",
                )
                continue
            fields[item.key] = item.value
            for key, value in item.extra:
                fields.setdefault(key, value)
        for key in lists:
            fields[key] = tuple(fields[key])
        return fields

    def named(self, children: list) -> tuple[Token, str]:
        """The NAME and the title of `indicator NAME "title"`, `outcome ...`, `segment ...`."""
        return tokens(children, "NAME")[0], text(tokens(children, "STRING")[0])

    # ------------------------------------------------------------ contract

    @callback(tolerant=True)
    def start(self, children: list, span: Optional[Span]) -> ast.Contract:
        fields: dict[str, Any] = {}
        for section in parts(children, Item):
            if section.key in fields:
                self.report("OBC204", f"the `{SECTION_WORDS[section.key]}` section appears twice", section.span,
                            help="merge the two sections into one")
                continue
            fields[section.key] = section.value
        return ast.Contract(**fields, span=self.source.span(0, len(self.source.text)))

    def section(self, key: str, value: Any, children: list) -> Item:
        """A section, with the span of the word that opens it (for "appears twice")."""
        opener = children[0]
        if str(opener).lower() == "risk":  # `risk share`: both words
            return Item(key, value, self.source.span(opener.start_pos, children[1].end_pos))
        return Item(key, value, self.token_span(opener))

    @callback(tolerant=True)
    def contract_section(self, children: list, span: Optional[Span]):
        fields = self.collect(children, "contract header", lists=("subcontractors",))
        name = text(tokens(children, "STRING")[0])
        header = ast.Header(name=name, clause=clause(children), span=span, **fields)
        return self.section("header", header, children)

    @callback()
    def clause_ref(self, children: list, span: Span) -> Clause:
        return Clause(str(tokens(children, "CLAUSE_ID")[0]), span)

    @callback()
    def commissioner(self, children: list, span: Span) -> Item:
        return Item("commissioner", text(tokens(children, "STRING")[0]), span)

    @callback()
    def commissioners(self, children: list, span: Span) -> Item:
        value = ast.Commissioners(tuple(parts(children, ast.PoolMember)), tuple(parts(children, ast.PoolVariance)),
                                  clause(children), span)
        return Item("commissioners", value, span)

    @callback()
    def pool_member(self, children: list, span: Span) -> ast.PoolMember:
        name, title = self.named(children)
        return ast.PoolMember(str(name), title, self.number(tokens(children, "PERCENT")[0]), clause(children), span,
                              self.token_span(name))

    @callback()
    def pool_variance(self, children: list, span: Span) -> ast.PoolVariance:
        return ast.PoolVariance(first(children, Part).value, tuple(parts(children, ast.MemberShare)), clause(children), span)

    @callback()
    def pool_overspend(self, children: list, span: Span) -> Part:
        return Part("overspend", span)

    @callback()
    def pool_underspend(self, children: list, span: Span) -> Part:
        return Part("underspend", span)

    @callback()
    def member_share(self, children: list, span: Span) -> ast.MemberShare:
        return ast.MemberShare(str(tokens(children, "NAME")[0]), self.number(tokens(children, "PERCENT")[0]), span)

    @callback()
    def lead_provider(self, children: list, span: Span) -> Item:
        return Item("lead_provider", text(tokens(children, "STRING")[0]), span)

    @callback()
    def subcontractor(self, children: list, span: Span) -> Item:
        name, title = self.named(children)
        return Item("subcontractors", ast.Subcontractor(str(name), title, clause(children), span, self.token_span(name)),
                    span, repeatable=True)

    @callback()
    def term(self, children: list, span: Span) -> Item:
        years = self.whole_number(tokens(children, "NUMBER")[0], "the number of years")
        first_year = str(tokens(children, "FIN_YEAR")[0])
        extension = first(children, Part)
        extended = extension.value if extension is not None else 0
        return Item("term", ast.Term(years, first_year, extended, clause(children), span), span)

    @callback()
    def extension(self, children: list, span: Span) -> Part:
        return Part(self.whole_number(tokens(children, "NUMBER")[0], "the extension"), span)

    @callback()
    def currency(self, children: list, span: Span) -> Item:
        return Item("currency", str(tokens(children, "NAME")[0]).upper(), span)

    @callback()
    def rounding(self, children: list, span: Span) -> Item:
        return Item("rounding", first(children, Part).value, span)

    @callback()
    def rounding_mode(self, children: list, span: Span) -> Part:
        return Part(words(children), span)

    @callback()
    def missing_data(self, children: list, span: Span) -> Item:
        return Item("missing_data", first(children, Part).value, span)

    @callback()
    def missing_is_error(self, children: list, span: Span) -> Part:
        return Part("error", span)

    @callback()
    def missing_not_achieved(self, children: list, span: Span) -> Part:
        return Part("not achieved", span)

    # ------------------------------------------------------------ population

    @callback(tolerant=True)
    def population_section(self, children: list, span: Optional[Span]):
        fields = self.collect(children, "population section", lists=("segments",))
        return self.section("population", ast.Population(clause=clause(children), span=span, **fields), children)

    @callback(tolerant=True)
    def segment(self, children: list, span: Span) -> Item:
        name, title = self.named(children)
        fields = self.collect(children, "segment")
        value = ast.Segment(name=str(name), title=title, clause=clause(children), span=span,
                            name_span=self.token_span(name), **fields)
        return Item("segments", value, span, repeatable=True)

    @callback()
    def description(self, children: list, span: Span) -> Item:
        return Item("description", text(tokens(children, "STRING")[0]), span)

    @callback()
    def clusters(self, children: list, span: Span) -> Item:
        return Item("clusters", tuple(r.value for r in parts(children, Part)), span)

    @callback()
    def cluster_range(self, children: list, span: Span) -> Part:
        numbers = [self.whole_number(t, "a HoNOS cluster") for t in tokens(children, "NUMBER")]
        return Part((numbers[0], numbers[-1]), span)

    @callback()
    def icd10(self, children: list, span: Span) -> Item:
        return Item("icd10", tuple(str(t).upper() for t in tokens(children, "ICD_RANGE")), span)

    @callback()
    def people(self, children: list, span: Span) -> Item:
        return Item("people", self.the_number(children), span)

    @callback()
    def risk_weight(self, children: list, span: Span) -> Item:
        return Item("weight", self.the_number(children), span)

    @callback()
    def projected_growth(self, children: list, span: Span) -> Item:
        return Item("projected_growth", self.the_number(children), span)

    # ------------------------------------------------------------ budget

    @callback(tolerant=True)
    def budget_section(self, children: list, span: Optional[Span]):
        fields = self.collect(children, "budget section", lists=("efficiency", "uplift", "additions"))
        return self.section("budget", ast.Budget(clause=clause(children), span=span, **fields), children)

    @callback()
    def baseline(self, children: list, span: Span) -> Item:
        return Item("baseline", self.the_number(children), span, extra=(("baseline_span", span),))

    @callback()
    def capitation(self, children: list, span: Span) -> Item:
        return Item("capitation", self.the_number(children), span, extra=(("capitation_span", span),))

    def yearly_rate(self, key: str, children: list, span: Span) -> Item:
        rate = self.number(tokens(children, "PERCENT")[0])
        scope, year = first(children, Part).value
        return Item(key, ast.YearlyRate(rate, scope, year, clause(children), span), span, repeatable=True)

    @callback()
    def efficiency(self, children: list, span: Span) -> Item:
        return self.yearly_rate("efficiency", children, span)

    @callback()
    def uplift(self, children: list, span: Span) -> Item:
        return self.yearly_rate("uplift", children, span)

    def year_scope(self, scope: str, children: list, span: Span) -> Part:
        numbers = tokens(children, "NUMBER")
        year = self.whole_number(numbers[0], "a contract year") if numbers else None
        return Part((scope, year), span)

    @callback()
    def every_year(self, children: list, span: Span) -> Part:
        return self.year_scope("each", children, span)

    @callback()
    def every_year_from(self, children: list, span: Span) -> Part:
        return self.year_scope("from", children, span)

    @callback()
    def in_year(self, children: list, span: Span) -> Part:
        return self.year_scope("in", children, span)

    @callback()
    def population_adjustment(self, children: list, span: Span) -> Item:
        tolerance = self.number(tokens(children, "PERCENT")[0])
        chosen = [w.value for w in parts(children, Part)]
        basis = "whole" if "whole difference" in chosen else "excess"
        measure = next((m for m in ("weighted people", "heads") if m in chosen), None)
        value = ast.PopulationAdjustment(tolerance, basis, measure, clause(children), span)
        return Item("population_adjustment", value, span)

    @callback()
    def budget_addition(self, children: list, span: Span) -> Item:
        amount = self.number(tokens(children, "MONEY")[0])
        year = self.whole_number(tokens(children, "NUMBER")[0], "a contract year")
        service = text(tokens(children, "STRING")[0])
        return Item("additions", ast.BudgetAddition(amount, year, service, clause(children), span), span, repeatable=True)

    @callback()
    def whole_difference(self, children: list, span: Span) -> Part:
        return Part("whole difference", span)

    @callback()
    def excess_only(self, children: list, span: Span) -> Part:
        return Part("excess only", span)

    @callback()
    def counting_weighted_people(self, children: list, span: Span) -> Part:
        return Part("weighted people", span)

    @callback()
    def counting_heads(self, children: list, span: Span) -> Part:
        return Part("heads", span)

    # ------------------------------------------------------------ payments

    @callback(tolerant=True)
    def payments_section(self, children: list, span: Optional[Span]):
        fields = self.collect(children, "payments section")
        return self.section("payments", self.components(fields, clause(children), span), children)

    def component(self, key: str, children: list, span: Span) -> Item:
        kind, amount, *points = first(children, Part).value
        on_top = any(isinstance(c, Part) and c.value == "on top" for c in children)
        points_and_price = (points[0], points[1]) if points else (None, None)
        return Item(key, ast.BudgetAmount(kind, amount, clause(children), span, points_and_price[0], points_and_price[1],
                                          on_top), span)

    @callback()
    def core_share(self, children: list, span: Span) -> Item:
        return self.component("core", children, span)

    @callback()
    def pot_size(self, children: list, span: Span) -> Item:
        return self.component("outcomes_pot", children, span)

    @callback()
    def risk_reserve(self, children: list, span: Span) -> Item:
        return self.component("risk_reserve", children, span)

    @callback()
    def payment_ceiling(self, children: list, span: Span) -> Item:
        return self.component("total_payment_ceiling", children, span)

    @callback()
    def on_top(self, children: list, span: Span) -> Part:
        return Part("on top", span)

    @callback()
    def payment_floor(self, children: list, span: Span) -> Item:
        return self.component("total_payment_floor", children, span)

    @callback()
    def carve_out(self, children: list, span: Span) -> Item:
        kind, amount = first(children, Part).value
        part = first(children, Part)
        destination = text(tokens(children, "STRING")[0])
        value = ast.CarveOut(ast.BudgetAmount(kind, amount, None, part.span), destination, clause(children), span)
        return Item("carve_outs", value, span, repeatable=True)

    @callback()
    def deduction(self, children: list, span: Span) -> Item:
        kind, amount = first(children, Part).value
        value = ast.Deduction(kind, amount, self.expression(children), clause(children), span)
        return Item("deductions", value, span, repeatable=True)

    @callback()
    def share_of_core(self, children: list, span: Span) -> Part:
        return Part(("share", self.the_number(children)), span)

    @callback()
    def money_of_core(self, children: list, span: Span) -> Part:
        return Part(("money", self.the_number(children)), span)

    @callback()
    def share_of_budget(self, children: list, span: Span) -> Part:
        return Part(("share", self.the_number(children)), span)

    @callback()
    def fixed_amount(self, children: list, span: Span) -> Part:
        return Part(("money", self.the_number(children)), span)

    @callback()
    def pot_in_points(self, children: list, span: Span) -> Part:
        points = Decimal(self.whole_number(tokens(children, "NUMBER")[0], "a pot's points"))
        per_point = self.number(tokens(children, "MONEY")[0])
        return Part(("money", normalise(points * per_point), points, per_point), span)

    @staticmethod
    def components(fields: dict, clause_number: Optional[str], span: Optional[Span]) -> ast.Components:
        return ast.Components(
            core=fields.pop("core", None),
            pot=fields.pop("outcomes_pot", None),
            reserve=fields.pop("risk_reserve", None),
            ceiling=fields.pop("total_payment_ceiling", None),
            floor=fields.pop("total_payment_floor", None),
            carve_outs=tuple(fields.pop("carve_outs", ())),
            deductions=tuple(fields.pop("deductions", ())),
            clause=clause_number,
            span=span,
        )

    # ------------------------------------------------------------ activity

    @callback(tolerant=True)
    def activity_section(self, children: list, span: Optional[Span]):
        items = tuple(parts(children, ast.ActivityItem))
        return self.section("activity", ast.Activity(items, clause(children), span), children)

    @callback(tolerant=True)
    def activity_item(self, children: list, span: Span) -> ast.ActivityItem:
        name, title = self.named(children)
        terms = [c for c in children if isinstance(c, Item)]
        fields = self.collect(terms, "activity item")
        spans: dict[str, Span] = {}
        for term in terms:
            spans.setdefault(term.key, term.span)
            for key, _ in term.extra:
                spans.setdefault(key, term.span)
        for key, value in list(fields.items()):
            if isinstance(value, dict):  # a term that sets several fields
                del fields[key]
                fields.update({k: v for k, v in value.items() if k not in fields or fields[k] is None})
        return ast.ActivityItem(name=str(name), title=title, clause=clause(children), span=span,
                                name_span=self.token_span(name), spans=spans, **fields)

    @callback()
    def activity_price(self, children: list, span: Span) -> Item:
        return Item("price", {"price": self.the_number(children), "unit": str(tokens(children, "NAME")[0]).lower()}, span,
                    extra=(("unit", None),))

    @callback()
    def activity_plan(self, children: list, span: Span) -> Item:
        return Item("plan", self.the_number(children), span)

    @callback()
    def activity_marginal(self, children: list, span: Span) -> Item:
        threshold, rate = (self.number(t) for t in tokens(children, "PERCENT"))
        return Item("threshold", {"threshold": threshold, "rate": rate}, span, extra=(("rate", None),))

    @callback()
    def activity_ceiling(self, children: list, span: Span) -> Item:
        return Item("ceiling", self.the_number(children), span)

    @callback()
    def activity_collar(self, children: list, span: Span) -> Item:
        return Item("collar", self.the_number(children), span)

    @callback()
    def activity_block(self, children: list, span: Span) -> Item:
        collar = first(children, Part)
        value = {"block": self.the_number(children)}
        if collar is not None:
            value |= {"block_collar": collar.value[0], "unit": collar.value[1]}
        return Item("block", value, span, extra=(("block_collar", None),))

    @callback()
    def block_collar(self, children: list, span: Span) -> Part:
        return Part((self.the_number(children), str(tokens(children, "NAME")[0]).lower()), span)

    @callback()
    def activity_in_year(self, children: list, span: Span) -> Item:
        year = self.whole_number(tokens(children, "NUMBER")[0], "a contract year")
        return Item("first_year", {"first_year": year, "last_year": year}, span, extra=(("last_year", None),))

    @callback()
    def activity_in_years(self, children: list, span: Span) -> Item:
        first_year, last_year = (self.whole_number(t, "a contract year") for t in tokens(children, "NUMBER"))
        return Item("first_year", {"first_year": first_year, "last_year": last_year}, span, extra=(("last_year", None),))

    @callback()
    def activity_from_year(self, children: list, span: Span) -> Item:
        year = self.whole_number(tokens(children, "NUMBER")[0], "a contract year")
        return Item("first_year", {"first_year": year}, span)

    @callback()
    def activity_in_phase(self, children: list, span: Span) -> Item:
        name = next(c for c in children[2:] if isinstance(c, Token))
        return Item("phase", text(name) if name.type == "STRING" else str(name), span)

    @callback()
    def activity_patients(self, children: list, span: Span) -> Item:
        return Item("per_patient", True, span)

    # ------------------------------------------------------------ outcomes

    @callback(tolerant=True)
    def outcomes_section(self, children: list, span: Optional[Span]):
        fields = self.collect(children, "outcomes section", lists=("outcomes", "bonuses"))
        return self.section("outcomes", ast.Outcomes(clause=clause(children), span=span, **fields), children)

    @callback()
    def weight_total(self, children: list, span: Span) -> Item:
        return Item("total", first(children, ast.Weight), span)

    @callback()
    def points(self, children: list, span: Span) -> ast.Weight:
        return ast.Weight(self.the_number(children), "points", span)

    @callback()
    def weight_percent(self, children: list, span: Span) -> ast.Weight:
        return ast.Weight(self.the_number(children), "percent", span)

    @callback()
    def weight(self, children: list, span: Span) -> Item:
        return Item("weight", first(children, ast.Weight), span)

    @callback(tolerant=True)
    def outcome(self, children: list, span: Span) -> Item:
        name, title = self.named(children)
        fields = self.collect(children, "outcome", lists=("indicators", "gates"))
        value = ast.Outcome(name=str(name), title=title, clause=clause(children), span=span,
                            name_span=self.token_span(name), **fields)
        return Item("outcomes", value, span, repeatable=True)

    @callback(tolerant=True)
    def bonus(self, children: list, span: Span) -> Item:
        name, title = self.named(children)
        fields = self.collect(children, "bonus")
        value = ast.Bonus(name=str(name), title=title, clause=clause(children), span=span,
                          name_span=self.token_span(name), **fields)
        return Item("bonuses", value, span, repeatable=True)

    @callback()
    def pays_when(self, children: list, span: Span) -> Item:
        return Item("condition", self.expression(children), span)

    @callback()
    def unearned(self, children: list, span: Span) -> Item:
        destination, services = first(children, Part).value
        return Item("unearned", ast.Unearned(destination, services, clause(children), span), span)

    @callback()
    def unearned_retained(self, children: list, span: Span) -> Part:
        return Part(("retained", ()), span)

    @callback()
    def unearned_reinvested(self, children: list, span: Span) -> Part:
        services = tuple(text(t) for t in tokens(children, "STRING"))
        return Part(("reinvested", services), span)

    @callback()
    def gate(self, children: list, span: Span) -> Item:
        return Item("gates", ast.Gate(self.expression(children), clause(children), span), span, repeatable=True)

    @callback(tolerant=True)
    def indicator(self, children: list, span: Span) -> Item:
        name, title = self.named(children)
        fields = self.collect(children, "indicator", lists=("segment_rules", "gates"))
        value = ast.Indicator(name=str(name), title=title, clause=clause(children), span=span,
                              name_span=self.token_span(name), **fields)
        return Item("indicators", value, span, repeatable=True)

    @callback()
    def unit(self, children: list, span: Span) -> Item:
        kind, per = first(children, Part).value
        return Item("unit", ast.Unit(kind, per, span), span)

    def unit_word(self, kind: str, children: list, span: Span) -> Part:
        numbers = tokens(children, "NUMBER")
        per = self.number(numbers[0]) if numbers else None
        return Part((kind, per), span)

    @callback()
    def unit_percent(self, children: list, span: Span) -> Part:
        return self.unit_word("percent", children, span)

    @callback()
    def unit_percent_change(self, children: list, span: Span) -> Part:
        return self.unit_word("percent change", children, span)

    @callback()
    def unit_count(self, children: list, span: Span) -> Part:
        return self.unit_word("count", children, span)

    @callback()
    def unit_rate(self, children: list, span: Span) -> Part:
        return self.unit_word("rate", children, span)

    @callback()
    def unit_score(self, children: list, span: Span) -> Part:
        return self.unit_word("score", children, span)

    @callback()
    def unit_money(self, children: list, span: Span) -> Part:
        return self.unit_word("money", children, span)

    @callback()
    def higher_is_better(self, children: list, span: Span) -> Item:
        return Item("direction", "higher", span)

    @callback()
    def lower_is_better(self, children: list, span: Span) -> Item:
        return Item("direction", "lower", span)

    @callback()
    def definition(self, children: list, span: Span) -> Item:
        return Item("definition", text(tokens(children, "STRING")[0]), span)

    @callback()
    def numerator(self, children: list, span: Span) -> Item:
        return Item("numerator", text(tokens(children, "STRING")[0]), span)

    @callback()
    def denominator(self, children: list, span: Span) -> Item:
        return Item("denominator", text(tokens(children, "STRING")[0]), span)

    @callback()
    def data_source(self, children: list, span: Span) -> Item:
        return Item("source", text(tokens(children, "STRING")[0]), span)

    @callback()
    def data_available(self, children: list, span: Span) -> Item:
        year = self.whole_number(tokens(children, "NUMBER")[0], "a contract year")
        return Item("data_from", year, span, extra=(("data_from_span", span), ("data_from_clause", clause(children))))

    @callback()
    def measured_as(self, children: list, span: Span) -> Item:
        return Item("measured_as", self.expression(children), span)

    @callback()
    def per_segment(self, children: list, span: Span) -> Item:
        return Item("by_segment", first(children, Part).value, span)

    @callback()
    def shared_equally(self, children: list, span: Span) -> Part:
        return Part("equally", span)

    @callback()
    def shared_by_population(self, children: list, span: Span) -> Part:
        return Part("population", span)

    @callback()
    def segment_rule(self, children: list, span: Span) -> Item:
        segment = tokens(children, "NAME")[0]
        rule = first(children, Item).value
        return Item("segment_rules", ast.SegmentRule(str(segment), rule, span, self.token_span(segment)), span,
                    repeatable=True)

    @callback()
    def scaled(self, children: list, span: Span) -> Item:
        factor = self.expression(children)
        caps = tokens(children, "PERCENT")
        cap = self.number(caps[0]) if caps else None
        on_top = first(children, Part) is not None
        return Item("scaling", ast.Scaling(factor, cap, clause(children), span, on_top), span)

    @callback()
    def scaling_on_top(self, children: list, span: Span) -> Part:
        return Part("on top", span)

    # ------------------------------------------------------------ payment rules

    @callback()
    def target(self, children: list, span: Span) -> Item:
        return Item("rule", ast.Target(first(children, ast.Threshold), clause(children), span), span)

    @callback()
    def bands(self, children: list, span: Span) -> Item:
        return Item("rule", ast.Bands(tuple(parts(children, ast.Band)), clause(children), span), span)

    @callback()
    def sliding_scale(self, children: list, span: Span) -> Item:
        low, high = parts(children, ast.ThresholdValue)
        low_share, high_share = (self.number(t) for t in tokens(children, "PERCENT")[-2:])
        return Item("rule", ast.SlidingScale(low, low_share, high, high_share, clause(children), span), span)

    @callback()
    def threshold(self, children: list, span: Span) -> ast.Threshold:
        comparator = first(children, Part)
        return ast.Threshold(comparator.value if comparator is not None else None, first(children, ast.ThresholdValue), span)

    @callback()
    def comparator(self, children: list, span: Span) -> Part:
        return Part(words(children), span)

    @callback()
    def absolute(self, children: list, span: Span) -> ast.ThresholdValue:
        return self.threshold_value("absolute", children, span)

    @callback()
    def relative_points(self, children: list, span: Span) -> ast.ThresholdValue:
        return self.threshold_value("points", children, span)

    @callback()
    def relative_percent(self, children: list, span: Span) -> ast.ThresholdValue:
        return self.threshold_value("percent", children, span)

    @callback()
    def at_reference(self, children: list, span: Span) -> ast.ThresholdValue:
        reference = first(children, Part)
        return ast.ThresholdValue("reference", Decimal(0), None, "number", span, reference.value, reference.span)

    @callback()
    def reference_baseline(self, children: list, span: Span) -> Part:
        return Part(None, span)

    @callback()
    def reference_last_year(self, children: list, span: Span) -> Part:
        return Part("last year", span)

    @callback()
    def reference_measure(self, children: list, span: Span) -> Part:
        return Part(str(tokens(children, "NAME")[0]), span)

    def threshold_value(self, kind: str, children: list, span: Span) -> ast.ThresholdValue:
        negative = children[0].type == "MINUS"  # `from -6%`: a threshold below zero
        token = children[1] if negative else children[0]
        literal = {"PERCENT": "percent", "MONEY": "money"}.get(token.type, "number")
        amount = -self.number(token) if negative else self.number(token)
        if kind == "absolute":
            return ast.ThresholdValue("absolute", amount, None, literal, span)
        relation = next(str(c).lower() for c in children[1:] if str(c).lower() in ("above", "below"))
        reference = first(children, Part)
        return ast.ThresholdValue(kind, amount, relation, literal, span, reference.value, reference.span)

    @callback()
    def band(self, children: list, span: Span) -> ast.Band:
        name = tokens(children, "NAME")[0]
        pays = first(children, Item)
        share, base, share_span = pays.value if pays is not None else (None, None, None)
        return ast.Band(str(name), first(children, ast.Threshold), first(children, ast.ThresholdValue), share, base,
                        clause(children), span, self.token_span(name), share_span)

    @callback()
    def band_pays(self, children: list, span: Span) -> Item:
        base = first(children, Part)
        return Item("pays", (self.number(tokens(children, "PERCENT")[0]), base.value if base else None, span), span)

    @callback()
    def of_pot(self, children: list, span: Span) -> Part:
        return Part("pot", span)

    @callback()
    def of_allocation(self, children: list, span: Span) -> Part:
        return Part("allocation", span)

    # ------------------------------------------------------------ phasing

    @callback(tolerant=True)
    def phasing_section(self, children: list, span: Optional[Span]):
        return self.section("phasing", ast.Phasing(tuple(parts(children, ast.Phase)), clause(children), span), children)

    @callback(tolerant=True)
    def phase(self, children: list, span: Span) -> Any:
        name_token = children[1]
        name = text(name_token) if name_token.type == "STRING" else str(name_token)
        years = first(children, Part)
        if years is None:  # the years could not be read: the phase is left out, as its diagnostic says
            return self.failed(span)
        first_year, last_year = years.value
        fields = self.collect(children, "phase", lists=("links", "shares"))
        links = tuple(link for group in fields.pop("links") for link in group)
        shares = fields.pop("shares")
        risk_share = fields.pop("risk_share", None)
        risk_terms = fields.pop("risk_terms", None)
        weights = fields.pop("weights", None)
        components = self.components(fields, clause(children), span)
        return ast.Phase(
            name=name, first_year=first_year, last_year=last_year, components=components, links=links, shares=shares,
            risk_share=risk_share, clause=clause(children), span=span, years_span=years.span, risk_terms=risk_terms,
            weights=weights,
        )

    def years(self, children: list, span: Span, open_ended: bool = False) -> Part:
        numbers = [self.whole_number(t, "a contract year") for t in tokens(children, "NUMBER")]
        last = None if open_ended else numbers[-1]
        return Part((numbers[0], last), span)

    @callback()
    def single_year(self, children: list, span: Span) -> Part:
        return self.years(children, span)

    @callback()
    def year_range(self, children: list, span: Span) -> Part:
        return self.years(children, span)

    @callback()
    def open_years(self, children: list, span: Span) -> Part:
        return self.years(children, span, open_ended=True)

    @callback()
    def linked(self, children: list, span: Span) -> Item:
        return Item("links", tuple(parts(children, ast.Link)), span, repeatable=True)

    @callback()
    def link_all(self, children: list, span: Span) -> ast.Link:
        return ast.Link(None, span)

    @callback()
    def link_name(self, children: list, span: Span) -> ast.Link:
        return ast.Link(str(children[0]), span)

    @callback()
    def band_shares(self, children: list, span: Span) -> Item:
        indicator = tokens(children, "NAME")[0]
        base = first(children, Part)
        value = ast.BandShares(str(indicator), tuple(parts(children, ast.BandShare)), base.value if base else None,
                               clause(children), span, self.token_span(indicator))
        return Item("shares", value, span, repeatable=True)

    @callback()
    def band_share(self, children: list, span: Span) -> ast.BandShare:
        return ast.BandShare(str(tokens(children, "NAME")[0]), self.number(tokens(children, "PERCENT")[0]), span)

    @callback()
    def phase_weights(self, children: list, span: Span) -> Item:
        return Item("weights", ast.PhaseWeights(tuple(parts(children, ast.PhaseWeight)), clause(children), span), span)

    @callback()
    def phase_weight(self, children: list, span: Span) -> ast.PhaseWeight:
        name = tokens(children, "NAME")[0]
        return ast.PhaseWeight(str(name), first(children, ast.Weight), clause(children), span, self.token_span(name))

    @callback()
    def risk_share_on(self, children: list, span: Span) -> Item:
        return Item("risk_share", True, span)

    @callback()
    def risk_share_off(self, children: list, span: Span) -> Item:
        return Item("risk_share", False, span)

    @callback(tolerant=True)
    def phase_risk_share(self, children: list, span: Span) -> Item:
        fields = self.collect(children, "phase's risk share", lists=("limits", "unshared", "tables"))
        return Item("risk_terms", ast.RiskShare(clause=clause(children), span=span, **fields), span)

    # ------------------------------------------------------------ risk share

    @callback(tolerant=True)
    def risk_share_section(self, children: list, span: Optional[Span]):
        fields = self.collect(children, "risk share section", lists=("limits", "unshared", "tables"))
        return self.section("risk_share", ast.RiskShare(clause=clause(children), span=span, **fields), children)

    @callback()
    def outside_budget(self, children: list, span: Span) -> Item:
        return Item("placement", "outside", span)

    @callback()
    def within_budget(self, children: list, span: Span) -> Item:
        return Item("placement", "within", span)

    @callback()
    def minimum_variance(self, children: list, span: Span) -> Item:
        basis = first(children, Part).value
        value = ast.MinimumVariance(first(children, ast.Amount), basis, clause(children), span)
        return Item("minimum", value, span)

    @callback()
    def unshared_variance(self, children: list, span: Span) -> Item:
        side, party = (p.value for p in parts(children, Part))
        return Item("unshared", ast.UnsharedVariance(side, party, clause(children), span), span, repeatable=True)

    @callback()
    def at_minimum(self, children: list, span: Span) -> Item:
        return Item("at_minimum", ast.AtMinimum(clause(children), span), span)

    @callback()
    def from_first_pound(self, children: list, span: Span) -> Part:
        return Part("first pound", span)

    @callback()
    def above_minimum_only(self, children: list, span: Span) -> Part:
        return Part("above minimum", span)

    def risk_bands(self, key: str, children: list, span: Span) -> Item:
        bands = tuple(parts(children, ast.RiskBand))
        condition = first(children, Part)
        if condition is not None and condition.value != "otherwise":
            return Item("tables", ast.SharingTable(key, condition.value, bands, clause(children), span), span, repeatable=True)
        return Item(key, bands, span, extra=((f"{key}_span", span), (f"{key}_clause", clause(children)),
                                             (f"{key}_otherwise", condition is not None)))

    @callback()
    def sharing_when(self, children: list, span: Span) -> Part:
        return Part(self.expression(children), span)

    @callback()
    def sharing_otherwise(self, children: list, span: Span) -> Part:
        return Part("otherwise", span)

    @callback()
    def against_budget(self, children: list, span: Span) -> Item:
        return Item("reference", "budget", span, extra=(("reference_clause", clause(children)), ("reference_span", span)))

    @callback()
    def against_payments(self, children: list, span: Span) -> Item:
        return Item("reference", "payments", span, extra=(("reference_clause", clause(children)), ("reference_span", span)))

    @callback(tolerant=True)
    def gains(self, children: list, span: Span) -> Item:
        return self.risk_bands("gains", children, span)

    @callback(tolerant=True)
    def losses(self, children: list, span: Span) -> Item:
        return self.risk_bands("losses", children, span)

    def risk_band(self, lower: Optional[ast.Amount], upper: Optional[ast.Amount], children: list, span: Span) -> ast.RiskBand:
        provider, commissioner, split_span = first(children, Item).value
        return ast.RiskBand(lower, upper, provider, commissioner, clause(children), span, split_span)

    @callback()
    def band_up_to(self, children: list, span: Span) -> ast.RiskBand:
        return self.risk_band(None, parts(children, ast.Amount)[0], children, span)

    @callback()
    def band_between(self, children: list, span: Span) -> ast.RiskBand:
        lower, upper = parts(children, ast.Amount)
        return self.risk_band(lower, upper, children, span)

    @callback()
    def band_above(self, children: list, span: Span) -> ast.RiskBand:
        return self.risk_band(parts(children, ast.Amount)[0], None, children, span)

    @callback()
    def party_split(self, children: list, span: Span) -> Item:
        provider, commissioner = (self.number(t) for t in tokens(children, "PERCENT"))
        return Item("split", (provider, commissioner, span), span)

    @callback()
    def exposure_limit(self, children: list, span: Span) -> Item:
        party, exposure, kind = (w.value for w in parts(children, Part))
        combine, amounts = first(children, Item).value
        value = ast.ExposureLimit(party, exposure, kind, combine, amounts, clause(children), span)
        return Item("limits", value, span, repeatable=True)

    @callback()
    def party_provider(self, children: list, span: Span) -> Part:
        return Part("provider", span)

    @callback()
    def party_commissioner(self, children: list, span: Span) -> Part:
        return Part("commissioner", span)

    @callback()
    def exposure_gains(self, children: list, span: Span) -> Part:
        return Part("gains", span)

    @callback()
    def exposure_losses(self, children: list, span: Span) -> Part:
        return Part("losses", span)

    @callback()
    def limit_cap(self, children: list, span: Span) -> Part:
        return Part("cap", span)

    @callback()
    def limit_floor(self, children: list, span: Span) -> Part:
        return Part("floor", span)

    @callback()
    def limit_amount(self, children: list, span: Span) -> Item:
        return Item("limit", ("single", tuple(parts(children, ast.Amount))), span)

    @callback()
    def lesser_of(self, children: list, span: Span) -> Item:
        return Item("limit", ("lesser", tuple(parts(children, ast.Amount))), span)

    @callback()
    def greater_of(self, children: list, span: Span) -> Item:
        return Item("limit", ("greater", tuple(parts(children, ast.Amount))), span)

    @callback()
    def stop_loss(self, children: list, span: Span) -> Item:
        threshold = self.number(tokens(children, "MONEY")[0])
        terms = dict(w.value for w in parts(children, Part))
        value = ast.StopLoss(threshold, terms.get("coinsurance"), terms.get("limit"), clause(children), span)
        return Item("stop_loss", value, span)

    @callback()
    def coinsurance(self, children: list, span: Span) -> Part:
        return Part(("coinsurance", self.the_number(children)), span)

    @callback()
    def stop_loss_limit(self, children: list, span: Span) -> Part:
        return Part(("limit", self.the_number(children)), span)

    @callback()
    def money_amount(self, children: list, span: Span) -> ast.Amount:
        return ast.Amount("money", self.the_number(children), span)

    @callback()
    def budget_share(self, children: list, span: Span) -> ast.Amount:
        return ast.Amount("budget share", self.the_number(children), span)

    @callback()
    def measure_share(self, children: list, span: Span) -> ast.Amount:
        return ast.Amount("measure share", self.the_number(children), span, str(tokens(children, "NAME")[0]))

    # ------------------------------------------------------------ distribution

    @callback(tolerant=True)
    def distribution_section(self, children: list, span: Optional[Span]):
        shares = tuple(parts(children, ast.SubcontractorShare))
        return self.section("distribution", ast.Distribution(shares, clause(children), span), children)

    @callback()
    def subcontractor_share(self, children: list, span: Span) -> ast.SubcontractorShare:
        name = tokens(children, "NAME")[0]
        return ast.SubcontractorShare(str(name), tuple(parts(children, ast.ComponentShare)), clause(children), span,
                                      self.token_span(name))

    @callback()
    def component_share(self, children: list, span: Span) -> ast.ComponentShare:
        return ast.ComponentShare(first(children, Part).value, self.the_number(children), span)

    @callback()
    def of_core(self, children: list, span: Span) -> Part:
        return Part("core", span)

    @callback()
    def of_outcomes(self, children: list, span: Span) -> Part:
        return Part("outcomes", span)

    @callback()
    def of_bonus(self, children: list, span: Span) -> Part:
        return Part("bonus", span)

    # ------------------------------------------------------------ measures

    @callback(tolerant=True)
    def measures_section(self, children: list, span: Optional[Span]):
        measures = tuple(parts(children, ast.Measure))
        return self.section("measures", ast.Measures(measures, clause(children), span), children)

    @callback(tolerant=True)
    def measure(self, children: list, span: Span) -> ast.Measure:
        name, title = self.named(children)
        fields = self.collect(children, "measure")
        return ast.Measure(name=str(name), title=title, clause=clause(children), span=span,
                           name_span=self.token_span(name), **fields)

    # ------------------------------------------------------------ expressions

    def expression(self, children: list) -> ast.Expr:
        """The expression a `measured as`, `scaled by`, `only if` or `pays when` states; refused if nested too deeply."""
        built = first(children, Expression)
        if built.height > MAX_EXPRESSION_DEPTH:
            self.report(
                "OBC104",
                f"expression nested more than {MAX_EXPRESSION_DEPTH} levels deep",
                built.node.span,
                help="split the expression into derived indicators with `measured as`",
            )
            raise BuildError
        return built.node

    @staticmethod
    def operands(children: list) -> list[Expression]:
        return parts(children, Expression)

    def combined(self, make: Callable[..., ast.Expr], children: list, span: Span, *head: Any) -> Expression:
        operands = self.operands(children)
        node = make(*head, *(o.node for o in operands), span)
        return Expression(node, 1 + max(o.height for o in operands))

    @callback()
    def literal(self, children: list, span: Span) -> Expression:
        token = children[0]
        kind = {"PERCENT": "percent", "MONEY": "money"}.get(token.type, "number")
        return Expression(ast.Literal(self.number(token), kind, self.token_span(token)), 1)

    @callback()
    def reference(self, children: list, span: Span) -> Expression:
        return Expression(ast.Reference(str(children[0]), span), 0)

    @callback()
    def atom(self, children: list, span: Span) -> Expression:
        return attrs.evolve(self.operands(children)[0], brackets=span)  # `( expr )`: the brackets only group

    @callback()
    def add(self, children: list, span: Span) -> Expression:
        return self.combined(ast.Arithmetic, children, span, "+")

    @callback()
    def subtract(self, children: list, span: Span) -> Expression:
        return self.combined(ast.Arithmetic, children, span, "-")

    @callback()
    def multiply(self, children: list, span: Span) -> Expression:
        return self.combined(ast.Arithmetic, children, span, "*")

    @callback()
    def divide(self, children: list, span: Span) -> Expression:
        return self.combined(ast.Arithmetic, children, span, "/")

    @callback()
    def negative(self, children: list, span: Span) -> Expression:
        return self.combined(ast.Negative, children, span)

    @callback()
    def compare(self, children: list, span: Span) -> Expression:
        return self.combined(ast.Comparison, children, span, COMPARATORS[first(children, Part).value])

    @callback()
    def comparison_op(self, children: list, span: Span) -> Part:
        return Part(words(children), span)

    @callback()
    def either(self, children: list, span: Span) -> Expression:
        return self.combined(ast.Logical, children, span, "or")

    @callback()
    def both(self, children: list, span: Span) -> Expression:
        return self.combined(ast.Logical, children, span, "and")

    @callback()
    def negation(self, children: list, span: Span) -> Expression:
        return self.combined(ast.Not, children, span)

    @callback()
    def achieved(self, children: list, span: Span) -> Expression:
        return Expression(ast.Achieved(str(tokens(children, "NAME")[0]), span), 0)

    @callback()
    def reached(self, children: list, span: Span) -> Expression:
        outcome, band = tokens(children, "NAME")
        return Expression(ast.Reached(str(outcome), str(band), span), 0)

    @callback()
    def all_achieved(self, children: list, span: Span) -> Expression:
        return Expression(ast.AllAchieved(span), 0)

    @callback()
    def count_outcomes(self, children: list, span: Span) -> Expression:
        return Expression(ast.CountAchieved("outcomes", (), span), 0)

    @callback()
    def count_indicators(self, children: list, span: Span) -> Expression:
        return Expression(ast.CountAchieved("indicators", (), span), 0)

    @callback()
    def count_named(self, children: list, span: Span) -> Expression:
        names = tokens(children, "NAME")
        return Expression(ast.CountAchieved("named", tuple(str(n) for n in names), span,
                                            tuple(self.token_span(n) for n in names)), 0)

    def extremum(self, function: str, children: list, span: Span) -> Expression:
        operands = self.operands(children)
        node = ast.Extremum(function, tuple(o.node for o in operands), span)
        return Expression(node, 1 + max(o.height for o in operands))

    @callback()
    def minimum(self, children: list, span: Span) -> Expression:
        return self.extremum("min", children, span)

    @callback()
    def maximum(self, children: list, span: Span) -> Expression:
        return self.extremum("max", children, span)


@functools.lru_cache(maxsize=1)
def contract_parser() -> tuple[Lark, ContractBuilder]:
    """The LALR parser that builds the AST as it reads, and the builder it calls."""
    builder = ContractBuilder()
    parser = Lark.open(
        str(grammar_path()),
        parser="lalr",
        lexer="contextual",
        postlex=WholeWords(),
        keep_all_tokens=True,  # the builder sees the keywords, so that spans start at a block's first word
        maybe_placeholders=False,
        transformer=builder,
        cache=True,
    )
    return parser, builder


@functools.lru_cache(maxsize=1)
def quick_parser() -> QuickParser:
    """The same parser, its loop and lexer made quick (the tests compare the two on every file and on damaged ones)."""
    parser, _ = contract_parser()
    return QuickParser(parser)


_one_at_a_time = threading.Lock()  # the builder holds the file being read while the parser calls it


def read_contract(source: SourceFile, quick: bool = True) -> tuple[ast.Contract, list[Diagnostic]]:
    """Parse and build a contract in one pass. Raises lark's `UnexpectedInput` on a syntax error."""
    parser, builder = contract_parser()
    with _one_at_a_time:
        builder.source, builder.diagnostics, builder.failures = source, [], 0
        try:
            try:
                contract = quick_parser().parse(source.text) if quick else parser.parse(source.text)
            except Stuck:  # a syntax error: read again by lark, which says what it is
                builder.diagnostics, builder.failures = [], 0
                contract = parser.parse(source.text)
        finally:
            diagnostics, builder.diagnostics = builder.diagnostics, []
    # only a section's parts can fail, and the contract is built without them
    assert isinstance(contract, ast.Contract), "the contract as a whole could not be built"
    return contract, diagnostics
