"""Azure ABAC conditions (``conditionVersion`` 2.0), parsed and evaluated with three-valued logic.

A condition on a role assignment restricts only the actions it targets: the documented form is
``(!(ActionMatches{'a'}) OR (<expression>))``, so for an action no ``ActionMatches`` names the
condition holds whatever the attributes. Attributes (``@Resource[...]``, ``@Request[...]``,
``@Principal[...]``, ``@Environment[...]``) come from the request context; one that is unknown makes the
result unknown (None), which the resolver reports as conditional on that attribute.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Mapping

from ciem.patterns import glob_match

_TOKEN = re.compile(r"""
    \s*(?:
      (?P<lp>\() | (?P<rp>\)) | (?P<not>!|\bNOT\b) | (?P<and>&&|\bAND\b) | (?P<or>\|\||\bOR\b)
    | (?P<func>ActionMatches|SubOperationMatches)\s*\{(?P<fargs>[^}]*)\}
    | (?P<attr>@(?:Resource|Request|Principal|Environment)\[[^\]]+\])
    | (?P<op>(?:ForAnyOfAnyValues:|ForAllOfAnyValues:|ForAnyOfAllValues:|ForAllOfAllValues:)?[A-Za-z]+)
    | \{(?P<set>[^}]*)\}
    | '(?P<str>[^']*)'
    | (?P<num>-?\d+(?:\.\d+)?)
    )""", re.VERBOSE | re.IGNORECASE)


class ConditionError(ValueError):
    """A condition this parser cannot read."""


@dataclass(frozen=True)
class Node:
    kind: str  # and, or, not, action, suboperation, compare
    children: tuple["Node", ...] = ()
    values: tuple[str, ...] = ()
    attribute: str = ""
    operator: str = ""


def _strings(text: str) -> tuple[str, ...]:
    return tuple(re.findall(r"'([^']*)'", text))


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise ConditionError(f"cannot read the condition at {text[position:position + 30]!r}")
        position = match.end()
        kind = match.lastgroup
        if kind == "fargs":
            kind = "func"
        tokens.append((kind, match.group(0).strip()))
    return tokens


class _Parser:
    def __init__(self, text: str):
        self.tokens = _tokens(text)
        self.at = 0

    def peek(self) -> str:
        return self.tokens[self.at][0] if self.at < len(self.tokens) else ""

    def take(self) -> tuple[str, str]:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def parse(self) -> Node:
        node = self.or_()
        if self.at != len(self.tokens):
            raise ConditionError(f"unexpected {self.tokens[self.at][1]!r}")
        return node

    def or_(self) -> Node:
        nodes = [self.and_()]
        while self.peek() == "or":
            self.take()
            nodes.append(self.and_())
        return nodes[0] if len(nodes) == 1 else Node("or", tuple(nodes))

    def and_(self) -> Node:
        nodes = [self.unary()]
        while self.peek() == "and":
            self.take()
            nodes.append(self.unary())
        return nodes[0] if len(nodes) == 1 else Node("and", tuple(nodes))

    def unary(self) -> Node:
        kind = self.peek()
        if kind == "not":
            self.take()
            return Node("not", (self.unary(),))
        if kind == "lp":
            self.take()
            node = self.or_()
            if self.peek() != "rp":
                raise ConditionError("missing ')'")
            self.take()
            return node
        if kind == "func":
            _, text = self.take()
            name = text.split("{", 1)[0].strip().lower()
            return Node("action" if name == "actionmatches" else "suboperation", values=_strings(text))
        if kind == "attr":
            _, attribute = self.take()
            if self.peek() != "op":
                raise ConditionError(f"{attribute} needs an operator")
            _, operator = self.take()
            kind, text = self.take() if self.at < len(self.tokens) else ("", "")
            if kind == "set":
                values = tuple(v.strip().strip("'").strip() for v in text.strip()[1:-1].split(",") if v.strip())
            elif kind == "str":
                values = (text[1:-1],)
            elif kind == "num":
                values = (text,)
            else:
                raise ConditionError(f"{attribute} {operator} needs a value")
            return Node("compare", values=values, attribute=attribute, operator=operator)
        raise ConditionError(f"unexpected {self.tokens[self.at][1]!r}" if self.at < len(self.tokens) else "condition ends early")


@lru_cache(maxsize=4096)
def parse(text: str) -> Node:
    return _Parser(text).parse()


def attributes(node: Node) -> tuple[str, ...]:
    """The attributes a condition reads, in order."""
    found: list[str] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if current.kind == "compare":
            found.append(current.attribute)
        stack.extend(reversed(current.children))
    return tuple(dict.fromkeys(found))


def _lookup(context: Mapping[str, Any], attribute: str) -> Any:
    for key, value in context.items():
        if key.lower() == attribute.lower():
            return value
    return None


def _compare(operator: str, actual: Any, expected: tuple[str, ...]) -> bool:
    op = operator.lower()
    quantifier, _, op = op.rpartition(":")
    actual_values = [str(v) for v in actual] if isinstance(actual, (list, tuple, set)) else [str(actual)]
    negate = "not" in op
    op = op.replace("not", "")
    ignore_case = op.endswith("ignorecase") or op.startswith("guid")
    op = op.replace("ignorecase", "")

    def one(value: str, wanted: str) -> bool:
        a, b = (value.lower(), wanted.lower()) if ignore_case else (value, wanted)
        if op in ("stringequals", "guidequals", "boolequals"):
            return a == b
        if op == "stringlike":
            return glob_match(b, a)
        if op == "stringstartswith":
            return a.startswith(b)
        if op.startswith("numeric"):
            x, y = float(value), float(wanted)
            return {"numericequals": x == y, "numericlessthan": x < y, "numericlessthanequals": x <= y,
                    "numericgreaterthan": x > y, "numericgreaterthanequals": x >= y}.get(op, False)
        raise ConditionError(f"unsupported operator {operator!r}")

    if quantifier.startswith("forallof"):
        result = all(any(one(v, w) for w in expected) for v in actual_values)
    else:
        result = any(one(v, w) for v in actual_values for w in expected)
    return not result if negate else result


def evaluate(node: Node, action: str, context: Mapping[str, Any], suboperation: str = "") -> bool | None:
    """True, False, or None when an attribute the outcome depends on is not in ``context``."""
    if node.kind == "action":
        return any(glob_match(pattern, action, case_sensitive=False) for pattern in node.values)
    if node.kind == "suboperation":
        return any(pattern.lower() == suboperation.lower() for pattern in node.values) if suboperation else False
    if node.kind == "compare":
        actual = _lookup(context, node.attribute)
        return None if actual is None else _compare(node.operator, actual, node.values)
    results = [evaluate(child, action, context, suboperation) for child in node.children]
    if node.kind == "not":
        return None if results[0] is None else not results[0]
    if node.kind == "and":
        return False if False in results else (None if None in results else True)
    return True if True in results else (None if None in results else False)
