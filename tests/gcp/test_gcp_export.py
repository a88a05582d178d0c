"""The export layout (docs/gcp-export-layout.md): loading, detection, errors naming the place, and
``ciem collect --out`` writing what the loader reads back."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ciem.errors import InputError

from ciem_gcp.collect.export import load_export, looks_like_export, write_export

from gcp_builders import GcpEstate

DEMO = Path(__file__).resolve().parents[2] / "examples" / "gcp-demo"


def quiet(*_args) -> None:
    pass


def test_demo_loads_and_merges_content_types():
    snapshot = load_export(DEMO, quiet)
    org = snapshot.data["assets"]["//cloudresourcemanager.googleapis.com/organizations/100000000001"]
    assert org["iam_policy"]["bindings"] and org["resource"]["data"]["displayName"] == "northwind.example"
    assert org["org_policy"][0]["constraint"] == "constraints/iam.disableServiceAccountKeyCreation"
    assert "roles/iam.serviceAccountTokenCreator" in snapshot.data["roles"]
    assert snapshot.data["deny_policies"][0]["displayName"] == "protect-prod-accounts"
    assert looks_like_export(DEMO) and not looks_like_export(DEMO / "assets")


def test_camel_case_api_spelling_is_accepted(tmp_path):
    shutil.copytree(DEMO, tmp_path / "x")
    line = {"name": "//storage.googleapis.com/b", "assetType": "storage.googleapis.com/Bucket",
            "ancestors": ["projects/300000000001", "folders/200000000001", "organizations/100000000001"],
            "iamPolicy": {"bindings": [{"role": "roles/storage.objectViewer", "members": ["user:z@x.com"]}]}}
    (tmp_path / "x" / "assets" / "extra.jsonl").write_text(json.dumps(line) + "\n")
    asset = load_export(tmp_path / "x", quiet).data["assets"]["//storage.googleapis.com/b"]
    assert asset["asset_type"] == "storage.googleapis.com/Bucket" and asset["iam_policy"]["bindings"]


@pytest.mark.parametrize("line, where, problem", [
    ("{not json", "line 1", "not JSON"),
    (json.dumps({"asset_type": "x"}), "line 1.name", "full resource name"),
    (json.dumps({"name": "//a/b", "asset_type": "t", "iam_policy": {"bindings": [{"role": "roles/x", "members": ["bob"]}]}}),
     "line 1.iam_policy.bindings[0].members[0]", "not an IAM member"),
    (json.dumps({"name": "//a/b", "asset_type": "t", "iam_policy": {"bindings": [{"role": "roles/x", "members": []}]}}),
     "line 1.iam_policy.bindings[0].members", "at least one member"),
])
def test_malformed_asset_lines_name_file_and_place(tmp_path, line, where, problem):
    shutil.copytree(DEMO, tmp_path / "x")
    bad = tmp_path / "x" / "assets" / "bad.jsonl"
    bad.write_text(line + "\n")
    with pytest.raises(InputError) as error:
        load_export(tmp_path / "x", quiet)
    assert error.value.path == str(bad) and error.value.where == where and problem in error.value.problem


def test_bad_role_deny_policy_and_group_files_are_named(tmp_path):
    for folder, file, text, where in (
        ("roles", "r.json", json.dumps({"title": "x"}), "name"),
        ("deny-policies", "d.json", json.dumps({"policies": [{"name": "x"}]}), "policies[0].name"),
        ("deny-policies", "d.json", json.dumps({"name": "policies/a/denypolicies/b", "rules": [{"denyRule": {}}]}),
         "policies[0].rules[0].denyRule"),
        ("", "groups.json", json.dumps({"groups": [{"email": "g@x.com", "members": ["nobody"]}]}),
         "groups[0].members[0]"),
    ):
        shutil.rmtree(tmp_path / "x", ignore_errors=True)
        shutil.copytree(DEMO, tmp_path / "x")
        target = tmp_path / "x" / folder / file
        target.write_text(text)
        with pytest.raises(InputError) as error:
            load_export(tmp_path / "x", quiet)
        assert error.value.path == str(target) and error.value.where == where


def test_not_an_export(tmp_path):
    with pytest.raises(InputError, match="gcp.json"):
        load_export(tmp_path, quiet)


def test_write_export_round_trips(tmp_path):
    e = GcpEstate()
    e.project("app", "100")
    e.role("roles/r", "storage.buckets.get")
    e.bind("app", "roles/r", "user:a@example.com")
    e.group("g@example.com", "user:a@example.com")
    e.deny("app", ["principalSet://goog/public:all"], ["storage.googleapis.com/buckets.get"])
    snapshot = e.snapshot()
    write_export(snapshot, tmp_path / "out")
    again = load_export(tmp_path / "out", quiet)
    assert again.data["assets"] == snapshot.data["assets"]
    assert again.data["roles"] == snapshot.data["roles"]
    assert again.data["deny_policies"] == snapshot.data["deny_policies"]
    assert again.data["groups"] == snapshot.data["groups"] and again.collected_at == snapshot.collected_at
