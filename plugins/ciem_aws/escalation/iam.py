"""IAM methods: take over another user's or a role's credentials, join a group, or rewrite one's own
permissions (Rhino Security Labs methods 1, 2, 4-14; pathfinding.cloud iam-*)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, Iterator

from ciem.model import Edge

from ciem_aws.escalation.base import PATHFINDING, RHINO, EscalationContext, EscalationMethod, Need
from ciem_aws.policy.document import parse_policy
from ciem_aws.resolve.grants import Effective
from ciem_aws.resolve.principals import Principal

IAM_REFERENCE = RHINO
ADMIN_POLICY = "arn:aws:iam::aws:policy/AdministratorAccess"
ASSUME = "sts:AssumeRole"


def _report(context: EscalationContext, user: Principal) -> dict[str, str] | None:
    return context.estate.accounts[user.account].credential_report.get(user.arn)


class CreateAccessKey(EscalationMethod):
    """A new access key for another user (also DeleteAccessKey when it already has the maximum two)."""

    id = "iam:CreateAccessKey"
    reference = RHINO
    permissions = ("iam:CreateAccessKey",)

    def edges(self, context: EscalationContext) -> Iterator[Edge]:
        for source in context.sources(self.permissions):
            create = context.asker(source, ("iam:CreateAccessKey",))
            rotate = context.asker(source, ("iam:CreateAccessKey", "iam:DeleteAccessKey"))
            for user in context.users(source.principal.account):
                if not context.wanted(source, user.arn):
                    continue
                needs: list[Need] = [("iam:CreateAccessKey", user.arn, {})]
                ask = create
                report = _report(context, user) or {}
                if report.get("access_key_1_active") == "true" and report.get("access_key_2_active") == "true":
                    needs.append(("iam:DeleteAccessKey", user.arn, {}))
                    ask = rotate
                verdict = ask(needs)
                if verdict is not None:
                    yield context.edge(self, source, user.arn, verdict, (user.arn,))


@dataclass
class LoginProfile(EscalationMethod):
    """Set a console password for another user: Create when it has none, Update when it has one
    (a user absent from the credential report may be either)."""

    id: str
    has_password: bool
    reference: str = RHINO

    def __post_init__(self) -> None:
        self.permissions = (self.id,)

    def edges(self, context: EscalationContext) -> Iterator[Edge]:
        for source in context.sources(self.permissions):
            ask = context.asker(source, self.permissions)
            for user in context.users(source.principal.account):
                report = _report(context, user)
                if report is not None and (report.get("password_enabled") == "true") != self.has_password:
                    continue
                if not context.wanted(source, user.arn):
                    continue
                verdict = ask([(self.id, user.arn, {})])
                if verdict is not None:
                    yield context.edge(self, source, user.arn, verdict, (user.arn,))


class UpdateAssumeRolePolicy(EscalationMethod):
    """Rewrite a role's trust policy to name oneself, then assume it. A trust policy naming the
    caller needs no identity policy in the same account, and naming a role caller's session ARN
    escapes its boundary too, so AssumeRole is checked against the caller's SCPs (and explicit
    denies) only. Service-linked roles' trust cannot be edited."""

    id = "iam:UpdateAssumeRolePolicy+sts:AssumeRole"
    reference = RHINO
    permissions = ("iam:UpdateAssumeRolePolicy", ASSUME)

    def edges(self, context: EscalationContext) -> Iterator[Edge]:
        for source in context.sources(("iam:UpdateAssumeRolePolicy",)):
            ask = context.asker(source, ("iam:UpdateAssumeRolePolicy",))
            for role in context.roles(source.principal.account):
                if role.service_linked or not context.wanted(source, role.arn):
                    continue
                verdict = ask([("iam:UpdateAssumeRolePolicy", role.arn, {})])
                assume_bit = context.bit(ASSUME)
                if verdict is None or assume_bit is None:
                    continue
                assume = source.can(assume_bit, role.arn, allows=source.open_ceiling)
                if assume.allowed:
                    conditions = tuple(dict.fromkeys((*verdict.conditions, *assume.conditions)))
                    yield context.edge(self, source, role.arn, replace(verdict, conditions=conditions), (role.arn,))


