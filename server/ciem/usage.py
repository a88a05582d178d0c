"""What identities actually did: a compact usage store fed by any provider's activity logs.

Providers turn their logs into :class:`ciem.model.UsageRecord` streams
(:func:`ciem.hookspec.ciem_parse_activity`); the store folds them into one aggregate per identity,
action and resource (first seen, last seen, count), so its size follows the distinct things done,
never the log's length. A query picks its window (default 90 days) when it asks.

Conventions the core reads, whatever the cloud:

- An action written as a pattern (``service:*``) records that the service was used without saying
  which actions (a service-level last-accessed report): the service counts as used and its actions
  are neither used nor unused, only "not judged".
- ``Identity.attributes`` may carry ``last_used``, ``password_last_used`` and ``created`` (ISO-8601
  strings or datetimes; anything else, such as "N/A", reads as unknown) and ``access_keys``: a list
  of ``{"id" (optional), "active", "last_used"}`` for long-term keys. The store's own observations
  are merged with them: a key the logs name by id counts as used when the logs last saw it.
- "Granted" is effective access, as the index holds it: what identity policies allow, and also what
  resource policies and grants give the identity, since its credentials can do all of it. Each
  source is named in the right-sizing diff.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any, Callable, Iterable, Mapping

import pluggy

from ciem.catalog import PermissionCatalog
from ciem.errors import NotFoundError, QueryError
from ciem.index import EffectiveAccessIndex
from ciem.model import AccessLevel, IdentityKind, RenderedPolicy, UsageRecord

DEFAULT_WINDOW_DAYS = 90
MAX_WINDOW_DAYS = 3660
# Below this a window misses monthly and quarterly jobs; right-sizing on it is flagged.
MIN_TRUSTED_WINDOW_DAYS = 30
# Distinct resources kept per identity and action; more fold into one "any resource" entry.
MAX_RESOURCES_PER_ACTION = 256
ANY_RESOURCE = "*"
_MAX_UNATTRIBUTED = 1000
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _seconds(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp())


def _moment(seconds: int) -> datetime:
    return _EPOCH + timedelta(seconds=seconds)


def _parse_time(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    text = str(value).strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def is_service_level(action: str) -> bool:
    return "*" in action or "?" in action


class UsageStore:
    """Aggregated usage: identity -> action -> resource -> [first, last, count] (epoch seconds).

    Filled once during a refresh and read-only afterwards (it travels with the index).
    """

    def __init__(self) -> None:
        self._usage: dict[str, dict[str, dict[str, list[int]]]] = {}
        self._callers: dict[tuple[str, str], set[str]] = {}
        # credential id -> [identity, first, last, count]
        self.credentials: dict[str, list[Any]] = {}
        # source label -> [earliest event, latest event, records]
        self.coverage: dict[str, list[int]] = {}
        # identifiers no identity of the index answered to, with their record counts (capped)
        self.unattributed: Counter[str] = Counter()
        self.records = 0

    # -- filling ---------------------------------------------------------------------------------

    def add(self, record: UsageRecord, identity_id: str) -> None:
        """Fold one record in, attributed to ``identity_id`` (a canonical identity id)."""
        first, last = _seconds(record.first_seen), _seconds(record.last_seen)
        intern = sys.intern
        actions = self._usage.setdefault(intern(identity_id), {})
        resources = actions.setdefault(intern(record.action), {})
        resource = record.resource
        if resource not in resources and len(resources) >= MAX_RESOURCES_PER_ACTION:
            resource = ANY_RESOURCE
        entry = resources.get(resource)
        if entry is None:
            resources[intern(resource)] = [first, last, record.count]
        else:
            entry[0] = min(entry[0], first)
            entry[1] = max(entry[1], last)
            entry[2] += record.count
        if record.caller:
            self._callers.setdefault((identity_id, record.action), set()).add(intern(record.caller))
        if record.credential:
            seen = self.credentials.get(record.credential)
            if seen is None:
                self.credentials[intern(record.credential)] = [identity_id, first, last, record.count]
            else:
                seen[1], seen[2], seen[3] = min(seen[1], first), max(seen[2], last), seen[3] + record.count
        self.records += 1

    def ingest(
        self,
        records: Iterable[UsageRecord],
        resolve: Callable[[str], str | None],
        source: str,
    ) -> int:
        """Fold a stream in; ``resolve`` maps a record's identifier to a canonical id or None.

        Returns the number of records read. Records no identity answers to are counted per
        identifier in :attr:`unattributed`.
        """
        resolved: dict[str, str | None] = {}
        span = self.coverage.setdefault(source, [sys.maxsize, 0, 0])
        read = 0
        for record in records:
            read += 1
            span[0] = min(span[0], _seconds(record.first_seen))
            span[1] = max(span[1], _seconds(record.last_seen))
            span[2] += 1
            identifier = record.identity
            if identifier in resolved:
                identity_id = resolved[identifier]
            else:
                identity_id = resolve(identifier)
                if len(resolved) < 100_000:
                    resolved[identifier] = identity_id
            if identity_id is None:
                if identifier in self.unattributed or len(self.unattributed) < _MAX_UNATTRIBUTED:
                    self.unattributed[identifier] += 1
                continue
            self.add(record, identity_id)
        if not span[2]:
            del self.coverage[source]
        return read

    # -- reading ---------------------------------------------------------------------------------

    def identities(self) -> list[str]:
        return sorted(self._usage)

    def usage(self, identity_id: str, since: datetime | None = None, until: datetime | None = None) -> list[UsageRecord]:
        """The identity's aggregates used between ``since`` and ``until`` (last use at or after the
        one, first use at or before the other), sorted."""
        cutoff = _seconds(since) if since else -sys.maxsize
        end = _seconds(until) if until else sys.maxsize
        out = []
        for action, resources in self._usage.get(identity_id, {}).items():
            callers = sorted(self._callers.get((identity_id, action), ()))
            for resource, (first, last, count) in resources.items():
                if last >= cutoff and first <= end:
                    out.append(UsageRecord(identity_id, action, _moment(first), _moment(last), count,
                                           resource, ",".join(callers)))
        out.sort(key=lambda r: (r.action, r.resource))
        return out

    def last_used(self, identity_id: str) -> datetime | None:
        latest = max((entry[1] for resources in self._usage.get(identity_id, {}).values()
                      for entry in resources.values()), default=None)
        return None if latest is None else _moment(latest)

    def used_in(
        self, identity_id: str, catalog: PermissionCatalog, since: datetime, until: datetime | None = None
    ) -> tuple[int, set[str]]:
        """(bitset of actions used between ``since`` and ``until``, services used at service level only)."""
        cutoff = _seconds(since)
        end = _seconds(until) if until else sys.maxsize
        bits = 0
        services: set[str] = set()
        for action, resources in self._usage.get(identity_id, {}).items():
            if not any(last >= cutoff and first <= end for first, last, _ in resources.values()):
                continue
            if is_service_level(action):
                services.add(action.split(":", 1)[0].lower())
            else:
                bits |= catalog.expand(action)
        return bits, services

    def observed_since(self) -> datetime | None:
        """The earliest event any source showed: before it, absence of use proves nothing."""
        earliest = min((span[0] for span in self.coverage.values()), default=None)
        return None if earliest is None else _moment(earliest)


def usage_of(index: EffectiveAccessIndex) -> UsageStore:
    """The index's usage store (empty when no activity source is configured)."""
    store = getattr(index, "usage", None)
    return store if store is not None else UsageStore()


