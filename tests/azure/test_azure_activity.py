"""The Azure Activity Log as usage: from an export file and from the Monitor API, into the usage
store, unused access and a right-sized custom role in Azure's JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ciem import pipeline
from ciem.errors import InputError
from ciem.providers import new_manager
from ciem.usage import rightsize, unused

from ciem_azure.activity import read_monitor, read_paths

from azure_server import FakeAzure, StaticToken

REPO = Path(__file__).resolve().parents[2]
DEMO, ACTIVITY = REPO / "examples" / "azure-demo", REPO / "examples" / "azure-demo-activity"
VM_BATCH = "/subscriptions/5a1e0001-0000-4000-8000-00000000a001/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/vm-batch"


def test_only_succeeded_events_are_uses_attributed_to_the_object_id_claim():
    records = list(read_paths([ACTIVITY], lambda *a: None))
    bob = [r for r in records if r.resource == VM_BATCH]
    assert sorted(r.action for r in bob) == ["Microsoft.Compute/virtualMachines/restart/action",
                                             "Microsoft.Compute/virtualMachines/start/action"]  # Started, Failed left out
    assert all(len(r.identity) == 36 and "@" not in r.identity for r in records)


def test_a_malformed_export_names_the_file(tmp_path):
    bad = tmp_path / "log.json"
    bad.write_text('[{"status": {"value": "Succeeded"}, ', encoding="utf-8")
    with pytest.raises(InputError, match="log.json"):
        list(read_paths([bad], lambda *a: None))


@pytest.fixture(scope="module")
def index():
    manager = new_manager()
    built = pipeline.build_from_sources([pipeline.SourceSpec(provider="azure", path=DEMO)], manager,
                                        activity=[pipeline.ActivitySpec("azure", {"kind": "activity-log", "path": str(ACTIVITY)})])
    return manager, built


def _id(index, upn):
    return index[1].lookup(upn).id


def test_usage_reaches_the_store_and_unused_access_is_computed(index):
    manager, built = index
    bob = _id(index, "bob@fabrikamhealth.example")
    found = unused(built, bob, 90, built.built_at)
    assert found.last_used is not None and found.used_count == 2 and not found.identity_unused
    assert "Microsoft.Compute/virtualMachines/runCommand/action" in found.unused_actions
    assert "Microsoft.Compute/virtualMachines/start/action" not in found.unused_actions


def test_right_sized_role_is_an_azure_custom_role(index):
    manager, built = index
    bob = _id(index, "bob@fabrikamhealth.example")
    result = rightsize(built, manager, bob, 90, built.built_at)
    assert result.policy.format == "azure-role-definition-json"
    role = json.loads(result.policy.document)
    assert role["IsCustom"] is True and role["NotActions"] == [] and role["DataActions"] == []
    assert sorted(role["Actions"]) == ["Microsoft.Compute/virtualMachines/restart/action",
                                       "Microsoft.Compute/virtualMachines/start/action"]
    assert role["AssignableScopes"] == ["/subscriptions/5a1e0001-0000-4000-8000-00000000a001/resourceGroups/rg-app"]
    assert any("no data actions" in w for w in result.policy.warnings)


def test_monitor_api_is_paged_and_retried(tmp_path):
    sub = "aaaaaaaa-0000-0000-0000-000000000001"
    event = {"caller": "x", "claims": {"http://schemas.microsoft.com/identity/claims/objectidentifier": "oid-1"},
             "operationName": {"value": "Microsoft.Compute/virtualMachines/start/action"}, "resourceId": "/r",
             "eventTimestamp": "2026-11-01T00:00:00Z", "status": {"value": "Succeeded"}}
    with FakeAzure(tmp_path) as server:
        path = f"/subscriptions/{sub}/providers/microsoft.insights/eventtypes/management/values"
        server.route("GET", path, (429, {"Retry-After": "1"}, {"error": {"code": "TooManyRequests"}}),
                     server.page([event], f"/subscriptions/{sub}/activity/page2"))
        server.route("GET", f"/subscriptions/{sub}/activity/page2", server.page([dict(event, resourceId="/r2")]))
        records = list(read_monitor({"subscriptions": [sub], "arm_endpoint": server.base, "ca_bundle": str(server.cert),
                                     "days": 30}, lambda *a: None, credential=StaticToken()))
    assert [(r.identity, r.resource) for r in records] == [("oid-1", "/r"), ("oid-1", "/r2")]
