"""The bundled GCP demo organization (examples/gcp-demo), served with the AWS demo estate: every row
of examples/README.md's Google Cloud tables, the cross-cloud path, who-can, findings, unused access
and the right-sized role; and the generator reproduces the committed files."""

from __future__ import annotations

import filecmp
import json
import re
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from ciem import queries, usage
from ciem.findings.engine import run_scan
from ciem.pipeline import ActivitySpec, SourceSpec, build_from_sources
from ciem.providers import default_manager

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
NOW = datetime(2026, 11, 28, tzinfo=timezone.utc)
APP = "serviceAccount:app-runtime@nw-prod.iam.gserviceaccount.com"
PAYROLL = "organizations/100000000001/folders/200000000001/projects/nw-prod/storage.googleapis.com/nw-payroll"


def section_rows(prefix: str) -> list[list[str]]:
    text = (EXAMPLES / "README.md").read_text().split("## Google Cloud", 1)[1]
    rows = []
    for line in text.splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and re.fullmatch(prefix + r"\d+", cells[0]):
            rows.append(cells)
    return rows


@pytest.fixture(scope="module")
def index():
    return build_from_sources(
        [SourceSpec(path=EXAMPLES / "aws-demo"), SourceSpec(path=EXAMPLES / "gcp-demo")], default_manager(),
        activity=[ActivitySpec("gcp", {"kind": "audit-logs", "path": str(EXAMPLES / "gcp-demo-audit-logs")})])


def test_generator_reproduces_the_committed_files(tmp_path, shared_data):
    subprocess.run([sys.executable, str(EXAMPLES / "make_gcp_demo.py"), str(tmp_path / "gcp-demo")], check=True)
    for ours, committed in ((tmp_path / "gcp-demo", EXAMPLES / "gcp-demo"),
                            (tmp_path / "gcp-demo-audit-logs", EXAMPLES / "gcp-demo-audit-logs")):
        files = sorted(p.relative_to(ours) for p in ours.rglob("*") if p.is_file())
        assert files == sorted(p.relative_to(committed) for p in committed.rglob("*") if p.is_file())
        for file in files:
            assert filecmp.cmp(ours / file, committed / file, shallow=False), file


def test_readme_tables_are_complete():
    assert len(section_rows("G")) == 10 and len(section_rows("GN")) == 6 and len(section_rows("GX")) == 6


@pytest.mark.parametrize("row", section_rows("G"), ids=lambda row: row[0])
def test_paths_that_must_be_found(index, row):
    _, source, target, _how, conditions = row
    path = index.shortest_paths_from(source, 8).get(target)
    assert path, f"{source} cannot reach {target}"
    found = {c for edge in path for c in edge.conditions}
    assert found == ({c.strip().strip("`") for c in conditions.split(",")} if conditions else set())


@pytest.mark.parametrize("row", section_rows("GN"), ids=lambda row: row[0])
def test_paths_that_must_not_be_found(index, row):
    _, source, target, _why = row
    assert target not in index.shortest_paths_from(source, 8)


def test_cross_cloud_path_starts_in_aws_and_ends_in_gcp(index):
    path = index.shortest_paths_from("arn:aws:iam::333333333333:user/ci-bot", 8)[
        "serviceAccount:deployer@nw-prod.iam.gserviceaccount.com"]
    providers = [index.identities[edge.source].provider for edge in path]
    assert providers[0] == "aws" and providers[-1] == "gcp"
    assert any(edge.method == "sts.googleapis.com/token-exchange" for edge in path)


def test_admins_and_blocked_paths(index):
    for who in ("user:alice@northwind.example", "user:ivan@northwind.example",
                "serviceAccount:deployer@nw-prod.iam.gserviceaccount.com"):
        assert who in index.admin
    blocked = index.identities["serviceAccount:fed-reader@nw-shared.iam.gserviceaccount.com"].attributes["blocked_paths"]
    assert any("user:lee@northwind.example" in note for note in blocked)


@pytest.mark.parametrize("row", section_rows("GX"), ids=lambda row: row[0])
def test_requests_explained(index, row):
    _, identity, permission, resource, decision = row
    assert queries.explain(index, default_manager(), identity, permission, resource).decision == decision


def test_who_can_read_payroll_includes_aws_identities_through_the_pool(index):
    result = queries.who_can(index, PAYROLL)
    who = {entry.identity.id for entry in result.entries}
    assert APP in who and "arn:aws:iam::333333333333:user/ci-bot" in who
    assert "user:erin@northwind.example" not in who and "user:bob@northwind.example" not in who


def test_reach_by_email_alias(index):
    identity = queries.resolve_identity(index, "app-runtime@nw-prod.iam.gserviceaccount.com", default_manager())
    assert identity.id == APP
    assert queries.resolve_identity(index, "110000000000000000002", default_manager()).id == APP
    assert queries.resolve_identity(index, "projects/nw-prod/serviceAccounts/app-runtime@nw-prod.iam.gserviceaccount.com",
                                    default_manager()).id == APP
    assert queries.resolve_identity(index, "principal://goog/subject/alice@northwind.example",
                                    default_manager()).id == "user:alice@northwind.example"
    entries = queries.reach(index, APP, resource_prefix=PAYROLL).entries
    assert entries and all(entry.resource == PAYROLL for entry in entries)


def test_findings_name_gcp_admins_keys_and_toxic_combinations(index):
    subjects = {(f.rule, f.subject) for f in run_scan(index, default_manager(), NOW).findings}
    assert ("admin-equivalent", "user:alice@northwind.example") in subjects
    assert ("admin-equivalent", "arn:aws:iam::222222222222:role/ProdDeployer") in subjects
    assert ("gcp-user-managed-service-account-keys", "serviceAccount:fn-runtime@nw-dev.iam.gserviceaccount.com") in subjects
    assert ("toxic-combination:gcp-act-as-and-create-compute", "serviceAccount:ci@nw-dev.iam.gserviceaccount.com") in subjects


def test_unused_access_and_right_sized_role_from_audit_logs(index):
    unused = usage.unused(index, APP, now=NOW)
    assert "storage.objects.list" in unused.unused_actions
    assert "storage.objects.get" not in unused.unused_actions
    rightsized = usage.rightsize(index, default_manager(), APP, now=NOW)
    role = json.loads(rightsized.policy.document)
    assert rightsized.policy.format == "gcp-custom-role-json"
    assert role["includedPermissions"] == ["secretmanager.versions.access", "storage.objects.get"]
