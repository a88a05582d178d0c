"""Privilege-escalation methods: the base class, the two shapes most methods take, and the table.

A method turns what the resolver knows (effective permissions, roles and the services they trust,
existing resources and the roles they run as) into ``EdgeKind.ESCALATE`` edges ``source -> target``:
"source can gain target's privileges". Every permission of a method must be effectively allowed to
the source on the resource it acts on, through every layer (boundary, SCPs, explicit denies);
``iam:PassRole`` is checked on the target role's ARN with ``iam:PassedToService`` set to the
method's service. A permission allowed only under conditions makes the edge conditional (the keys
are on the edge); a trust condition of the target role on the service does too.

Methods that let a principal rewrite its own permissions have no target to reach: they report
admin-equivalence (:meth:`EscalationMethod.admin_reasons`) instead of edges.

Every method runs within one account: IAM, PassRole and the services below never act across accounts.
docs/aws-escalation.md lists the table with references and tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache, partial
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

from ciem.catalog import PermissionCatalog
from ciem.model import Edge, EdgeKind

from ciem_aws.resolve.grants import Effective, Layers, Verdict
from ciem_aws.resolve.principals import Estate, Group, Principal
from ciem_aws.resolve.resources import AwsResource

PASS_ROLE = "iam:PassRole"
RHINO = "https://rhinosecuritylabs.com/aws/aws-privilege-escalation-methods-mitigation/"
PATHFINDING = "https://github.com/DataDog/pathfinding.cloud/tree/main/data/paths/aws/"
BISHOPFOX = "https://github.com/BishopFox/iam-vulnerable"
PMAPPER = "https://github.com/nccgroup/PMapper"

# (action, resource the action needs; "{account}" is filled in, "{target}" is the target's ARN,
# "{resource}" the existing resource's ARN, and extra request context it carries)
Need = tuple[str, str, Mapping[str, Any]]


class EscalationContext:
    """What methods ask: who holds which permissions, which roles trust which service, what exists."""

    def __init__(self, estate: Estate, layers: Layers, resources: Sequence[AwsResource],
                 services: Mapping[str, Mapping[str, tuple[str, ...]]], assumable: Mapping[str, set[str]],
                 all_powerful: set[str]):
        self.estate = estate
        self.layers = layers
        self.catalog: PermissionCatalog = layers.catalog
        self.assumable = assumable  # principal ARN -> roles it can assume unconditionally
        self.all_powerful = all_powerful  # principals allowed every action on every resource
        self._services = services
        self._sources: dict[tuple[str, ...], list[Effective]] = {}
        self._bits: dict[str, int | None] = {}
        self._trusting: dict[tuple[str, str], list[tuple[Principal, tuple[str, ...]]]] = {}
        self._emitted: set[tuple[str, str]] = set()
        self.principals_by_account: dict[str, list[Principal]] = {}
        for principal in estate.principals.values():
            if principal.kind != "root" and estate.accounts[principal.account].collected:
                self.principals_by_account.setdefault(principal.account, []).append(principal)
        self.groups_by_account: dict[str, list[Group]] = {}
        for group in estate.groups.values():
            self.groups_by_account.setdefault(group.account, []).append(group)
        self.resources_by_type: dict[tuple[str, str], list[AwsResource]] = {}
        for resource in resources:
            self.resources_by_type.setdefault((resource.type, resource.account), []).append(resource)

    def bit(self, action: str) -> int | None:
        """The action's bit; None when the catalog lacks it."""
        if action not in self._bits:
            self._bits[action] = self.catalog.bit(action) if action in self.catalog else None
        return self._bits[action]

    def bits(self, actions: Iterable[str]) -> int | None:
        """The actions as one bitset; None when the catalog lacks one (the method cannot apply)."""
        bits = 0
        for action in actions:
            bit = self.bit(action)
            if bit is None:
                return None
            bits |= bit
        return bits

    def sources(self, actions: Sequence[str]) -> list[Effective]:
        """Principals whose effective allows contain every action somewhere (a cheap pre-filter)."""
        key = tuple(actions)
        if key not in self._sources:
            bits = self.bits(actions)
            found = []
            if bits is not None:
                for principals in self.principals_by_account.values():
                    for principal in principals:
                        effective = self.layers.effective(principal)
                        if effective.bits & bits == bits:
                            found.append(effective)
            self._sources[key] = found
        return self._sources[key]

    def roles(self, account: str) -> list[Principal]:
        return [p for p in self.principals_by_account.get(account, []) if p.kind == "role"]

    def users(self, account: str) -> list[Principal]:
        return [p for p in self.principals_by_account.get(account, []) if p.kind == "user"]

    def groups(self, account: str) -> list[Group]:
        return self.groups_by_account.get(account, [])

    def roles_trusting(self, service: str, account: str) -> list[tuple[Principal, tuple[str, ...]]]:
        """The account's roles whose trust policy admits the service, with the condition keys it leaves open."""
        key = (service, account)
        if key not in self._trusting:
            self._trusting[key] = [(role, keys) for role in self.roles(account)
                                   if (keys := self._services.get(role.arn, {}).get(service)) is not None]
        return self._trusting[key]

    def resources(self, type_: str, account: str) -> list[AwsResource]:
        return self.resources_by_type.get((type_, account), [])

    def wanted(self, source: Effective, target: str) -> bool:
        """False for a pair already linked when the source may do everything anyway: one edge
        per target is enough for an all-powerful principal (and keeps the graph small)."""
        return source.principal.arn != target and not (
            source.principal.arn in self.all_powerful and (source.principal.arn, target) in self._emitted)

    def asker(self, source: Effective, actions: Iterable[str]) -> Callable[[Sequence[Need]], Verdict | None]:
        """:meth:`check` for ``source``, asked needs on ``actions`` that differ from call to call only in
        the resources they name: when no resource changes the source's answers (:meth:`Effective.blind`;
        an action the catalog lacks is never allowed), the first answer is kept for all."""
        if not all(bit is None or source.blind(bit) for bit in map(self.bit, actions)):
            return partial(self.check, source)
        answers: list[Verdict | None] = []

        def ask(needs: Sequence[Need]) -> Verdict | None:
            if not answers:
                answers.append(self.check(source, needs))
            return answers[0]

        return ask

    def check(self, source: Effective, needs: Iterable[Need]) -> Verdict | None:
        """Every need allowed (perhaps conditionally): the combined verdict; else None."""
        keys: list[str] = []
        provenance: list[str] = []
        for action, resource, extra in needs:
            bit = self.bit(action)
            if bit is None:
                return None
            verdict = source.can(bit, resource, extra or None)
            if not verdict.allowed:
                return None
            keys.extend(verdict.conditions)
            provenance.extend(verdict.provenance)
        return Verdict(True, tuple(dict.fromkeys(keys)), tuple(dict.fromkeys(provenance)))

    def edge(self, method: "EscalationMethod", source: Effective, target: str, verdict: Verdict,
             resources: tuple[str, ...], extra_conditions: tuple[str, ...] = ()) -> Edge:
        """The edge; ``verdict.conditions`` come without repeats (as :meth:`check` and :func:`combine` give them)."""
        arn = source.principal.arn
        if arn in self.all_powerful:
            self._emitted.add((arn, target))  # only all-powerful sources are asked about (wanted)
        conditions = tuple(dict.fromkeys((*verdict.conditions, *extra_conditions))) if extra_conditions \
            else verdict.conditions
        return Edge(arn, target, EdgeKind.ESCALATE, method.id, method.permissions, resources, conditions,
                    verdict.provenance, method.reference)