def index_resolver(index: EffectiveAccessIndex, manager: pluggy.PluginManager) -> Callable[[str], str | None]:
    """Maps an identifier in a log to the index's identity id: id, alias, or provider form."""

    def resolve(identifier: str) -> str | None:
        found = index.lookup(identifier)
        if found is None:
            try:
                normalized = manager.hook.ciem_normalize_identifier(identifier=identifier)
            except QueryError:
                return None
            if normalized is not None:
                found = index.lookup(normalized)
        return None if found is None else found.id

    return resolve


# -- unused access --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CredentialUse:
    id: str
    active: bool
    last_used: datetime | None


@dataclass(frozen=True, slots=True)
class UnusedAccess:
    """One identity's granted-but-unused access over a window ending at ``now``."""

    identity: str
    window_days: int
    since: datetime
    now: datetime
    last_used: datetime | None
    identity_unused: bool
    granted_count: int
    used_count: int
    unused_actions: tuple[str, ...]
    unused_services: tuple[str, ...]
    unused_high_privilege: tuple[str, ...]
    not_judged_services: tuple[str, ...]  # used per service-level data only
    unused_credentials: tuple[CredentialUse, ...]
    warnings: tuple[str, ...]

    @property
    def unused_share(self) -> float:
        """Unused granted actions over granted actions (0 when nothing is granted)."""
        return len(self.unused_actions) / self.granted_count if self.granted_count else 0.0


def check_window(window_days: int) -> int:
    if not 1 <= window_days <= MAX_WINDOW_DAYS:
        raise QueryError(f"window_days must be between 1 and {MAX_WINDOW_DAYS}, not {window_days}")
    return window_days


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(timezone.utc)).astimezone(timezone.utc)


def granted_bits(index: EffectiveAccessIndex, identity_id: str) -> int:
    """Every action some allow grant gives the identity (sure or conditional), whole-selector
    denies applied."""
    bits = 0
    for grant in index.grants_of(identity_id):
        sure, conditional, _ = index.effective_bits(grant)
        bits |= sure | conditional
    return bits


