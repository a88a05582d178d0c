"""Escalation methods: the base class, the shapes GCP's methods take, and the table.

A method turns effective permissions into edges ``source -> service account``: "source can get
the account's credentials, or run code as it". Every permission a method needs is checked through
:class:`ciem_gcp.resolve.access.Access` on the resource it acts on (deny policies first, then the
inherited allow bindings, with their conditions): a permission allowed only under conditions makes
the edge conditional, with the attributes as edge conditions. An organization policy that blocks a
method (``iam.disableServiceAccountKeyCreation``, ``iam.disableCrossProjectServiceAccountUsage``)
removes the edge and is noted on the target service account (``blocked_paths``).

Methods that let a principal rewrite its own permissions (setIamPolicy on a container, updating a
custom role it holds) report admin-equivalence at that scope. docs/gcp-edges.md lists the table.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Sequence

from ciem.catalog import PermissionCatalog
from ciem.model import Edge, EdgeKind

from ciem_gcp.members import SERVICE_ACCOUNT
from ciem_gcp.resolve.access import Access
from ciem_gcp.resolve.estate import PROJECT, SERVICE_ACCOUNT as SA_TYPE, Estate, Node
from ciem_gcp.resolve.principals import Principal, Principals

ACT_AS = "iam.serviceAccounts.actAs"
RHINO = "https://rhinosecuritylabs.com/gcp/privilege-escalation-google-cloud-platform-part-1/"
RHINO_2 = "https://rhinosecuritylabs.com/cloud-security/privilege-escalation-google-cloud-platform-part-2/"
GOOGLE_IMPERSONATION = "https://cloud.google.com/iam/docs/service-account-impersonation"
CROSS_PROJECT = "iam.disableCrossProjectServiceAccountUsage"
# (permission, resource id it is checked on)
Need = tuple[str, str]


@dataclass
class Checked:
    keys: list[str] = field(default_factory=list)
    provenance: list[str] = field(default_factory=list)


class EscalationContext:
    """What methods ask: who holds which permissions where, and what exists."""

    def __init__(self, estate: Estate, principals: Principals, access: Access):
        self.estate = estate
        self.principals = principals
        self.access = access
        self.catalog: PermissionCatalog = access.catalog
        self.actors: list[Principal] = [p for p in principals.all.values() if p.acts]
        self.projects: list[Node] = sorted((n for n in estate.nodes.values() if n.type == PROJECT),
                                           key=lambda n: n.id)
        self.accounts: list[Node] = sorted((n for n in estate.nodes.values() if n.type == SA_TYPE and
                                            n.data.get("email")), key=lambda n: n.id)
        self.blocked: dict[str, list[str]] = {}  # service account id -> methods an org policy blocks
        self.policy_scopes: dict[str, set[str]] = {}  # source -> containers whose IAM policy it may set
        self._sources: dict[tuple[str, ...], list[Principal]] = {}

    def bits(self, permissions: Iterable[str]) -> int | None:
        bits = 0
        for permission in permissions:
            if permission not in self.catalog:
                return None
            bits |= self.catalog.bit(permission)
        return bits

    def sources(self, permissions: Sequence[str]) -> list[Principal]:
        """Actors holding every permission somewhere (a pre-filter; :meth:`check` decides)."""
        key = tuple(permissions)
        if key not in self._sources:
            bits = self.bits(permissions)
            self._sources[key] = [] if bits is None else [
                p for p in self.actors if self.access.anywhere(p.id) & bits == bits]
        return self._sources[key]

    def where(self, source: str, permission: str, nodes: Sequence[Node]) -> list[Node]:
        """The nodes of ``nodes`` (sorted by id) that a binding giving ``source`` the permission
        could reach: those at or below a node where such a binding is. :meth:`check` decides."""
        if permission not in self.catalog:
            return []
        ids = [n.id for n in nodes]
        found: dict[str, Node] = {}
        for granting in self.access.granting_nodes(source, self.catalog.bit(permission)):
            start = bisect_left(ids, granting)
            for index in range(start, len(ids)):
                if ids[index] != granting and not ids[index].startswith(granting + "/"):
                    break
                found[ids[index]] = nodes[index]
        return [found[i] for i in sorted(found)]

    @staticmethod
    def where_in(container: Node, nodes: Sequence[Node]) -> list[Node]:
        """The nodes of ``nodes`` (sorted by id) inside ``container``."""
        ids = [n.id for n in nodes]
        out = []
        for index in range(bisect_left(ids, container.id + "/"), len(ids)):
            if not ids[index].startswith(container.id + "/"):
                break
            out.append(nodes[index])
        return out

    def check(self, source: str, needs: Iterable[Need]) -> Checked | None:
        """Every need allowed (perhaps conditionally): the keys and provenance; else None."""
        out = Checked()
        for permission, resource in needs:
            if permission not in self.catalog:
                return None
            bit = self.catalog.bit(permission)
            verdict = self.access.evaluate(source, resource)
            if not verdict.has(bit):
                return None
            if verdict.conditional_for(bit):
                out.keys.extend(verdict.keys)
            node = self.estate.nodes.get
            for binding, result, _ in verdict.allows:
                if result != "no-match" and self.access.role_bits.get(binding.role, 0) & bit:
                    where = node(binding.node)
                    out.provenance.append(binding.label(where.name if where else binding.node))
        out.keys = list(dict.fromkeys(out.keys))
        out.provenance = list(dict.fromkeys(out.provenance))
        return out

    def block(self, account: Node, method: str, source: str, constraint: str, at: str) -> None:
        self.blocked.setdefault(account_id(account), []).append(
            f"{method} by {source}: blocked by constraints/{constraint} enforced at {at}")

    def project_of(self, node: Node) -> Node | None:
        return self.estate.project_node(node.project) if node.project else None


def account_id(node: Node) -> str:
    return SERVICE_ACCOUNT + node.data["email"].lower()


class EscalationMethod:
    """One documented method: its id, the permissions it needs and where it is documented."""

    kind = EdgeKind.ESCALATE

    def __init__(self, method_id: str, needs: Sequence[str], reference: str):
        self.id = method_id
        self.needs = tuple(needs)
        self.reference = reference

    def permissions(self) -> tuple[str, ...]:
        return self.needs

    def edges(self, context: EscalationContext) -> Iterator[Edge]:
        return iter(())

    def admin_reasons(self, context: EscalationContext) -> Iterator[tuple[str, str]]:
        return iter(())

    def edge(self, source: str, target: str, checked: Checked, resources: Sequence[str]) -> Edge:
        return Edge(source, target, self.kind, self.id, self.permissions(), tuple(resources), tuple(checked.keys),
                    tuple(checked.provenance), self.reference)


class OnAccount(EscalationMethod):
    """Permissions on the target service account itself (impersonation, keys, its IAM policy).

    ``blocked_by`` names a boolean organization-policy constraint that stops the method.
    """

    def __init__(self, method_id: str, needs: Sequence[str], reference: str, kind: EdgeKind = EdgeKind.IMPERSONATE,
                 blocked_by: str = ""):
        super().__init__(method_id, needs, reference)
        self.kind = kind
        self.blocked_by = blocked_by

    def edges(self, context: EscalationContext) -> Iterator[Edge]:
        for source in context.sources(self.needs):
            for account in context.where(source.id, self.needs[0], context.accounts):
                target = account_id(account)
                if target == source.id:
                    continue
                checked = context.check(source.id, ((p, account.id) for p in self.needs))
                if checked is None:
                    continue
                at = context.estate.enforced(account.id, self.blocked_by) if self.blocked_by else None
                if at:
                    context.block(account, self.id, source.id, self.blocked_by, at)
                    continue
                yield self.edge(source.id, target, checked, (account.id,))


class OnAccountProject(EscalationMethod):
    """Permissions on the project that holds the target service account (HMAC keys)."""

    kind = EdgeKind.IMPERSONATE

    def edges(self, context: EscalationContext) -> Iterator[Edge]:
        for source in context.sources(self.needs):
            for project in context.where(source.id, self.needs[0], context.projects):
                checked = context.check(source.id, ((p, project.id) for p in self.needs))
                if checked is None:
                    continue
                for account in context.where_in(project, context.accounts):
                    if account_id(account) != source.id:
                        yield self.edge(source.id, account_id(account), checked, (project.id, account.id))


class RunAsNew(EscalationMethod):
    """Create compute in a project that runs as a service account the source may act as.

    ``alternatives`` are permission sets of which one more is needed (for example a way to call
    the new function); attaching an account of another project is blocked when that project
    enforces ``iam.disableCrossProjectServiceAccountUsage``.
    """

    def __init__(self, method_id: str, needs: Sequence[str], reference: str,
                 alternatives: Sequence[Sequence[str]] = ((),)):
        super().__init__(method_id, needs, reference)
        self.alternatives = tuple(tuple(a) for a in alternatives)

    def permissions(self) -> tuple[str, ...]:
        return (*self.needs, *dict.fromkeys(p for a in self.alternatives for p in a), ACT_AS)

    def edges(self, context: EscalationContext) -> Iterator[Edge]:
        for extra in self.alternatives:
            needs = (*self.needs, *extra)
            for source in context.sources((*needs, ACT_AS)):
                usable = context.where(source.id, ACT_AS, context.accounts)
                for project in context.where(source.id, needs[0], context.projects):
                    in_project = context.check(source.id, ((p, project.id) for p in needs))
                    if in_project is None:
                        continue
                    for account in usable:
                        target = account_id(account)
                        if target == source.id:
                            continue
                        act_as = context.check(source.id, ((ACT_AS, account.id),))
                        if act_as is None:
                            continue
                        if account.project != project.project:
                            at = context.estate.enforced(account.id, CROSS_PROJECT)
                            if at:
                                context.block(account, self.id, source.id, CROSS_PROJECT, at)
                                continue
                        checked = Checked(list(dict.fromkeys(in_project.keys + act_as.keys)),
                                          list(dict.fromkeys(in_project.provenance + act_as.provenance)))
                        yield self.edge(source.id, target, checked, (project.id, account.id))


class RunAsAgent(EscalationMethod):
    """Create work in a project that runs as a Google-managed account of that project, without actAs
    (the legacy Cloud Build account, the Google APIs service agent Deployment Manager uses)."""

    def __init__(self, method_id: str, needs: Sequence[str], reference: str, agent: str):
        super().__init__(method_id, needs, reference)
        self.agent = agent  # e-mail pattern with {number}

    def edges(self, context: EscalationContext) -> Iterator[Edge]:
        for source in context.sources(self.needs):
            for project in context.where(source.id, self.needs[0], context.projects):
                number = project.data.get("projectNumber") or project.name.rsplit("/", 1)[1]
                target = SERVICE_ACCOUNT + self.agent.format(number=number)
                if target not in context.principals.all or target == source.id:
                    continue
                checked = context.check(source.id, ((p, project.id) for p in self.needs))
                if checked is not None:
                    yield self.edge(source.id, target, checked, (project.id,))


class UseExisting(EscalationMethod):
    """Change an existing resource that runs as a service account so it runs the source's code.

    ``on_project`` checks the permissions on the resource's project rather than the resource
    (project-wide instance metadata); ``act_as`` adds actAs on the account the resource runs as.
    """

    def __init__(self, method_id: str, resource_type: str, needs: Sequence[str], reference: str,
                 act_as: bool = False, on_project: bool = False):
        super().__init__(method_id, needs, reference)
        self.resource_type = resource_type
        self.act_as = act_as
        self.on_project = on_project

    def permissions(self) -> tuple[str, ...]:
        return (*self.needs, ACT_AS) if self.act_as else self.needs

    def edges(self, context: EscalationContext) -> Iterator[Edge]:
        resources = [n for n in context.estate.nodes.values() if n.type == self.resource_type and n.runs_as()]
        for source in context.sources(self.permissions()):
            for resource in resources:
                where = context.project_of(resource) if self.on_project else resource
                if where is None:
                    continue
                for email in resource.runs_as():
                    target = SERVICE_ACCOUNT + email
                    if target == source.id:
                        continue
                    account = context.estate.service_accounts.get(email)
                    needs = [(p, where.id) for p in self.needs]
                    if self.act_as:
                        # An account outside the export: actAs granted on the resource's project covers it.
                        holder = account or context.project_of(resource)
                        if holder is None:
                            continue
                        needs.append((ACT_AS, holder.id))
                    checked = context.check(source.id, needs)
                    if checked is not None:
                        yield self.edge(source.id, target, checked, (resource.id,))


class SetContainerPolicy(EscalationMethod):
    """setIamPolicy on an organization, folder or project: the holder can grant itself any role
    there, so it is admin-equivalent at that scope and reaches every service account inside it."""

    def __init__(self, method_id: str, container_type: str, reference: str):
        super().__init__(method_id, (method_id,), reference)
        self.container_type = container_type

    def _holders(self, context: EscalationContext) -> Iterator[tuple[Principal, Node, Checked]]:
        containers = sorted((n for n in context.estate.nodes.values() if n.type == self.container_type),
                            key=lambda n: n.id)
        for source in context.sources(self.needs):
            for node in context.where(source.id, self.id, containers):
                checked = context.check(source.id, ((self.id, node.id),))
                if checked is not None:
                    yield source, node, checked

    def edges(self, context: EscalationContext) -> Iterator[Edge]:
        for source, node, checked in self._holders(context):
            scopes = context.policy_scopes.setdefault(source.id, set())
            covered = not checked.keys and any(parent in scopes for parent in node.parents)
            if not checked.keys:
                scopes.add(node.id)
            if covered:  # the edges from an ancestor's policy already reach every account inside
                continue
            for account in context.where_in(node, context.accounts):
                if account_id(account) != source.id:
                    yield self.edge(source.id, account_id(account), checked, (node.id,))

    def admin_reasons(self, context: EscalationContext) -> Iterator[tuple[str, str]]:
        for source, node, checked in self._holders(context):
            condition = f" (if {', '.join(checked.keys)})" if checked.keys else ""
            yield source.id, f"{self.id} on {node.id}: can grant itself any role there{condition}"


def methods() -> tuple[EscalationMethod, ...]:
    """The whole table, in a stable order."""
    from ciem_gcp.escalation import (
        cloudbuild, composer, compute, dataflow, dataproc, deploymentmanager, functions, gke, iam, run, scheduler,
        storage, vertex,
    )

    return (*iam.METHODS, *storage.METHODS, *compute.METHODS, *functions.METHODS, *run.METHODS, *cloudbuild.METHODS,
            *scheduler.METHODS, *deploymentmanager.METHODS, *dataflow.METHODS, *composer.METHODS, *dataproc.METHODS,
            *gke.METHODS, *vertex.METHODS)