class AddUserToGroup(EscalationMethod):
    """Add oneself to a group and gain its policies."""

    id = "iam:AddUserToGroup"
    reference = RHINO
    permissions = ("iam:AddUserToGroup",)

    def edges(self, context: EscalationContext) -> Iterator[Edge]:
        for source in context.sources(self.permissions):
            if source.principal.kind != "user":
                continue
            ask = context.asker(source, self.permissions)
            for group in context.groups(source.principal.account):
                if group.arn in source.principal.groups or not context.wanted(source, group.arn):
                    continue
                verdict = ask([("iam:AddUserToGroup", group.arn, {})])
                if verdict is not None:
                    yield context.edge(self, source, group.arn, verdict, (group.arn,))


# --- rewriting one's own permissions: admin-equivalence, no edge ---------------------------------

def _boundary_escape(source: Effective, context: EscalationContext, holder: Principal) -> bool:
    """A policy added to ``holder`` only counts fully when no boundary caps it, or when the source
    can also remove the holder's boundary."""
    if holder.boundary is None:
        return True
    action = "iam:DeleteUserPermissionsBoundary" if holder.kind == "user" else "iam:DeleteRolePermissionsBoundary"
    verdict = context.check(source, [(action, holder.arn, {})])
    return verdict is not None and not verdict.conditions


def _self_and_assumable(context: EscalationContext, source: Effective, kind: str) -> Iterator[Principal]:
    """The source itself (when of ``kind``) and the roles it can assume unconditionally."""
    if source.principal.kind == kind:
        yield source.principal
    if kind == "role":
        for arn in sorted(context.assumable.get(source.principal.arn, ())):
            yield context.estate.principals[arn]


@dataclass
class RewriteOwnPolicy(EscalationMethod):
    """Put or attach a policy on oneself, on a group one is in, or on a role one can assume.

    ``holders`` lists (holder ARN, the principal whose boundary caps the result or None) for a
    source. An attach is checked with ``iam:PolicyARN`` = AdministratorAccess.
    """

    id: str
    holders: Callable[[EscalationContext, Effective], Iterator[tuple[str, Principal | None]]]
    reference: str = RHINO

    def __post_init__(self) -> None:
        self.permissions = (self.id,)

    def admin_reasons(self, context: EscalationContext) -> Iterator[tuple[str, str]]:
        extra = {"iam:PolicyARN": ADMIN_POLICY} if "Attach" in self.id else {}
        for source in context.sources(self.permissions):
            for holder, capped_by in self.holders(context, source):
                verdict = context.check(source, [(self.id, holder, extra)])
                if verdict is None or verdict.conditions:
                    continue
                if capped_by is not None and not _boundary_escape(source, context, capped_by):
                    continue
                yield source.principal.arn, f"can {self.id} on {holder} ({', '.join(verdict.provenance)})"
                break


def _user_self(context: EscalationContext, source: Effective) -> Iterator[tuple[str, Principal | None]]:
    if source.principal.kind == "user":
        yield source.principal.arn, source.principal


def _own_groups(context: EscalationContext, source: Effective) -> Iterator[tuple[str, Principal | None]]:
    for group in source.principal.groups:
        yield group, source.principal


def _roles(context: EscalationContext, source: Effective) -> Iterator[tuple[str, Principal | None]]:
    for role in _self_and_assumable(context, source, "role"):
        yield role.arn, role


def _holders_of_policies(context: EscalationContext, source: Effective) -> Iterator[Principal]:
    yield source.principal
    yield from (p for p in _self_and_assumable(context, source, "role") if p is not source.principal)


def _customer_policies(context: EscalationContext, source: Effective) -> Iterator[tuple[str, Principal]]:
    """Customer managed policies attached to the source (directly or through a group) or to a role it can assume."""
    for holder in _holders_of_policies(context, source):
        for arn in holder.managed_arns:
            if ":iam::aws:policy/" not in arn and arn in context.estate.managed:
                yield arn, holder