@lru_cache(maxsize=8)
def high_privilege_bits(catalog: PermissionCatalog) -> int:
    """Permissions-management actions and every action the catalog tags with a risk."""
    bits = catalog.access_level_bits(AccessLevel.PERMISSIONS_MANAGEMENT)
    for tag in sorted({tag for info in catalog.actions for tag in info.risk_tags}):
        bits |= catalog.risk_bits(tag)
    return bits


def window_warnings(store: UsageStore, window_days: int, since: datetime, attributes: Mapping[str, Any]) -> list[str]:
    """Why a window's verdicts may not be trusted: too short, not covered by logs, identity too young."""
    warnings = []
    if window_days < MIN_TRUSTED_WINDOW_DAYS:
        warnings.append(f"the window is {window_days} days, shorter than {MIN_TRUSTED_WINDOW_DAYS}: "
                        "work that runs monthly or quarterly may be missing from it")
    observed = store.observed_since()
    if observed is None:
        warnings.append("no activity was read: every grant looks unused")
    elif observed > since + timedelta(days=1):
        covered = max(0, (since + timedelta(days=window_days) - observed).days)
        warnings.append(f"the activity logs start {observed.date().isoformat()}, covering about {covered} of the "
                        f"{window_days} days of the window")
    created = _parse_time(attributes.get("created"))
    if created is not None and created > since:
        warnings.append(f"the identity was created {created.date().isoformat()}, inside the window")
    return warnings


def _credentials(store: UsageStore, attributes: Mapping[str, Any]) -> list[CredentialUse]:
    out = []
    for number, item in enumerate(attributes.get("access_keys") or (), start=1):
        credential_id = str(item.get("id") or f"access key {number}")
        last = _parse_time(item.get("last_used"))
        seen = store.credentials.get(credential_id) if credential_id else None
        if seen is not None:
            logged = _moment(seen[2])
            last = logged if last is None or logged > last else last
        out.append(CredentialUse(credential_id, bool(item.get("active", True)), last))
    return out


@dataclass(frozen=True, slots=True)
class _Judgement:
    """One identity's use over a window, as bitsets: what ``unused`` and ``usage_summary`` share."""

    granted: int
    used: int
    not_judged: int  # granted actions of services used at service level only
    service_level: frozenset[str]
    last_used: datetime | None
    credentials: tuple[CredentialUse, ...]

    @property
    def unused(self) -> int:
        return self.granted & ~self.used & ~self.not_judged

    @property
    def share(self) -> float:
        granted = self.granted.bit_count()
        return self.unused.bit_count() / granted if granted else 0.0


def _judge(index: EffectiveAccessIndex, identity_id: str, since: datetime, now: datetime) -> _Judgement:
    identity = index.identities.get(identity_id)
    if identity is None:
        raise NotFoundError(f"no identity {identity_id!r}")
    store = usage_of(index)
    catalog = index.catalogs[identity.provider]
    granted = granted_bits(index, identity_id)
    used, service_level = store.used_in(identity_id, catalog, since, now)
    not_judged = 0
    for service in service_level:
        not_judged |= catalog.service_bits(service)
    last = store.last_used(identity_id)
    for key in ("last_used", "password_last_used"):
        other = _parse_time(identity.attributes.get(key))
        if other is not None and (last is None or other > last):
            last = other
    credentials = tuple(_credentials(store, identity.attributes))
    for credential in credentials:
        if credential.last_used is not None and (last is None or credential.last_used > last):
            last = credential.last_used
    return _Judgement(granted, used, not_judged & granted & ~used, frozenset(service_level), last, credentials)


def unused(
    index: EffectiveAccessIndex,
    identity_id: str,
    window_days: int = DEFAULT_WINDOW_DAYS,
    now: datetime | None = None,
) -> UnusedAccess:
    """Granted-but-unused actions, services and high-privilege grants of one identity, whether the
    identity and its credentials were used at all, over the ``window_days`` before ``now``."""
    check_window(window_days)
    now = _now(now)
    since = now - timedelta(days=window_days)
    judged = _judge(index, identity_id, since, now)
    identity = index.identities[identity_id]
    catalog = index.catalogs[identity.provider]
    used_services = {info.service.lower() for info in catalog.infos(judged.used)} | judged.service_level
    granted_services = sorted({info.service for info in catalog.infos(judged.granted)})
    not_judged_services = tuple(sorted({i.service for i in catalog.infos(judged.not_judged)}))
    warnings = window_warnings(usage_of(index), window_days, since, identity.attributes)
    if not_judged_services:
        warnings.append("used per service-level data only, actions not judged: " + ", ".join(not_judged_services))
    return UnusedAccess(
        identity=identity_id,
        window_days=window_days,
        since=since,
        now=now,
        last_used=judged.last_used,
        identity_unused=judged.last_used is None or judged.last_used < since,
        granted_count=judged.granted.bit_count(),
        used_count=(judged.used & judged.granted).bit_count(),
        unused_actions=tuple(catalog.names(judged.unused)),
        unused_services=tuple(s for s in granted_services if s.lower() not in used_services),
        unused_high_privilege=tuple(catalog.names(judged.unused & high_privilege_bits(catalog))),
        not_judged_services=not_judged_services,
        unused_credentials=tuple(c for c in judged.credentials
                                 if c.active and (c.last_used is None or c.last_used < since)),
        warnings=tuple(warnings),
    )


