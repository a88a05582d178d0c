"""Whether a statement's Action, Resource and Principal elements cover a request.

* Actions match case-insensitively, with ``*`` and ``?``.
* Resources are ARNs: case-sensitive, compared part by part (``*`` does not reach across the
  colons of the first five parts), with policy variables substituted first.
* Principals never take wildcards except ``*`` alone; an account (id or ``:root`` ARN) names every
  principal of that account, a role ARN names the role's sessions.

See https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Mapping

from ciem.patterns import glob_match
from ciem_aws.policy.document import Statement
from ciem_aws.policy.variables import (
    LITERAL_QUESTION,
    LITERAL_STAR,
    VARIABLES_VERSION,
    ContextView,
    as_view,
    substitute_pattern,
)

# --- wildcards --------------------------------------------------------------------------------


@lru_cache(maxsize=65536)
def _wildcard_regex(pattern: str, case_sensitive: bool) -> re.Pattern[str]:
    parts = []
    for char in pattern:
        if char == "*":
            parts.append(".*")
        elif char == "?":
            parts.append(".")
        elif char == LITERAL_STAR:
            parts.append(r"\*")
        elif char == LITERAL_QUESTION:
            parts.append(r"\?")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts) + r"\Z", re.DOTALL | (0 if case_sensitive else re.IGNORECASE))


def wildcard_match(pattern: str, text: str, case_sensitive: bool = True) -> bool:
    """``*`` and ``?`` wildcards; the LITERAL_* stand-ins a variable produced match themselves."""
    if pattern == "*":
        return True
    return _wildcard_regex(pattern, case_sensitive).match(text) is not None


def arn_like(pattern: str, arn: str) -> bool:
    """ARN matching as ArnLike and the Resource element do it: the six colon-separated parts are
    compared one by one (the last, the resource, keeps any further colons), each with wildcards
    that cannot reach into another part. Case-sensitive. Only ``*`` alone matches a non-ARN."""
    if pattern == "*":
        return True
    pattern_parts = pattern.split(":", 5)
    arn_parts = arn.split(":", 5)
    if len(pattern_parts) != 6 or len(arn_parts) != 6:
        return False  # not an ARN: nothing to compare part by part
    return all(wildcard_match(p, a) for p, a in zip(pattern_parts, arn_parts))


# --- actions ----------------------------------------------------------------------------------


def action_matches(pattern: str, action: str) -> bool:
    return glob_match(pattern, action, case_sensitive=False)


def statement_action_matches(stmt: Statement, action: str) -> bool:
    if stmt.actions is not None:
        return any(action_matches(p, action) for p in stmt.actions)
    return not any(action_matches(p, action) for p in stmt.not_actions or ())


# --- resources --------------------------------------------------------------------------------


def resource_match(pattern: str, arn: str, view: ContextView, version: str = VARIABLES_VERSION) -> tuple[bool | None, tuple[str, ...]]:
    """(matches, unknown keys): None when a variable in the pattern has an unknown value."""
    substituted = substitute_pattern(pattern, view, version)
    if substituted.text is None:
        return (None, substituted.missing) if substituted.missing else (False, ())
    return arn_like(substituted.text, arn), ()


def resource_matches(
    pattern: str,
    arn: str,
    context: Mapping[str, Any] | ContextView,
    *,
    context_complete: bool,
    version: str = VARIABLES_VERSION,
) -> bool | None:
    return resource_match(pattern, arn, as_view(context, context_complete), version)[0]


def statement_resource_match(stmt: Statement, arn: str, view: ContextView, version: str = VARIABLES_VERSION) -> tuple[bool | None, tuple[str, ...]]:
    """Resource/NotResource against one ARN; a statement with neither (a trust policy) covers all."""
    patterns = stmt.resources if stmt.resources is not None else stmt.not_resources
    if patterns is None:
        return True, ()
    found: bool | None = False
    missing: list[str] = []
    for pattern in patterns:
        value, unknown = resource_match(pattern, arn, view, version)
        if value:
            found = True
            break
        if value is None:
            found = None
            missing.extend(unknown)
    if found is True:
        missing = []
    if stmt.resources is None:
        found = None if found is None else not found
    return found, tuple(dict.fromkeys(missing))


def statement_resource_matches(
    stmt: Statement,
    arn: str,
    context: Mapping[str, Any] | ContextView,
    *,
    context_complete: bool,
    version: str = VARIABLES_VERSION,
) -> bool | None:
    return statement_resource_match(stmt, arn, as_view(context, context_complete), version)[0]


# --- principals -------------------------------------------------------------------------------

USER, ROLE, ASSUMED_ROLE, FEDERATED_USER, ROOT = "user", "role", "assumed-role", "federated-user", "root"
SERVICE, FEDERATED, ANONYMOUS = "service", "federated", "anonymous"

_IAM_ARN = re.compile(r"arn:(?P<partition>[^:]+):(?P<service>iam|sts)::(?P<account>\d{12}):(?P<resource>.+)\Z")


@dataclass(frozen=True, slots=True)
class PrincipalRef:
    """Who makes a request.

    ``arn`` is the ARN the request carries: the session ARN for an assumed-role or federated-user
    session, "" for an anonymous, service or web-identity caller. ``issuer_arn`` is the identity
    the session was issued from (the role of an assumed-role session, the IAM user of a
    federated-user session). ``kind`` "role" stands for any session of the role ``arn``.
    """

    arn: str
    account: str
    kind: str
    issuer_arn: str = ""
    service: str = ""  # a service principal, e.g. "lambda.amazonaws.com"
    provider: str = ""  # an identity provider for a federated (web identity or SAML) caller
    service_linked: bool = False  # a service-linked role or its session: SCPs and RCPs do not apply
    partition: str = "aws"

    @staticmethod
    def from_arn(arn: str, *, issuer_arn: str = "", service_linked: bool | None = None) -> "PrincipalRef":
        """A caller from its ARN: IAM user, role, account root, assumed-role or federated-user session.

        :raises ValueError: for anything else.
        """
        match = _IAM_ARN.match(arn)
        if not match:
            raise ValueError(f"not an IAM principal ARN: {arn!r}")
        partition, service, account, resource = match.group("partition", "service", "account", "resource")
        kind_name, _, rest = resource.partition("/")
        if service == "iam" and resource == "root":
            return PrincipalRef(arn, account, ROOT, partition=partition)
        if service == "iam" and kind_name in (USER, ROLE) and rest:
            linked = rest.startswith("aws-service-role/") if service_linked is None else service_linked
            return PrincipalRef(arn, account, kind_name, issuer_arn=arn if kind_name == ROLE else "", service_linked=linked and kind_name == ROLE, partition=partition)
        if service == "sts" and kind_name == ASSUMED_ROLE and rest.count("/") >= 1:
            role_name = rest.split("/")[0]
            issuer = issuer_arn or f"arn:{partition}:iam::{account}:role/{role_name}"
            linked = issuer.split(":role/", 1)[-1].startswith("aws-service-role/") if service_linked is None else service_linked
            return PrincipalRef(arn, account, ASSUMED_ROLE, issuer_arn=issuer, service_linked=linked, partition=partition)
        if service == "sts" and kind_name == FEDERATED_USER and rest:
            if not issuer_arn:
                raise ValueError(f"a federated-user session needs the ARN of the IAM user that created it: {arn!r}")
            return PrincipalRef(arn, account, FEDERATED_USER, issuer_arn=issuer_arn, partition=partition)
        raise ValueError(f"not an IAM principal ARN: {arn!r}")

    @staticmethod
    def for_service(name: str) -> "PrincipalRef":
        return PrincipalRef("", "", SERVICE, service=name)

    @staticmethod
    def for_federated(provider: str) -> "PrincipalRef":
        return PrincipalRef("", "", FEDERATED, provider=provider)

    @staticmethod
    def anonymous() -> "PrincipalRef":
        return PrincipalRef("", "", ANONYMOUS)

    @property
    def is_iam(self) -> bool:
        """An IAM identity or session (not root, a service, a web identity or anonymous)."""
        return self.kind in (USER, ROLE, ASSUMED_ROLE, FEDERATED_USER)


def _iam_key(arn: str) -> tuple[str, str, str, str] | None:
    """(partition, account, type, lower-case name) for IAM user and role ARNs, ignoring the path:
    IAM names are unique in an account regardless of path and case."""
    match = _IAM_ARN.match(arn)
    if not match or match.group("service") != "iam":
        return None
    kind, _, rest = match.group("resource").partition("/")
    if kind not in (USER, ROLE) or not rest:
        return None
    return match.group("partition"), match.group("account"), kind, rest.rsplit("/", 1)[-1].lower()


def _session_key(arn: str) -> tuple[str, str] | None:
    match = _IAM_ARN.match(arn)
    if not match or match.group("service") != "sts":
        return None
    kind, _, rest = match.group("resource").partition("/")
    if kind == ASSUMED_ROLE and "/" in rest:
        role, session = rest.split("/", 1)
        return f"{match.group('partition')}:{match.group('account')}:{kind}/{role.lower()}", session
    if kind == FEDERATED_USER and rest:
        return f"{match.group('partition')}:{match.group('account')}:{kind}", rest
    return None


def _account_of(value: str) -> str | None:
    if re.fullmatch(r"\d{12}", value):
        return value
    match = _IAM_ARN.match(value)
    if match and match.group("service") == "iam" and match.group("resource") == "root":
        return match.group("account")
    return None


# What a principal entry can name of a caller: the caller itself, the identity its session came
# from, or its account.
DIRECT, ISSUER, ACCOUNT = "direct", "issuer", "account"


def _named_facets(principals: Mapping[str, tuple[str, ...]], caller: PrincipalRef) -> set[str]:
    facets: set[str] = set()
    every = {DIRECT, ISSUER, ACCOUNT}
    for kind, values in principals.items():
        for value in values:
            if value == "*" and kind in ("*", "AWS"):
                return every
            if kind == "Service" and caller.kind == SERVICE and value.lower() == caller.service.lower():
                facets.add(DIRECT)
            elif kind == "Federated" and caller.kind == FEDERATED and value == caller.provider:
                facets.add(DIRECT)
            elif kind == "AWS":
                facets |= _aws_facets(value, caller)
    return facets


def _aws_facets(value: str, caller: PrincipalRef) -> set[str]:
    if not caller.account:
        return set()
    account = _account_of(value)
    if account is not None:
        if account != caller.account:
            return set()
        return {DIRECT} if caller.kind == ROOT else {ACCOUNT}
    key = _iam_key(value)
    if key is not None:
        if caller.kind in (USER, ROLE) and key == _iam_key(caller.arn):
            return {DIRECT} if caller.kind == USER else {ISSUER}
        if caller.kind in (ASSUMED_ROLE, FEDERATED_USER) and key == _iam_key(caller.issuer_arn):
            return {ISSUER}
        return set()
    session = _session_key(value)
    if session is not None and caller.kind in (ASSUMED_ROLE, FEDERATED_USER) and session == _session_key(caller.arn):
        return {DIRECT}
    return set()


def _required_facets(caller: PrincipalRef) -> set[str]:
    """The facets a NotPrincipal must all list to leave the caller out."""
    required = {DIRECT}
    if caller.kind in (ASSUMED_ROLE, FEDERATED_USER):
        required.add(ISSUER)
    if caller.kind == ROLE:
        required = {ISSUER}
    if caller.is_iam:
        required.add(ACCOUNT)
    return required


def principal_match_kind(stmt: Statement, principal: PrincipalRef) -> str | None:
    """How a statement's Principal/NotPrincipal covers the caller: DIRECT (names the caller itself,
    or ``*``), ISSUER (names the role or user its session came from), ACCOUNT (names its account
    only), or None. A statement with neither element (an identity policy) covers the caller DIRECTly.
    """
    if stmt.principals is not None:
        facets = _named_facets(stmt.principals, principal)
        for facet in (DIRECT, ISSUER, ACCOUNT):
            if facet in facets:
                return facet
        return None
    if stmt.not_principals is not None:
        excluded = _required_facets(principal) <= _named_facets(stmt.not_principals, principal)
        return None if excluded else DIRECT
    return DIRECT


def principal_matches(stmt: Statement, principal: PrincipalRef) -> bool:
    return principal_match_kind(stmt, principal) is not None
