"""What rules read besides the index: settings, the scan time, and usage evidence.

Usage is three-valued and never guessed. Activity comes from the index's usage store
(:mod:`ciem.usage`). An identity is *covered* by it when its provider's activity logs reach back to
the start of the window and record activity in the identity's account (proof that the account's
activity is logged); only then does the absence of records mean "unused". Otherwise a last use the
provider itself recorded (``attributes`` ``last_used``, ``password_last_used``, access keys'
``last_used``) settles it, and without one usage is UNKNOWN.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import cached_property
from typing import Any, Iterable, Mapping

from ciem.catalog import PermissionCatalog
from ciem.findings.config import FindingsConfig
from ciem.findings.model import Usage
from ciem.index import EffectiveAccessIndex
from ciem.model import AccessLevel, Identity, IdentityKind, Resource
from ciem.patterns import glob_match
from ciem.queries import PrecomputedFacts, WhoCanEntry, precomputed, who_can
from ciem.usage import UsageStore, usage_of

# Logs that start within this of the window's start still cover it.
COVERAGE_SLACK = timedelta(days=1)


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 timestamp from identity attributes (``Z`` accepted; no zone means UTC), or None
    for anything else ("N/A", "no_information", "")."""
    if isinstance(value, str) and value.strip():
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def covered_accounts(index: EffectiveAccessIndex, store: UsageStore, window_start: datetime) -> frozenset[tuple[str, str]]:
    """(provider, account) pairs whose activity the store covers for the whole window."""
    providers = {
        label.split(":", 1)[0]
        for label, span in store.coverage.items()
        if datetime.fromtimestamp(span[0], window_start.tzinfo) <= window_start + COVERAGE_SLACK
    }
    accounts = set()
    for identity_id in store.identities():
        identity = index.identities.get(identity_id)
        if identity is not None and identity.provider in providers:
            accounts.add((identity.provider, identity.account))
    return frozenset(accounts)


class ScanContext:
    """Everything a rule reads; computed facts are cached for the scan."""

    def __init__(self, index: EffectiveAccessIndex, config: FindingsConfig, now: datetime):
        self.index = index
        self.config = config
        self.now = now
        self.window_start = now - timedelta(days=config.usage_window_days)
        self.usage = usage_of(index)
        self.covered = covered_accounts(index, self.usage, self.window_start)
        self._held: dict[str, tuple[int, int]] = {}

    @cached_property
    def facts(self) -> PrecomputedFacts:
        return precomputed(self.index)

    def acting_identities(self) -> Iterable[Identity]:
        """Identities of the estate that act, in id order: not external principals, and not groups
        (a group only passes permissions on; its members carry the findings)."""
        for identity_id in sorted(self.index.identities):
            identity = self.index.identities[identity_id]
            if identity.kind not in (IdentityKind.EXTERNAL, IdentityKind.GROUP):
                yield identity

    @staticmethod
    def provider_managed(identity: Identity) -> bool:
        """An identity its provider owns and the estate cannot delete or narrow: an account's root
        user (``attributes["root"]``), a service-linked role (``attributes["service_linked"]``)."""
        return identity.attributes.get("root") is True or identity.attributes.get("service_linked") is True

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

    def covers(self, identity: Identity) -> bool:
        return (identity.provider, identity.account) in self.covered

    def key_last_used(self, key: Mapping[str, Any]) -> datetime | None:
        """An access key's last use: the provider's record or the logs, whichever is later."""
        recorded = parse_time(key.get("last_used"))
        logged = self.usage.credentials.get(str(key.get("id", "")))
        if logged is not None:
            seen = datetime.fromtimestamp(logged[2], self.now.tzinfo)
            recorded = seen if recorded is None or seen > recorded else recorded
        return recorded

    def identity_usage(self, identity: Identity) -> tuple[Usage, str]:
        """Whether the identity authenticated or acted in the window, and the evidence."""
        attributes = identity.attributes
        uses = [(self.usage.last_used(identity.id), "activity logs")]
        uses += [(parse_time(attributes.get(key)), "provider record") for key in ("last_used", "password_last_used")]
        uses += [(self.key_last_used(key), "access key") for key in attribute_list(identity, "access_keys")]
        known = [(moment, source) for moment, source in uses if moment is not None]
        if known:
            latest, source = max(known, key=lambda item: item[0])
            if latest >= self.window_start:
                return Usage.USED, f"last used {latest.date().isoformat()} ({source})"
        if self.covers(identity):
            return Usage.UNUSED, f"no activity in the {self.config.usage_window_days}-day window of the logs"
        if known:
            return Usage.UNUSED, f"last used {latest.date().isoformat()} ({source})"
        created = parse_time(attributes.get("created"))
        recorded = any(key in attributes for key in ("last_used", "password_last_used")) or any(
            "last_used" in key for key in attribute_list(identity, "access_keys"))
        if recorded and created is not None and created < self.window_start:
            return Usage.UNUSED, "never used (provider record)"
        return Usage.UNKNOWN, "no activity evidence"

    def used_actions(self, identity: Identity) -> tuple[int, int] | None:
        """(actions used in the window, actions whose use is not judged because the logs name only
        their service), or None when the identity's usage is not covered."""
        if not self.covers(identity):
            return None
        catalog = self.catalog(identity)
        used, services = self.usage.used_in(identity.id, catalog, self.window_start)
        not_judged = 0
        for service in services:
            not_judged |= catalog.service_bits(service)
        return used, not_judged & ~used

    def resource_usage(self, identity: Identity, resource_id: str) -> Usage:
        if not self.covers(identity):
            return Usage.UNKNOWN
        records = self.usage.usage(identity.id, self.window_start)
        if any(record.resource == resource_id for record in records):
            return Usage.USED
        if any(not record.resource or record.resource == "*" for record in records):
            return Usage.UNKNOWN  # some use names no resource: it may have been this one
        return Usage.UNUSED

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