def usage_summary(
    index: EffectiveAccessIndex, identity_id: str, window_days: int = DEFAULT_WINDOW_DAYS, now: datetime | None = None
) -> tuple[datetime | None, float]:
    """(last use, unused share) of one identity: what :func:`unused` says, without naming actions."""
    now = _now(now)
    judged = _judge(index, identity_id, now - timedelta(days=check_window(window_days)), now)
    return judged.last_used, judged.share


# Groups do not act; outside principals are not the estate's to clean up; federated principals act
# through the roles they assume, which is where their use is recorded.
ACTING_KINDS = frozenset(kind for kind in IdentityKind
                          if kind not in (IdentityKind.GROUP, IdentityKind.EXTERNAL, IdentityKind.FEDERATED))


def unused_identities(
    index: EffectiveAccessIndex, window_days: int = DEFAULT_WINDOW_DAYS, now: datetime | None = None
) -> list[UnusedAccess]:
    """Every acting identity of the estate unused for the window (see :data:`ACTING_KINDS`)."""
    check_window(window_days)
    now = _now(now)
    found = []
    for identity_id in sorted(index.identities):
        if index.identities[identity_id].kind not in ACTING_KINDS:
            continue
        last_used, _ = usage_summary(index, identity_id, window_days, now)
        if last_used is None or last_used < now - timedelta(days=window_days):
            found.append(unused(index, identity_id, window_days, now))
    return found


# -- right-sizing ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PolicyChange:
    """What one current grant (named by its provenance) gives that the right-sized policy drops."""

    source: str
    removed: tuple[str, ...]
    kept: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RightSized:
    policy: RenderedPolicy
    used: tuple[UsageRecord, ...]
    changes: tuple[PolicyChange, ...]
    # used in the window, yet no current grant gives them: left out, since right-sizing never grants more
    left_out: tuple[str, ...]
    window_days: int
    since: datetime


def rightsize(
    index: EffectiveAccessIndex,
    manager: pluggy.PluginManager,
    identity_id: str,
    window_days: int = DEFAULT_WINDOW_DAYS,
    now: datetime | None = None,
) -> RightSized:
    """A least-privilege policy for what ``identity_id`` used in the window and still holds, in its
    provider's format, with the diff against its current grants and every reason not to trust it
    blindly."""
    identity = index.identities.get(identity_id)
    if identity is None:
        raise NotFoundError(f"no identity {identity_id!r}")
    check_window(window_days)
    now = _now(now)
    since = now - timedelta(days=window_days)
    store = usage_of(index)
    catalog = index.catalogs[identity.provider]
    used_bits, _ = store.used_in(identity_id, catalog, since, now)
    changes = []
    granted = 0
    for grant in index.grants_of(identity_id):
        sure, conditional, _ = index.effective_bits(grant)
        bits = sure | conditional
        granted |= bits
        changes.append(PolicyChange(" > ".join(grant.provenance) or f"grant {grant.number}",
                                    tuple(catalog.names(bits & ~used_bits)), tuple(catalog.names(bits & used_bits))))
    left_out = used_bits & ~granted
    used = tuple(r for r in store.usage(identity_id, since, now)
                 if is_service_level(r.action) or not catalog.expand(r.action) & left_out)
    rendered = manager.hook.ciem_render_policy(
        provider=identity.provider, identity=identity_id, used=used,
        snapshots=index.snapshots.get(identity.provider, []),
    )
    if rendered is None:
        raise QueryError(f"provider {identity.provider!r} cannot render policies")
    warnings = window_warnings(store, window_days, since, identity.attributes) + list(rendered.warnings)
    if left_out:
        warnings.append("used in the window but granted by no current policy (changed since?), left out: "
                        + ", ".join(catalog.names(left_out)))
    policy = RenderedPolicy(rendered.provider, rendered.identity, rendered.format, rendered.document,
                            tuple(dict.fromkeys(warnings)))
    return RightSized(policy, used, tuple(changes), tuple(catalog.names(left_out)), window_days, since)

