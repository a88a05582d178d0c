"""IAM Conditions and deny conditions: CEL expressions evaluated with cel-python.

An expression is decided only when every attribute it reads is known; otherwise it stays
"conditional" and the attributes it reads are the condition keys a grant or an edge carries.
Attributes, as Google documents them: ``request.time``, ``resource.name``, ``resource.type``,
``resource.service``, resource tags (``resource.matchTag``, ``matchTagId``, ``hasTagKey``,
``hasTagKeyId``: key ``resource.tags``), ``api.getAttribute(...)``, ``request.auth.*``,
``destination.ip`` / ``destination.port``, ``request.host`` / ``request.path``. An expression that
fails to evaluate grants nothing, as IAM treats an error as false.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache
from typing import Any, Mapping

import celpy
from celpy import celtypes

_ATTRIBUTES = re.compile(
    r"\b(request\.time|resource\.name|resource\.type|resource\.service|request\.auth(?:\.\w+)*|destination\.ip|"
    r"destination\.port|request\.host|request\.path|api\.getAttribute\(\s*['\"][^'\"]+['\"])")
_TAGS = re.compile(r"\bresource\.(?:matchTag|matchTagId|hasTagKey|hasTagKeyId)\s*\(")
TAGS = "resource.tags"


class ConditionError(ValueError):
    """A CEL expression Google would reject."""


def keys_of(expression: str) -> tuple[str, ...]:
    """The request attributes an expression reads, in order of first use."""
    keys = []
    for match in _ATTRIBUTES.finditer(expression):
        key = match.group(1)
        if key.startswith("api.getAttribute"):
            key = "api.getAttribute(" + key.split("(", 1)[1].strip().strip("'\"") + ")"
        keys.append(key)
    if _TAGS.search(expression):
        keys.append(TAGS)
    return tuple(dict.fromkeys(keys))


@lru_cache(maxsize=4096)
def _program(expression: str) -> Any:
    environment = celpy.Environment()
    try:
        ast = environment.compile(expression)
    except Exception as error:  # celpy raises its parser's own exception types
        raise ConditionError(f"not a CEL expression: {expression!r}: {str(error).splitlines()[0]}") from None
    return environment.program(ast, functions=_FUNCTIONS)


def check(expression: str) -> None:
    """Raise :class:`ConditionError` for an expression that does not parse."""
    _program(expression)


def _tags(resource: Any) -> Mapping[Any, Any]:
    return resource.get(celtypes.StringType("tags"), celtypes.MapType({}))


def _match_tag(resource: Any, key: Any, value: Any) -> celtypes.BoolType:
    return celtypes.BoolType(_tags(resource).get(key) == value)


def _has_tag_key(resource: Any, key: Any) -> celtypes.BoolType:
    return celtypes.BoolType(key in _tags(resource))


def _get_attribute(api: Any, name: Any, default: Any) -> Any:
    return api.get(name, default)


def _has_only(values: Any, allowed: Any) -> celtypes.BoolType:
    """Google's list extension: every element of the list is one of ``allowed``."""
    return celtypes.BoolType(all(value in allowed for value in values))


_FUNCTIONS = {"getAttribute": _get_attribute, "hasOnly": _has_only, "matchTag": _match_tag, "matchTagId": _match_tag, "hasTagKey": _has_tag_key,
              "hasTagKeyId": _has_tag_key}


def _activation(context: Mapping[str, Any]) -> dict[str, Any]:
    """Nested CEL maps from dotted keys: ``{"resource.name": n}`` -> ``resource: {name: n}``."""
    tree: dict[str, Any] = {}
    for key, value in context.items():
        if key == TAGS:
            tree.setdefault("resource", {})["tags"] = dict(value)
            continue
        if key.startswith("api.getAttribute("):
            tree.setdefault("api", {})[key[len("api.getAttribute("):-1]] = value
            continue
        parts = key.split(".")
        node = tree
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    out = {}
    for name, value in tree.items():
        out[name] = _to_cel(value)
    return out


def _to_cel(value: Any) -> Any:
    if isinstance(value, dict):
        return celtypes.MapType({celtypes.StringType(k): _to_cel(v) for k, v in value.items()})
    if isinstance(value, datetime):
        return celtypes.TimestampType(value)
    return celpy.json_to_cel(value)


def evaluate(expression: str, context: Mapping[str, Any]) -> bool | None:
    """True or False when every attribute the expression reads is in ``context``; None otherwise.

    ``request.time`` may be a datetime or an RFC 3339 string.
    """
    keys = keys_of(expression)
    if any(key not in context for key in keys):
        return None
    known = dict(context)
    if isinstance(known.get("request.time"), str):
        known["request.time"] = celtypes.TimestampType(known["request.time"])
    activation = _activation(known)
    try:
        result = _program(expression).evaluate(activation)
    except Exception:  # an evaluation error is false in IAM
        return False
    return bool(result) if isinstance(result, (bool, celtypes.BoolType)) else False


def evaluate_assertion(expression: str, variables: Mapping[str, Any]) -> bool | None:
    """A workload identity provider's ``attributeCondition`` over what a token is known to assert:
    True or False, or None when it reads an attribute ``variables`` lacks."""
    try:
        result = _program(expression).evaluate({k: _to_cel(v) for k, v in variables.items()})
    except Exception:  # an unknown attribute: the condition depends on the token
        return None
    return bool(result) if isinstance(result, (bool, celtypes.BoolType)) else None
