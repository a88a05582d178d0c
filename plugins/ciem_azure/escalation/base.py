"""Escalation methods: the base class, the context they read, and the table of every family.

A method turns what the resolver knows into edges (``source`` can become or gain the privileges of
``target``), grants an identity can give itself (``potential``: it must act first) and admin reasons.
Every permission a method needs is decided by the same evaluator as explain (deny assignments first,
role assignments with their conditions, PIM eligibility), on the resource the method acts on; a
permission that is only conditional or eligible makes the edge conditional, with the keys. Entra ID
methods rest on directory roles, ownership and Microsoft Graph application permissions, whose
documented powers are the method's table. docs/azure-edges.md lists each with its tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Iterator, Sequence

from ciem.model import Edge, EdgeKind, IdentityKind

from ciem_azure.catalog import AzureCatalog
from ciem_azure.resolve.estate import AzureResource, Estate, Principal
from ciem_azure.resolve.evaluate import Evaluator, Verdict, permission_allows

BLOODHOUND = "https://bloodhound.specterops.io/resources/edges/"
ACTING_KINDS = (IdentityKind.USER, IdentityKind.SERVICE_ACCOUNT, IdentityKind.MANAGED_IDENTITY, IdentityKind.EXTERNAL)


@dataclass(frozen=True)
class MethodGrant:
    """Access a method finds; ``rbac`` when it comes through Azure roles (vault access policies rule it out)."""

    identity: str
    bits: int
    patterns: tuple[str, ...]
    provenance: str
    conditions: tuple[str, ...]
    potential: bool
    rbac: bool


@dataclass
class Outcome:
    edges: list[Edge] = field(default_factory=list)
    grants: list[MethodGrant] = field(default_factory=list)
    admin: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Writer:
    """Where a principal may write role assignments, and which roles (None: any) it may assign."""

    scope: str  # normalised
    keys: tuple[str, ...]
    statements: tuple[str, ...]
    roles: frozenset[str] | None

    def covers(self, other: "Writer") -> bool:
        """Whether this writer can do all that ``other`` can (under no more conditions)."""
        roles_covered = self.roles is None or (other.roles is not None and other.roles <= self.roles)
        return roles_covered and set(self.keys) <= set(other.keys)

    def bits(self, context: "EscalationContext") -> int:
        if self.roles is None:
            return context.catalog.catalog.all_bits
        bits = 0
        for guid in self.roles:
            for permission in context.estate.roles[guid].permissions:
                bits |= context.catalog.permission_bits(permission)
        return bits

    def describe(self, estate: Estate) -> str:
        if self.roles is None:
            return "any role"
        return "the roles " + ", ".join(sorted(estate.roles[g].name for g in self.roles))

    def permits(self, estate: Estate, actions, data: bool = False) -> bool:
        """Whether some role it may assign grants every one of ``actions``."""
        if self.roles is None:
            return True
        return any(all(any(permission_allows(p, a, data) for p in estate.roles[g].permissions) for a in actions)
                   for g in self.roles)


class EscalationContext:
    """What methods ask: who may do what where, which identities exist, who can take over the tenant."""

    def __init__(self, estate: Estate, evaluator: Evaluator, catalog: AzureCatalog, principals: dict[str, Principal]):
        self.estate = estate
        self.evaluator = evaluator
        self.catalog = catalog
        self.principals = principals
        # acting principals that hold some assignment or eligibility, directly or through a group
        holders = set(evaluator.by_principal)
        self.acting = [p for p in principals.values()
                       if p.kind in ACTING_KINDS and holders & set(evaluator.principals_of(p.id))]
        self.outcome = Outcome()
        # principal -> where it can write role assignments (filled by the authorization and takeover families)
        self.writers: dict[str, list[Writer]] = {}
        self._emitted: set[tuple[str, str, str]] = set()

    def decide(self, principal: str, actions: Sequence[str], resource: str) -> Verdict:
        """All of ``actions`` on ``resource``: allowed, conditional (with every key) or not granted."""
        keys: list[str] = []
        statements: list[str] = []
        for action in actions:
            verdict, _ = self.evaluator.decide(principal, action, resource)
            if not verdict.granted:
                return verdict
            keys.extend(verdict.keys)
            statements.extend(verdict.statements)
            if verdict.decision == "conditional" and not verdict.keys:
                keys.append("condition")
        return Verdict("conditional" if keys else "allowed", tuple(dict.fromkeys(keys)), tuple(dict.fromkeys(statements)))

    def candidates(self, resource: str, alternatives: Sequence[Sequence[str]]) -> Iterator[Principal]:
        """Acting principals with an assignment (or eligibility) at ``resource`` and roles that could
        grant every operation of one of ``alternatives`` (a pre-filter: ``decide`` has the say)."""
        for principal in self.acting:
            if any(all(self.evaluator.may(principal.id, a) for a in actions) for actions in alternatives) \
                    and self.evaluator.assignments(principal.id, resource):
                yield principal

    def edge(self, source: str, target: str, kind: EdgeKind, method: str, permissions: Iterable[str],
             resources: Iterable[str] = (), conditions: Iterable[str] = (), provenance: Iterable[str] = (),
             reference: str = "") -> None:
        """Record an edge once per (source, target, method); an edge to oneself is no escalation."""
        if source == target or (source, target, method) in self._emitted:
            return
        self._emitted.add((source, target, method))
        self.outcome.edges.append(Edge(source, target, kind, method, tuple(permissions), tuple(resources),
                                       tuple(conditions), tuple(provenance), reference))

    def grant(self, identity: str, bits: int, patterns: Sequence[str], provenance: str,
              conditions: Sequence[str] = (), potential: bool = False, rbac: bool = False) -> None:
        if bits:
            self.outcome.grants.append(MethodGrant(identity, bits, tuple(patterns), provenance, tuple(conditions),
                                                   potential, rbac))

    def resources_of_type(self, type_name: str) -> list[AzureResource]:
        return [r for r in self.estate.resources.values() if r.type.lower() == type_name.lower()]


class EscalationMethod:
    """One family of methods; ``run`` adds its edges, grants and admin reasons to the context."""

    family = ""
    # literal operations the family checks; they join the catalog so that each is always decidable
    operations: tuple[tuple[str, bool], ...] = ()

    def run(self, context: EscalationContext) -> None:
        raise NotImplementedError


def methods() -> list[EscalationMethod]:
    """Every family, in the order they run: role-assignment writers first (others read ``writers``)."""
    from ciem_azure.escalation import authorization, compute, entra, keyvault, storage

    return [authorization.RoleAssignmentWriters(), entra.DirectoryTakeover(), compute.RunCodeAsIdentity(),
            keyvault.AccessPolicyWriters(), storage.AccessThroughKeys(), entra.EntraObjects()]


def table_operations() -> list[tuple[str, bool]]:
    return [operation for method in methods() for operation in method.operations]
