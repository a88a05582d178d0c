"""The Northwind Analytics demo estate: it loads through the AWS provider's hooks, the generator
reproduces it, and every row of the path and access tables in examples/README.md holds.

The tables are parsed from the README itself, so the documentation and the test cannot drift apart.
"""

from __future__ import annotations

import filecmp
import importlib.util
import re
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import pytest

from ciem import pipeline
from ciem.model import EvaluationRequest, Resolution, Snapshot
from ciem.providers import new_manager

REPO = Path(__file__).resolve().parent.parent
README = REPO / "examples" / "README.md"
ADMIN = "admin"
MANAGEMENT, PROD, DEV = "111111111111", "222222222222", "333333333333"


# ------------------------------------------------------------------------------------- README tables


@dataclass(frozen=True)
class Row:
    id: str
    cells: tuple[str, ...]


def _cell(text: str) -> str:
    return text.strip().strip("`").strip()


def readme_rows(prefix: str) -> list[Row]:
    """Rows of the README's tables whose id is ``prefix`` followed by a number (F1, B12 ...)."""
    rows = []
    for line in README.read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            continue
        cells = tuple(_cell(cell) for cell in line.strip().strip("|").split("|"))
        if re.fullmatch(rf"{prefix}\d+", cells[0]):
            rows.append(Row(cells[0], cells[1:]))
    return rows


def keys_in(cell: str) -> frozenset[str]:
    """Condition keys listed in a cell (``aws:SourceIp``, ``iam:PassedToService`` ...), lower-cased."""
    return frozenset(key.lower() for key in re.findall(r"[A-Za-z]+:[A-Za-z]+", cell))


def context_in(cell: str) -> dict[str, str]:
    pairs = [part.strip() for part in cell.split(";") if part.strip()]
    return dict(pair.split("=", 1) for pair in pairs)


def test_readme_tables_are_present():
    assert len(readme_rows("F")) >= 10 and len(readme_rows("B")) >= 10 and readme_rows("N") and len(readme_rows("A")) >= 10
    assert readme_rows("E") and readme_rows("Q")
    ids = [row.id for prefix in "FNBAEQ" for row in readme_rows(prefix)]
    assert len(ids) == len(set(ids)), "row ids repeat"


# ------------------------------------------------------------------------------------------ loading


@pytest.fixture(scope="module")
def manager():
    return new_manager()


@pytest.fixture(scope="module")
def snapshot(manager, demo_estate) -> Snapshot:
    return manager.hook.ciem_load_export(provider="aws", path=demo_estate, progress=lambda *args: None)


def test_make_run_configuration_serves_the_demo_on_loopback(demo_estate):
    from ciem.config import check_bind_safety, load_config

    config = load_config(REPO / "examples" / "demo-config.yaml")
    assert config.listen == "127.0.0.1:50051" and check_bind_safety(config) is None
    assert [(source.provider, source.path.resolve()) for source in config.sources][0] == ("aws", demo_estate)
    assert config.state_dir.resolve() == REPO / ".state" / "demo"
    assert config.refresh_interval == 15 * 60


