"""Live collection: the real client libraries against a local server answering as Google's APIs do
(tests/gcp/google_apis.py), serving the demo organization."""

from __future__ import annotations

from pathlib import Path

import pytest

from ciem.errors import SourceError

from ciem_gcp.collect.export import load_export, write_export
from ciem_gcp.collect.live import collect
from ciem_gcp.resolve import resolve

from google_apis import GoogleApis

DEMO = Path(__file__).resolve().parents[2] / "examples" / "gcp-demo"
ORG = "organizations/100000000001"


def quiet(*_args) -> None:
    pass


def edges(snapshot) -> set[tuple[str, str, str]]:
    return {(e.source, e.target, e.method) for e in resolve([snapshot]).edges}


@pytest.fixture(scope="module")
def exported():
    return load_export(DEMO, quiet)


def test_collects_what_the_export_holds(exported, tmp_path):
    data = dict(exported.data)
    account = "projects/nw-dev/serviceAccounts/fn-runtime@nw-dev.iam.gserviceaccount.com"
    data["live_keys"] = {account: ["k1"]}
    with GoogleApis(data) as apis:
        snapshot = collect({"organization": ORG, "groups_customer": "C0north", **apis.endpoints()}, quiet)
    assert {"ListAssets", "GetRole", "ListServiceAccounts", "ListServiceAccountKeys", "ListPolicies",
            "GetPolicy"} <= set(apis.calls)
    assert snapshot.data["groups"] == exported.data["groups"] and snapshot.data["groups_read"]
    assert set(snapshot.data["roles"]) == set(exported.data["roles"])
    assert snapshot.data["deny_policies"][0]["rules"][0]["denyRule"]["exceptionPrincipals"]
    assert edges(snapshot) == edges(exported)
    resolved = {i.id: i for i in resolve([snapshot]).identities}
    keys = resolved["serviceAccount:fn-runtime@nw-dev.iam.gserviceaccount.com"].attributes["user_managed_keys"]
    assert sorted(k["id"] for k in keys) == ["5e1b7c0d9a3f4e2b8c6d0a1f2e3d4c5b6a798877", "k1"]  # asset export, IAM
    write_export(snapshot, tmp_path / "out")  # `ciem collect gcp --out DIR`
    assert edges(load_export(tmp_path / "out", quiet)) == edges(exported)


def test_resource_manager_is_the_fallback_when_cloud_asset_is_denied(exported):
    with GoogleApis(exported.data, deny_asset=True) as apis:
        snapshot = collect({"organization": ORG, **apis.endpoints()}, quiet)
    assert any(gap.operation == "cloudasset.assets.listResource" and "PermissionDenied" in gap.reason
               for gap in snapshot.gaps)
    assert any(gap.operation == "cloudidentity.groups.list" for gap in snapshot.gaps)
    resolution = resolve([snapshot])
    assert "user:alice@northwind.example" in resolution.admin
    assert ("serviceAccount:deployer@nw-prod.iam.gserviceaccount.com",
            "serviceAccount:app-runtime@nw-prod.iam.gserviceaccount.com") in {
        (e.source, e.target) for e in resolution.edges}


def test_a_source_without_a_scope_is_refused():
    with pytest.raises(SourceError, match="organization"):
        collect({}, quiet)


def test_ciem_collect_gcp_writes_the_layout(exported, tmp_path):
    import json

    from ciem.cli import main

    with GoogleApis(exported.data) as apis:
        endpoints = apis.endpoints()
        status = main(["collect", "gcp", "--out", str(tmp_path / "out"), "--option", f"organization={ORG}",
                       "--option", f"api_endpoints={json.dumps(endpoints['api_endpoints'])}",
                       "--option", "insecure_endpoints=true", "--option", "groups_customer=C0north"])
    assert status == 0
    assert edges(load_export(tmp_path / "out", quiet)) == edges(exported)
