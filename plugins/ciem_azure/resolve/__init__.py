"""Azure snapshots resolved into the neutral model, and single requests explained.

Grants (docs/azure-semantics.md): one per role assignment and holder (the assigned principal and,
for a group, each transitive member), with the role's Actions minus its NotActions and DataActions
minus its NotDataActions, on the assignment's scope and below (compared case-insensitively). An ABAC
condition makes conditional only the actions it targets; a PIM eligibility is a ``potential`` grant.
Deny assignments become ``deny`` grants for every principal they apply to. RBAC data actions do not
reach a key vault that uses access policies: such grants exclude the vault.
"""

from __future__ import annotations

from typing import Sequence

from ciem.errors import QueryError
from ciem.index import selector_matches
from ciem.model import (CoverageGap, Decision, EvaluationRequest, Grant, Identity, IdentityKind, Resolution,
                        Resource, ResourceSelector, Snapshot)

from ciem_azure import PROVIDER
from ciem_azure.catalog import AzureCatalog, build_catalog
from ciem_azure.escalation.base import EscalationContext, methods, table_operations
from ciem_azure.escalation.keyvault import VAULT, access_policy_model, vault_patterns
from ciem_azure.resolve import conditions
from ciem_azure.resolve.estate import MG_PREFIX, ROOT, Assignment, Estate, Principal
from ciem_azure.resolve.evaluate import PIM_KEY, Evaluator

KEY_VAULT_DATA = ("Microsoft.KeyVault/vaults/*",)


# The snapshots last loaded (held, so that their ids stay theirs) and what was built from them:
# explain is called again and again on the index's unchanging snapshots.
_last: list = [(), None]


def load(snapshots: Sequence[Snapshot]) -> tuple[Estate, AzureCatalog, Evaluator]:
    held, built = _last
    if built is not None and len(held) == len(snapshots) and all(a is b for a, b in zip(held, snapshots)):
        return built
    collected = max((s.collected_at for s in snapshots), default=None)
    estate = Estate([(s.source, s.data) for s in snapshots], collected)
    catalog = build_catalog([s.data for s in snapshots], table_operations())
    _last[:] = [tuple(snapshots), (estate, catalog, Evaluator(estate, catalog.is_data))]
    return _last[1]


class _Grants:
    """Builds the grants of assignments and deny assignments, sharing each role's action set."""

    def __init__(self, estate: Estate, catalog: AzureCatalog, evaluator: Evaluator, principals: dict[str, Principal]):
        self.estate, self.catalog, self.evaluator, self.principals = estate, catalog, evaluator, principals
        self._names: dict[int, frozenset[str]] = {}
        self.kv_data = catalog.expand(KEY_VAULT_DATA, True)
        self.policy_vaults = [v for v in estate.resources.values()
                              if v.type.lower() == VAULT.lower() and access_policy_model(v) is not False]
        self.grants: list[Grant] = []

    def names(self, bits: int) -> frozenset[str]:
        if bits not in self._names:
            self._names[bits] = frozenset(self.catalog.catalog.names(bits))
        return self._names[bits]

    def role_bits(self, guid: str) -> int:
        role = self.estate.roles.get(guid)
        bits = 0
        for permission in role.permissions if role else ():
            bits |= self.catalog.permission_bits(permission)
        return bits

    def holders(self, principal: str) -> list[tuple[str, str]]:
        """(identity, the group it holds through or "")."""
        found = [(principal, "")]
        if principal in self.principals and self.principals[principal].kind is IdentityKind.GROUP:
            found += [(m, principal) for m in sorted(self.estate.transitive_members(principal)) if m in self.principals]
        return found

    def add(self, identity: str, bits: int, patterns, provenance: str, keys=(), potential=False, deny=False,
            rbac: bool = True) -> None:
        if not bits:
            return
        if rbac and not deny and bits & self.kv_data and self.policy_vaults:
            selector = ResourceSelector(tuple(patterns), case_sensitive=False)
            vaults = [v for v in self.policy_vaults if selector_matches(selector, v.key)]
            if vaults:
                excluded = tuple(p for v in vaults for p in vault_patterns(v))
                self.grants.append(Grant(identity, self.names(bits & self.kv_data),
                                         ResourceSelector(tuple(patterns), exclude=excluded, case_sensitive=False),
                                         (provenance + "; RBAC data actions do not apply to key vaults using access policies",),
                                         tuple(keys), deny, potential))
                bits &= ~self.kv_data
                if not bits:
                    return
        self.grants.append(Grant(identity, self.names(bits), ResourceSelector(tuple(patterns), case_sensitive=False),
                                 (provenance,), tuple(keys), deny, potential))

    def assignment(self, assignment: Assignment) -> None:
        bits = self.role_bits(assignment.role)
        patterns = self.estate.selector_patterns(assignment.scope)
        keys: tuple[str, ...] = (PIM_KEY,) if assignment.eligible else ()
        conditional = 0
        condition_keys: tuple[str, ...] = ()
        if assignment.condition:
            conditional, condition_keys = self._conditional_bits(assignment.condition, bits)
        for holder, via in self.holders(assignment.principal):
            label = self.evaluator.describe(assignment, via)
            self.add(holder, bits & ~conditional, patterns, label, keys, potential=assignment.eligible)
            self.add(holder, conditional, patterns, label + f" with condition {assignment.condition}",
                     keys + condition_keys, potential=assignment.eligible)

    def _conditional_bits(self, text: str, bits: int) -> tuple[int, tuple[str, ...]]:
        """The actions of ``bits`` whose outcome the condition leaves open, and the attributes it reads.

        Actions the condition always allows stay unconditional; those it always refuses are dropped.
        """
        try:
            node = conditions.parse(text)
        except conditions.ConditionError:
            return bits, ("condition",)
        open_bits = 0
        for index, info in enumerate(self.catalog.catalog.infos(bits)):
            outcome = conditions.evaluate(node, info.name, {})
            if outcome is not True:
                open_bits |= self.catalog.catalog.bit(info.name)
        return open_bits, conditions.attributes(node)

    def deny(self, deny) -> None:
        bits = 0
        for permission in deny.permissions:
            bits |= self.catalog.permission_bits(permission)
        patterns = self.estate.selector_patterns(deny.scope, deny.child_scopes)
        keys = ()
        if deny.condition:
            try:
                keys = conditions.attributes(conditions.parse(deny.condition))
            except conditions.ConditionError:
                keys = ("condition",)
        for principal in self.principals.values():
            if self.evaluator.deny_applies_to(deny, principal.id):
                self.add(principal.id, bits, patterns, f"deny assignment {deny.name or deny.id} at {deny.scope}",
                         keys, deny=True)


