"""One request decided as Azure RBAC decides it (docs/azure-semantics.md).

1. Deny assignments that apply to the caller (directly, through a group, or to everyone, less the
   excluded principals) at the target's scope or above (unless ``doNotApplyToChildScopes``) are
   checked first: one whose actions match, less its NotActions, denies.
2. Each role assignment of the caller or of a group it belongs to (transitively), at the target's
   scope or above, allows when a ``permissions`` entry of its role matches the action in ``Actions``
   (``DataActions`` for a data action) and not in that entry's ``NotActions`` (``NotDataActions``).
   A NotAction only limits its own role. An ABAC condition is evaluated for the actions it targets.
3. PIM-eligible assignments grant only after activation: their access is reported as conditional.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from ciem.model import Decision, LayerVerdict
from ciem.patterns import glob_match

from ciem_azure.resolve import conditions
from ciem_azure.resolve.estate import EVERYONE, Assignment, DenyAssignment, Estate, norm

PIM_KEY = "pim:activation"


def matches(patterns, action: str) -> bool:
    return any(glob_match(pattern, action, case_sensitive=False) for pattern in patterns or ())


def permission_allows(permission: Mapping[str, Any], action: str, data: bool) -> bool:
    """One ``permissions`` entry: its (Data)Actions match and its own Not(Data)Actions do not."""
    grant, exclude = ("dataActions", "notDataActions") if data else ("actions", "notActions")
    return matches(permission.get(grant), action) and not matches(permission.get(exclude), action)


@dataclass(frozen=True)
class Verdict:
    """Whether a principal may perform one action on one resource, and why."""

    decision: str  # allowed, conditional, implicitDeny, explicitDeny
    keys: tuple[str, ...] = ()
    statements: tuple[str, ...] = ()

    @property
    def granted(self) -> bool:
        return self.decision in ("allowed", "conditional")


class Evaluator:
    def __init__(self, estate: Estate, is_data):
        self.estate = estate
        self.is_data = is_data  # action name -> bool
        self.by_principal: dict[str, list[Assignment]] = {}
        for assignment in estate.assignments.values():
            self.by_principal.setdefault(assignment.principal, []).append(assignment)
        self._held: dict[str, list[tuple[Assignment, str]]] = {}
        self._may: dict[tuple[str, str], bool] = {}

    def principals_of(self, principal: str) -> list[str]:
        """The principal and every group it belongs to: whose assignments it holds."""
        return [principal, *sorted(self.estate.groups_of(principal))]

    def held(self, principal: str) -> list[tuple[Assignment, str]]:
        """Every (assignment, the group it comes through or "") of the principal, wherever it applies."""
        found = self._held.get(principal)
        if found is None:
            found = [(assignment, "" if holder == principal else holder)
                     for holder in self.principals_of(principal) for assignment in self.by_principal.get(holder, ())]
            self._held[principal] = found
        return found

    def assignments(self, principal: str, target: str) -> list[tuple[Assignment, str]]:
        """The principal's assignments applying to ``target`` (normalised)."""
        return [(a, via) for a, via in self.held(principal) if self.estate.covers(a.key, target)]

    def may(self, principal: str, action: str) -> bool:
        """Whether some role the principal holds anywhere grants ``action`` (a cheap pre-filter)."""
        key = (principal, action)
        if key not in self._may:
            data = self.is_data(action)
            self._may[key] = any(permission_allows(p, action, data) for a, _ in self.held(principal)
                                 for p in (self.estate.roles[a.role].permissions if a.role in self.estate.roles else ()))
        return self._may[key]

    def deny_applies_to(self, deny: DenyAssignment, principal: str) -> bool:
        holders = set(self.principals_of(principal))
        if holders & set(deny.excluded):
            return False
        return EVERYONE in deny.principals or bool(holders & set(deny.principals))

    def denies(self, principal: str, target: str) -> list[DenyAssignment]:
        return [d for d in self.estate.denies.values()
                if self.estate.covers(norm(d.scope), target, d.child_scopes) and self.deny_applies_to(d, principal)]

    def describe(self, assignment: Assignment, via: str) -> str:
        role = self.estate.roles.get(assignment.role)
        kind = "PIM eligibility" if assignment.eligible else "role assignment"
        text = f"{kind} {assignment.id}: {role.name if role else assignment.role} at {assignment.scope}"
        if via:
            group = self.estate.principals.get(via)
            text += f" (through group {group.name if group else via})"
        return text

    def decide(self, principal: str, action: str, resource: str,
               context: Mapping[str, Any] | None = None) -> tuple[Verdict, tuple[LayerVerdict, ...]]:
        context = context or {}
        target = norm(resource)
        data = self.is_data(action)
        layers = []
        deny_sure, deny_conditional, deny_keys = [], [], []
        for deny in self.denies(principal, target):
            if not any(permission_allows(p, action, data) for p in deny.permissions):
                continue
            label = f"deny assignment {deny.name or deny.id} at {deny.scope}"
            if deny.condition:
                try:
                    outcome = self._condition(deny.condition, action, context)
                except conditions.ConditionError:
                    outcome = None
                if outcome is False:
                    continue
                if outcome is None:
                    deny_conditional.append(label)
                    deny_keys.extend(_condition_keys(deny.condition))
                    continue
            deny_sure.append(label)
        if deny_sure:
            layers.append(LayerVerdict("deny assignments", "deny", tuple(deny_sure)))
            return Verdict("explicitDeny", statements=tuple(deny_sure)), tuple(layers)
        layers.append(LayerVerdict("deny assignments", "conditional" if deny_conditional else "no-match",
                                   tuple(deny_conditional)))
        sure, conditional, eligible, keys = [], [], [], []
        for assignment, via in self.assignments(principal, target):
            role = self.estate.roles.get(assignment.role)
            if role is None or not any(permission_allows(p, action, data) for p in role.permissions):
                continue
            label = self.describe(assignment, via)
            outcome = True
            if assignment.condition:
                try:
                    outcome = self._condition(assignment.condition, action, context)
                except conditions.ConditionError:
                    outcome = None
                    keys.append("condition")
                if outcome is None:
                    keys.extend(_condition_keys(assignment.condition))
            if outcome is False:
                continue
            if assignment.eligible:
                eligible.append(label)
            elif outcome is None:
                conditional.append(label)
            else:
                sure.append(label)
        layers.append(LayerVerdict("role assignments", "allow" if sure else ("conditional" if conditional else "no-match"),
                                   tuple(sure + conditional)))
        layers.append(LayerVerdict("PIM eligibility", "conditional" if eligible else "no-match", tuple(eligible),
                                   "eligible: granted only once activated" if eligible else ""))
        if sure and not deny_conditional:
            return Verdict("allowed", statements=tuple(sure)), tuple(layers)
        if sure or conditional or eligible:
            all_keys = keys + deny_keys + ([PIM_KEY] if eligible and not (sure or conditional) else [])
            return Verdict("conditional", tuple(dict.fromkeys(all_keys)), tuple(sure + conditional + eligible)), tuple(layers)
        return Verdict("implicitDeny"), tuple(layers)

    def _condition(self, text: str, action: str, context: Mapping[str, Any]) -> bool | None:
        return conditions.evaluate(conditions.parse(text), action, context, str(context.get("SubOperation", "")))

    def explain(self, principal: str, action: str, resource: str, context: Mapping[str, Any]) -> Decision:
        verdict, layers = self.decide(principal, action, resource, context)
        return Decision(verdict.decision, layers, verdict.keys if verdict.decision == "conditional" else ())


def _condition_keys(text: str) -> list[str]:
    try:
        return list(conditions.attributes(conditions.parse(text)))
    except conditions.ConditionError:
        return ["condition"]