class EscalationMethod:
    """One documented way to gain another identity's privileges (or to rewrite one's own)."""

    id: str
    reference: str
    permissions: tuple[str, ...]

    def edges(self, context: EscalationContext) -> Iterable[Edge]:
        return ()

    def admin_reasons(self, context: EscalationContext) -> Iterable[tuple[str, str]]:
        """(principal ARN, reason) for principals this method makes admin-equivalent."""
        return ()


def fill(template: str, account: str, resource: str = "") -> str:
    return template.format(account=account, resource=resource)


def combine(*verdicts: Verdict) -> Verdict:
    """Verdicts that must all hold: their conditions and provenance together."""
    return Verdict(True, tuple(dict.fromkeys(k for v in verdicts for k in v.conditions)),
                   tuple(dict.fromkeys(p for v in verdicts for p in v.provenance)))


@dataclass
class PassRoleToNew(EscalationMethod):
    """Pass a role that trusts one of ``services`` to a resource whose code the caller writes.

    ``actions`` are (action, resource template) pairs. The resource is a new one, the templates
    naming it with ``*`` where the caller picks the name; or, with ``existing`` (a resource type),
    any existing resource of that type (``{resource}`` in the templates) switched to the role.
    """

    id: str
    services: tuple[str, ...]  # service principals the role may trust; the role is passed to the one it trusts
    actions: tuple[tuple[str, str], ...]
    reference: str
    needs_instance_profile: bool = False
    existing: str = ""
    passed_to: str = ""  # iam:PassedToService when it is not the service the role trusts
    permissions: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        self.permissions = (PASS_ROLE, *(action for action, _ in self.actions))

    def extra_needs(self, context: EscalationContext, source: Effective, role: Principal) -> list[Need] | None:
        """More needs for this role, or None when the role cannot be used."""
        if not self.needs_instance_profile or role.instance_profiles:
            return []
        # No instance profile yet: the caller must create one and put the role in it.
        profile = f"arn:aws:iam::{role.account}:instance-profile/*"
        return [("iam:CreateInstanceProfile", profile, {}), ("iam:AddRoleToInstanceProfile", profile, {})]

    def _resource_verdict(self, context: EscalationContext, source: Effective, account: str) -> tuple[Verdict, str] | None:
        """The actions allowed on the resource they act on (the first existing one that allows
        them all), with that resource's ARN ("" for a new one); None when there is none."""
        if not self.existing:
            verdict = context.check(source, [(action, fill(template, account), {}) for action, template in self.actions])
            return None if verdict is None else (verdict, "")
        for resource in context.resources(self.existing, account):
            verdict = self.on_resource(context, source, resource)
            if verdict is not None:
                return verdict, resource.arn
        return None

    def on_resource(self, context: EscalationContext, source: Effective, resource: AwsResource) -> Verdict | None:
        """The actions allowed on this existing resource (a subclass may ask more of it); else None."""
        return context.check(source, [(action, fill(template, resource.account, resource.arn), {})
                                      for action, template in self.actions])

    def edges(self, context: EscalationContext) -> Iterator[Edge]:
        for source in context.sources(self.permissions):
            account = source.principal.account
            found = self._resource_verdict(context, source, account)
            if found is None:
                continue
            for service in self.services:
                yield from self._service_edges(context, source, account, service, *found)

    def _service_edges(self, context: EscalationContext, source: Effective, account: str, service: str,
                       on_resource: Verdict, resource: str) -> Iterator[Edge]:
        passable = source.targets(context.bit(PASS_ROLE))
        passed = {"iam:PassedToService": self.passed_to or service}
        pass_role = context.asker(source, (PASS_ROLE,))
        for role, trust_keys in context.roles_trusting(service, account):
            if passable is not None and role.arn not in passable or not context.wanted(source, role.arn):
                continue
            extra = self.extra_needs(context, source, role)
            if extra is None:
                continue
            verdict = pass_role([(PASS_ROLE, role.arn, passed)])
            if verdict is not None and extra:
                more = context.check(source, extra)
                verdict = None if more is None else combine(verdict, more)
            if verdict is not None:
                resources = (role.arn, resource) if resource else (role.arn,)
                yield context.edge(self, source, role.arn, combine(verdict, on_resource), resources, trust_keys)


