"""The Condition element, evaluated as AWS documents it.

* Several operators in a block, and several keys under one operator: AND.
* Several values for one key: OR; for a negated operator (``StringNotEquals`` ...): NOR.
* A key the request lacks: false, true for a negated operator, true for ``...IfExists``;
  ``ForAnyValue:`` is false and ``ForAllValues:`` true on a missing or empty key; ``Null`` tests
  presence itself.
* A key whose presence is unknown (analysis of an incomplete context) makes the result unknown
  (``None``) unless the other parts already decide it.

See https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
and reference_policies_condition-single-vs-multi-valued-context-keys.html.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any, Callable, Iterable, Mapping

from ciem_aws.policy.variables import (
    ABSENT,
    LITERAL_QUESTION,
    LITERAL_STAR,
    PRESENT,
    VARIABLES_VERSION,
    ContextView,
    as_view,
    substitute_pattern,
)
from ciem_aws.policy.matching import arn_like, wildcard_match


@dataclass(frozen=True)
class ConditionResult:
    """``value`` None means unknown: it depends on the context keys in ``missing``.

    ``missing`` lists every key the conditions referenced that the context did not supply: the
    unknown ones in an incomplete context, the absent ones in a complete context (what AWS's
    simulator reports as MissingContextValues).
    """

    value: bool | None
    missing: tuple[str, ...] = ()


def _kleene_and(values: Iterable[bool | None]) -> bool | None:
    result: bool | None = True
    for value in values:
        if value is False:
            return False
        if value is None:
            result = None
    return result


def _kleene_or(values: Iterable[bool | None]) -> bool | None:
    result: bool | None = False
    for value in values:
        if value is True:
            return True
        if value is None:
            result = None
    return result


def _kleene_not(value: bool | None) -> bool | None:
    return None if value is None else not value


# --- value parsers and comparisons ------------------------------------------------------------


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _date(text: str) -> datetime | None:
    """ISO 8601 (date, date-time, with Z or an offset) or seconds since the epoch."""
    epoch = _number(text)
    if epoch is not None:
        return datetime.fromtimestamp(epoch, tz=timezone.utc)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


@lru_cache(maxsize=4096)
def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _binary(text: str) -> bytes | str:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return text


def _plain(pattern: str) -> str:
    return pattern.replace(LITERAL_STAR, "*").replace(LITERAL_QUESTION, "?")


def _compare(check: Callable[[Any, Any], bool], parse: Callable[[str], Any]) -> Callable[[str, str], bool]:
    def matcher(actual: str, expected: str) -> bool:
        left, right = parse(actual), parse(_plain(expected))
        return left is not None and right is not None and check(left, right)

    return matcher


def _ip_match(actual: str, expected: str) -> bool:
    address, network = _address(actual), _network(expected)
    return address is not None and network is not None and address.version == network.version and address in network


@dataclass(frozen=True, slots=True)
class _Base:
    match: Callable[[str, str], bool]  # (context value, policy value) -> the positive test
    negated: bool = False
    variables: bool = False  # policy variables allowed in the values


_equals = lambda a, b: a == _plain(b)  # noqa: E731
_equals_ci = lambda a, b: a.lower() == _plain(b).lower()  # noqa: E731
_like = lambda a, b: wildcard_match(b, a)  # noqa: E731
_number_eq = _compare(lambda a, b: a == b, _number)
_date_eq = _compare(lambda a, b: a == b, _date)
_arn = lambda a, b: arn_like(b, a)  # noqa: E731

_BASES: dict[str, _Base] = {
    "StringEquals": _Base(_equals, variables=True),
    "StringNotEquals": _Base(_equals, negated=True, variables=True),
    "StringEqualsIgnoreCase": _Base(_equals_ci, variables=True),
    "StringNotEqualsIgnoreCase": _Base(_equals_ci, negated=True, variables=True),
    "StringLike": _Base(_like, variables=True),
    "StringNotLike": _Base(_like, negated=True, variables=True),
    "NumericEquals": _Base(_number_eq),
    "NumericNotEquals": _Base(_number_eq, negated=True),
    "NumericLessThan": _Base(_compare(lambda a, b: a < b, _number)),
    "NumericLessThanEquals": _Base(_compare(lambda a, b: a <= b, _number)),
    "NumericGreaterThan": _Base(_compare(lambda a, b: a > b, _number)),
    "NumericGreaterThanEquals": _Base(_compare(lambda a, b: a >= b, _number)),
    "DateEquals": _Base(_date_eq),
    "DateNotEquals": _Base(_date_eq, negated=True),
    "DateLessThan": _Base(_compare(lambda a, b: a < b, _date)),
    "DateLessThanEquals": _Base(_compare(lambda a, b: a <= b, _date)),
    "DateGreaterThan": _Base(_compare(lambda a, b: a > b, _date)),
    "DateGreaterThanEquals": _Base(_compare(lambda a, b: a >= b, _date)),
    "Bool": _Base(lambda a, b: a.lower() == _plain(b).lower(), variables=True),
    "BinaryEquals": _Base(lambda a, b: _binary(a) == _binary(b)),
    "IpAddress": _Base(_ip_match),
    "NotIpAddress": _Base(_ip_match, negated=True),
    "ArnEquals": _Base(_arn, variables=True),
    "ArnLike": _Base(_arn, variables=True),
    "ArnNotEquals": _Base(_arn, negated=True, variables=True),
    "ArnNotLike": _Base(_arn, negated=True, variables=True),
}
_BASES_LOWER = {name.lower(): (name, base) for name, base in _BASES.items()}


@dataclass(frozen=True, slots=True)
class Operator:
    name: str  # as written
    base: str  # canonical base name, e.g. "StringLike"; "Null" for the null check
    set_operator: str = ""  # "", "ForAnyValue" or "ForAllValues"
    if_exists: bool = False


@lru_cache(maxsize=1024)
def parse_operator(name: str) -> Operator:
    """Split ``ForAllValues:StringLikeIfExists`` into its parts; ValueError for an operator AWS rejects."""
    rest = name
    set_operator = ""
    prefix, sep, tail = name.partition(":")
    if sep:
        if prefix.lower() not in ("foranyvalue", "forallvalues"):
            raise ValueError(f"unknown condition operator {name!r}: the only qualifiers are ForAnyValue: and ForAllValues:")
        set_operator = "ForAnyValue" if prefix.lower() == "foranyvalue" else "ForAllValues"
        rest = tail
    if rest.lower() == "null":
        if set_operator:
            raise ValueError(f"unknown condition operator {name!r}: Null takes no set qualifier")
        return Operator(name, "Null")
    if_exists = rest.lower().endswith("ifexists")
    if if_exists:
        rest = rest[: -len("ifexists")]
    canonical = _BASES_LOWER.get(rest.lower())
    if canonical is None:
        raise ValueError(f"unknown condition operator {name!r}")
    return Operator(name, canonical[0], set_operator, if_exists)


def validate_conditions(conditions: Mapping[str, Mapping[str, tuple[Any, ...]]]) -> None:
    """Raise ValueError naming the first operator AWS would reject."""
    for name in conditions:
        parse_operator(name)


def _policy_values(values: tuple[Any, ...], base: _Base, view: ContextView, version: str) -> tuple[list[str], list[str]]:
    """The policy's values with variables substituted, and the keys of variables that are unknown."""
    resolved: list[str] = []
    unknown: list[str] = []
    for raw in values:
        text = "true" if raw is True else "false" if raw is False else str(raw)
        if not base.variables:
            resolved.append(text)
            continue
        result = substitute_pattern(text, view, version)
        if result.text is not None:
            resolved.append(result.text)
        else:
            unknown.extend(result.missing)
    return resolved, unknown


