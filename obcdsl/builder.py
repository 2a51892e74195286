"""Parse tree to AST: builds the frozen nodes of `obcdsl.ast` with their spans.

Problems found while building (a number that cannot be read, an item stated
twice in one block, an expression nested too deeply) become diagnostics; the
build carries on so that one pass reports them all.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from lark import Token, Tree

from . import ast
from . import diagnostics as d
from .diagnostics import Diagnostic
from .source import SourceFile, Span

MAX_EXPRESSION_DEPTH = 64
MAX_DIGITS = 15  # whole-number digits: up to £999 trillion, so that all arithmetic stays exact

MONEY_SCALE = {"": Decimal(1), "k": Decimal(1000), "m": Decimal(10) ** 6, "bn": Decimal(10) ** 9}

COMPARATORS = {
    "at least": ">=", "at most": "<=", "above": ">", "below": "<",
    ">=": ">=", "<=": "<=", ">": ">", "<": "<", "=": "=", "!=": "!=",
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


class BuildError(Exception):
    """Stops building one node; the diagnostic is already recorded."""


class Builder:
    def __init__(self, source: SourceFile):
        self.source = source
        self.diagnostics: list[Diagnostic] = []

    # ------------------------------------------------------------ helpers

    def span(self, node: Tree | Token | None) -> Span | None:
        if node is None:
            return None
        if isinstance(node, Token):
            start = node.start_pos or 0
            end = node.end_pos if node.end_pos is not None else start + len(node)
            return self.source.span(start, end)
        meta = node.meta
        if getattr(meta, "empty", True):
            return None
        return self.source.span(meta.start_pos, meta.end_pos)

    def join(self, first: Tree | Token | None, last: Tree | Token | None) -> Span | None:
        a, b = self.span(first), self.span(last)
        if a is None or b is None:
            return a or b
        return self.source.span(a.start, b.end)

    def report(self, code: str, message: str, node, **kw) -> None:
        self.diagnostics.append(d.error(code, message, self.span(node), **kw))

    def number(self, token: Token) -> Decimal:
        try:
            if token.type == "MONEY":
                value = parse_money(token)
            elif token.type == "PERCENT":
                value = parse_percent(token)
            else:
                value = parse_number(token)
        except (InvalidOperation, ValueError):
            self.report("OBC105", f"`{token}` cannot be read as a number", token)
            raise BuildError from None  # the diagnostic says what is wrong
        if value.adjusted() >= MAX_DIGITS or len(value.as_tuple().digits) > 40:
            self.report("OBC105", f"`{token}` is too large a number for a contract", token,
                        help=f"amounts and numbers have at most {MAX_DIGITS} digits before the decimal point")
            raise BuildError
        return normalise(value)

    def whole_number(self, token: Token, what: str) -> int:
        value = self.number(token)
        if value != value.to_integral_value():
            self.report("OBC105", f"{what} must be a whole number, not `{token}`", token)
            raise BuildError
        return int(value)

    @staticmethod
    def token(child: Tree | Token) -> Token:
        """A child that the grammar makes a token (a NAME, STRING, NUMBER, PERCENT or MONEY)."""
        assert isinstance(child, Token), child
        return child

    @staticmethod
    def text(token: Token) -> str:
        """A STRING token without its quotes."""
        return str(token)[1:-1]

    @staticmethod
    def tokens(tree: Tree, kind: str | None = None) -> list[Token]:
        return [c for c in tree.children if isinstance(c, Token) and (kind is None or c.type == kind)]

    @staticmethod
    def subtrees(tree: Tree) -> list[Tree]:
        return [c for c in tree.children if isinstance(c, Tree)]

    def clause(self, tree: Tree) -> str | None:
        for child in self.subtrees(tree):
            if child.data == "clause_ref":
                return str(child.children[0])
        return None

    def once(self, fields: dict, key: str, value: Any, node, block: str) -> None:
        """Set a field stated at most once in a block; a second statement is OBC204."""
        if key in fields:
            word = key.replace("_", " ")
            self.report(
                "OBC204",
                f"`{word}` is stated twice in this {block}",
                node,
                label="second statement",
                help="keep one statement and delete the other",
            )
            return
        fields[key] = value

    def build_items(self, tree: Tree, handlers: dict, fields: dict, block: str) -> None:
        for child in self.subtrees(tree):
            if child.data == "clause_ref":
                continue
            handler = handlers.get(child.data)
            if handler is None:
                continue
            try:
                handler(child, fields, block)
            except BuildError:
                continue

    # ------------------------------------------------------------ contract

    def contract(self, tree: Tree) -> ast.Contract:
        fields: dict[str, Any] = {}
        sections = {
            "contract_section": ("header", self.header),
            "population_section": ("population", self.population),
            "budget_section": ("budget", self.budget),
            "payments_section": ("payments", self.payments),
            "outcomes_section": ("outcomes", self.outcomes),
            "phasing_section": ("phasing", self.phasing),
            "risk_share_section": ("risk_share", self.risk_share),
            "distribution_section": ("distribution", self.distribution),
        }
        for child in self.subtrees(tree):
            key, build = sections[child.data]
            if key in fields:
                word = key.replace("_", " ")
                self.report(
                    "OBC204",
                    f"the `{word}` section appears twice",
                    child.children[0] if child.children else child,
                    help="merge the two sections into one",
                )
                continue
            try:
                fields[key] = build(child)
            except BuildError:
                continue
        return ast.Contract(**fields, span=self.source.span(0, len(self.source.text)))

    def header(self, tree: Tree) -> ast.Header:
        fields: dict[str, Any] = {"subcontractors": []}

        def commissioner(node, f, block):
            self.once(f, "commissioner", self.text(node.children[0]), node, block)

        def lead_provider(node, f, block):
            self.once(f, "lead_provider", self.text(node.children[0]), node, block)

        def subcontractor(node, f, block):
            name, title = node.children[0], node.children[1]
            f["subcontractors"].append(
                ast.Subcontractor(str(name), self.text(title), self.clause(node), self.span(node), self.span(name))
            )

        def term(node, f, block):
            numbers = self.tokens(node, "NUMBER")
            years = self.whole_number(numbers[0], "the number of years")
            first = str(self.tokens(node, "FIN_YEAR")[0])
            extension = 0
            for sub in self.subtrees(node):
                if sub.data == "extension":
                    extension = self.whole_number(self.tokens(sub, "NUMBER")[0], "the extension")
            self.once(f, "term", ast.Term(years, first, extension, self.clause(node), self.span(node)), node, block)

        def currency(node, f, block):
            self.once(f, "currency", str(node.children[0]).upper(), node, block)

        def rounding(node, f, block):
            mode = " ".join(str(t).lower() for t in node.children[0].children)
            self.once(f, "rounding", mode, node, block)

        def missing_data(node, f, block):
            self.once(f, "missing_data", self.missing_rule(node), node, block)

        self.build_items(
            tree,
            {
                "commissioner": commissioner, "lead_provider": lead_provider,
                "subcontractor": subcontractor, "term": term, "currency": currency,
                "rounding": rounding, "missing_data": missing_data,
            },
            fields,
            "contract header",
        )
        fields["subcontractors"] = tuple(fields["subcontractors"])
        name = self.text(self.tokens(tree, "STRING")[0])
        return ast.Header(name=name, clause=self.clause(tree), span=self.span(tree), **fields)

    def missing_rule(self, node: Tree) -> str:
        rule = self.subtrees(node)[0].data
        return "error" if rule == "missing_is_error" else "not achieved"

    # ------------------------------------------------------------ population

    def population(self, tree: Tree) -> ast.Population:
        fields: dict[str, Any] = {"segments": []}

        def segment(node, f, block):
            f["segments"].append(self.segment(node))

        def projected_growth(node, f, block):
            self.once(f, "projected_growth", self.number(node.children[0]), node, block)

        self.build_items(tree, {"segment": segment, "projected_growth": projected_growth}, fields, "population section")
        fields["segments"] = tuple(fields["segments"])
        return ast.Population(clause=self.clause(tree), span=self.span(tree), **fields)

    def segment(self, tree: Tree) -> ast.Segment:
        fields: dict[str, Any] = {}
        name, title = tree.children[0], tree.children[1]

        def description(node, f, block):
            self.once(f, "description", self.text(node.children[0]), node, block)

        def clusters(node, f, block):
            ranges = []
            for sub in self.subtrees(node):
                numbers = [self.whole_number(t, "a HoNOS cluster") for t in self.tokens(sub, "NUMBER")]
                ranges.append((numbers[0], numbers[-1]))
            self.once(f, "clusters", tuple(ranges), node, block)

        def icd10(node, f, block):
            self.once(f, "icd10", tuple(str(t).upper() for t in self.tokens(node, "ICD_RANGE")), node, block)

        def people(node, f, block):
            self.once(f, "people", self.number(node.children[0]), node, block)

        def risk_weight(node, f, block):
            self.once(f, "weight", self.number(node.children[0]), node, block)

        self.build_items(
            tree,
            {"description": description, "clusters": clusters, "icd10": icd10, "people": people, "risk_weight": risk_weight},
            fields,
            "segment",
        )
        return ast.Segment(
            name=str(name), title=self.text(self.token(title)), clause=self.clause(tree),
            span=self.span(tree), name_span=self.span(name), **fields,
        )

    # ------------------------------------------------------------ budget

    def yearly_rate(self, node: Tree) -> ast.YearlyRate:
        rate = self.number(self.token(node.children[0]))
        scope_tree = self.subtrees(node)[0]
        scope = {"every_year": "each", "every_year_from": "from", "in_year": "in"}[scope_tree.data]
        year = None
        numbers = self.tokens(scope_tree, "NUMBER")
        if numbers:
            year = self.whole_number(numbers[0], "a contract year")
        return ast.YearlyRate(rate, scope, year, self.clause(node), self.span(node))

    def budget(self, tree: Tree) -> ast.Budget:
        fields: dict[str, Any] = {"efficiency": [], "uplift": []}

        def baseline(node, f, block):
            self.once(f, "baseline", self.number(node.children[0]), node, block)
            f.setdefault("baseline_span", self.span(node))

        def capitation(node, f, block):
            self.once(f, "capitation", self.number(node.children[0]), node, block)
            f.setdefault("capitation_span", self.span(node))

        def efficiency(node, f, block):
            f["efficiency"].append(self.yearly_rate(node))

        def uplift(node, f, block):
            f["uplift"].append(self.yearly_rate(node))

        def population_adjustment(node, f, block):
            tolerance = self.number(self.tokens(node, "PERCENT")[0])
            basis_tree = [s for s in self.subtrees(node) if s.data in ("whole_difference", "excess_only")][0]
            basis = "whole" if basis_tree.data == "whole_difference" else "excess"
            counting = [s.data for s in self.subtrees(node) if s.data in ("counting_weighted_people", "counting_heads")]
            measure = None if not counting else ("weighted people" if counting[0] == "counting_weighted_people" else "heads")
            value = ast.PopulationAdjustment(tolerance, basis, measure, self.clause(node), self.span(node))
            self.once(f, "population_adjustment", value, node, block)

        self.build_items(
            tree,
            {
                "baseline": baseline, "capitation": capitation, "efficiency": efficiency,
                "uplift": uplift, "population_adjustment": population_adjustment,
            },
            fields,
            "budget section",
        )
        fields["efficiency"] = tuple(fields["efficiency"])
        fields["uplift"] = tuple(fields["uplift"])
        return ast.Budget(clause=self.clause(tree), span=self.span(tree), **fields)

    # ------------------------------------------------------------ payments

    def budget_amount(self, node: Tree) -> ast.BudgetAmount:
        amount = self.subtrees(node)[0]
        kind = "share" if amount.data == "share_of_budget" else "money"
        return ast.BudgetAmount(kind, self.number(self.token(amount.children[0])), self.clause(node), self.span(node))

    def component_handlers(self) -> dict:
        def core_share(node, f, block):
            self.once(f, "core", self.budget_amount(node), node, block)

        def pot_size(node, f, block):
            self.once(f, "outcomes_pot", self.budget_amount(node), node, block)

        def risk_reserve(node, f, block):
            self.once(f, "risk_reserve", self.budget_amount(node), node, block)

        def payment_ceiling(node, f, block):
            self.once(f, "total_payment_ceiling", self.budget_amount(node), node, block)

        return {"core_share": core_share, "pot_size": pot_size, "risk_reserve": risk_reserve, "payment_ceiling": payment_ceiling}

    def components(self, fields: dict, clause: str | None, span: Span | None) -> ast.Components:
        return ast.Components(
            core=fields.pop("core", None),
            pot=fields.pop("outcomes_pot", None),
            reserve=fields.pop("risk_reserve", None),
            ceiling=fields.pop("total_payment_ceiling", None),
            clause=clause,
            span=span,
        )

    def payments(self, tree: Tree) -> ast.Components:
        fields: dict[str, Any] = {}
        self.build_items(tree, self.component_handlers(), fields, "payments section")
        return self.components(fields, self.clause(tree), self.span(tree))

    # ------------------------------------------------------------ outcomes

    def weight_value(self, node: Tree) -> ast.Weight:
        unit = "percent" if node.data == "weight_percent" else "points"
        return ast.Weight(self.number(self.token(node.children[0])), unit, self.span(node))

    def outcomes(self, tree: Tree) -> ast.Outcomes:
        fields: dict[str, Any] = {"outcomes": [], "bonuses": []}

        def weight_total(node, f, block):
            self.once(f, "total", self.weight_value(self.subtrees(node)[0]), node, block)

        def outcome(node, f, block):
            f["outcomes"].append(self.outcome(node))

        def bonus(node, f, block):
            f["bonuses"].append(self.bonus(node))

        def unearned(node, f, block):
            self.once(f, "unearned", self.unearned(node), node, block)

        def missing_data(node, f, block):
            self.once(f, "missing_data", self.missing_rule(node), node, block)

        self.build_items(
            tree,
            {"weight_total": weight_total, "outcome": outcome, "bonus": bonus, "unearned": unearned, "missing_data": missing_data},
            fields,
            "outcomes section",
        )
        fields["outcomes"] = tuple(fields["outcomes"])
        fields["bonuses"] = tuple(fields["bonuses"])
        return ast.Outcomes(clause=self.clause(tree), span=self.span(tree), **fields)

    def unearned(self, node: Tree) -> ast.Unearned:
        rule = self.subtrees(node)[0]
        if rule.data == "unearned_retained":
            return ast.Unearned("retained", (), self.clause(node), self.span(node))
        services = tuple(self.text(t) for t in self.tokens(rule, "STRING"))
        return ast.Unearned("reinvested", services, self.clause(node), self.span(node))

    def weight_handler(self, node, f, block):
        self.once(f, "weight", self.weight_value(self.subtrees(node)[0]), node, block)

    def description_handler(self, node, f, block):
        self.once(f, "description", self.text(node.children[0]), node, block)

    def gate_handler(self, node, f, block):
        f.setdefault("gates", []).append(ast.Gate(self.expression(self.subtrees(node)[0]), self.clause(node), self.span(node)))

    def outcome(self, tree: Tree) -> ast.Outcome:
        name, title = tree.children[0], tree.children[1]
        fields: dict[str, Any] = {"indicators": [], "gates": []}

        def indicator(node, f, block):
            f["indicators"].append(self.indicator(node))

        self.build_items(
            tree,
            {"weight": self.weight_handler, "indicator": indicator, "description": self.description_handler, "gate": self.gate_handler},
            fields,
            "outcome",
        )
        fields["indicators"] = tuple(fields["indicators"])
        fields["gates"] = tuple(fields["gates"])
        return ast.Outcome(
            name=str(name), title=self.text(self.token(title)), clause=self.clause(tree),
            span=self.span(tree), name_span=self.span(name), **fields,
        )

    def bonus(self, tree: Tree) -> ast.Bonus:
        name, title = tree.children[0], tree.children[1]
        fields: dict[str, Any] = {}

        def pays_when(node, f, block):
            self.once(f, "condition", self.expression(self.subtrees(node)[0]), node, block)

        self.build_items(
            tree,
            {"weight": self.weight_handler, "description": self.description_handler, "pays_when": pays_when},
            fields,
            "bonus",
        )
        return ast.Bonus(
            name=str(name), title=self.text(self.token(title)), clause=self.clause(tree),
            span=self.span(tree), name_span=self.span(name), **fields,
        )

    def indicator(self, tree: Tree) -> ast.Indicator:
        name, title = tree.children[0], tree.children[1]
        fields: dict[str, Any] = {"segment_rules": [], "gates": []}

        def unit(node, f, block):
            word = self.subtrees(node)[0]
            kind = word.data.removeprefix("unit_")
            per = None
            numbers = self.tokens(word, "NUMBER")
            if numbers:
                per = self.number(numbers[0])
            self.once(f, "unit", ast.Unit(kind, per, self.span(node)), node, block)

        def direction(kind):
            def handler(node, f, block):
                self.once(f, "direction", kind, node, block)
            return handler

        def text_field(key):
            def handler(node, f, block):
                self.once(f, key, self.text(node.children[0]), node, block)
            return handler

        def data_available(node, f, block):
            year = self.whole_number(self.tokens(node, "NUMBER")[0], "a contract year")
            self.once(f, "data_from", year, node, block)
            f.setdefault("data_from_span", self.span(node))
            f.setdefault("data_from_clause", self.clause(node))

        def measured_as(node, f, block):
            self.once(f, "measured_as", self.expression(self.subtrees(node)[0]), node, block)

        def rule(node, f, block):
            self.once(f, "rule", self.rule(node), node, block)

        def per_segment(node, f, block):
            sharing = self.subtrees(node)[0].data
            self.once(f, "by_segment", "equally" if sharing == "shared_equally" else "population", node, block)

        def segment_rule(node, f, block):
            segment = node.children[0]
            f["segment_rules"].append(
                ast.SegmentRule(str(segment), self.rule(self.subtrees(node)[0]), self.span(node), self.span(segment))
            )

        def scaled(node, f, block):
            factor = self.expression(self.subtrees(node)[0])
            caps = self.tokens(node, "PERCENT")
            cap = self.number(caps[0]) if caps else None
            self.once(f, "scaling", ast.Scaling(factor, cap, self.clause(node), self.span(node)), node, block)

        def missing_data(node, f, block):
            self.once(f, "missing_data", self.missing_rule(node), node, block)

        self.build_items(
            tree,
            {
                "weight": self.weight_handler, "unit": unit,
                "higher_is_better": direction("higher"), "lower_is_better": direction("lower"),
                "definition": text_field("definition"), "numerator": text_field("numerator"),
                "denominator": text_field("denominator"), "data_source": text_field("source"),
                "description": self.description_handler, "data_available": data_available,
                "measured_as": measured_as, "target": rule, "bands": rule, "sliding_scale": rule,
                "per_segment": per_segment, "segment_rule": segment_rule, "scaled": scaled,
                "gate": self.gate_handler, "missing_data": missing_data,
            },
            fields,
            "indicator",
        )
        fields["segment_rules"] = tuple(fields["segment_rules"])
        fields["gates"] = tuple(fields["gates"])
        return ast.Indicator(
            name=str(name), title=self.text(self.token(title)), clause=self.clause(tree),
            span=self.span(tree), name_span=self.span(name), **fields,
        )

    # ------------------------------------------------------------ payment rules

    def rule(self, tree: Tree) -> ast.Rule:
        if tree.data == "target":
            return ast.Target(self.threshold(self.subtrees(tree)[0]), self.clause(tree), self.span(tree))
        if tree.data == "bands":
            bands = tuple(self.band(b) for b in self.subtrees(tree) if b.data == "band")
            return ast.Bands(bands, self.clause(tree), self.span(tree))
        values = [s for s in self.subtrees(tree) if s.data != "clause_ref"]
        shares = self.tokens(tree, "PERCENT")
        return ast.SlidingScale(
            self.threshold_value(values[0]), self.number(shares[0]),
            self.threshold_value(values[1]), self.number(shares[1]),
            self.clause(tree), self.span(tree),
        )

    def threshold(self, tree: Tree) -> ast.Threshold:
        comparator = None
        value = None
        for child in self.subtrees(tree):
            if child.data == "comparator":
                comparator = " ".join(str(t).lower() for t in child.children)
            else:
                value = self.threshold_value(child)
        assert value is not None  # the grammar: `threshold: comparator? threshold_value`
        return ast.Threshold(comparator, value, self.span(tree))

    def threshold_value(self, tree: Tree) -> ast.ThresholdValue:
        token = self.token(tree.children[0])
        literal = {"PERCENT": "percent", "MONEY": "money"}.get(token.type, "number")
        amount = self.number(token)
        if tree.data == "absolute":
            return ast.ThresholdValue("absolute", amount, None, literal, self.span(tree))
        relation = str(tree.children[-1]).lower() if len(tree.children) > 1 else "above"
        for child in tree.children[1:]:
            if isinstance(child, Token) and str(child).lower() in ("above", "below"):
                relation = str(child).lower()
        kind = "points" if tree.data == "relative_points" else "percent"
        return ast.ThresholdValue(kind, amount, relation, literal, self.span(tree))

    def band(self, tree: Tree) -> ast.Band:
        name = tree.children[0]
        threshold = None
        upper = None
        share = None
        base = None
        share_span = None
        for child in self.subtrees(tree):
            if child.data == "threshold":
                threshold = self.threshold(child)
            elif child.data in ("absolute", "relative_points", "relative_percent"):
                upper = self.threshold_value(child)
            elif child.data == "band_pays":
                share = self.number(self.token(child.children[0]))
                share_span = self.span(child)
                bases = self.subtrees(child)
                if bases:
                    base = "pot" if bases[0].data == "of_pot" else "allocation"
        assert threshold is not None  # the grammar: `band: NAME threshold ...`
        return ast.Band(
            str(name), threshold, upper, share, base, self.clause(tree),
            self.span(tree), self.span(name), share_span,
        )

    # ------------------------------------------------------------ phasing

    def phasing(self, tree: Tree) -> ast.Phasing:
        phases = []
        for child in self.subtrees(tree):
            if child.data == "phase":
                try:
                    phases.append(self.phase(child))
                except BuildError:
                    continue
        return ast.Phasing(tuple(phases), self.clause(tree), self.span(tree))

    def phase(self, tree: Tree) -> ast.Phase:
        name_token = self.token(tree.children[0])
        name = self.text(name_token) if name_token.type == "STRING" else str(name_token)
        years = [s for s in self.subtrees(tree) if s.data in ("single_year", "year_range", "open_years")][0]
        numbers = [self.whole_number(t, "a contract year") for t in self.tokens(years, "NUMBER")]
        if years.data == "single_year":
            first, last = numbers[0], numbers[0]
        elif years.data == "year_range":
            first, last = numbers[0], numbers[1]
        else:
            first, last = numbers[0], None
        fields: dict[str, Any] = {"links": [], "shares": []}

        def linked(node, f, block):
            for target in self.subtrees(node):
                if target.data == "link_all":
                    f["links"].append(ast.Link(None, self.span(target)))
                elif target.data == "link_name":
                    f["links"].append(ast.Link(str(target.children[0]), self.span(target)))

        def band_shares(node, f, block):
            indicator = node.children[0]
            shares = []
            base = None
            for sub in self.subtrees(node):
                if sub.data == "band_share":
                    shares.append(ast.BandShare(str(sub.children[0]), self.number(sub.children[1]), self.span(sub)))
                elif sub.data in ("of_pot", "of_allocation"):
                    base = "pot" if sub.data == "of_pot" else "allocation"
            f["shares"].append(
                ast.BandShares(str(indicator), tuple(shares), base, self.clause(node), self.span(node), self.span(indicator))
            )

        def switch(value):
            def handler(node, f, block):
                self.once(f, "risk_share", value, node, block)
            return handler

        handlers = dict(self.component_handlers())
        handlers.update(
            {"linked": linked, "band_shares": band_shares, "risk_share_on": switch(True), "risk_share_off": switch(False)}
        )
        self.build_items(tree, handlers, fields, "phase")
        components = self.components(fields, self.clause(tree), self.span(tree))
        return ast.Phase(
            name=name, first_year=first, last_year=last, components=components,
            links=tuple(fields["links"]), shares=tuple(fields["shares"]),
            risk_share=fields.get("risk_share"), clause=self.clause(tree),
            span=self.span(tree), years_span=self.span(years),
        )

    # ------------------------------------------------------------ risk share

    def amount(self, tree: Tree) -> ast.Amount:
        kind = "money" if tree.data == "money_amount" else "budget share"
        return ast.Amount(kind, self.number(self.token(tree.children[0])), self.span(tree))

    def amounts(self, tree: Tree) -> list[ast.Amount]:
        return [self.amount(s) for s in self.subtrees(tree) if s.data in ("money_amount", "budget_share")]

    def risk_band(self, tree: Tree) -> ast.RiskBand:
        amounts = self.amounts(tree)
        split = [s for s in self.subtrees(tree) if s.data == "party_split"][0]
        provider, commissioner = (self.number(t) for t in self.tokens(split, "PERCENT"))
        if tree.data == "band_up_to":
            lower, upper = None, amounts[0]
        elif tree.data == "band_between":
            lower, upper = amounts[0], amounts[1]
        else:
            lower, upper = amounts[0], None
        return ast.RiskBand(lower, upper, provider, commissioner, self.clause(tree), self.span(tree), self.span(split))

    def risk_share(self, tree: Tree) -> ast.RiskShare:
        fields: dict[str, Any] = {"limits": []}

        def placement(kind):
            def handler(node, f, block):
                self.once(f, "placement", kind, node, block)
            return handler

        def minimum_variance(node, f, block):
            amount = self.amounts(node)[0]
            basis_tree = [s for s in self.subtrees(node) if s.data in ("from_first_pound", "above_minimum_only")][0]
            basis = "first pound" if basis_tree.data == "from_first_pound" else "above minimum"
            self.once(f, "minimum", ast.MinimumVariance(amount, basis, self.clause(node), self.span(node)), node, block)

        def bands(key):
            def handler(node, f, block):
                built = []
                for band in self.subtrees(node):
                    if band.data in ("band_up_to", "band_between", "band_above"):
                        try:
                            built.append(self.risk_band(band))
                        except BuildError:
                            continue
                self.once(f, key, tuple(built), node, block)
                f.setdefault(f"{key}_span", self.span(node))
                f.setdefault(f"{key}_clause", self.clause(node))
            return handler

        def exposure_limit(node, f, block):
            parts = {s.data: s for s in self.subtrees(node)}
            party = "provider" if "party_provider" in parts else "commissioner"
            exposure = "gains" if "exposure_gains" in parts else "losses"
            kind = "cap" if "limit_cap" in parts else "floor"
            limit = [s for s in self.subtrees(node) if s.data in ("limit_amount", "lesser_of", "greater_of")][0]
            combine = {"limit_amount": "single", "lesser_of": "lesser", "greater_of": "greater"}[limit.data]
            f["limits"].append(
                ast.ExposureLimit(party, exposure, kind, combine, tuple(self.amounts(limit)), self.clause(node), self.span(node))
            )

        def stop_loss(node, f, block):
            threshold = self.number(self.tokens(node, "MONEY")[0])
            coinsurance = None
            limit = None
            for sub in self.subtrees(node):
                if sub.data == "coinsurance":
                    coinsurance = self.number(sub.children[0])
                elif sub.data == "stop_loss_limit":
                    limit = self.number(sub.children[0])
            self.once(f, "stop_loss", ast.StopLoss(threshold, coinsurance, limit, self.clause(node), self.span(node)), node, block)

        self.build_items(
            tree,
            {
                "outside_budget": placement("outside"), "within_budget": placement("within"),
                "minimum_variance": minimum_variance, "gains": bands("gains"), "losses": bands("losses"),
                "exposure_limit": exposure_limit, "stop_loss": stop_loss,
            },
            fields,
            "risk share section",
        )
        fields["limits"] = tuple(fields["limits"])
        return ast.RiskShare(clause=self.clause(tree), span=self.span(tree), **fields)

    # ------------------------------------------------------------ distribution

    def distribution(self, tree: Tree) -> ast.Distribution:
        shares = []
        for child in self.subtrees(tree):
            if child.data != "subcontractor_share":
                continue
            try:
                name = child.children[0]
                parts = []
                for part in self.subtrees(child):
                    if part.data != "component_share":
                        continue
                    word = self.subtrees(part)[0].data
                    component = {"of_core": "core", "of_outcomes": "outcomes", "of_bonus": "bonus"}[word]
                    parts.append(ast.ComponentShare(component, self.number(self.token(part.children[0])), self.span(part)))
                shares.append(
                    ast.SubcontractorShare(str(name), tuple(parts), self.clause(child), self.span(child), self.span(name))
                )
            except BuildError:
                continue
        return ast.Distribution(tuple(shares), self.clause(tree), self.span(tree))

    # ------------------------------------------------------------ expressions

    def expression(self, node: Tree | Token, depth: int = 0, root: Tree | Token | None = None) -> ast.Expr:
        root = node if root is None else root
        if depth > MAX_EXPRESSION_DEPTH:
            self.report(
                "OBC104",
                f"expression nested more than {MAX_EXPRESSION_DEPTH} levels deep",
                root,
                help="split the expression into derived indicators with `measured as`",
            )
            raise BuildError
        span = self.span(node)
        if isinstance(node, Token):
            if node.type == "NAME":
                return ast.Reference(str(node), span)
            literal = {"PERCENT": "percent", "MONEY": "money"}.get(node.type, "number")
            return ast.Literal(self.number(node), literal, span)
        kind = node.data
        children = node.children
        sub = lambda child: self.expression(child, depth + 1, root)  # noqa: E731
        if kind == "literal":
            return sub(children[0])
        if kind == "reference":
            return ast.Reference(str(children[0]), span)
        if kind in ("add", "subtract", "multiply", "divide"):
            operator = {"add": "+", "subtract": "-", "multiply": "*", "divide": "/"}[kind]
            return ast.Arithmetic(operator, sub(children[0]), sub(children[1]), span)
        if kind == "negative":
            return ast.Negative(sub(children[0]), span)
        if kind == "compare":
            operator = COMPARATORS[" ".join(str(t).lower() for t in children[1].children)]
            return ast.Comparison(operator, sub(children[0]), sub(children[2]), span)
        if kind in ("either", "both"):
            operator = "or" if kind == "either" else "and"
            return ast.Logical(operator, sub(children[0]), sub(children[1]), span)
        if kind == "negation":
            return ast.Not(sub(children[0]), span)
        if kind == "achieved":
            return ast.Achieved(str(children[0]), span)
        if kind == "reached":
            return ast.Reached(str(children[0]), str(children[1]), span)
        if kind == "all_achieved":
            return ast.AllAchieved(span)
        if kind in ("minimum", "maximum"):
            function = "min" if kind == "minimum" else "max"
            return ast.Extremum(function, tuple(sub(c) for c in children), span)
        if len(children) == 1:  # parenthesised expression
            return sub(children[0])
        raise AssertionError(f"unknown expression node {kind}")


def build_contract(tree: Tree, source: SourceFile) -> tuple[ast.Contract, list[Diagnostic]]:
    """Turn a parse tree into a `Contract` and the problems found on the way."""
    builder = Builder(source)
    contract = builder.contract(tree)
    return contract, builder.diagnostics
