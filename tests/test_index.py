"""The effective-access index and the queries over it, on a small cloud-neutral estate."""

from __future__ import annotations

import pytest

from ciem.catalog import PermissionCatalog
from ciem.errors import NotFoundError, QueryError
from ciem.index import EffectiveAccessIndex, selector_covers
from ciem.model import ResourceSelector
from ciem.providers import new_manager
from ciem.queries import ActionFilter, enrich, reach, resolve_identity, who_can

from core_builders import CATALOG, estate


@pytest.fixture(scope="module")
def index() -> EffectiveAccessIndex:
    return EffectiveAccessIndex([estate()])


@pytest.fixture(scope="module")
def manager():
    return new_manager(load_entry_points=False)


def names(index, identity, resource):
    access = index.access_on(identity, resource)
    return set(CATALOG.names(access.allowed)), set(CATALOG.names(access.conditional))


def test_catalog_expands_wildcards_case_insensitively():
    assert set(CATALOG.names(CATALOG.expand("STORE:*"))) == {
        "store:List", "store:Get", "store:Put", "store:Delete", "store:SetPolicy"
    }
    assert set(CATALOG.names(CATALOG.expand("store:?et*"))) == {"store:Get", "store:SetPolicy"}
    assert CATALOG.expand("store:Nope") == 0
    assert CATALOG.expand("*") == CATALOG.all_bits


def test_catalog_keeps_first_definition_of_duplicate_names():
    from ciem.model import AccessLevel, ActionInfo

    catalog = PermissionCatalog("x", [ActionInfo("a:B", "a", AccessLevel.READ), ActionInfo("A:b", "a", AccessLevel.WRITE)])
    assert len(catalog) == 1 and catalog.info("a:b").access_level is AccessLevel.READ


def test_unconditional_deny_removes_and_conditional_deny_makes_conditional(index):
    sure, conditional = names(index, "tc:eve", "store:acct-1/payroll")
    assert sure == {"store:List", "store:Get", "store:SetPolicy"}
    assert conditional == {"store:Put"}  # a weekend-only deny: never silently granted
    assert "store:Delete" not in sure | conditional


def test_not_resource_exclusion_is_honoured(index):
    assert names(index, "tc:eve", "store:acct-1/logs/2026") == (set(), set())


def test_conditional_grant_stays_conditional_with_its_keys(index):
    access = index.access_on("tc:ci", "store:acct-1/logs/2026")
    assert access.allowed == 0
    assert CATALOG.names(access.conditional) == ["store:Get"]
    assert access.conditions == ("net:SourceIp",)


def test_resource_ids_are_case_sensitive_by_default(index):
    assert names(index, "tc:bob", "store:acct-1/PUBLIC") == (set(), set())


def test_who_can_uses_reverse_index_and_follows_edges(index):
    result = who_can(index, "store:acct-1/payroll")
    by_id = {entry.identity.id: entry for entry in result.entries}
    assert set(by_id) == {"tc:eve", "tc:deployer", "tc:ci", "tc:alice"}
    assert "tc:bob" not in by_id
    alice = by_id["tc:alice"]
    assert [(e.source, e.target) for e in alice.path] == [("tc:alice", "tc:ci"), ("tc:ci", "tc:deployer")]
    assert alice.holder == "tc:deployer"


def test_who_can_filters_by_access_level_and_hops(index):
    writers = who_can(index, "store:acct-1/public", action_filter=ActionFilter(access_levels=("Write",)), max_hops=0)
    assert {e.identity.id for e in writers.entries} == {"tc:eve", "tc:deployer"}
    eve = next(e for e in writers.entries if e.identity.id == "tc:eve")
    assert {a.name for a in eve.actions} == {"store:Put"}  # Delete is denied everywhere


