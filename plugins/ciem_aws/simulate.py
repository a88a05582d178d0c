"""``ciem aws simulate``: AWS's policy simulator, offline, with SCPs, RCPs and session policies too.

The cases file holds one JSON object a line, with the request fields of IAM's
SimulateCustomPolicy / SimulatePrincipalPolicy (PolicyInputList, PermissionsBoundaryPolicyInputList,
ResourcePolicy, ResourceOwner, CallerArn, ActionNames, ResourceArns, ContextEntries) and these
extensions:

* ``ServiceControlPolicyInputList``: SCPs as a list of levels, root first, each a list of policies;
* ``ResourceControlPolicyInputList``: RCPs, the same shape, for the resource's account;
* ``SessionPolicyInputList``: the session policies of the caller's session.

Like AWS's simulator, the context is complete: a key not in ContextEntries is absent from the
request, and the keys the deciding statements looked for are reported as MissingContextValues.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import ipaddress
import json
import re
import sys
from pathlib import Path
from typing import Any, Callable

from ciem.errors import InputError
from ciem.model import Decision
from ciem_aws.policy.conditions import validate_conditions
from ciem_aws.policy.document import Policy, parse_policy
from ciem_aws.policy.evaluate import EXPLICIT_DENY, NOT_APPLICABLE, RequestContext, evaluate_request
from ciem_aws.policy.matching import PrincipalRef

_KNOWN_FIELDS = {
    "PolicyInputList", "PermissionsBoundaryPolicyInputList", "SessionPolicyInputList",
    "ServiceControlPolicyInputList", "ResourceControlPolicyInputList", "ResourcePolicy",
    "ResourceOwner", "CallerArn", "ActionNames", "ResourceArns", "ContextEntries",
}
# Accepted for compatibility with AWS's request shape; they change nothing offline.
_IGNORED_FIELDS = {"ResourceHandlingOption", "MaxItems", "Marker"}


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _is_date(text: str) -> bool:
    from datetime import datetime

    if _is_number(text):
        return True
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False
    return True


def _is_binary(text: str) -> bool:
    try:
        base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


# ContextKeyType (IAM API ContextEntry) -> how each value must look.
_CONTEXT_TYPES: dict[str, Callable[[str], bool]] = {
    "string": lambda text: True,
    "numeric": _is_number,
    "boolean": lambda text: text.lower() in ("true", "false"),
    "ip": _is_ip,
    "binary": _is_binary,
    "date": _is_date,
}


class _Case:
    """One line of the cases file, read and checked."""

    def __init__(self, case: Any, source: str, line: int):
        self.source, self.line = source, line
        if not isinstance(case, dict):
            self.fail("", "a case must be a JSON object")
        if "PolicySourceArn" in case:
            self.fail("PolicySourceArn", "needs live IAM data; put the principal's policies in PolicyInputList instead")
        unknown = set(case) - _KNOWN_FIELDS - _IGNORED_FIELDS
        if unknown:
            self.fail(sorted(unknown)[0], f"unknown field (expected one of {', '.join(sorted(_KNOWN_FIELDS))})")
        self.case = case

    def fail(self, where: str, problem: str) -> None:
        raise InputError(self.source, f"line {self.line}" + (f": {where}" if where else ""), problem)

    def strings(self, name: str, *, required: bool = False) -> list[str]:
        value = self.case.get(name)
        if value is None:
            if required:
                self.fail(name, "required")
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value) or (required and not value):
            self.fail(name, "must be a non-empty list of non-empty strings")
        return value

    def policy(self, raw: Any, label: str, where: str) -> Policy:
        if not isinstance(raw, (str, dict)):
            self.fail(where, "a policy must be a JSON string (or object)")
        policy = parse_policy(raw, label, self.source, f"line {self.line}: {where}")
        for stmt in policy.statements:
            try:
                validate_conditions(stmt.conditions)
            except ValueError as error:
                self.fail(f"{where} statement {stmt.sid or stmt.label}", str(error))
        return policy

    def policies(self, name: str) -> list[Policy] | None:
        if name not in self.case:
            return None
        value = self.case[name]
        if not isinstance(value, list):
            self.fail(name, "must be a list of policy documents")
        return [self.policy(raw, f"{name}.{index}", f"{name}[{index - 1}]") for index, raw in enumerate(value, start=1)]

    def levels(self, name: str) -> list[list[Policy]] | None:
        if name not in self.case:
            return None
        value = self.case[name]
        if not isinstance(value, list) or not value or not all(isinstance(level, list) for level in value):
            self.fail(name, "must be a non-empty list of levels (root first), each a list of policy documents")
        return [
            [self.policy(raw, f"{name}.{level}.{index}", f"{name}[{level - 1}][{index - 1}]") for index, raw in enumerate(policies, start=1)]
            for level, policies in enumerate(value, start=1)
        ]

    def resource_owner(self) -> str | None:
        owner = self.case.get("ResourceOwner")
        if owner is None:
            return None
        match = re.fullmatch(r"(?:arn:[^:]+:iam::)?(\d{12})(?::root)?", owner) if isinstance(owner, str) else None
        if not match:
            self.fail("ResourceOwner", "must be an account id or an account ARN such as arn:aws:iam::123456789012:root")
        return match.group(1)

    def caller(self, owner: str | None) -> PrincipalRef:
        arn = self.case.get("CallerArn")
        if arn is None:
            if "ResourcePolicy" in self.case:
                self.fail("CallerArn", "required when the case has a ResourcePolicy (as in AWS)")
            # Without a resource policy the caller only matters through its account: AWS's
            # simulator then stands in an IAM user of the resource owner's account.
            return PrincipalRef("", owner or "", "user")
        if not isinstance(arn, str):
            self.fail("CallerArn", "must be a string")
        try:
            return PrincipalRef.from_arn(arn)
        except ValueError as error:
            self.fail("CallerArn", str(error))
        raise AssertionError("unreachable")

    def context(self) -> dict[str, list[str] | str]:
        entries = self.case.get("ContextEntries", [])
        if not isinstance(entries, list):
            self.fail("ContextEntries", "must be a list of {ContextKeyName, ContextKeyValues, ContextKeyType}")
        context: dict[str, list[str] | str] = {}
        for index, entry in enumerate(entries):
            where = f"ContextEntries[{index}]"
            if not isinstance(entry, dict) or set(entry) - {"ContextKeyName", "ContextKeyValues", "ContextKeyType"}:
                self.fail(where, "must be an object with ContextKeyName, ContextKeyValues and ContextKeyType")
            name, values, kind = entry.get("ContextKeyName"), entry.get("ContextKeyValues"), entry.get("ContextKeyType")
            if not isinstance(name, str) or not name:
                self.fail(f"{where}.ContextKeyName", "required, a string")
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                self.fail(f"{where}.ContextKeyValues", "required, a list of strings")
            if not isinstance(kind, str):
                self.fail(f"{where}.ContextKeyType", "required, a string")
            is_list = kind.endswith("List")
            base = kind[:-4] if is_list else kind
            check = _CONTEXT_TYPES.get(base)
            if check is None:
                types = ", ".join(f"{t}, {t}List" for t in _CONTEXT_TYPES)
                self.fail(f"{where}.ContextKeyType", f"unknown type {kind!r} (expected one of {types})")
            if not is_list and len(values) != 1:
                self.fail(f"{where}.ContextKeyValues", f"a {kind} key takes exactly one value; use {kind}List for several")
            for value in values:
                if not check(value):
                    self.fail(f"{where}.ContextKeyValues", f"{value!r} is not a valid {base} value")
            if name.lower() in {key.lower() for key in context}:
                self.fail(f"{where}.ContextKeyName", f"{name!r} appears twice")
            context[name] = list(values) if is_list else values[0]
        return context


def _result(action: str, resource: str, decision: Decision, line: int) -> dict[str, Any]:
    shown = [v for v in decision.layers if v.verdict == "deny"] if decision.decision == EXPLICIT_DENY else list(decision.layers)
    matched = list(dict.fromkeys(label for verdict in shown for label in verdict.statements))
    return {
        "Line": line,
        "EvalActionName": action,
        "EvalResourceName": resource,
        "EvalDecision": decision.decision,
        "MatchedStatements": matched,
        "MissingContextValues": list(decision.missing_context),
        "Layers": {
            verdict.layer: {"Verdict": verdict.verdict, "Statements": list(verdict.statements), "Detail": verdict.detail}
            for verdict in decision.layers
        },
    }


def simulate_case(case: dict, source: str, line: int) -> list[dict]:
    """Evaluate every (action, resource) pair of one case; one result dict per pair, in order.

    :raises InputError: naming ``source`` and ``line`` for a malformed case or a policy AWS rejects.
    """
    checked = _Case(case, source, line)
    actions = checked.strings("ActionNames", required=True)
    for action in actions:
        if ":" not in action:
            checked.fail("ActionNames", f"{action!r} is not an action name such as s3:GetObject")
    resources = checked.strings("ResourceArns") or ["*"]
    owner = checked.resource_owner()
    caller = checked.caller(owner)
    identity = checked.policies("PolicyInputList") or []
    boundary = checked.policies("PermissionsBoundaryPolicyInputList")
    session = checked.policies("SessionPolicyInputList")
    scps = checked.levels("ServiceControlPolicyInputList")
    rcps = checked.levels("ResourceControlPolicyInputList")
    resource_policy = None
    if "ResourcePolicy" in case:
        resource_policy = checked.policy(case["ResourcePolicy"], "ResourcePolicy", "ResourcePolicy")
    context = checked.context()
    results = []
    for action in actions:
        for resource in resources:
            decision = evaluate_request(RequestContext(
                caller=caller,
                action=action,
                resource=resource,
                identity_policies=identity,
                permission_boundary=boundary,
                session_policies=session,
                scp_levels=scps,
                rcp_levels=rcps,
                resource_policy=resource_policy,
                resource_account=owner,
                context=context,
                context_complete=True,
            ))
            results.append(_result(action, resource, decision, line))
    return results


def simulate_file(path: Path) -> list[dict]:
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(source, "", "no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(source, "", f"cannot read: {error}") from None
    results = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            case = json.loads(raw)
        except json.JSONDecodeError as error:
            raise InputError(source, f"line {number}", f"not valid JSON: {error}") from None
        results.extend(simulate_case(case, source, number))
    return results


def _layer_summary(layers: dict[str, dict]) -> str:
    return " ".join(f"{name}={'n/a' if info['Verdict'] == NOT_APPLICABLE else info['Verdict']}" for name, info in layers.items())


def _table(results: list[dict]) -> str:
    headers = ("LINE", "ACTION", "RESOURCE", "DECISION", "MATCHED STATEMENTS", "MISSING CONTEXT", "LAYERS")
    rows = [
        (str(r["Line"]), r["EvalActionName"], r["EvalResourceName"], r["EvalDecision"],
         ", ".join(r["MatchedStatements"]) or "-", ", ".join(r["MissingContextValues"]) or "-", _layer_summary(r["Layers"]))
        for r in results
    ]
    widths = [max(len(row[i]) for row in [headers, *rows]) for i in range(len(headers))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in [headers, *rows])


def run(args: argparse.Namespace) -> int:
    results = simulate_file(Path(args.cases))
    if args.format == "json":
        print(json.dumps({"EvaluationResults": results}, indent=2))
    else:
        print(_table(results))
    sys.stdout.flush()
    return 0


def add_cli(subparsers: Any) -> None:
    """Add ``aws simulate --cases FILE [--format table|json]`` to the ``ciem`` command line."""
    aws = subparsers.add_parser("aws", help="AWS-specific tools")
    verbs = aws.add_subparsers(dest="aws_command", required=True, metavar="VERB")
    simulate = verbs.add_parser(
        "simulate",
        help="evaluate requests as AWS's policy simulator does, with SCPs, RCPs and session policies",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    simulate.add_argument("--cases", required=True, metavar="FILE", help="JSON lines, one simulation request a line")
    simulate.add_argument("--format", choices=("table", "json"), default="table")
    simulate.set_defaults(func=run)