@dataclass
class UseExisting(EscalationMethod):
    """Run the caller's code as the role an existing resource already runs as.

    ``actions`` are (action, resource template) pairs, ``{resource}`` being the resource's ARN;
    ``pass_to`` names the service when the call also passes the resource's role.
    """

    id: str
    resource_type: str
    actions: tuple[tuple[str, str], ...]
    reference: str
    pass_to: str = ""
    permissions: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        actions = [action for action, _ in self.actions] + ([PASS_ROLE] if self.pass_to else [])
        self.permissions = tuple(dict.fromkeys(actions))

    def usable(self, resource: AwsResource) -> bool:
        return True

    def needs(self, resource: AwsResource) -> list[Need]:
        """What the caller must be allowed to use this resource (its role passed again with ``pass_to``)."""
        needs: list[Need] = [(action, fill(template, resource.account, resource.arn), {}) for action, template in self.actions]
        if self.pass_to:
            needs.append((PASS_ROLE, resource.role, {"iam:PassedToService": self.pass_to}))
        return needs

    def edges(self, context: EscalationContext) -> Iterator[Edge]:
        usable: dict[str, list[tuple[AwsResource, list[Need]]]] = {}  # by account: resources running as a role
        for source in context.sources(self.permissions):
            account = source.principal.account
            if account not in usable:
                usable[account] = [(resource, self.needs(resource))
                                   for resource in context.resources(self.resource_type, account)
                                   if resource.role and resource.role in context.estate.principals
                                   and self.usable(resource)]
            ask = context.asker(source, self.permissions)
            for resource, needs in usable[account]:
                if context.wanted(source, resource.role):
                    verdict = ask(needs)
                    if verdict is not None:
                        yield context.edge(self, source, resource.role, verdict, (resource.arn, resource.role))


@lru_cache(maxsize=1)
def methods() -> tuple[EscalationMethod, ...]:
    """THE table: every method, IAM first (for all-powerful sources the first method per target wins)."""
    from ciem_aws.escalation import (
        apprunner, batch, bedrock, cloudformation, codebuild, codestar, datapipeline, ec2, ecs, emr, glue, iam, lambda_,
        sagemaker, ssm, stepfunctions,
    )

    return (*iam.METHODS, *lambda_.METHODS, *ec2.METHODS, *ssm.METHODS, *cloudformation.METHODS,
            *glue.METHODS, *sagemaker.METHODS, *codebuild.METHODS, *datapipeline.METHODS, *ecs.METHODS,
            *stepfunctions.METHODS, *apprunner.METHODS, *bedrock.METHODS, *batch.METHODS, *emr.METHODS,
            *codestar.METHODS)
