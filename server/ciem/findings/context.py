"""What rules read besides the index: settings, the scan time, and usage evidence.

Usage is three-valued. An identity is *covered* when activity logging was on for it through the whole
window (its account's logs were read); only then does the absence of records mean "unused". An
identity that is not covered has usage UNKNOWN, unless its provider recorded a last use
(``attributes["last_used"]``) that settles it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any, Iterable, Mapping

from ciem.catalog import PermissionCatalog
from ciem.findings.config import FindingsConfig
from ciem.findings.model import Usage
from ciem.index import EffectiveAccessIndex
from ciem.model import AccessLevel, Identity, IdentityKind, Resource, UsageRecord
from ciem.patterns import glob_match
from ciem.queries import PrecomputedFacts, WhoCanEntry, precomputed, who_can


@dataclass
class UsageEvidence:
    """Usage records of one window, and which accounts the window's logs cover."""

    records: Iterable[UsageRecord]
    window_start: datetime
    window_end: datetime
    covered_accounts: frozenset[str] = frozenset()
    _actions: dict[str, set[str]] = field(default_factory=dict, init=False, repr=False)
    _resources: dict[str, set[str]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        for record in self.records:
            if record.last_seen < self.window_start or record.first_seen > self.window_end:
                continue
            self._actions.setdefault(record.identity, set()).add(record.action.lower())
            if record.resource:
                self._resources.setdefault(record.identity, set()).add(record.resource)
        self.records = ()

    def covers(self, identity: Identity) -> bool:
        return identity.account in self.covered_accounts

    def actions(self, identity_id: str) -> set[str]:
        return self._actions.get(identity_id, set())

    def resources(self, identity_id: str) -> set[str]:
        return self._resources.get(identity_id, set())


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 timestamp from identity attributes (``Z`` accepted), or None."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None


class ScanContext:
    """Everything a rule reads; computed facts are cached for the scan."""

    def __init__(self, index: EffectiveAccessIndex, config: FindingsConfig, now: datetime,
                 usage: UsageEvidence | None = None):
        self.index = index
        self.config = config
        self.now = now
        self.usage = usage
        self.window_start = now - timedelta(days=config.usage_window_days)
        self._held: dict[str, tuple[int, int]] = {}

    @cached_property
    def facts(self) -> PrecomputedFacts:
        return precomputed(self.index)

    def internal_identities(self) -> Iterable[Identity]:
        """Identities of the estate (external principals excluded), in id order."""
        for identity_id in sorted(self.index.identities):
            identity = self.index.identities[identity_id]
            if identity.kind is not IdentityKind.EXTERNAL:
                yield identity

    def catalog(self, identity: Identity) -> PermissionCatalog:
        return self.index.catalogs[identity.provider]

    def held(self, identity_id: str) -> tuple[int, int]:
        """(sure, conditional) actions the identity holds on some resource, its denies applied."""
        cached = self._held.get(identity_id)
        if cached is None:
            sure = conditional = 0
            for grant in self.index.grants_of(identity_id):
                grant_sure, grant_conditional, _ = self.index.effective_bits(grant)
                sure |= grant_sure
                conditional |= grant_conditional
            cached = self._held[identity_id] = (sure, conditional & ~sure)
        return cached

    def privileged_bits(self, catalog: PermissionCatalog) -> int:
        """High-privilege actions: permissions management, the catalog's escalation, credential and
        exposure risk tags, and write access to sensitive services (configured, or any service with
        actions tagged ``data-exfiltration``)."""
        bits = catalog.access_level_bits(AccessLevel.PERMISSIONS_MANAGEMENT)
        for tag in ("privilege-escalation", "credential-exposure", "resource-exposure"):
            bits |= catalog.risk_bits(tag)
        services = set(self.config.sensitive_services)
        services |= {info.service for info in catalog.infos(catalog.risk_bits("data-exfiltration"))}
        write = catalog.access_level_bits(AccessLevel.WRITE)
        for service in services:
            bits |= catalog.service_bits(service) & write
        return bits

    # -- usage ----------------------------------------------------------------------------------

    def identity_usage(self, identity: Identity) -> tuple[Usage, str]:
        """Whether the identity authenticated or acted in the window, and the evidence."""
        if self.usage is not None and self.usage.covers(identity):
            if self.usage.actions(identity.id):
                return Usage.USED, "activity in the window"
            return Usage.UNUSED, f"no activity in the {self.config.usage_window_days}-day window"
        last_used = parse_time(identity.attributes.get("last_used"))
        if last_used is not None:
            if last_used >= self.window_start:
                return Usage.USED, f"last used {last_used.date().isoformat()} (provider record)"
            return Usage.UNUSED, f"last used {last_used.date().isoformat()} (provider record)"
        created = parse_time(identity.attributes.get("created"))
        if "last_used" in identity.attributes and created is not None and created < self.window_start:
            return Usage.UNUSED, "never used (provider record)"
        return Usage.UNKNOWN, "no activity evidence"

    def used_actions(self, identity: Identity) -> int | None:
        """The actions the identity used in the window, or None when its usage is not covered."""
        if self.usage is None or not self.usage.covers(identity):
            return None
        catalog = self.catalog(identity)
        return catalog.bits_of(name for name in self.usage.actions(identity.id) if name in catalog)

    def resource_usage(self, identity: Identity, resource_id: str) -> Usage:
        if self.usage is None or not self.usage.covers(identity):
            return Usage.UNKNOWN
        return Usage.USED if resource_id in self.usage.resources(identity.id) else Usage.UNUSED

    # -- resources ------------------------------------------------------------------------------

    @cached_property
    def sensitive_access(self) -> dict[str, dict[str, WhoCanEntry]]:
        """Identity id -> {sensitive resource id: its direct access there}, for every resource the
        configuration calls sensitive."""
        holders: dict[str, dict[str, WhoCanEntry]] = {}
        for resource_id in self.index.sorted_resource_ids:
            if not self.is_sensitive(self.index.resources[resource_id]):
                continue
            for entry in who_can(self.index, resource_id, max_hops=0).entries:
                holders.setdefault(entry.identity.id, {})[resource_id] = entry
        return holders

    def is_sensitive(self, resource: Resource) -> bool:
        selection = self.config.sensitive
        if resource.sensitivity >= selection.min_sensitivity:
            return True
        if any(glob_match(pattern, resource.type, False) for pattern in selection.types):
            return True
        for key, values in selection.tags.items():
            value = resource.tags.get(key)
            if value is not None and any(glob_match(v, value, False) for v in values):
                return True
        return False


def attribute_list(identity: Identity, name: str) -> list[Mapping[str, Any]]:
    value = identity.attributes.get(name, ())
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, (list, tuple)) else []