def test_reach_lists_grants_once_per_pattern_and_through_paths(index):
    result = reach(index, "tc:alice")
    assert set(result.reachable_identities) == {"tc:alice", "tc:ci", "tc:deployer"}
    patterns = {(e.via, e.resource) for e in result.entries}
    assert ("tc:deployer", "*") in patterns
    assert ("tc:ci", "store:acct-1/logs/*") in patterns
    ci_entry = next(e for e in result.entries if e.via == "tc:ci")
    assert ci_entry.conditional and ci_entry.conditions == ("net:SourceIp",)


def test_reach_with_resource_prefix_lists_known_resources_after_denies(index):
    result = reach(index, "tc:eve", resource_prefix="store:acct-1/pay")
    assert [(e.resource, e.sensitivity) for e in result.entries] == [("store:acct-1/payroll", 3)]
    actions = {(a.name, a.conditional) for a in result.entries[0].actions}
    assert ("store:Put", True) in actions and not any(name == "store:Delete" for name, _ in actions)


def test_reach_respects_max_hops_and_rejects_bad_values(index):
    assert set(reach(index, "tc:alice", max_hops=1).reachable_identities) == {"tc:alice", "tc:ci"}
    with pytest.raises(QueryError):
        reach(index, "tc:alice", max_hops=-1)
    with pytest.raises(QueryError):
        reach(index, "tc:alice", action_filter=ActionFilter(access_levels=("Root",)))


def test_identifiers_resolve_by_alias_and_unknown_is_not_found(index, manager):
    assert resolve_identity(index, "key-alice", manager).id == "tc:alice"
    assert resolve_identity(index, "ALICE@example.com", manager).id == "tc:alice"
    with pytest.raises(NotFoundError):
        resolve_identity(index, "nobody", manager)


def test_enrich_reports_path_to_admin_and_sensitive_reach(index, manager):
    alice, deployer, missing = enrich(index, ["KEY-ALICE", "tc:deployer", "ghost"], manager)
    assert alice.identifier == "KEY-ALICE" and alice.identity.id == "tc:alice"
    assert not alice.admin_equivalent
    assert [[(e.source, e.target) for e in path] for path in alice.paths_to_admin] == [
        [("tc:alice", "tc:ci"), ("tc:ci", "tc:deployer")]
    ]
    assert alice.sensitive_resources == {"critical": 1}
    assert deployer.admin_equivalent and deployer.paths_to_admin == ()
    assert missing.identity is None and "ghost" in missing.error


def test_selector_cover_test_is_sound():
    star = ResourceSelector(("arn:*",))
    assert selector_covers(star, ResourceSelector(("arn:aws:s3:::b/*",)))
    assert selector_covers(ResourceSelector(("*b",)), ResourceSelector(("a*b",)))
    assert not selector_covers(ResourceSelector(("a?c",)), ResourceSelector(("a*c",)))
    assert not selector_covers(ResourceSelector(("a*b",)), ResourceSelector(("a*",)))


def test_holdings_of_every_identity_agree_with_who_can_holders(index):
    from ciem.holdings import holdings
    from ciem.queries import direct_holders

    resource_ids = [*index.resources, "store:acct-1/logs/2027", "elsewhere"]
    held = holdings(index, resource_ids)
    for position, resource_id in enumerate(resource_ids):
        expected = set(direct_holders(index, resource_id))
        assert {identity for identity, bits in held.items() if bits >> position & 1} == expected, resource_id
    assert any(held.values())


def test_reach_answers_the_same_whether_each_identity_is_worked_out_ahead_or_on_the_way():
    from ciem.queries import warm_reach

    def lines(index, start):
        return [(e.via, e.path, e.resource, e.actions, e.conditions, e.provenance) for e in reach(index, start).entries]

    cold, warmed = EffectiveAccessIndex([estate()]), EffectiveAccessIndex([estate()])
    warm_reach(warmed)
    for start in cold.identities:
        assert lines(cold, start) == lines(warmed, start), start
    assert lines(cold, "tc:alice")
