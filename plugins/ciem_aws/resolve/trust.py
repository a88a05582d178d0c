"""Role-trust edges: who can assume each role, as AWS decides it.

Both sides must allow. The role's trust policy must allow the caller (an Allow naming it, its
account, or ``*``; no applicable Deny). The caller's side:

* same account, trust names the caller's ARN (or ``*``): the trust policy alone grants it, within
  the caller's SCPs (and boundary, for a role caller) and without an explicit deny;
* trust names the caller's account, or the caller is in another account: the caller's effective
  identity-side permissions must also allow ``sts:AssumeRole`` on the role.

An account's root user cannot assume roles (AWS refuses root credentials for AssumeRole), so it
gets no edges. Trust conditions decidable from the caller (aws:PrincipalArn, aws:PrincipalOrgID,
aws:PrincipalTag/...) are decided; the others (sts:ExternalId, aws:MultiFactorAuthPresent,
aws:SourceIp ...) become the edge's conditions. SAML and OIDC providers (and public web identity
providers) named as ``Federated`` principals become FEDERATED identities with edges of method
``sts:AssumeRoleWithSAML`` / ``sts:AssumeRoleWithWebIdentity``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

from ciem.model import Edge, EdgeKind

from ciem_aws.policy.document import Statement
from ciem_aws.policy.matching import (
    ACCOUNT, PrincipalRef, principal_match_kind, statement_action_matches, statement_resource_match,
)
from ciem_aws.policy.variables import ContextView
from ciem_aws.resolve.grants import Effective, Item, Layers, decide, decide_outside_org
from ciem_aws.resolve.principals import Estate, Principal

ASSUME = "sts:AssumeRole"
SAML = "sts:AssumeRoleWithSAML"
WEB_IDENTITY = "sts:AssumeRoleWithWebIdentity"
REFERENCE = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html#iam-term-trust-policy"
# The EXTERNAL identity that stands for anyone: an anonymous caller or a principal of any account
# outside the organization. Public resource-policy statements grant to it (ciem_aws.resolve.resource_policies).
PUBLIC = "aws:public"
CANONICAL_USER = "canonical-user:"
_ACCOUNT_ID = re.compile(r"\d{12}\Z")
_IAM_ARN = re.compile(r"arn:[^:]+:iam::(\d{12}):(user|role)/(?:.*/)?([^/]+)\Z")
_SESSION_ARN = re.compile(r"arn:[^:]+:sts::(\d{12}):assumed-role/([^/]+)/.+\Z")
_ROOT_ARN = re.compile(r"arn:[^:]+:iam::(\d{12}):root\Z")
_FEDERATED_USER_ARN = re.compile(r"arn:[^:]+:sts::(\d{12}):federated-user/[^/]+\Z")


def external_account_id(account: str) -> str:
    return f"arn:aws:iam::{account}:root"


def federated_id(provider: str) -> str:
    """A SAML/OIDC provider ARN as it is; a public web identity provider as ``federated:NAME``."""
    return provider if provider.startswith("arn:") else f"federated:{provider}"


@dataclass
class External:
    """An identity outside the collected accounts that a policy names."""

    id: str
    kind: str  # "external" or "federated"
    account: str = ""
    named_by: set[str] = field(default_factory=set)

    @property
    def scope(self) -> str:
        """How far it reaches (docs/findings.md): ``public`` (anyone), ``account`` (every principal
        of an account: its root, or a canonical user, which stands for an account) or ``principal``."""
        if self.id == PUBLIC:
            return "public"
        if _ROOT_ARN.match(self.id) or self.id.startswith(CANONICAL_USER):
            return "account"
        return "principal"

    def in_organization(self, estate: Estate) -> bool | None:
        """Whether it belongs to the collected organization; anyone does not; None when unknown."""
        if self.id == PUBLIC:
            return False
        return estate.in_organization(self.account) if self.account else None

    def decide(self, estate: Estate, conditions, version: str, extra: dict[str, Any] | None = None) -> tuple[bool, tuple[str, ...]]:
        """Conditions decided from what is known of this caller: its account, its ARN, that it is
        not an AWS service (an account's principals; anyone, read as a stranger), and whether it is
        in the organization (anyone is taken from outside it: the public statement's worst case)."""
        values: dict[str, Any] = dict(extra or {})
        if self.account or self.id == PUBLIC:
            values["aws:PrincipalIsAWSService"] = "false"
        if self.account:
            values["aws:PrincipalAccount"] = self.account
            if self.id.startswith("arn:"):
                values["aws:PrincipalArn"] = self.id
        member = self.in_organization(estate)
        if member:
            values["aws:PrincipalOrgID"] = estate.org_id
        view = ContextView(values, complete=False)
        if member is False:
            return decide_outside_org(conditions, version, view, estate.org_id)
        return decide(conditions, version, view)


class PrincipalIndex:
    """Collected principals by account and by (account, type, lower-case name): IAM names ignore path and case."""

    def __init__(self, estate: Estate):
        self.estate = estate
        self.by_key: dict[tuple[str, str, str], Principal] = {}
        self.by_account: dict[str, list[Principal]] = {}
        for principal in estate.principals.values():
            self.by_key[(principal.account, principal.kind, principal.name.lower())] = principal
            if principal.kind != "root":
                self.by_account.setdefault(principal.account, []).append(principal)

    def by_arn(self, arn: str) -> Principal | None:
        match = _IAM_ARN.match(arn)
        if match:
            return self.by_key.get((match.group(1), match.group(2), match.group(3).lower()))
        match = _SESSION_ARN.match(arn)
        if match:
            return self.by_key.get((match.group(1), "role", match.group(2).lower()))
        return None

    def everyone(self) -> Iterator[Principal]:
        for principals in self.by_account.values():
            yield from principals


@dataclass
class Named:
    """Who an Allow statement's Principal element names."""

    everyone: bool = False
    accounts: set[str] = field(default_factory=set)
    arns: list[str] = field(default_factory=list)
    federated: list[str] = field(default_factory=list)
    services: list[str] = field(default_factory=list)


def named_principals(statement: Statement) -> Named:
    named = Named()
    for kind, values in (statement.principals or {}).items():
        for value in values:
            if kind == "*" or (kind == "AWS" and value == "*"):
                named.everyone = True
            elif kind == "AWS" and _ACCOUNT_ID.match(value):
                named.accounts.add(value)
            elif kind == "AWS" and _ROOT_ARN.match(value):
                named.accounts.add(_ROOT_ARN.match(value).group(1))
            elif kind == "AWS":
                named.arns.append(value)
            elif kind == "Federated":
                named.federated.append(value)
            elif kind == "Service":
                named.services.append(value.lower())
            elif kind == "CanonicalUser":
                named.arns.append(CANONICAL_USER + value)
    return named


@dataclass(frozen=True)
class Candidate:
    """A collected principal a statement covers, and how: ``by_name`` when it names the principal
    (or ``*``: ``public``) so that in the same account no identity policy is needed."""

    principal: Principal
    by_name: bool
    public: bool = False

    def ceiling(self, effective: Effective) -> list[Item]:
        """What the statement can grant the principal in its own account by itself."""
        return effective.open_ceiling if self.public else effective.ceiling


def candidates(statement: Statement, index: PrincipalIndex, externals: dict[str, External], owner: str,
               found: list[str], account_filter: Iterable[Principal] | None = None,
               everyone: Iterable[Principal] | None = None) -> Iterator[Candidate]:
    """The collected principals an Allow statement of a resource-based policy covers.

    The principals it names outside the collected accounts are recorded in ``externals`` and
    their ids appended to ``found``. ``account_filter`` narrows the principals of a named account,
    ``everyone`` those of a statement to everyone (or all but some), in index order (to those the
    statement could bind at all)."""
    pool = index.everyone() if everyone is None else everyone
    if statement.not_principals is not None:
        for principal in pool:
            match = principal_match_kind(statement, PrincipalRef.from_arn(principal.arn))
            if match is not None:
                yield Candidate(principal, match != ACCOUNT, True)
        found.append(_external(externals, PUBLIC, "external", "", owner))
        return
    named = named_principals(statement)
    if named.everyone:
        found.append(_external(externals, PUBLIC, "external", "", owner))
        for principal in pool:
            yield Candidate(principal, True, True)
        return
    covered: dict[str, Candidate] = {}
    for account in sorted(named.accounts):
        if account in index.by_account or (account in index.estate.accounts and index.estate.accounts[account].collected):
            pool = index.by_account.get(account, []) if account_filter is None else account_filter
            for principal in pool:
                if principal.account == account:
                    covered[principal.arn] = Candidate(principal, False)
        else:
            found.append(_external(externals, external_account_id(account), "external", account, owner))
    for arn in named.arns:
        principal = index.by_arn(arn)
        if principal is not None:
            covered[principal.arn] = Candidate(principal, True)  # named: more than its account's delegation
        elif arn.startswith(CANONICAL_USER):
            found.append(_external(externals, arn, "external", "", owner))
        elif _FEDERATED_USER_ARN.match(arn):
            # A GetFederationToken session: no IAM entity to find, in any account.
            found.append(_external(externals, arn, "federated", arn.split(":")[4], owner))
        elif arn.startswith("arn:"):
            match = _IAM_ARN.match(arn) or _SESSION_ARN.match(arn)
            collected = match and index.estate.accounts.get(match.group(1)) and index.estate.accounts[match.group(1)].collected
            if not collected:  # a principal of a collected account that does not exist names nobody
                found.append(_external(externals, arn, "external", arn.split(":")[4], owner))
    yield from covered.values()


def _external(externals: dict[str, External], identity: str, kind: str, account: str, owner: str) -> str:
    externals.setdefault(identity, External(identity, kind, account)).named_by.add(owner)
    return identity


def _deny_verdict(trust: Iterable[Statement], caller: Principal, view: ContextView, action: str,
                  version: str) -> tuple[bool, tuple[str, ...]]:
    """(blocked, keys) from the trust policy's Deny statements for this caller."""
    keys: list[str] = []
    for statement in trust:
        if statement.effect != "Deny" or not statement_action_matches(statement, action):
            continue
        if principal_match_kind(statement, PrincipalRef.from_arn(caller.arn)) is None:
            continue
        applies, missing = decide(statement.conditions, version, view)
        if not applies:
            continue
        if not missing:
            return True, ()
        keys.extend(missing)
    return False, tuple(keys)


class TrustResolver:
    def __init__(self, estate: Estate, layers: Layers, index: PrincipalIndex, externals: dict[str, External]):
        self.estate = estate
        self.layers = layers
        self.index = index
        self.externals = externals
        self.assume_bit = layers.catalog.bit(ASSUME) if ASSUME in layers.catalog else 0
        # Principals whose identity side allows sts:AssumeRole somewhere: the only candidates for
        # account-wide trust, so that a role trusting an account does not visit every principal.
        self._assumers: dict[str, tuple[dict[str, list[Principal]], list[Principal]]] = {}
        # role ARN -> {service principal: condition keys}: the services that can assume the role.
        self.services: dict[str, dict[str, tuple[str, ...]]] = {}
        self._rcps: dict[tuple[str, str], list[tuple[Statement, str]]] = {}

    def assumers(self, account: str, role: str) -> list[Principal]:
        """Principals of ``account`` whose identity side may allow sts:AssumeRole on ``role``."""
        if account not in self._assumers:
            named: dict[str, list[Principal]] = {}
            wildcard: list[Principal] = []
            for principal in self.index.by_account.get(account, []):
                effective = self.layers.effective(principal)
                if not effective.bits & self.assume_bit:
                    continue
                targets = effective.targets(self.assume_bit)
                if targets is None:
                    wildcard.append(principal)
                else:
                    for target in targets:
                        named.setdefault(target, []).append(principal)
            self._assumers[account] = (named, wildcard)
        named, wildcard = self._assumers[account]
        return named.get(role, []) + wildcard

    def _rcp_denies(self, account: str, action: str) -> list[tuple[Statement, str]]:
        """The RCP Deny statements on ``action`` that govern roles of ``account``."""
        key = (account, action)
        if key not in self._rcps:
            info = self.estate.accounts.get(account)
            found = []
            if info is not None and not info.management:
                for level in info.rcp_levels:
                    for policy in level:
                        found += [(s, policy.version) for s in policy.statements
                                  if s.effect == "Deny" and statement_action_matches(s, action)]
            self._rcps[key] = found
        return self._rcps[key]

    def _rcp_verdict(self, role: Principal, action: str, caller: ContextView | External) -> tuple[bool, tuple[str, ...]]:
        """(blocked, keys) from the RCPs of the role's account for this caller."""
        denies = self._rcp_denies(role.account, action)
        if not denies:
            return False, ()
        keys: list[str] = []
        resource = {"aws:ResourceAccount": role.account}
        view = caller.with_defaults(resource) if isinstance(caller, ContextView) else ContextView(resource, complete=False)
        for statement, version in denies:
            matched, unknown = statement_resource_match(statement, role.arn, view, version)
            if matched is False:
                continue
            if isinstance(caller, External):
                applies, missing = caller.decide(self.estate, statement.conditions, version, resource)
            else:
                applies, missing = decide(statement.conditions, version, view)
            if not applies:
                continue
            if not missing and not unknown:
                return True, ()
            keys.extend((*missing, *unknown))
        return False, tuple(keys)

    def edges(self) -> Iterator[Edge]:
        for role in self.estate.principals.values():
            if role.kind == "role" and role.trust is not None:
                yield from self.role_edges(role)

    def role_edges(self, role: Principal) -> Iterator[Edge]:
        trust = role.trust
        statements = trust.statements
        for statement in statements:
            if statement.effect != "Allow":
                continue
            if statement_action_matches(statement, ASSUME):
                yield from self._iam_edges(role, statement, statements, trust.version)
                self._services(role, statement, trust.version)
            for provider in named_principals(statement).federated:
                action = SAML if ":saml-provider/" in provider else WEB_IDENTITY
                if statement_action_matches(statement, action):
                    yield from self._federated_edge(role, statement, provider, action, trust.version)

    def _services(self, role: Principal, statement: Statement, version: str) -> None:
        view = ContextView({"aws:SourceAccount": role.account}, complete=False)
        applies, keys = decide(statement.conditions, version, view)
        if not applies:
            return
        found = self.services.setdefault(role.arn, {})
        for service in named_principals(statement).services:
            if service not in found or len(keys) < len(found[service]):
                found[service] = keys

    def _iam_edges(self, role: Principal, statement: Statement, statements, version: str) -> Iterator[Edge]:
        named = named_principals(statement)
        pool = None
        if named.accounts:
            pool = [p for account in named.accounts for p in self.assumers(account, role.arn)]
        found: list[str] = []
        for candidate in candidates(statement, self.index, self.externals, role.arn, found, pool):
            caller = candidate.principal
            if caller.kind == "root" or caller.arn == role.arn:
                continue
            edge = self._caller_edge(role, statement, statements, version, candidate)
            if edge is not None:
                yield edge
        for identity in found:
            yield from self._external_edge(role, statement, self.externals[identity])

    def _caller_edge(self, role: Principal, statement: Statement, statements, version: str,
                     candidate: Candidate) -> Edge | None:
        caller = candidate.principal
        effective = self.layers.effective(caller)
        view = effective.view
        applies, keys = decide(statement.conditions, version, view)
        if not applies:
            return None
        blocked, deny_keys = _deny_verdict(statements, caller, view, ASSUME, version)
        if blocked:
            return None
        if not caller.service_linked:
            blocked, rcp_keys = self._rcp_verdict(role, ASSUME, view)
            if blocked:
                return None
            deny_keys += rcp_keys
        same_account = caller.account == role.account
        verdict = effective.can(self.assume_bit, role.arn,
                                allows=candidate.ceiling(effective) if same_account and candidate.by_name else None)
        if not verdict.allowed:
            return None
        return Edge(caller.arn, role.arn, EdgeKind.ASSUME, ASSUME, (ASSUME,), (role.arn,),
                    tuple(dict.fromkeys((*keys, *deny_keys, *verdict.conditions))),
                    (statement.label, *verdict.provenance), REFERENCE)

    def _external_edge(self, role: Principal, statement: Statement, external: External) -> Iterator[Edge]:
        applies, keys = external.decide(self.estate, statement.conditions, role.trust.version)
        blocked, rcp_keys = self._rcp_verdict(role, ASSUME, external)
        if applies and not blocked:
            yield Edge(external.id, role.arn, EdgeKind.ASSUME, ASSUME, (ASSUME,), (role.arn,),
                       tuple(dict.fromkeys((*keys, *rcp_keys))), (statement.label,), REFERENCE)

    def _federated_edge(self, role: Principal, statement: Statement, provider: str, action: str,
                        version: str) -> Iterator[Edge]:
        applies, keys = decide(statement.conditions, version, ContextView({}, complete=False))
        blocked, rcp_keys = self._rcp_verdict(role, action, ContextView({}, complete=False))
        if not applies or blocked:
            return
        keys = tuple(dict.fromkeys((*keys, *rcp_keys)))
        identity = federated_id(provider)
        _external(self.externals, identity, "federated", provider.split(":")[4] if provider.startswith("arn:") else "", role.arn)
        yield Edge(identity, role.arn, EdgeKind.ASSUME, action, (action,), (role.arn,), keys, (statement.label,), REFERENCE)