def _evaluate_key(operator: Operator, key: str, values: tuple[Any, ...], view: ContextView, version: str, missing: list[str]) -> bool | None:
    state, actual = view.lookup(key)
    if operator.base == "Null":
        if state != PRESENT and state != ABSENT:
            missing.append(key)
            return None
        if state == ABSENT and view.complete:
            missing.append(key)
        is_null = state == ABSENT
        return any(str(v).lower() == ("true" if is_null else "false") for v in values)
    if state == ABSENT:
        if view.complete:
            missing.append(key)
        if operator.if_exists:
            return True
        if operator.set_operator == "ForAnyValue":
            return False
        if operator.set_operator == "ForAllValues":
            return True
        return _BASES[operator.base].negated
    if state != PRESENT:
        missing.append(key)
        return None
    base = _BASES[operator.base]
    expected, unknown = _policy_values(values, base, view, version)
    missing.extend(unknown)

    def hit(value: str) -> bool | None:
        """Whether one context value matches any policy value (NOR applied by the caller)."""
        if any(base.match(value, candidate) for candidate in expected):
            return True
        return None if unknown else False

    if operator.set_operator == "ForAllValues":
        return _kleene_and(_kleene_not(hit(v)) if base.negated else hit(v) for v in actual)
    if operator.set_operator == "ForAnyValue":
        return _kleene_or(_kleene_not(hit(v)) if base.negated else hit(v) for v in actual)
    any_hit = _kleene_or(hit(v) for v in actual)
    return _kleene_not(any_hit) if base.negated else any_hit


def evaluate_conditions(
    conditions: Mapping[str, Mapping[str, tuple[Any, ...]]],
    context: Mapping[str, Any] | ContextView,
    *,
    context_complete: bool,
    version: str = VARIABLES_VERSION,
) -> ConditionResult:
    """Evaluate a statement's Condition block against a request context.

    :param conditions: operator -> {key: values}, as :class:`Statement.conditions` holds them.
    :param context: key -> value or list of values (keys case-insensitive), or a ContextView that
        also knows which keys are known to be absent.
    :param context_complete: True: an absent key is absent (simulator); False: unknown (analysis).
    :param version: the policy's Version; variables are substituted only in 2012-10-17.
    :raises ValueError: for an operator AWS rejects.
    """
    view = as_view(context, context_complete)
    missing: list[str] = []
    results = []
    for name, block in conditions.items():
        operator = parse_operator(name)
        for key, values in block.items():
            results.append(_evaluate_key(operator, key, values, view, version, missing))
    return ConditionResult(_kleene_and(results), tuple(dict.fromkeys(missing)))
