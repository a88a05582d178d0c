"""Role-assignment writers: whoever may write ``Microsoft.Authorization/roleAssignments`` at a scope can
assign itself a role there (Owner, User Access Administrator and Role Based Access Control
Administrator can: BloodHound AZOwner, AZUserAccessAdministrator). A writer gets a potential grant,
at that scope, of what the roles it may assign grant (deny assignments still apply) and, when it may
assign any role at a subscription, a management group or the root, admin-equivalence.

A condition on the writing assignment (constrained delegation) is evaluated for every role definition
of the estate with the request the writer would make (``RoleDefinitionId`` the role,
``PrincipalId`` itself, ``PrincipalType`` its type): the roles it passes are the ones it may assign.
"""

from __future__ import annotations

from ciem.model import IdentityKind

from ciem_azure.escalation.base import EscalationContext, EscalationMethod, Writer
from ciem_azure.resolve.estate import MG_PREFIX, ROOT
from ciem_azure.resolve.evaluate import PIM_KEY

WRITE = "Microsoft.Authorization/roleAssignments/write"
REQUEST = "@Request[Microsoft.Authorization/roleAssignments:{}]"
PRINCIPAL_TYPES = {IdentityKind.USER: "User", IdentityKind.GROUP: "Group"}


def admin_scope(scope: str) -> bool:
    return scope == ROOT or scope.startswith(MG_PREFIX) or (scope.startswith("/subscriptions/") and scope.count("/") == 2)


class RoleAssignmentWriters(EscalationMethod):
    family = "role-assignment-write"
    operations = ((WRITE, False),)

    def run(self, context: EscalationContext) -> None:
        estate = context.estate
        scopes = estate.known_scopes()
        for principal in context.acting:
            if not context.evaluator.may(principal.id, WRITE):
                continue
            found: list[Writer] = []
            for scope in scopes:
                if any(w.roles is None and not w.keys and estate.covers(w.scope, scope) for w in found):
                    continue
                if not context.evaluator.assignments(principal.id, scope):
                    continue
                writer = self._writer(context, principal, scope)
                if writer is None or any(estate.covers(w.scope, scope) and w.covers(writer) for w in found):
                    continue
                found.append(writer)
                context.writers.setdefault(principal.id, []).append(writer)
                written = estate.written(scope)
                context.grant(principal.id, writer.bits(context), estate.selector_patterns(scope),
                              f"can assign itself {writer.describe(estate)} at {written} ({WRITE}: "
                              f"{'; '.join(writer.statements)})", writer.keys, potential=True, rbac=True)
                if writer.roles is None and not writer.keys and admin_scope(scope):
                    context.outcome.admin.setdefault(principal.id, f"can assign itself any role at {written} ({WRITE})")

    @staticmethod
    def _writer(context: EscalationContext, principal, scope: str) -> Writer | None:
        verdict = context.decide(principal.id, (WRITE,), scope)
        if not verdict.granted:
            return None
        open_keys = [k for k in verdict.keys if k != PIM_KEY]
        if not open_keys:
            return Writer(scope, verdict.keys, verdict.statements, None)
        request = {REQUEST.format("PrincipalId"): principal.id,
                   REQUEST.format("PrincipalType"): PRINCIPAL_TYPES.get(principal.kind, "ServicePrincipal")}
        roles = []
        for guid in sorted(context.estate.roles):
            outcome, _ = context.evaluator.decide(principal.id, WRITE, scope, {**request, REQUEST.format("RoleDefinitionId"): guid})
            if outcome.decision == "allowed" or (outcome.decision == "conditional" and set(outcome.keys) <= {PIM_KEY}):
                roles.append(guid)
        if roles:
            keys = tuple(k for k in verdict.keys if k == PIM_KEY)
            return Writer(scope, keys, verdict.statements, frozenset(roles))
        # the condition reads something beyond the request the writer makes: conditional on it
        return Writer(scope, verdict.keys, verdict.statements, None)
