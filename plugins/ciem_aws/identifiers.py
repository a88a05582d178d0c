"""AWS identifiers as alerts name them, turned into the ids and aliases the resolver gives identities.

- IAM user, role, group and account-root ARNs are identity ids as they are.
- An assumed-role session ARN ``arn:aws:sts::ACCT:assumed-role/NAME/SESSION`` names its role but not
  the role's path, so it becomes ``arn:aws:iam::ACCT:role/NAME`` (right for roles on path ``/``);
  every role also carries the alias ``NAME@ACCT`` (:func:`role_alias`) so a lookup can fall back to it.
- A federated-user ARN ``arn:aws:sts::ACCT:federated-user/NAME`` (sts:GetFederationToken) stays as
  it is: the resolver gives that id to the FEDERATED identity it creates when a policy names one.
- Access key ids (``AKIA``/``ASIA``) and unique ids (``AIDA`` users, ``AROA`` roles, ``AGPA``
  groups) are aliases and stay as they are.
"""

from __future__ import annotations

import re

from ciem.errors import QueryError

PARTITIONS = ("aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc")
_ACCOUNT = re.compile(r"\d{12}\Z")
_KEY_PREFIXES = ("AKIA", "ASIA", "AIDA", "AROA", "AGPA", "ANPA", "ANVA", "AIPA", "ABIA", "ACCA")
_KEY = re.compile(r"(?:%s)[A-Z0-9]{12,124}\Z" % "|".join(_KEY_PREFIXES))
_NAME = re.compile(r"[\w+=,.@-]{1,128}\Z")
_IAM_TYPES = ("user", "role", "group")


class Arn:
    """The six parts of an ARN."""

    __slots__ = ("partition", "service", "region", "account", "resource")

    def __init__(self, partition: str, service: str, region: str, account: str, resource: str):
        self.partition = partition
        self.service = service
        self.region = region
        self.account = account
        self.resource = resource


def split_arn(text: str) -> Arn:
    """Split ``arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE``; QueryError when it is not one."""
    parts = text.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[1] or not parts[2] or not parts[5]:
        raise QueryError(f"{text!r}: not an ARN (arn:partition:service:region:account:resource)")
    return Arn(*parts[1:])


def role_alias(name: str, account: str) -> str:
    """The alias every role carries, which an assumed-role session ARN can always be matched to."""
    return f"{name}@{account}"


def _check_account(text: str, account: str) -> None:
    if not _ACCOUNT.match(account):
        raise QueryError(f"{text!r}: the account must be 12 digits, not {account!r}")


def _iam_identifier(text: str, arn: Arn) -> str:
    if arn.region:
        raise QueryError(f"{text!r}: IAM ARNs have no region")
    if arn.resource == "root":
        _check_account(text, arn.account)
        return text
    _check_account(text, arn.account)
    kind, _, rest = arn.resource.partition("/")
    if kind not in _IAM_TYPES and kind not in ("saml-provider", "oidc-provider"):
        raise QueryError(f"{text!r}: not an IAM user, role, group, provider or account root ARN")
    name = rest.rsplit("/", 1)[-1]
    if not name or (kind in _IAM_TYPES and not _NAME.match(name)):
        raise QueryError(f"{text!r}: missing or invalid {kind} name")
    return text


def _sts_identifier(text: str, arn: Arn) -> str:
    _check_account(text, arn.account)
    kind, _, rest = arn.resource.partition("/")
    if kind == "assumed-role":
        name, sep, session = rest.partition("/")
        if not sep or not _NAME.match(name) or not session:
            raise QueryError(f"{text!r}: an assumed-role ARN is .../assumed-role/ROLE/SESSION")
        return f"arn:{arn.partition}:iam::{arn.account}:role/{name}"
    if kind == "federated-user":
        if not rest or "/" in rest:
            raise QueryError(f"{text!r}: a federated-user ARN is .../federated-user/NAME")
        return text
    raise QueryError(f"{text!r}: not an assumed-role or federated-user ARN")


def normalize_identifier(text: str) -> str | None:
    """The identity id or alias to look up for ``text``; None when ``text`` is no AWS form.

    :raises ciem.errors.QueryError: for an AWS ARN or key id that is malformed.
    """
    text = text.strip()
    if text.startswith("arn:"):
        partition = text.split(":", 2)[1]
        if partition not in PARTITIONS:
            return None
        arn = split_arn(text)
        if arn.service == "iam":
            return _iam_identifier(text, arn)
        if arn.service == "sts":
            return _sts_identifier(text, arn)
        raise QueryError(f"{text!r}: not an IAM or STS identity ARN")
    if text[:4] in _KEY_PREFIXES and text.isalnum() and text.isupper():
        if not _KEY.match(text):
            raise QueryError(f"{text!r}: malformed AWS key or unique id")
        return text
    return None
