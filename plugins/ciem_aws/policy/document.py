"""IAM policy documents parsed and validated as AWS's policy grammar allows them.

Every other part of the AWS provider works on these types, never on raw JSON. A document AWS would
reject raises :class:`ciem.errors.InputError` naming the file and the JSON path of the offending
element.
"""

from __future__ import annotations

import json
import urllib.parse
from dataclasses import dataclass, field
from typing import Any, Mapping

from ciem.errors import InputError

VERSIONS = ("2012-10-17", "2008-10-17")
_STATEMENT_KEYS = {
    "Sid", "Effect", "Action", "NotAction", "Resource", "NotResource",
    "Principal", "NotPrincipal", "Condition",
}


@dataclass(frozen=True, slots=True)
class Statement:
    """One statement. Exactly one of ``actions``/``not_actions`` is set (the other is ``None``);
    likewise ``resources``/``not_resources`` (both ``None`` in a trust or resource policy that omits
    Resource) and ``principals``/``not_principals`` (both ``None`` in an identity policy).

    ``principals`` maps a principal type ("AWS", "Service", "Federated", "CanonicalUser", "*") to its
    values; ``Principal: "*"`` becomes ``{"*": ("*",)}``. ``conditions`` maps an operator as written
    (e.g. "ForAnyValue:StringLikeIfExists") to {key: values}.
    """

    effect: str  # "Allow" or "Deny"
    actions: tuple[str, ...] | None
    not_actions: tuple[str, ...] | None
    resources: tuple[str, ...] | None
    not_resources: tuple[str, ...] | None
    principals: Mapping[str, tuple[str, ...]] | None = None
    not_principals: Mapping[str, tuple[str, ...]] | None = None
    conditions: Mapping[str, Mapping[str, tuple[Any, ...]]] = field(default_factory=dict)
    sid: str = ""
    label: str = ""  # "<policy label>#<Sid or index>", used in provenance and explanations


@dataclass(frozen=True, slots=True)
class Policy:
    label: str  # e.g. an ARN, "inline:arn:aws:iam::1:role/x/policyname", "scp:p-123"
    version: str
    statements: tuple[Statement, ...]


def _as_tuple(value: Any, path: str, source: str, what: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise InputError(source, path, f"{what} must be a string or a non-empty list of strings")


def _principals(value: Any, path: str, source: str) -> dict[str, tuple[str, ...]]:
    if value == "*":
        return {"*": ("*",)}
    if not isinstance(value, dict) or not value:
        raise InputError(source, path, 'must be "*" or an object such as {"AWS": [...]}')
    out: dict[str, tuple[str, ...]] = {}
    for kind, values in value.items():
        if kind not in ("AWS", "Service", "Federated", "CanonicalUser"):
            raise InputError(source, f"{path}.{kind}", "unknown principal type")
        out[kind] = _as_tuple(values, f"{path}.{kind}", source, "a principal")
    return out


def _conditions(value: Any, path: str, source: str) -> dict[str, dict[str, tuple[Any, ...]]]:
    if not isinstance(value, dict):
        raise InputError(source, path, "Condition must be an object of operators")
    out: dict[str, dict[str, tuple[Any, ...]]] = {}
    for operator, block in value.items():
        if not isinstance(block, dict) or not block:
            raise InputError(source, f"{path}.{operator}", "a condition operator needs an object of keys")
        keys: dict[str, tuple[Any, ...]] = {}
        for key, values in block.items():
            items = tuple(values) if isinstance(values, list) else (values,)
            if not items or any(isinstance(v, (dict, list)) or v is None for v in items):
                raise InputError(source, f"{path}.{operator}.{key}", "condition values must be strings, numbers or booleans")
            keys[key] = items
        out[operator] = keys
    return out


def parse_statement(raw: Any, label: str, path: str, source: str, index: int) -> Statement:
    if not isinstance(raw, dict):
        raise InputError(source, path, "a statement must be an object")
    unknown = set(raw) - _STATEMENT_KEYS
    if unknown:
        raise InputError(source, f"{path}.{sorted(unknown)[0]}", "not a policy statement element")
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise InputError(source, f"{path}.Effect", 'Effect must be "Allow" or "Deny"')
    if ("Action" in raw) == ("NotAction" in raw):
        raise InputError(source, path, "a statement needs exactly one of Action and NotAction")
    if "Resource" in raw and "NotResource" in raw:
        raise InputError(source, path, "a statement may not have both Resource and NotResource")
    if "Principal" in raw and "NotPrincipal" in raw:
        raise InputError(source, path, "a statement may not have both Principal and NotPrincipal")
    sid = raw.get("Sid", "")
    if not isinstance(sid, str):
        raise InputError(source, f"{path}.Sid", "Sid must be a string")

    def optional(key: str, what: str) -> tuple[str, ...] | None:
        return _as_tuple(raw[key], f"{path}.{key}", source, what) if key in raw else None

    return Statement(
        effect=effect,
        actions=optional("Action", "Action"),
        not_actions=optional("NotAction", "NotAction"),
        resources=optional("Resource", "Resource"),
        not_resources=optional("NotResource", "NotResource"),
        principals=_principals(raw["Principal"], f"{path}.Principal", source) if "Principal" in raw else None,
        not_principals=_principals(raw["NotPrincipal"], f"{path}.NotPrincipal", source) if "NotPrincipal" in raw else None,
        conditions=_conditions(raw["Condition"], f"{path}.Condition", source) if "Condition" in raw else {},
        sid=sid,
        label=f"{label}#{sid or index}",
    )


def decode_document(raw: Any, source: str, path: str) -> dict[str, Any]:
    """A policy document as an object, from an object, a JSON string or a URL-encoded JSON string."""
    if isinstance(raw, dict):
        return raw
    if isinstance(raw, str):
        text = raw
        if text.lstrip().startswith("%7B") or text.lstrip().startswith("%7b"):
            text = urllib.parse.unquote(text)
        try:
            value = json.loads(text)
        except json.JSONDecodeError as error:
            raise InputError(source, path, f"policy document is not valid JSON: {error}") from None
        if isinstance(value, dict):
            return value
    raise InputError(source, path, "a policy document must be a JSON object")


def parse_policy(raw: Any, label: str, source: str = "<policy>", path: str = "$") -> Policy:
    """Parse and validate one policy document.

    :param raw: the document (object, JSON string or URL-encoded JSON string).
    :param label: names the policy in provenance (an ARN, ``inline:...``, ``scp:...``).
    :param source: the file the document came from, for errors.
    :param path: the JSON path of the document inside that file, for errors.
    """
    document = decode_document(raw, source, path)
    version = document.get("Version", "2008-10-17")
    if version not in VERSIONS:
        raise InputError(source, f"{path}.Version", f"unsupported policy Version {version!r}")
    unknown = set(document) - {"Version", "Id", "Statement"}
    if unknown:
        raise InputError(source, f"{path}.{sorted(unknown)[0]}", "not a policy document element")
    if "Statement" not in document:
        raise InputError(source, path, "a policy document needs a Statement")
    statements = document["Statement"]
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list):
        raise InputError(source, f"{path}.Statement", "Statement must be an object or a list")
    return Policy(
        label=label,
        version=version,
        statements=tuple(
            parse_statement(raw_statement, label, f"{path}.Statement[{index}]", source, index)
            for index, raw_statement in enumerate(statements)
        ),
    )