def _principals(estate: Estate) -> dict[str, Principal]:
    """The estate's principals plus those assignments name that Graph did not list."""
    principals = dict(estate.principals)
    for assignment in estate.assignments.values():
        if assignment.principal not in principals:
            kind = {"User": IdentityKind.USER, "Group": IdentityKind.GROUP,
                    "ServicePrincipal": IdentityKind.SERVICE_ACCOUNT}.get(assignment.principal_type, IdentityKind.EXTERNAL)
            principals[assignment.principal] = Principal(assignment.principal, kind, assignment.principal,
                                                          attributes={"listed": False,
                                                                      "principal_type": assignment.principal_type})
    return principals


def _identities(estate: Estate, principals: dict[str, Principal]) -> list[Identity]:
    return [Identity(id=p.id, provider=PROVIDER, kind=p.kind, name=p.name, account=estate.tenant,
                     human=p.kind is IdentityKind.USER, aliases=p.aliases, attributes=dict(p.attributes))
            for p in principals.values()]


def _resources(estate: Estate) -> list[Resource]:
    resources: dict[str, Resource] = {}

    def parents_of(scope: str) -> tuple[str, ...]:
        chain = list(reversed(estate.mg_chain(scope)))
        parts = scope.split("/")
        if scope.startswith("/subscriptions/"):
            for depth in (3, 5):
                if len(parts) > depth and "/".join(parts[:depth]) != scope:
                    chain.append("/".join(parts[:depth]))
        return tuple(chain)

    for scope in estate.known_scopes():
        if scope == ROOT:
            continue
        resource = estate.resources.get(scope)
        if resource is not None:
            kind, name, tags, sensitivity = resource.type, resource.name, resource.tags, resource.sensitivity()
        elif scope.startswith(MG_PREFIX):
            kind, name, tags, sensitivity = "Microsoft.Management/managementGroups", scope.rsplit("/", 1)[-1], {}, 0
        elif scope.count("/") == 2:
            kind, tags, sensitivity = "Microsoft.Resources/subscriptions", {}, 0
            name = estate.scope_names.get("name:" + scope.rsplit("/", 1)[-1], scope.rsplit("/", 1)[-1])
        elif scope.count("/") == 4:
            kind, name, tags, sensitivity = "Microsoft.Resources/resourceGroups", scope.rsplit("/", 1)[-1], {}, 0
        else:
            continue
        account = scope.split("/")[2] if scope.startswith("/subscriptions/") else estate.tenant
        resources[scope] = Resource(scope, PROVIDER, kind, account, name, parents_of(scope), dict(tags), sensitivity)
    return list(resources.values())


def resolve(snapshots: Sequence[Snapshot]) -> Resolution:
    estate, catalog, evaluator = load(snapshots)
    principals = _principals(estate)
    builder = _Grants(estate, catalog, evaluator, principals)
    for assignment in estate.assignments.values():
        builder.assignment(assignment)
    for deny in estate.denies.values():
        builder.deny(deny)
    context = EscalationContext(estate, evaluator, catalog, principals)
    for method in methods():
        method.run(context)
    gaps = [CoverageGap(PROVIDER, a.scope, "role definition", f"assignment {a.id} names role {a.role}, not in the export")
            for a in estate.assignments.values() if a.role not in estate.roles]
    for grant in context.outcome.grants:
        builder.add(grant.identity, grant.bits, grant.patterns, grant.provenance, grant.conditions, grant.potential,
                    rbac=grant.rbac)
    return Resolution(PROVIDER, catalog.catalog, _identities(estate, principals), _resources(estate), builder.grants,
                      context.outcome.edges, dict(context.outcome.admin), gaps)


def explain(snapshots: Sequence[Snapshot], request: EvaluationRequest) -> Decision | None:
    estate, catalog, evaluator = load(snapshots)
    principal = request.identity.lower()
    if principal not in estate.principals and not any(a.principal == principal for a in estate.assignments.values()):
        return None
    if not request.resource.startswith("/"):
        raise QueryError(f"azure: a resource is an ARM id starting with '/', not {request.resource!r}")
    return evaluator.explain(principal, request.action, request.resource, request.context)