class CreatePolicyVersion(EscalationMethod):
    """Write a new default version of a customer managed policy that applies to oneself."""

    id = "iam:CreatePolicyVersion"
    reference = RHINO
    permissions = ("iam:CreatePolicyVersion",)

    def admin_reasons(self, context: EscalationContext) -> Iterator[tuple[str, str]]:
        for source in context.sources(self.permissions):
            for policy, holder in _customer_policies(context, source):
                verdict = context.check(source, [(self.id, policy, {})])
                if verdict is not None and not verdict.conditions and _boundary_escape(source, context, holder):
                    yield source.principal.arn, f"can {self.id} on {policy}, attached to {holder.arn}"
                    break


def _grants_everything(document: object, label: str) -> bool:
    policy = parse_policy(document, label)
    return any(s.effect == "Allow" and s.actions is not None and "*" in s.actions and s.resources == ("*",)
               and not s.conditions for s in policy.statements)


class SetDefaultPolicyVersion(EscalationMethod):
    """Make an older version of a customer managed policy that applies to oneself the default,
    when that version allows every action on every resource."""

    id = "iam:SetDefaultPolicyVersion"
    reference = RHINO
    permissions = ("iam:SetDefaultPolicyVersion",)

    def admin_reasons(self, context: EscalationContext) -> Iterator[tuple[str, str]]:
        for source in context.sources(self.permissions):
            for policy, holder in _customer_policies(context, source):
                versions = context.estate.other_versions.get(policy, [])
                full = [v for v, document in versions if _grants_everything(document, f"{policy}?versionId={v}")]
                if not full:
                    continue
                verdict = context.check(source, [(self.id, policy, {})])
                if verdict is not None and not verdict.conditions and _boundary_escape(source, context, holder):
                    yield source.principal.arn, f"can {self.id} on {policy} to version {full[0]}, which allows *"
                    break


class CreateRoleAndAttach(EscalationMethod):
    """Create a role that trusts oneself, give it AdministratorAccess and assume it."""

    id = "iam:CreateRole+iam:AttachRolePolicy+sts:AssumeRole"
    reference = PATHFINDING + "iam"
    permissions = ("iam:CreateRole", "iam:AttachRolePolicy")

    def admin_reasons(self, context: EscalationContext) -> Iterator[tuple[str, str]]:
        for source in context.sources(self.permissions):
            new_role = f"arn:aws:iam::{source.principal.account}:role/*"
            verdict = context.check(source, [("iam:CreateRole", new_role, {}),
                                             ("iam:AttachRolePolicy", new_role, {"iam:PolicyARN": ADMIN_POLICY})])
            if verdict is None or verdict.conditions or source.principal.kind == "root" or ASSUME not in context.catalog:
                continue
            assume = source.can(context.catalog.bit(ASSUME), new_role, allows=source.open_ceiling)
            if assume.allowed and not assume.conditions:
                yield source.principal.arn, f"can create a role it trusts and attach AdministratorAccess ({', '.join(verdict.provenance)})"


METHODS: tuple[EscalationMethod, ...] = (
    CreateAccessKey(),
    LoginProfile("iam:CreateLoginProfile", has_password=False),
    LoginProfile("iam:UpdateLoginProfile", has_password=True),
    UpdateAssumeRolePolicy(),
    AddUserToGroup(),
    RewriteOwnPolicy("iam:PutUserPolicy", _user_self),
    RewriteOwnPolicy("iam:AttachUserPolicy", _user_self),
    RewriteOwnPolicy("iam:PutGroupPolicy", _own_groups),
    RewriteOwnPolicy("iam:AttachGroupPolicy", _own_groups),
    RewriteOwnPolicy("iam:PutRolePolicy", _roles),
    RewriteOwnPolicy("iam:AttachRolePolicy", _roles),
    CreatePolicyVersion(),
    SetDefaultPolicyVersion(),
    CreateRoleAndAttach(),
)
