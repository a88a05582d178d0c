"""The export folder layout (docs/azure-export-layout.md): reading, errors that name the place, writing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ciem.errors import InputError
from ciem.model import AccessLevel
from ciem.providers import new_manager

from ciem_azure.catalog import access_level, build_catalog
from ciem_azure.collect.export import load_export, looks_like_export, write_export

DEMO = Path(__file__).resolve().parents[2] / "examples" / "azure-demo"


@pytest.fixture
def export(tmp_path) -> Path:
    target = tmp_path / "export"
    shutil.copytree(DEMO, target)
    return target


def test_required_file_missing_is_named(export):
    (export / "arm" / "role-assignments.json").unlink()
    with pytest.raises(InputError, match=r"arm/role-assignments\.json.*required file is missing"):
        load_export(export)


def test_malformed_json_names_file_and_line(export):
    (export / "graph" / "users.json").write_text('{"value": [\n  {"id": 1,\n}', encoding="utf-8")
    with pytest.raises(InputError, match=r"graph/users\.json: line \d+: not valid JSON"):
        load_export(export)


def test_wrong_shape_names_the_row(export):
    (export / "arm" / "role-assignments.json").write_text('[{"principalId": "p"}, 3]', encoding="utf-8")
    with pytest.raises(InputError, match=r"role-assignments\.json: \$\[1\]: expected an object"):
        load_export(export)


def test_assignment_without_scope_is_rejected_with_its_index(export):
    rows = json.loads((export / "arm" / "role-assignments.json").read_text(encoding="utf-8"))
    del rows[2]["scope"]
    (export / "arm" / "role-assignments.json").write_text(json.dumps(rows), encoding="utf-8")
    manager = new_manager()
    snapshot = manager.hook.ciem_load_export(provider="azure", path=export, progress=lambda *a: None)
    with pytest.raises(InputError, match=r"arm/role-assignments\.json\[2\]: missing scope"):
        manager.hook.ciem_resolve(snapshots=[snapshot])


def test_cli_list_rest_page_and_resource_graph_shapes_all_load(export):
    snapshot = load_export(export)
    assert isinstance(snapshot.data["role_assignments"], list)  # a bare CLI array
    assert snapshot.data["deny_assignments"][0]["properties"]["scope"].endswith("rg-locked")  # a REST page
    assert any(r["type"] == "Microsoft.Compute/virtualMachines" for r in snapshot.data["resources"])  # {"data": [...]}
    assert snapshot.collected_at.isoformat() == "2026-11-20T08:00:00+00:00"


def test_write_then_load_round_trips(export, tmp_path):
    snapshot = load_export(export)
    out = tmp_path / "written"
    write_export(snapshot, out)
    assert looks_like_export(out)
    again = load_export(out)
    assert again.data == snapshot.data and again.collected_at == snapshot.collected_at


def test_other_folders_are_not_recognised(tmp_path):
    assert not looks_like_export(tmp_path)
    (tmp_path / "manifest.json").write_text('{"provider": "aws"}', encoding="utf-8")
    assert not looks_like_export(tmp_path)


@pytest.mark.parametrize("name,data,level", [
    ("Microsoft.Compute/virtualMachines/read", False, AccessLevel.READ),
    ("Microsoft.Compute/virtualMachines/write", False, AccessLevel.WRITE),
    ("Microsoft.Compute/virtualMachines/runCommand/action", False, AccessLevel.WRITE),
    ("Microsoft.Authorization/roleAssignments/write", False, AccessLevel.PERMISSIONS_MANAGEMENT),
    ("Microsoft.Authorization/roleAssignments/read", False, AccessLevel.READ),
    ("Microsoft.Resources/tags/write", False, AccessLevel.TAGGING),
    ("Microsoft.KeyVault/vaults/secrets/getSecret/action", True, AccessLevel.READ),
    ("Microsoft.KeyVault/vaults/secrets/setSecret/action", True, AccessLevel.WRITE),
])
def test_access_level_from_the_operation_verb(name, data, level):
    assert access_level(name, data) is level


def test_catalog_from_role_definitions_keeps_data_actions_apart(shared_data):
    definitions = json.loads((shared_data / "azure" / "role-definitions.json").read_text(encoding="utf-8"))
    catalog = build_catalog([{"role_definitions": definitions}])
    assert len(catalog.catalog) > 3000
    blob_read = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"
    assert catalog.is_data(blob_read) and not catalog.is_data("Microsoft.Compute/virtualMachines/read")
    assert not catalog.expand(["*"], data=False) & catalog.catalog.bit(blob_read)
    assert catalog.expand(["*"], data=True) & catalog.catalog.bit(blob_read)
    owner = next(r for r in definitions if r["roleName"] == "Owner")
    assert catalog.permission_bits(owner["permissions"][0]) == catalog.control_bits


def test_provider_operations_export_completes_the_catalog():
    operations = [{"name": "Microsoft.Foo", "operations": [{"name": "Microsoft.Foo/bars/read", "isDataAction": False}],
                   "resourceTypes": [{"name": "bars", "operations": [{"name": "Microsoft.Foo/bars/items/read",
                                                                      "isDataAction": True}]}]}]
    catalog = build_catalog([{"operations": operations}])
    assert "Microsoft.Foo/bars/read" in catalog.catalog and catalog.is_data("Microsoft.Foo/bars/items/read")


def test_graph_row_without_its_id_is_rejected_with_its_place(export):
    rows = json.loads((export / "graph" / "users.json").read_text(encoding="utf-8"))
    del rows["value"][3]["id"]
    (export / "graph" / "users.json").write_text(json.dumps(rows), encoding="utf-8")
    manager = new_manager()
    snapshot = manager.hook.ciem_load_export(provider="azure", path=export, progress=lambda *a: None)
    with pytest.raises(InputError, match=r"graph/users\.json\[3\]: missing id"):
        manager.hook.ciem_resolve(snapshots=[snapshot])
