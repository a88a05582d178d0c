"""Identifiers the query API resolves for Azure: object ids, UPNs, application (client) ids, application
object ids and managed identity resource ids, case-insensitively."""

from __future__ import annotations

from pathlib import Path

import pytest

from ciem import pipeline
from ciem.errors import NotFoundError
from ciem.providers import new_manager
from ciem.queries import resolve_identity

DEMO = Path(__file__).resolve().parents[2] / "examples" / "azure-demo"


@pytest.fixture(scope="module")
def index():
    manager = new_manager()
    return manager, pipeline.build_from_inputs([f"azure:{DEMO}"], manager)


def _snapshot_rows(index, key):
    return next(iter(index[1].snapshots["azure"])).data[key]


@pytest.mark.parametrize("kind", ["object id", "upn", "upper-case upn"])
def test_users_resolve_by_object_id_and_upn(index, kind):
    manager, built = index
    bob = next(u for u in _snapshot_rows(index, "users") if u["displayName"] == "Bob Batch")
    identifier = {"object id": bob["id"], "upn": bob["userPrincipalName"], "upper-case upn": bob["userPrincipalName"].upper()}[kind]
    assert resolve_identity(built, identifier, manager).id == bob["id"]


def test_service_principal_resolves_by_client_id_and_application_object_id(index):
    manager, built = index
    sp = next(s for s in _snapshot_rows(index, "service_principals") if s["displayName"] == "billing-app")
    app = next(a for a in _snapshot_rows(index, "applications") if a["displayName"] == "billing-app")
    assert resolve_identity(built, sp["appId"], manager).id == sp["id"]
    assert resolve_identity(built, app["id"], manager).id == sp["id"]


def test_managed_identities_resolve_by_resource_id(index):
    manager, built = index
    uai = "/subscriptions/5a1e0001-0000-4000-8000-00000000a001/resourceGroups/rg-ops/providers/Microsoft.ManagedIdentity/userAssignedIdentities/uai-deployer"
    vm = "/subscriptions/5a1e0001-0000-4000-8000-00000000a001/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/vm-batch"
    assert resolve_identity(built, uai.lower(), manager).name == "uai-deployer"
    assert resolve_identity(built, vm, manager).name == "vm-batch"  # a system-assigned identity by its resource


def test_unknown_identifier_is_not_found(index):
    manager, built = index
    with pytest.raises(NotFoundError):
        resolve_identity(built, "nobody@fabrikamhealth.example", manager)
