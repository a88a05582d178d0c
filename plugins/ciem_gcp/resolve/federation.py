"""Workload identity federation: which identity of another cloud a pool's principal is.

A pool provider of type ``aws`` trusts one AWS account; its default attribute mapping makes
``google.subject`` the caller's assumed-role session ARN and ``attribute.aws_role`` the assumed-role
ARN without the session. So, for a provider trusting account A:

* ``principal://.../subject/arn:aws:sts::A:assumed-role/R/S`` is role R's session S: the AWS role
  ``arn:aws:iam::A:role/R`` links to it, on condition ``sts:RoleSessionName``;
* ``principalSet://.../attribute.aws_role/arn:aws:sts::A:assumed-role/R`` is every session of role R;
* ``principalSet://.../*`` is every identity of account A: the account (``arn:aws:iam::A:root``) links.

An OIDC provider whose issuer is Microsoft Entra (``https://sts.windows.net/TENANT/`` or
``https://login.microsoftonline.com/TENANT/v2.0``) makes ``google.subject`` the token's ``sub``,
the caller's object id: ``principal://.../subject/OBJECT_ID`` is that Azure identity.

The edge is ``assume`` from the other cloud's canonical id to the pool's principal; the index joins
it to the AWS or Azure identity by id. A disabled pool or provider, an ARN of another account, and an
``attributeCondition`` that is false for the identity give no edge; a condition that reads other
token attributes leaves the edge conditional (key ``attributeCondition``). The AWS role's path is not
in its session ARN: the link names the role without a path.
"""

from __future__ import annotations

import re
from typing import Iterator

from ciem.model import Edge, EdgeKind

from ciem_gcp.members import pool_of
from ciem_gcp.resolve.conditions import evaluate_assertion
from ciem_gcp.resolve.estate import Estate, Node
from ciem_gcp.resolve.principals import Principals

METHOD = "sts.googleapis.com/token-exchange"
REFERENCE = "https://cloud.google.com/iam/docs/workload-identity-federation-with-other-clouds"
_SESSION = re.compile(r"^arn:aws:sts::(\d{12}):assumed-role/([^/]+)(?:/(.+))?$")
_ENTRA = re.compile(r"^https://(?:sts\.windows\.net/([0-9a-f-]{36})/?|login\.microsoftonline\.com/([0-9a-f-]{36})/v2\.0/?)$")


def _active(node: Node | None) -> bool:
    return node is None or (not node.data.get("disabled") and node.data.get("state", "ACTIVE") == "ACTIVE")


def _aws_source(account: str, selector: str) -> tuple[str, tuple[str, ...], dict[str, str]] | None:
    """(AWS id, edge conditions, assertion) for one principal selector of a pool trusting ``account``."""
    if selector == "*":
        return f"arn:aws:iam::{account}:root", (), {"account": account}
    kind, _, value = selector.partition("/")
    match = _SESSION.match(value)
    if match is None or match.group(1) != account:
        return None
    role = f"arn:aws:iam::{account}:role/{match.group(2)}"
    if kind == "subject" and match.group(3):
        return role, ("sts:RoleSessionName",), {"arn": value, "account": account}
    if kind == "attribute.aws_role" and not match.group(3):
        return role, (), {"account": account}
    return None


def federation_edges(estate: Estate, principals: Principals) -> Iterator[Edge]:
    by_name = {node.name: node for node in estate.nodes.values()}
    providers: dict[str, list[Node]] = {}
    for provider in estate.pool_providers:
        pool = str(provider.data.get("name", "")).split("/providers/", 1)[0]
        if _active(provider) and _active(by_name.get(f"//iam.googleapis.com/{pool}")):
            providers.setdefault(pool, []).append(provider)
    for principal in principals.of_kind("principal", "principalSet"):
        parsed = pool_of(principal.id)
        if parsed is None:
            continue
        pool, selector = parsed
        for provider in providers.get(pool, ()):
            found = _link(provider, selector)
            if found is None:
                continue
            source, conditions, assertion = found
            condition = provider.data.get("attributeCondition", "")
            if condition:
                decided = evaluate_assertion(condition, {"assertion": assertion})
                if decided is False:
                    continue
                if decided is None:
                    conditions = (*conditions, "attributeCondition")
            yield Edge(source, principal.id, EdgeKind.ASSUME, METHOD, ("sts.googleapis.com/token-exchange",),
                       (provider.id,), conditions, (f"{provider.data.get('name')}: {condition or 'no condition'}",),
                       REFERENCE)


def _link(provider: Node, selector: str) -> tuple[str, tuple[str, ...], dict[str, str]] | None:
    aws = provider.data.get("aws") or {}
    if aws.get("accountId"):
        return _aws_source(str(aws["accountId"]), selector)
    issuer = (provider.data.get("oidc") or {}).get("issuerUri", "")
    match = _ENTRA.match(issuer)
    if match and selector.startswith("subject/"):
        subject = selector.split("/", 1)[1]
        return subject, (), {"sub": subject, "tid": match.group(1) or match.group(2)}
    return None
