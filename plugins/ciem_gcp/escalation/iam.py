"""IAM: service-account impersonation and keys, delegation chains, IAM policies, custom roles and
the organization policy that blocks key creation."""

from __future__ import annotations

from typing import Iterator

from ciem.model import Edge, EdgeKind

from ciem_gcp.escalation.base import (
    GOOGLE_IMPERSONATION, RHINO, RHINO_2, Checked, EscalationContext, EscalationMethod, OnAccount,
    SetContainerPolicy, account_id,
)
from ciem_gcp.resolve.estate import FOLDER, ORGANIZATION, PROJECT

GET_ACCESS_TOKEN = "iam.serviceAccounts.getAccessToken"
IMPLICIT_DELEGATION = "iam.serviceAccounts.implicitDelegation"
CREATE_KEY = "iam.serviceAccountKeys.create"
KEY_CREATION = "iam.disableServiceAccountKeyCreation"
SET_ORG_POLICY = "orgpolicy.policy.set"


class ImplicitDelegation(EscalationMethod):
    """implicitDelegation on T1 lets the source ask for a token of any account T1 could get a token
    for (``delegates`` in generateAccessToken), through chains T1 -> T2 -> ... of implicitDelegation."""

    kind = EdgeKind.IMPERSONATE

    def __init__(self, reference: str):
        super().__init__(IMPLICIT_DELEGATION, (IMPLICIT_DELEGATION,), reference)

    def _granted(self, context: EscalationContext, permission: str) -> dict[str, dict[str, Checked]]:
        out: dict[str, dict[str, Checked]] = {}
        for source in context.sources((permission,)):
            for account in context.where(source.id, permission, context.accounts):
                checked = context.check(source.id, ((permission, account.id),))
                if checked is not None and account_id(account) != source.id:
                    out.setdefault(source.id, {})[account_id(account)] = checked
        return out

    def edges(self, context: EscalationContext) -> Iterator[Edge]:
        delegate = self._granted(context, IMPLICIT_DELEGATION)
        token = self._granted(context, GET_ACCESS_TOKEN)
        for source, first in delegate.items():
            # Breadth first over the delegation chain; each hop's conditions carry to the end.
            seen = {source}
            frontier = [(hop, [hop], checked.keys, checked.provenance) for hop, checked in first.items()]
            while frontier:
                following = []
                for hop, chain, keys, provenance in frontier:
                    if hop in seen:
                        continue
                    seen.add(hop)
                    for target, checked in token.get(hop, {}).items():
                        if target != source and target not in chain:
                            done = Checked(list(dict.fromkeys(keys + checked.keys)),
                                           list(dict.fromkeys(provenance + checked.provenance)))
                            yield self.edge(source, target, done, tuple(chain))
                    for nxt, checked in delegate.get(hop, {}).items():
                        following.append((nxt, chain + [nxt], keys + checked.keys, provenance + checked.provenance))
                frontier = following


class LiftKeyCreationBlock(EscalationMethod):
    """Where key creation is blocked by organization policy, a holder of orgpolicy.policy.set on the
    account's project can set the project's own policy (it overrides the inherited one) and then
    create a key."""

    kind = EdgeKind.IMPERSONATE

    def __init__(self, reference: str):
        super().__init__(f"{SET_ORG_POLICY}+{CREATE_KEY}", (SET_ORG_POLICY, CREATE_KEY), reference)

    def edges(self, context: EscalationContext) -> Iterator[Edge]:
        for source in context.sources(self.needs):
            for account in context.where(source.id, CREATE_KEY, context.accounts):
                project = context.project_of(account)
                target = account_id(account)
                if project is None or target == source.id or not context.estate.enforced(account.id, KEY_CREATION):
                    continue
                checked = context.check(source.id, ((SET_ORG_POLICY, project.id), (CREATE_KEY, account.id)))
                if checked is not None:
                    yield self.edge(source.id, target, checked, (project.id, account.id))


class UpdateHeldCustomRole(EscalationMethod):
    """iam.roles.update on a custom role the source holds: it can add any permission to the role,
    so it is admin-equivalent wherever the role is bound to it."""

    def __init__(self, reference: str):
        super().__init__("iam.roles.update", ("iam.roles.update",), reference)

    def admin_reasons(self, context: EscalationContext) -> Iterator[tuple[str, str]]:
        estate = context.estate
        for source in context.sources(self.needs):
            keys = context.principals.keys(source.id)
            for node_id, bindings in estate.bindings.items():
                for binding in bindings:
                    role = binding.role
                    if role.startswith("roles/") or not keys.intersection(binding.members):
                        continue
                    parent = estate.by_short.get("/".join(role.split("/")[:2]))
                    if parent and context.check(source.id, ((self.id, parent),)) is not None:
                        yield source.id, f"iam.roles.update on {role}, which it holds on {node_id}"


METHODS: tuple[EscalationMethod, ...] = (
    OnAccount(GET_ACCESS_TOKEN, (GET_ACCESS_TOKEN,), GOOGLE_IMPERSONATION),
    OnAccount("iam.serviceAccounts.signBlob", ("iam.serviceAccounts.signBlob",), RHINO),
    OnAccount("iam.serviceAccounts.signJwt", ("iam.serviceAccounts.signJwt",), RHINO),
    OnAccount("iam.serviceAccounts.getOpenIdToken", ("iam.serviceAccounts.getOpenIdToken",), GOOGLE_IMPERSONATION),
    ImplicitDelegation(RHINO),
    OnAccount(CREATE_KEY, (CREATE_KEY,), RHINO, blocked_by=KEY_CREATION),
    LiftKeyCreationBlock(RHINO_2),
    OnAccount("iam.serviceAccounts.setIamPolicy", ("iam.serviceAccounts.setIamPolicy",), RHINO_2,
              kind=EdgeKind.ESCALATE),
    UpdateHeldCustomRole(RHINO),
    SetContainerPolicy("resourcemanager.organizations.setIamPolicy", ORGANIZATION, RHINO_2),
    SetContainerPolicy("resourcemanager.folders.setIamPolicy", FOLDER, RHINO_2),
    SetContainerPolicy("resourcemanager.projects.setIamPolicy", PROJECT, RHINO_2),
)
