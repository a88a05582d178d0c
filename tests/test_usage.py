"""The cloud-neutral usage store: aggregation, windows, unused access, right-sizing and the pipeline."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from ciem.errors import NotFoundError, QueryError, SourceError
from ciem.hookspec import hookimpl
from ciem.index import EffectiveAccessIndex
from ciem.model import IdentityKind, RenderedPolicy, UsageRecord
from ciem.pipeline import ActivitySpec, IndexHolder, SourceSpec, build_index
from ciem.providers import new_manager
from ciem.store import load_index
from ciem import usage
from ciem.usage import UsageStore

import core_builders

NOW = datetime(2026, 6, 30, tzinfo=timezone.utc)


def at(days_ago: float) -> datetime:
    return NOW - timedelta(days=days_ago)


def record(who: str, action: str, days_ago: float, resource: str = "", **extra) -> UsageRecord:
    return UsageRecord(f"tc:{who}", action, at(days_ago), at(days_ago), resource=resource, **extra)


class ActivityProvider:
    """Yields the records it was built with for source {"records": NAME}; renders policies as JSON."""

    def __init__(self, streams: dict[str, list[UsageRecord]]):
        self.streams = streams
        self.rendered: list[list[UsageRecord]] = []

    @hookimpl
    def ciem_parse_activity(self, provider, source, progress):
        if provider != core_builders.PROVIDER:
            return None
        return iter(self.streams[source["records"]])

    @hookimpl
    def ciem_render_policy(self, provider, identity, used, snapshots):
        if provider != core_builders.PROVIDER:
            return None
        used = list(used)
        self.rendered.append(used)
        return RenderedPolicy(provider, identity, "test-json", json.dumps(sorted({r.action for r in used})), ("from test",))


def build(records: list[UsageRecord], resolution=None):
    provider = ActivityProvider({"log": records})
    manager = new_manager(load_entry_points=False, plugins=(provider,))
    index = EffectiveAccessIndex([resolution or core_builders.estate()], [core_builders.snapshot()])
    store = UsageStore()
    store.ingest(iter(records), usage.index_resolver(index, manager), "log")
    index.usage = store
    return index, manager, provider


# -- the store ------------------------------------------------------------------------------------


def test_records_fold_into_one_aggregate_per_identity_action_and_resource():
    store = UsageStore()
    for days, resource in ((10, "store:acct-1/public"), (3, "store:acct-1/public"), (5, "")):
        store.add(record("bob", "store:Get", days, resource, caller="svc.example"), "tc:bob")
    aggregates = store.usage("tc:bob")
    assert [(r.resource, r.first_seen, r.last_seen, r.count) for r in aggregates] == [
        ("", at(5), at(5), 1),
        ("store:acct-1/public", at(10), at(3), 2),
    ]
    assert {r.caller for r in aggregates} == {"svc.example"}
    assert store.last_used("tc:bob") == at(3)
    assert [r.resource for r in store.usage("tc:bob", since=at(4))] == ["store:acct-1/public"]


def test_distinct_resources_beyond_the_cap_fold_into_any_resource(monkeypatch):
    monkeypatch.setattr(usage, "MAX_RESOURCES_PER_ACTION", 3)
    store = UsageStore()
    for number in range(6):
        store.add(record("bob", "store:Get", 1, f"store:acct-1/obj{number}"), "tc:bob")
    resources = {r.resource: r.count for r in store.usage("tc:bob")}
    assert resources == {"store:acct-1/obj0": 1, "store:acct-1/obj1": 1, "store:acct-1/obj2": 1, "*": 3}


def test_ingest_resolves_aliases_counts_the_unattributed_and_records_coverage():
    index, manager, _ = build([
        UsageRecord("KEY-ALICE", "id:Assume", at(20), at(20), credential="KEY-ALICE"),
        UsageRecord("alice@example.com", "id:Assume", at(2), at(2)),
        UsageRecord("nobody", "store:Get", at(1), at(1)),
        UsageRecord("nobody", "store:Get", at(1), at(1)),
    ])
    store = usage.usage_of(index)
    assert [(r.identity, r.count, r.first_seen, r.last_seen) for r in store.usage("tc:alice")] == [
        ("tc:alice", 2, at(20), at(2))
    ]
    assert store.unattributed == {"nobody": 2}
    assert store.credentials["KEY-ALICE"][0] == "tc:alice"
    assert store.observed_since() == at(20)


# -- unused access --------------------------------------------------------------------------------


def test_unused_actions_share_and_services_are_counted_against_effective_grants():
    index, _, _ = build([record("bob", "store:Get", 3, "store:acct-1/public")])
    report = usage.unused(index, "tc:bob", 90, NOW)
    assert (report.granted_count, report.used_count) == (2, 1)
    assert report.unused_actions == ("store:List",)
    assert report.unused_share == 0.5
    assert report.unused_services == ()
    assert not report.identity_unused and report.last_used == at(3)


def test_denies_shrink_what_is_granted_and_permissions_management_is_high_privilege():
    # eve: store:* on acct-1 minus logs; Delete denied everywhere; the conditional Put deny covers
    # one bucket only, so Put stays granted.
    index, _, _ = build([record("bob", "store:Get", 1)])
    report = usage.unused(index, "tc:eve", 90, NOW)
    assert report.granted_count == 4
    assert set(report.unused_actions) == {"store:List", "store:Get", "store:Put", "store:SetPolicy"}
    assert report.unused_high_privilege == ("store:SetPolicy",)
    assert report.unused_services == ("store",)
    assert report.identity_unused and report.unused_share == 1.0


def test_the_window_decides_what_counts_as_used():
    index, _, _ = build([record("bob", "store:Get", 100), record("bob", "store:List", 10)])
    assert usage.unused(index, "tc:bob", 90, NOW).unused_actions == ("store:Get",)
    assert usage.unused(index, "tc:bob", 120, NOW).unused_actions == ()
    assert usage.unused(index, "tc:bob", 5, NOW).identity_unused
    # A window that ends earlier ignores what came after it.
    assert usage.unused(index, "tc:bob", 90, at(50)).unused_actions == ("store:List",)


def test_service_level_use_leaves_the_service_actions_unjudged():
    index, _, _ = build([record("deployer", "store:*", 2), record("deployer", "id:Assume", 2)])
    report = usage.unused(index, "tc:deployer", 90, NOW)
    assert report.not_judged_services == ("store",)
    assert report.unused_actions == ("id:AttachPolicy",)
    assert "store" not in report.unused_services and "id" not in report.unused_services
    assert any("service-level" in warning for warning in report.warnings)


def test_provider_attributes_count_as_use_and_unused_keys_are_reported():
    resolution = core_builders.estate()
    resolution.identities = [
        replace(i, attributes={
            "last_used": (NOW - timedelta(days=200)).isoformat(),
            "password_last_used": "N/A",
            "access_keys": [
                {"id": "KEY-ALICE", "active": True, "last_used": (NOW - timedelta(days=150)).isoformat()},
                {"active": True, "last_used": "N/A"},
                {"active": False, "last_used": "N/A"},
            ],
        }) if i.id == "tc:alice" else replace(i, attributes={"last_used": (NOW - timedelta(days=1)).isoformat()})
        if i.id == "tc:ci" else i
        for i in resolution.identities
    ]
    # The log shows alice's key in use 10 days ago: it is no longer unused.
    index, _, _ = build([UsageRecord("tc:alice", "id:Assume", at(10), at(10), credential="KEY-ALICE")], resolution)
    alice = usage.unused(index, "tc:alice", 90, NOW)
    assert not alice.identity_unused and alice.last_used == at(10)
    assert [(c.id, c.active, c.last_used) for c in alice.unused_credentials] == [("access key 2", True, None)]
    assert not usage.unused(index, "tc:ci", 90, NOW).identity_unused
    assert [r.identity for r in usage.unused_identities(index, 90, NOW)] == ["tc:bob", "tc:deployer", "tc:eve"]


def test_groups_outside_and_federated_principals_are_not_unused_identities():
    resolution = core_builders.estate()
    resolution.identities += [
        core_builders.identity("admins", IdentityKind.GROUP),
        core_builders.identity("partner", IdentityKind.EXTERNAL),
        core_builders.identity("idp", IdentityKind.FEDERATED),
    ]
    index, _, _ = build([], resolution)
    ids = {r.identity for r in usage.unused_identities(index, 90, NOW)}
    assert ids == {"tc:alice", "tc:bob", "tc:eve", "tc:ci", "tc:deployer"}


def test_window_warnings_name_short_windows_late_logs_and_young_identities():
    index, _, _ = build([record("bob", "store:Get", 20)])
    short = usage.unused(index, "tc:bob", 14, NOW).warnings
    assert any("14 days, shorter than 30" in w for w in short)
    late = usage.unused(index, "tc:bob", 90, NOW).warnings
    assert any("covering about 20 of the 90 days" in w for w in late)
    resolution = core_builders.estate()
    resolution.identities = [replace(i, attributes={"created": at(40).isoformat()}) if i.id == "tc:bob" else i
                             for i in resolution.identities]
    index, _, _ = build([record("bob", "store:Get", 120)], resolution)
    assert usage.unused(index, "tc:bob", 90, NOW).warnings == (f"the identity was created {at(40).date()}, inside the window",)
    empty, _, _ = build([])
    assert usage.unused(empty, "tc:bob", 90, NOW).warnings == ("no activity was read: every grant looks unused",)


def test_bad_queries_are_rejected():
    index, _, _ = build([])
    with pytest.raises(NotFoundError):
        usage.unused(index, "tc:nobody", 90, NOW)
    with pytest.raises(QueryError):
        usage.unused(index, "tc:bob", 0, NOW)


# -- right-sizing ---------------------------------------------------------------------------------


def test_rightsize_renders_through_the_provider_and_diffs_every_current_grant():
    index, manager, provider = build([
        record("eve", "store:Get", 2, "store:acct-1/payroll"),
        record("eve", "store:List", 200),
        record("eve", "id:Assume", 1),  # used, yet no grant of eve's gives it
    ])
    result = usage.rightsize(index, manager, "tc:eve", 90, NOW)
    assert [r.action for r in provider.rendered[0]] == ["store:Get"]
    assert json.loads(result.policy.document) == ["store:Get"]
    assert result.policy.warnings == (
        "from test", "used in the window but granted by no current policy (changed since?), left out: id:Assume")
    assert [(c.source, c.removed, c.kept) for c in result.changes] == [
        ("policy-of-eve#allow", ("store:List", "store:Put", "store:SetPolicy"), ("store:Get",)),
    ]
    assert result.left_out == ("id:Assume",)
    short = usage.rightsize(index, manager, "tc:eve", 7, NOW)
    assert short.policy.warnings[0].startswith("the window is 7 days")


# -- the pipeline ---------------------------------------------------------------------------------


class EstateProvider(ActivityProvider):
    @hookimpl
    def ciem_load_export(self, provider, path, progress):
        return core_builders.snapshot(str(path)) if provider == core_builders.PROVIDER else None

    @hookimpl
    def ciem_resolve(self, snapshots):
        return core_builders.estate() if snapshots[0].provider == core_builders.PROVIDER else None


def test_a_refresh_streams_activity_into_the_index_and_persists_it(tmp_path):
    records = [UsageRecord("KEY-ALICE", "id:Assume", at(1), at(1)), record("bob", "store:Get", 2)]
    manager = new_manager(load_entry_points=False, plugins=(EstateProvider({"log": records}),))
    holder = IndexHolder([SourceSpec(core_builders.PROVIDER, path=tmp_path)], manager, state_dir=tmp_path / "state",
                         activity=[ActivitySpec(core_builders.PROVIDER, {"records": "log"})])
    holder.refresh()
    restored = load_index(tmp_path / "state")
    assert [r.action for r in usage.usage_of(restored).usage("tc:alice")] == ["id:Assume"]
    assert usage.usage_of(restored).identities() == ["tc:alice", "tc:bob"]


def test_an_activity_source_no_provider_reads_fails_the_build():
    manager = new_manager(load_entry_points=False, plugins=(EstateProvider({}),))
    with pytest.raises(SourceError, match="no installed provider reads 'othercloud' activity"):
        build_index([core_builders.snapshot()], manager, activity=[ActivitySpec("othercloud", {"path": "x"})])


def test_enrich_summaries_carry_last_use_and_the_unused_share():
    from ciem.queries import enrich

    used_at = datetime.now(timezone.utc) - timedelta(days=3)
    records = [UsageRecord("tc:bob", "store:Get", used_at, used_at)]
    manager = new_manager(load_entry_points=False, plugins=(EstateProvider({"log": records}),))
    index = build_index([core_builders.snapshot()], manager, activity=[ActivitySpec(core_builders.PROVIDER, {"records": "log"})])
    bob, eve = enrich(index, ["tc:bob", "tc:eve"], manager)
    assert (bob.last_used, bob.unused_share) == (used_at.replace(microsecond=0), 0.5)
    assert (eve.last_used, eve.unused_share) == (None, 1.0)
    without = build_index([core_builders.snapshot()], manager)
    assert enrich(without, ["tc:bob"], manager)[0].unused_share is None