def test_generator_reproduces_the_committed_files(tmp_path, demo_estate):
    spec = importlib.util.spec_from_file_location("make_demo", REPO / "examples" / "make_demo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.generate(tmp_path / "estate")
    generated = sorted(p.relative_to(tmp_path / "estate") for p in (tmp_path / "estate").rglob("*") if p.is_file())
    committed = sorted(p.relative_to(demo_estate) for p in demo_estate.rglob("*") if p.is_file())
    assert generated == committed
    _, mismatch, errors = filecmp.cmpfiles(tmp_path / "estate", demo_estate, [str(p) for p in committed], shallow=False)
    assert not mismatch and not errors, f"regenerate with examples/make_demo.py: {mismatch or errors}"


def test_the_export_is_recognised_and_loads_every_account(manager, snapshot, demo_estate):
    assert manager.hook.ciem_detect_export(path=demo_estate) == "aws"
    assert snapshot.provider == "aws"
    assert snapshot.gaps == []
    assert sorted(snapshot.data["accounts"]) == [MANAGEMENT, PROD, DEV]
    organization = snapshot.data["organization"]
    assert organization["account_parents"] == {MANAGEMENT: "r-n0rt", PROD: "ou-n0rt-pr0d0001", DEV: "ou-n0rt-dev00001"}
    policy_types = sorted(p["summary"]["Type"] for p in organization["policies"])
    assert policy_types.count("RESOURCE_CONTROL_POLICY") == 2 and policy_types.count("SERVICE_CONTROL_POLICY") == 6
    protect = next(p for p in organization["policies"] if p["summary"]["Name"] == "ProtectIAMInProd")
    assert protect["document"]["Statement"][0]["Action"] == "iam:*"  # Content, a JSON string, arrives parsed


def test_paged_authorization_details_are_merged(snapshot):
    details = snapshot.data["accounts"][DEV]["authorization_details"]
    users = {user["UserName"] for user in details["UserDetailList"]}  # page 1
    roles = {role["RoleName"] for role in details["RoleDetailList"]}  # page 2
    assert {"dana", "ed", "fay", "gus", "ivan", "ci-bot", "old-etl"} <= users
    assert {"ci-deploy", "data-pipeline-lambda", "DevAdmin"} <= roles
    developer_access = next(p for p in details["Policies"] if p["PolicyName"] == "DeveloperAccess")
    assert developer_access["DefaultVersionId"] == "v2"
    assert [v["VersionId"] for v in developer_access["PolicyVersionList"] if v["IsDefaultVersion"]] == ["v2"]


def test_url_encoded_documents_arrive_decoded(snapshot):
    users = snapshot.data["accounts"][PROD]["authorization_details"]["UserDetailList"]
    gina = next(user for user in users if user["UserName"] == "gina")
    document = gina["UserPolicyList"][0]["PolicyDocument"]
    assert isinstance(document, dict)
    assert document["Statement"][0]["Action"][0] == "iam:AttachUserPolicy"


def test_credential_reports_and_resources_are_read(snapshot):
    dev = snapshot.data["accounts"][DEV]
    report = {row["user"]: row for row in dev["credential_report"]}
    assert report["old-etl"]["access_key_1_last_used_date"].startswith("2024-02-01")
    assert report["ci-bot"]["password_enabled"] == "false"
    prod = snapshot.data["accounts"][PROD]["resources"]
    public = next(b for b in prod["s3"]["Buckets"] if b["Name"] == "northwind-public-assets")
    assert public["Policy"]["Statement"][0]["Principal"] == "*"
    assert public["PublicAccessBlock"]["RestrictPublicBuckets"] is True
    assert [i["InstanceId"] for i in prod["ssm"]["InstanceInformationList"]] == ["i-0a1b2c3d4e5f60001"]


# ------------------------------------------------------------------------------------------- paths


@pytest.fixture(scope="module")
def resolution(manager, snapshot) -> Resolution:
    resolved = manager.hook.ciem_resolve(snapshots=[snapshot])
    assert resolved is not None, "the AWS provider did not resolve its own snapshot"
    return resolved


class Paths:
    """Reachability over a resolution's edges, counting only edges whose conditions are all allowed."""

    def __init__(self, resolution: Resolution):
        self.admin = set(resolution.admin)
        self.identities = {identity.id for identity in resolution.identities}
        self.out: dict[str, list] = {}
        for edge in resolution.edges:
            self.out.setdefault(edge.source, []).append(edge)

    def reaches(self, source: str, target: str, allowed: frozenset[str] | None) -> bool:
        """``allowed`` None: any condition may hold; otherwise the lower-cased keys that may."""
        goals = self.admin if target == ADMIN else {target}
        seen, queue = {source}, deque([source])
        while queue:
            node = queue.popleft()
            if node in goals:
                return True
            for edge in self.out.get(node, ()):
                keys = {key.lower() for key in edge.conditions}
                if allowed is not None and not keys <= allowed:
                    continue
                if edge.target not in seen:
                    seen.add(edge.target)
                    queue.append(edge.target)
        return False


@pytest.fixture(scope="module")
def paths(resolution) -> Paths:
    return Paths(resolution)


def _known(paths: Paths, *ids: str) -> None:
    for identity in ids:
        if identity != ADMIN:
            assert identity in paths.identities, f"{identity} is not an identity of the resolution"


@pytest.mark.parametrize("row", readme_rows("F"), ids=lambda row: row.id)
def test_path_is_found(paths, row):
    source, target, how, hinge = row.cells
    _known(paths, source, target)
    assert paths.reaches(source, target, keys_in(hinge)), f"{row.id}: {source} -> {target} ({how}) not found"


@pytest.mark.parametrize("row", readme_rows("N"), ids=lambda row: row.id)
def test_path_hinges_on_condition(paths, row):
    source, target, needs, why = row.cells
    _known(paths, source, target)
    (key,) = keys_in(needs)
    every_other = frozenset(
        k.lower() for edges in paths.out.values() for edge in edges for k in edge.conditions if k.lower() != key
    )
    assert paths.reaches(source, target, None), f"{row.id}: no path at all, even when {needs} holds"
    assert not paths.reaches(source, target, every_other), f"{row.id}: a path does not need {needs} ({why})"


@pytest.mark.parametrize("row", readme_rows("B"), ids=lambda row: row.id)
def test_look_alike_is_blocked(paths, row):
    source, target, looks_like, because = row.cells
    _known(paths, source, target)
    assert not paths.reaches(source, target, None), f"{row.id}: {source} -> {target} found, but {because}"


# ------------------------------------------------------------------------------------------ access


@pytest.mark.parametrize("row", readme_rows("A"), ids=lambda row: row.id)
def test_access_decision(manager, snapshot, row):
    identity, action, resource, context, expected, why = row.cells
    request = EvaluationRequest(identity=identity, action=action, resource=resource, context=context_in(context))
    decision = manager.hook.ciem_explain(snapshots=[snapshot], request=request)
    assert decision is not None, f"{row.id}: the AWS provider did not evaluate the request"
    accepted = {"implicitDeny", "explicitDeny"} if expected == "denied" else {expected}
    layers = "; ".join(f"{layer.layer}={layer.verdict}" for layer in decision.layers)
    assert decision.decision in accepted, f"{row.id}: {decision.decision} ({layers}), expected {expected}: {why}"


@pytest.fixture(scope="module")
def index(manager, snapshot):
    return pipeline.build_index([snapshot], manager)


@pytest.mark.parametrize("row", readme_rows("A"), ids=lambda row: row.id)
def test_index_agrees_with_the_access_decision(index, row):
    """The resolved grants the index serves (reach, who-can) must agree with explain: an allowed
    request is granted, at most conditional on keys the row's context supplies; a denied one is not
    granted unless on a key the row's context decides."""
    identity, action, resource, context, expected, why = row.cells
    catalog = index.catalogs["aws"]
    access = index.access_on(identity, resource)
    bit = catalog.bit(action)
    given = {key.lower() for key in context_in(context)}
    hinges = {key.lower() for key in access.conditions}
    if expected == "allowed":
        assert access.allowed & bit or (access.conditional & bit and hinges <= given), (
            f"{row.id}: the index does not grant {action} ({', '.join(access.conditions) or 'no grant'}): {why}")
    else:
        assert not access.allowed & bit, f"{row.id}: the index grants {action} outright: {why}"
        assert not access.conditional & bit or hinges & given, (
            f"{row.id}: the index grants {action} on {', '.join(access.conditions)}, which the request does not decide: {why}")


# ---------------------------------------------------------------------------------------- findings


@pytest.fixture(scope="module")
def findings(manager, index) -> set[tuple[str, str, str]]:
    """(rule, subject, trusted or principal) of every finding of a scan of the demo estate."""
    from ciem.findings.engine import run_scan

    scan = run_scan(index, manager)
    return {(f.rule, f.subject, f.key.get("trusted") or f.key.get("principal") or "") for f in scan.findings}


@pytest.mark.parametrize("row", readme_rows("E"), ids=lambda row: row.id)
def test_finding_from_outside_is_raised(findings, row):
    rule, subject, key, why = row.cells
    assert (rule, subject, key) in findings, f"{row.id}: no {rule} finding on {subject} for {key} ({why})"


@pytest.mark.parametrize("row", readme_rows("Q"), ids=lambda row: row.id)
def test_finding_from_outside_is_not_raised(findings, row):
    rule, subject, key, why = row.cells
    assert (rule, subject, key) not in findings, f"{row.id}: {rule} on {subject} for {key}, but {why}"


def test_index_agrees_with_explain_for_every_outside_caller_on_every_resource_policy(manager, snapshot, index):
    """Each external identity (other accounts, anyone) against every action a resource policy names
    on its resource: explain's decision and the index's grants must agree."""
    from ciem.model import IdentityKind
    from ciem_aws.resolve.principals import build_estate
    from ciem_aws.resolve.resources import read_resources

    catalog = index.catalogs["aws"]
    outsiders = sorted(i.id for i in index.identities.values() if i.kind is IdentityKind.EXTERNAL)
    resources = [r for r in read_resources(build_estate([snapshot])) if r.policy is not None]
    context = {"aws:SecureTransport": "true", "aws:RequestedRegion": "eu-west-1"}
    checked = []
    for resource in resources:
        target = resource.arn + "/object" if resource.type == "s3:bucket" else resource.arn
        actions = {a for s in resource.policy.statements for a in s.actions or () if "*" not in a and a in catalog}
        for action in sorted(catalog.names(catalog.bits_of(actions))):
            for identity in outsiders:
                decision = manager.hook.ciem_explain(
                    snapshots=[snapshot], request=EvaluationRequest(identity, action, target, context)).decision
                access = index.access_on(identity, target)
                bit = catalog.bit(action)
                granted = "allowed" if access.allowed & bit else "conditional" if access.conditional & bit else "denied"
                expected = {"allowed": {"allowed", "conditional"}, "conditional": {"conditional", "denied"}}.get(
                    decision, {"denied"})
                assert granted in expected, f"{identity} {action} {target}: explain {decision}, index {granted}"
                checked.append((identity, action))
    assert ("aws:public", "sns:Publish") in checked and ("arn:aws:iam::888888888888:root", "s3:GetObject") in checked
