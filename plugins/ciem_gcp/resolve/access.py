"""One identity's permissions on one resource, as IAM decides them: deny policies first, then the
union of the allow bindings on the resource and every ancestor.

A binding's condition is evaluated with what is known about the request (the resource's name, type
and service always; the time, tags and API attributes only when the caller supplies them); what
stays unknown makes the permissions conditional, with the attributes as keys. The same holds for a
deny rule's ``denialCondition``: true denies, unknown makes the permissions conditional.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from ciem.catalog import PermissionCatalog

from ciem_gcp.resolve.conditions import evaluate, keys_of
from ciem_gcp.resolve.estate import Binding, DenyRule, Estate
from ciem_gcp.resolve.principals import Principals

# Deny policies name permissions as SERVICE_FQDN/resource.verb; these services' v1 prefix differs.
_V1_PREFIX = {"cloudresourcemanager.googleapis.com": "resourcemanager"}


def v1_permission(v2: str) -> str:
    """``iam.googleapis.com/serviceAccountKeys.create`` -> ``iam.serviceAccountKeys.create``."""
    if "/" not in v2:
        return v2
    host, rest = v2.split("/", 1)
    prefix = _V1_PREFIX.get(host, host.removesuffix(".googleapis.com"))
    return f"{prefix}.{rest}"


@dataclass
class Verdict:
    """Permissions on one resource: ``sure`` and ``conditional`` bitsets, and why."""

    sure: int = 0
    conditional: int = 0
    keys: list[str] = field(default_factory=list)
    allows: list[tuple[Binding, str, tuple[str, ...]]] = field(default_factory=list)  # binding, verdict, keys
    denies: list[tuple[DenyRule, str, int, tuple[str, ...]]] = field(default_factory=list)  # rule, verdict, bits, keys

    def has(self, bits: int) -> bool:
        return (self.sure | self.conditional) & bits == bits

    def conditional_for(self, bits: int) -> bool:
        return bool(bits & ~self.sure)


class Access:
    def __init__(self, estate: Estate, principals: Principals, catalog: PermissionCatalog):
        self.estate = estate
        self.principals = principals
        self.catalog = catalog
        self.role_bits = {role: catalog.bits_of(permissions) for role, permissions in estate.roles.items()}
        self.deny_bits = {rule: catalog.bits_of(v1_permission(p) for p in rule.denied_permissions)
                          & ~catalog.bits_of(v1_permission(p) for p in rule.exception_permissions)
                          for rule in estate.deny_rules}
        self.rules_at: dict[str, list[DenyRule]] = {}
        for rule in estate.deny_rules:
            self.rules_at.setdefault(rule.node, []).append(rule)
        self._cache: dict[tuple[str, str], Verdict] = {}
        self._member_bits: dict[str, int] = {}  # member -> what its bindings give, anywhere
        self._member_nodes: dict[str, list[tuple[str, int]]] = {}  # member -> (node, what a binding there gives)
        for node_id, bindings in estate.bindings.items():
            for binding in bindings:
                bits = self.role_bits.get(binding.role, 0)
                for member in binding.members:
                    self._member_bits[member] = self._member_bits.get(member, 0) | bits
                    self._member_nodes.setdefault(member, []).append((node_id, bits))

    def context_of(self, resource_id: str) -> dict[str, Any]:
        node = self.estate.nodes.get(resource_id)
        if node is None:
            return {}
        return {"resource.name": node.relative_name, "resource.type": node.type, "resource.service": node.service}

    def anywhere(self, identity: str) -> int:
        """Every permission some binding gives the identity somewhere (a cheap pre-filter)."""
        bits = 0
        for key in self.principals.keys(identity):
            bits |= self._member_bits.get(key, 0)
        return bits

    def granting_nodes(self, identity: str, bit: int) -> set[str]:
        """The nodes where some binding gives the identity ``bit``: only they and what lies below
        them can allow it (a cheap pre-filter)."""
        return {node for key in self.principals.keys(identity) for node, bits in self._member_nodes.get(key, ())
                if bits & bit}

    def denied_rules(self, identity: str, node_id: str) -> list[DenyRule]:
        principals = self.principals
        return [rule for rule in self.rules_at.get(node_id, ())
                if principals.denied(identity, rule.denied_principals)
                and not principals.denied(identity, rule.exception_principals)]

    def evaluate(self, identity: str, resource_id: str, context: Mapping[str, Any] | None = None) -> Verdict:
        cache_key = (identity, resource_id)
        if context is None and cache_key in self._cache:
            return self._cache[cache_key]
        known = {**self.context_of(resource_id), **(context or {})}
        keys = self.principals.keys(identity)
        verdict = Verdict()
        chain = self.estate.chain(resource_id)
        for node_id in chain:
            for binding in self.estate.bindings.get(node_id, ()):
                if not keys.intersection(binding.members):
                    continue
                bits = self.role_bits.get(binding.role, 0)
                decided = evaluate(binding.condition, known) if binding.condition else True
                if decided is None:
                    wanted = tuple(k for k in keys_of(binding.condition) if k not in known)
                    verdict.conditional |= bits
                    verdict.keys.extend(wanted)
                    verdict.allows.append((binding, "conditional", wanted))
                elif decided:
                    verdict.sure |= bits
                    verdict.allows.append((binding, "allow", ()))
                else:
                    verdict.allows.append((binding, "no-match", ()))
        verdict.conditional &= ~verdict.sure
        for node_id in chain:
            for rule in self.denied_rules(identity, node_id):
                bits = self.deny_bits[rule]
                decided = evaluate(rule.condition, known) if rule.condition else True
                if decided is None:
                    wanted = tuple(k for k in keys_of(rule.condition) if k not in known)
                    moved = verdict.sure & bits
                    verdict.sure &= ~bits
                    verdict.conditional |= moved
                    verdict.keys.extend(wanted)
                    verdict.denies.append((rule, "conditional", bits, wanted))
                elif decided:
                    verdict.sure &= ~bits
                    verdict.conditional &= ~bits
                    verdict.denies.append((rule, "deny", bits, ()))
        verdict.keys = list(dict.fromkeys(verdict.keys))
        if context is None:
            self._cache[cache_key] = verdict
        return verdict
