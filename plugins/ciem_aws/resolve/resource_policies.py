"""The resource side: resource-based policies, KMS key policies and grants, RCPs, and the account
boundary every identity-side grant stops at.

* An identity policy reaches only its own account's resources. Grants carry an ``exclude`` of the
  other collected accounts' resources; a resource policy there adds back what it allows (the
  intersection of both sides). Resources of accounts that were not collected stay included: whether
  their owners allow it is unknown.
* A resource policy naming a principal of its own account (by ARN or ``*``) grants by itself, within
  the principal's SCPs (and boundary, for a role); naming the account only delegates to identity
  policies, which already grant.
* A KMS key policy must allow: identity policies count for a key only where its policy delegates
  to the account (``"AWS": "arn:aws:iam::ACCT:root"``); KMS grants add their operations, read as
  key-policy statements naming the grantee (ciem_aws.resolve.resources).
* ``sts:AssumeRole`` on collected roles is left to the trust edges, which see both sides; each
  edge adds an exact grant.
* RCP denies apply to the resources of their accounts for the services RCPs support.
* A public statement (``*`` with no condition pinning the caller's identity, account,
  organization, source or network to fixed values) also grants to the EXTERNAL identity
  ``aws:public`` (anyone; :data:`ciem_aws.resolve.trust.PUBLIC`), evaluated as a caller outside the
  organization; a narrowed one does not. Statements to everyone (Allow or Deny) apply to each
  external identity they cover as well, decided for it. S3 Block Public Access ``RestrictPublicBuckets`` (bucket or
  account) limits a public statement to the bucket owner's account.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_left
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Iterator

from ciem.patterns import literal_prefix

from ciem_aws.policy.document import Statement
from ciem_aws.policy.evaluate import RCP_SERVICES
from ciem_aws.policy.matching import PrincipalRef, principal_match_kind
from ciem_aws.policy.variables import PRESENT, ContextView
from ciem_aws.resolve.grants import (
    Effective, Item, Layers, clause_item, decide, fold_denies, intersect, pattern_covers,
)
from ciem_aws.resolve.principals import Estate, Principal
from ciem_aws.resolve.resources import AwsResource
from ciem_aws.resolve.trust import PUBLIC, Candidate, External, PrincipalIndex, candidates, named_principals

ASSUME_ACTIONS = ("sts:AssumeRole",)
# Condition keys that make a Principal "*" statement non-public for S3 Block Public Access, when
# compared with fixed values (access-control-block-public-access, "The meaning of public").
LIMITING_KEYS = frozenset(k.lower() for k in (
    "aws:PrincipalArn", "aws:PrincipalAccount", "aws:PrincipalOrgID", "aws:PrincipalOrgPaths", "aws:userid",
    "aws:SourceAccount", "aws:SourceArn", "aws:SourceOwner", "aws:SourceVpc", "aws:SourceVpce", "aws:SourceIp",
    "aws:PrincipalServiceName", "s3:DataAccessPointAccount", "s3:DataAccessPointArn",
))
# Operators that admit only the values listed. ...IfExists admits callers without the key, the
# negated operators everyone else, ForAllValues an empty set: none of them narrows.
_ADMITTING_OPERATORS = frozenset(("stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike",
                                  "ipaddress"))
_ROLE_SESSIONS = re.compile(r"[A-Z0-9]+:\*\Z")  # aws:userid of every session of one role: still fixed


def _fixed(operator: str, key: str, value: Any) -> bool:
    text = str(value)
    if "${" in text or (operator == "ipaddress" and text.endswith("/0")):
        return False
    if operator in ("stringlike", "arnlike", "arnequals") and ("*" in text or "?" in text):
        return key == "aws:userid" and bool(_ROLE_SESSIONS.match(text))
    return True


def narrowing_keys(statement: Statement) -> set[str]:
    """The caller-pinning keys (:data:`LIMITING_KEYS`) the statement's conditions compare with fixed
    values only (no wildcard, no policy variable, no /0 network)."""
    found = set()
    for operator, block in statement.conditions.items():
        qualifier, _, base = operator.lower().rpartition(":")
        if qualifier == "forallvalues" or base not in _ADMITTING_OPERATORS:
            continue
        for key, values in block.items():
            key = key.lower()
            if key in LIMITING_KEYS and all(_fixed(base, key, value) for value in values):
                found.add(key)
    return found


def is_public_statement(statement: Statement) -> bool:
    """An Allow to ``*`` (or to everyone but some, ``NotPrincipal``) that no condition narrows to a
    fixed caller identity, account, organization, source or network: what S3 Block Public Access
    calls public."""
    if statement.effect != "Allow":
        return False
    named = named_principals(statement)
    return (named.everyone or statement.not_principals is not None) and not narrowing_keys(statement)


def _not_principal_covers(statement: Statement, identity: str) -> bool:
    """Whether a ``NotPrincipal`` statement covers an external identity (one it does not list)."""
    try:
        return principal_match_kind(statement, PrincipalRef.from_arn(identity)) is not None
    except ValueError:  # not a principal ARN (a canonical user): it cannot be compared
        return False


class _Prefixes:
    """The literal prefixes of some resource patterns. Two patterns that overlap both begin every
    string they share (ARN parts keep their wildcards within the part): a pattern whose literal
    prefix neither begins nor extends one of these overlaps none of the resources."""

    def __init__(self, patterns: Iterable[str]):
        self.prefixes = {literal_prefix(p) for p in patterns}
        self.ordered = sorted(self.prefixes)
        self.lengths = sorted({len(p) for p in self.prefixes})
        self._near: dict[str, bool] = {}

    def near(self, pattern: str) -> bool:
        """Whether ``pattern`` may overlap one of the resources (False: it overlaps none)."""
        near = self._near.get(pattern)
        if near is None:
            head = literal_prefix(pattern)
            at = bisect_left(self.ordered, head)  # the prefixes extending ``head`` sort right after it
            near = self._near[pattern] = (at < len(self.ordered) and self.ordered[at].startswith(head)) or any(
                head[:n] in self.prefixes for n in self.lengths if n <= len(head))
        return near


@dataclass
class _Group:
    """Alike resource-policy statements (see :meth:`ResourceSide._statement_groups`)."""

    statement: Statement  # the first; the others differ only in the resource they cover
    version: str
    resource: AwsResource  # the first statement's resource: account, type and tags stand for all
    bits: int
    include: list[str]
    also: tuple[tuple[str, ...], ...]
    exclude: tuple[str, ...]
    labels: list[str]
    restricted: bool
    # Identity-side resource scopes (include, also, exclude) asked whether they reach these
    # resources, and the answers: principals across accounts share policies.
    reached: dict[tuple, bool] = field(default_factory=dict)
    prefixes: _Prefixes | None = None  # of ``include``, made when first asked
    # The statement's item decided for principals, by what its conditions look up (when nothing else
    # decides them: ``lookups`` names the keys; None decides them principal by principal).
    lookups: tuple[str, ...] | None = None
    decided: dict[tuple, Item | None] = field(default_factory=dict)
    resource_view: ContextView | None = None  # the resource's own keys, made when first asked


def _lookups(statement: Statement, resource: AwsResource) -> tuple[str, ...] | None:
    """The keys a statement's conditions look up, when the lookups alone decide them: no value holds
    a policy variable, and the resource is no KMS key (whose context names the caller's account)."""
    if resource.type == "kms:key":
        return None
    keys = []
    for block in statement.conditions.values():
        for key, values in block.items():
            if any("${" in str(value) for value in values):
                return None
            keys.append(key)
    return tuple(keys)


def _principal_key(statement: Statement) -> tuple:
    def frozen(principals):
        return None if principals is None else tuple(sorted((k, tuple(v)) for k, v in principals.items()))

    return frozen(statement.principals), frozen(statement.not_principals)


class ResourceSide:
    def __init__(self, estate: Estate, layers: Layers, index: PrincipalIndex, externals: dict[str, External],
                 resources: list[AwsResource]):
        self.estate = estate
        self.layers = layers
        self.catalog = layers.catalog
        self.compiler = layers.compiler
        self.index = index
        self.externals = externals
        self.resources = resources
        collected = [a.id for a in estate.collected_accounts()]
        buckets: dict[str, list[str]] = {}
        for resource in resources:
            if resource.type == "s3:bucket":
                buckets.setdefault(resource.account, []).extend(resource.patterns)
        # Resource ids of each collected account: ARNs naming it, and its buckets (S3 ARNs name no account).
        self.account_patterns = {a: (f"arn:*:*:*:{a}:*", *buckets.get(a, ())) for a in collected}
        self._beyond: dict[tuple[str, bool], tuple[tuple[str, ...], frozenset[str]]] = {}
        self._holders: dict[int, dict[str, list[Principal]]] = {}  # by actions: principals holding one, by account
        self.role_patterns = tuple(f"arn:aws:iam::{a}:role/*" for a in collected)
        self.assume_bits = self.catalog.bits_of(a for a in ASSUME_ACTIONS if a in self.catalog)
        self.kms_bits = self.catalog.service_bits("kms")
        self.rcp_bits = 0
        for service in sorted(RCP_SERVICES):
            self.rcp_bits |= self.catalog.service_bits(service)
        self.keys_by_account: dict[str, list[AwsResource]] = {}
        self.delegation: dict[str, list[tuple[int, tuple[str, ...], str]]] = {}
        for resource in resources:
            if resource.type == "kms:key" and resource.policy is not None:
                self.keys_by_account.setdefault(resource.account, []).append(resource)
                self.delegation[resource.arn] = list(self._delegations(resource))

    def beyond(self, account: str, assume: bool) -> tuple[tuple[str, ...], frozenset[str]]:
        """What an identity-side grant of ``account`` stops at: the other collected accounts'
        resources (and, for AssumeRole, every collected role), once each, with the account's KMS
        keys those patterns cover (none, unless a key's ARN names another account)."""
        cached = self._beyond.get((account, assume))
        if cached is None:
            patterns = tuple(p for other, own in self.account_patterns.items() if other != account for p in own)
            if assume:
                patterns += self.role_patterns
            patterns = tuple(dict.fromkeys(patterns))
            # A pattern covers only what begins with its literal prefix: that cheap test goes first.
            prefixed = [(pattern, literal_prefix(pattern)) for pattern in patterns]
            covered = frozenset(key.arn for key in self.keys_by_account.get(account, [])
                                if any(key.arn.startswith(prefix) and pattern_covers(pattern, key.arn)
                                       for pattern, prefix in prefixed))
            cached = self._beyond[(account, assume)] = (patterns, covered)
        return cached

    # --- identity side, scoped -----------------------------------------------------------------

    def scope(self, effective: Effective, items: list[Item]) -> list[Item]:
        """Identity-side items as grants: limited to the own account, without AssumeRole on
        collected roles (the trust edges decide those) and within KMS key policies."""
        account = effective.principal.account
        out: list[Item] = []
        for item in items:
            for bits, assume in ((item.bits & ~self.assume_bits, False), (item.bits & self.assume_bits, True)):
                if bits:
                    out.extend(self._within_key_policies(replace(item, bits=bits), account, *self.beyond(account, assume)))
        return out

    def _within_key_policies(self, item: Item, account: str, beyond: tuple[str, ...],
                             covered_keys: frozenset[str]) -> list[Item]:
        """``item`` with ``beyond`` added to its exclude, its KMS actions limited by the account's
        key policies. Which keys it reaches is asked of ``item`` itself, the keys ``beyond`` covers
        left out: the same answer as the limited item's without walking ``beyond`` per key. Items
        that exclude nothing else share the ``beyond`` tuple."""
        exclude = tuple(dict.fromkeys((*item.exclude, *beyond))) if item.exclude else beyond
        limited = replace(item, exclude=exclude)
        kms = item.bits & self.kms_bits
        keys = self.keys_by_account.get(account, [])
        if not kms or not keys:
            return [limited]
        out = [replace(limited, bits=item.bits & ~kms)] if item.bits & ~kms else []
        excluded = []
        for key in keys:
            if key.arn in covered_keys or not item.reaches(key.arn):
                continue
            delegations = self.delegation[key.arn]
            full = 0
            for bits, conditions, _ in delegations:
                if not conditions:
                    full |= bits
            if kms & ~full == 0:
                continue
            excluded.append(key.arn)
            for bits, conditions, label in delegations:
                if kms & bits:
                    out.append(Item(kms & bits, (key.arn,), (*item.also, item.include), exclude, item.pending,
                                    tuple(dict.fromkeys((*item.keys, *conditions))), (label, *item.provenance)))
        out.append(replace(limited, bits=kms, exclude=tuple(dict.fromkeys((*exclude, *excluded))) if excluded else exclude))
        return out

    def _delegations(self, key: AwsResource) -> Iterator[tuple[int, tuple[str, ...], str]]:
        """(actions, condition keys, statement) a key policy opens to its account's IAM policies."""
        view = ContextView({"aws:PrincipalAccount": key.account, "kms:CallerAccount": key.account}, complete=False)
        for statement in key.policy.statements:
            if statement.effect != "Allow" or key.account not in named_principals(statement).accounts:
                continue
            clause = self.compiler.clause(statement, key.policy.version)
            applies, conditions = decide(statement.conditions, key.policy.version, view)
            if applies and clause.bits & self.kms_bits:
                yield clause.bits & self.kms_bits, conditions, statement.label

    # --- resource side ---------------------------------------------------------------------------

    @staticmethod
    def resource_values(resource: AwsResource) -> dict[str, Any]:
        values: dict[str, Any] = {"aws:ResourceAccount": resource.account}
        for key, value in resource.tags.items():
            values[f"aws:ResourceTag/{key}"] = value
        return values

    def resource_context(self, effective: Effective, resource: AwsResource) -> ContextView:
        extra = self.resource_values(resource)
        if resource.type == "kms:key":
            extra["kms:CallerAccount"] = effective.principal.account
        return effective.view.with_defaults(extra)

    def grants(self) -> Iterator[tuple[str, Item, bool]]:
        """(identity id, item, deny) from every resource policy (with KMS grants) and RCP."""
        groups = self._statement_groups()
        for group in groups:
            yield from self._group_grants(group)
        # Every external identity is known now (trust policies and every resource policy named theirs).
        for group in groups:
            yield from self._everyone_grants(group)
        yield from self._rcp_denies()

    def _statement_groups(self) -> list["_Group"]:
        """Resource-policy statements, those alike merged: the same effect, actions, principals and
        conditions, each covering only its own resource, in one account. A policy template applied
        to 500 buckets is then decided once per principal and granted as one grant, not 500."""
        groups: dict[tuple, _Group] = {}
        for resource in self.resources:
            policy = resource.policy
            if policy is None:
                continue
            for statement in policy.statements:
                clause = self.compiler.clause(statement, policy.version)
                if not clause.bits:
                    continue
                include = clause.include if statement.resources is not None or statement.not_resources is not None \
                    else resource.patterns
                scoped = all(any(pattern_covers(r, p) for r in resource.patterns) for p in include)
                restricted = bool(resource.extra.get("restrict_public")) and is_public_statement(statement)
                conditions = json.dumps(statement.conditions, sort_keys=True, default=str)
                alone = not scoped or "resourcetag/" in conditions.lower()
                key = (statement.effect, clause.bits, _principal_key(statement), conditions, policy.version,
                       resource.account, resource.type == "kms:key", restricted, clause.exclude,
                       resource.arn if alone else "")
                group = groups.get(key)
                if group is None:
                    group = groups[key] = _Group(statement, policy.version, resource, clause.bits, [],
                                                 () if scoped else (resource.patterns,), clause.exclude, [], restricted,
                                                 lookups=_lookups(statement, resource))
                group.include.extend(include)
                group.labels.append(statement.label)
        return list(groups.values())

    @staticmethod
    def _base(group: "_Group") -> Item:
        return Item(group.bits, tuple(dict.fromkeys(group.include)), group.also, group.exclude,
                    provenance=tuple(group.labels))

    def _group_grants(self, group: "_Group") -> Iterator[tuple[str, Item, bool]]:
        statement, resource = group.statement, group.resource
        base = self._base(group)
        found: list[str] = []
        pool = None
        if statement.not_principals is not None or named_principals(statement).everyone:
            pool = self._everyone(base.bits, resource.account, statement.effect == "Deny")
        for candidate in candidates(statement, self.index, self.externals, resource.arn, found, everyone=pool):
            if candidate.principal.kind == "root":
                continue  # the root user holds its account's access already
            if group.restricted and candidate.principal.account != resource.account:
                continue
            yield from self._principal_grant(group, base, candidate)
        for root in self._denied_roots(statement):
            yield from self._principal_grant(group, base, root)
        for identity in found:
            if group.restricted:
                continue
            if identity == PUBLIC and statement.effect == "Allow" and not is_public_statement(statement):
                continue  # narrowed to callers a condition pins: not anyone's
            external = self.externals[identity]
            applies, keys = external.decide(self.estate, statement.conditions, group.version, self.resource_values(resource))
            if applies:
                yield identity, replace(base, keys=keys), statement.effect == "Deny"

    def _everyone(self, bits: int, account: str, deny: bool) -> list[Principal]:
        """The principals a statement to everyone on ``account``'s resources can bind, in index order:
        those whose identity side holds one of its actions (across accounts both sides must allow;
        there is nothing else to deny) and, for an Allow, every principal of the account (it grants
        them by itself)."""
        holders = self._holders.get(bits)
        if holders is None:
            holders = self._holders[bits] = {
                owner: [p for p in principals if self.layers.effective(p).bits & bits]
                for owner, principals in self.index.by_account.items()}
        return [p for owner, principals in self.index.by_account.items()
                for p in (principals if owner == account and not deny else holders[owner])]

    def _denied_roots(self, statement: Statement) -> Iterator[Candidate]:
        """Root users a Deny statement binds: an explicit deny in a resource policy applies to the
        root user as to anyone it covers (everyone, the root's account, or all but NotPrincipal)."""
        if statement.effect != "Deny":
            return
        named = None if statement.not_principals is not None else named_principals(statement)
        for principal in self.estate.principals.values():
            if principal.kind != "root":
                continue
            if named is None:
                covered = principal_match_kind(statement, PrincipalRef.from_arn(principal.arn)) is not None
            else:
                covered = named.everyone or principal.account in named.accounts
            if covered:
                yield Candidate(principal, True, named is not None and named.everyone)

    def _everyone_grants(self, group: "_Group") -> Iterator[tuple[str, Item, bool]]:
        """A statement naming ``*`` (or everyone but some, ``NotPrincipal``) applies to every external
        identity it covers as well, decided for each: anyone's grant is theirs too, a condition
        naming their account admits them, and a Deny to everyone denies them."""
        statement, resource = group.statement, group.resource
        everyone = named_principals(statement).everyone
        if group.restricted or not (everyone or statement.not_principals is not None):
            return
        base = self._base(group)
        for identity, external in self.externals.items():
            if identity == PUBLIC or external.kind != "external":
                continue
            if not everyone and not _not_principal_covers(statement, identity):
                continue
            applies, keys = external.decide(self.estate, statement.conditions, group.version, self.resource_values(resource))
            if applies:
                yield identity, replace(base, keys=keys), statement.effect == "Deny"

    def _principal_grant(self, group: "_Group", base: Item, candidate: Candidate) -> Iterator[tuple[str, Item, bool]]:
        statement, resource = group.statement, group.resource
        principal = candidate.principal
        if statement.effect == "Allow" and principal.account != resource.account:
            yield from self._cross_account_grant(group, base, principal)
            return
        if statement.effect == "Allow" and not candidate.by_name:
            return  # delegation to the account: identity policies already grant
        effective = self.layers.effective(principal)
        if statement.effect == "Deny" and not effective.bits & base.bits:
            return  # nothing of it to deny
        item = self._decided(group, base, effective)
        if item is None:
            return
        if statement.effect == "Deny":
            yield principal.arn, item, True
            return
        allowed = intersect([item], candidate.ceiling(effective), self.catalog.all_bits)
        allowed, leftover = fold_denies(allowed, effective.all_denies)
        for deny in leftover:
            if deny not in effective.denies:
                yield principal.arn, deny, True
        for allow in allowed:
            yield principal.arn, allow, False

    def _cross_account_grant(self, group: "_Group", base: Item, principal: Principal) -> Iterator[tuple[str, Item, bool]]:
        """Across accounts both sides must allow: each identity-side allow reaching the resource,
        narrowed by the statement. Most principals have none: that is asked before the conditions."""
        effective = self.layers.effective(principal)
        if not effective.bits & base.bits:
            return
        if group.prefixes is None:
            group.prefixes = _Prefixes(base.include)
        near = group.prefixes.near
        reaching = []
        for allow in effective.allows:
            if allow.bits & base.bits and any(near(p) for p in allow.include):
                scope = (allow.include, allow.also, allow.exclude)
                reached = group.reached.get(scope)
                if reached is None:
                    reached = group.reached[scope] = any(allow.reaches(p) for p in base.include)
                if reached:
                    reaching.append(allow)
        item = self._decided(group, base, effective) if reaching else None
        if item is None:
            return
        for allow in reaching:
            yield principal.arn, Item(allow.bits & item.bits, item.include, (*item.also, allow.include, *allow.also),
                                      tuple(dict.fromkeys((*allow.exclude, *item.exclude))), allow.pending + item.pending,
                                      tuple(dict.fromkeys((*allow.keys, *item.keys))),
                                      (*item.provenance, *allow.provenance)), False

    def _decided(self, group: "_Group", base: Item, effective: Effective) -> Item | None:
        """The statement's item with its conditions decided for the principal; None when they rule it out."""
        conditions = group.statement.conditions
        if not conditions:
            return base  # nothing to decide (``base`` has no pending conditions)
        if group.lookups is None:
            return self._decide(group, base, effective)
        if group.resource_view is None:
            group.resource_view = ContextView(self.resource_values(group.resource), complete=False)
        # What each key looks up in the principal's context with the resource's (resource_context).
        found = []
        for key in group.lookups:
            looked = effective.view.lookup(key)
            if looked[0] != PRESENT and (resource := group.resource_view.lookup(key))[0] == PRESENT:
                looked = resource
            found.append(looked)
        lookups = tuple(found)
        if lookups not in group.decided:
            group.decided[lookups] = self._decide(group, base, effective)
        return group.decided[lookups]

    def _decide(self, group: "_Group", base: Item, effective: Effective) -> Item | None:
        """The statement's conditions decided in the principal's context with the resource's."""
        conditions = group.statement.conditions
        applies, keys = decide(conditions, group.version, self.resource_context(effective, group.resource))
        if not applies:
            return None
        return replace(base, pending=((conditions, group.version),) if keys else (), keys=keys)

    def _rcp_denies(self) -> Iterator[tuple[str, Item, bool]]:
        for account in self.estate.collected_accounts():
            if account.management or not account.rcp_levels:
                continue
            scope = self.account_patterns[account.id]
            for level in account.rcp_levels:
                for policy in level:
                    for clause in self.compiler.clauses(policy):
                        bits = clause.bits & self.rcp_bits
                        if clause.effect != "Deny" or not bits:
                            continue
                        yield from self._rcp_deny(clause, bits, scope, account.id)

    def _rcp_deny(self, clause, bits: int, scope: tuple[str, ...], account: str) -> Iterator[tuple[str, Item, bool]]:
        for principal in self.index.everyone():
            effective = self.layers.effective(principal)
            if principal.service_linked or not effective.bits & bits:
                continue
            view = effective.view.with_defaults({"aws:ResourceAccount": account})
            item = clause_item(clause, view)
            if item is not None:
                yield principal.arn, replace(item, bits=bits, also=(scope,)), True
        for identity, external in self.externals.items():
            applies, keys = external.decide(self.estate, clause.conditions, clause.version, {"aws:ResourceAccount": account})
            if applies:
                pending = ((clause.conditions, clause.version),) if keys else ()
                yield identity, Item(bits, clause.include, (scope,), clause.exclude, pending, keys, (clause.label,)), True
