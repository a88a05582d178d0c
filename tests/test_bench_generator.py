"""The benchmark estate generator: deterministic, loadable, and valid AWS input throughout."""

from __future__ import annotations

import gzip
import json
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import generate as gen  # noqa: E402
from ciem_aws.collect.export import load_export, looks_like_export  # noqa: E402
from ciem_aws.policy.document import parse_policy  # noqa: E402

SMALL = gen.Shape(accounts=3, roles=60, users=20, policies=80, groups=8, buckets=6, tables=4, queues=3, topics=2,
                  secrets=4, keys=3, instances=4, trail_days=1)
TRAIL_PATH = re.compile(
    r"^cloudtrail/AWSLogs/o-[a-z0-9]{10}/(\d{12})/CloudTrail/([a-z0-9-]+)/\d{4}/\d{2}/\d{2}/"
    r"\1_CloudTrail_\2_\d{8}T\d{4}Z_[A-Z0-9]{16}\.json\.gz$"
)


@pytest.fixture(scope="module")
def estate(tmp_path_factory) -> tuple[Path, gen.Summary]:
    out = tmp_path_factory.mktemp("estate") / "org"
    return out, gen.generate(out, SMALL, seed=7)


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes_and_another_seed_differs(estate, tmp_path):
    out, _ = estate
    again = gen.generate(tmp_path / "again", SMALL, seed=7)
    other = gen.generate(tmp_path / "other", SMALL, seed=8)
    first = _files(out)
    assert first == _files(Path(again.out))
    assert first != _files(Path(other.out))
    assert len(first) > 20


def test_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "x").write_text("keep me")
    with pytest.raises(FileExistsError):
        gen.generate(tmp_path, SMALL, seed=1)


def test_shape_counts_and_layout(estate):
    out, summary = estate
    assert summary.counts["roles"] == SMALL.accounts * SMALL.roles
    assert summary.counts["users"] == SMALL.accounts * SMALL.users
    assert summary.counts["groups"] == SMALL.accounts * SMALL.groups
    assert summary.counts["escalation_policies"] >= SMALL.accounts
    for account in summary.accounts:
        folder = out / "accounts" / account
        details = json.loads((folder / "authorization-details.json").read_text())
        customer = [p for p in details["Policies"] if f":{account}:policy/" in p["Arn"]]
        assert len(customer) == SMALL.policies - len(gen.AWS_MANAGED) - len(gen.SERVICE_LINKED)
        assert (folder / "credential-report.csv").read_text().startswith("user,arn,user_creation_time,")
        assert json.loads((folder / "resources" / "s3.json").read_text())["Buckets"]
    parents = json.loads((out / "organization" / "account-parents.json").read_text())
    assert sorted(parents) == sorted(summary.accounts)


def test_loads_through_the_aws_export_loader(estate):
    out, summary = estate
    assert looks_like_export(out)
    snapshot = load_export(out, lambda *args: None)
    assert sorted(snapshot.data["accounts"]) == sorted(summary.accounts)
    assert snapshot.gaps == []
    organization = snapshot.data["organization"]
    kinds = {p["summary"]["Type"] for p in organization["policies"]}
    assert kinds == {"SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"}
    account = snapshot.data["accounts"][summary.accounts[1]]
    assert len(account["authorization_details"]["RoleDetailList"]) == SMALL.roles
    assert account["credential_report"]


def test_every_account_keeps_its_permissions_under_the_organizations_scps(estate):
    # As in AWS, the full-access SCP and RCP sit on every node: an OU that only denies must not leave
    # its accounts with nothing (the org path of every account has an allow at each level).
    from ciem_aws.resolve import resolve

    out, summary = estate
    resolution = resolve([load_export(out, lambda *args: None)])
    holders = {grant.identity.split(":")[4] for grant in resolution.grants if not grant.deny and ":role/" in grant.identity}
    assert holders == set(summary.accounts)
    parents = json.loads((out / "organization" / "account-parents.json").read_text())
    policies = json.loads((out / "organization" / "policies.json").read_text())["Policies"]
    full = next(p for p in policies if p["PolicySummary"]["Name"] == "FullAWSAccess")
    targets = {t["TargetId"] for t in full["Targets"]}
    assert set(parents) | set(parents.values()) <= targets


def _documents(value, path="$"):
    """Every policy document in a generated JSON file, by the keys AWS uses for them."""
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}"
            if key in ("PolicyDocument", "AssumeRolePolicyDocument", "Document", "Policy") and item is not None:
                yield where, item
            elif key == "Content":
                yield where, json.loads(item)
            else:
                yield from _documents(item, where)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _documents(item, f"{path}[{index}]")


def test_every_policy_parses(estate):
    out, _ = estate
    count = 0
    features = set()
    for file in sorted(out.rglob("*.json")):
        for where, document in _documents(json.loads(file.read_text())):
            policy = parse_policy(document, where, str(file), where)
            count += 1
            for statement in policy.statements:
                features.add(statement.effect)
                features.update(k for k in ("not_actions", "conditions", "principals") if getattr(statement, k))
                features.update(a for a in statement.actions or () if "*" in a and a != "*")
    assert count > 500
    # The estate exercises what makes effective access hard, not just plain allows.
    assert {"Deny", "Allow", "not_actions", "conditions", "principals", "s3:*"} <= features


def test_trust_reaches_services_roles_other_accounts_and_federation(estate):
    out, summary = estate
    principals: dict[str, set[str]] = {"Service": set(), "AWS": set(), "Federated": set()}
    for account in summary.accounts:
        details = json.loads((out / "accounts" / account / "authorization-details.json").read_text())
        for role in details["RoleDetailList"]:
            for statement in role["AssumeRolePolicyDocument"]["Statement"]:
                for kind, values in statement["Principal"].items():
                    principals[kind].update([values] if isinstance(values, str) else values)
    other_accounts = {arn.split(":")[4] for arn in principals["AWS"] if arn.startswith("arn:")}
    assert len(other_accounts & set(summary.accounts)) == SMALL.accounts
    assert any(":role/" in arn for arn in principals["AWS"])
    assert any("saml-provider/" in arn for arn in principals["Federated"])
    assert any("oidc-provider/" in arn for arn in principals["Federated"])
    assert "lambda.amazonaws.com" in principals["Service"]


def test_every_action_the_generator_names_is_a_real_iam_action():
    from ciem_aws.catalog import aws_catalog

    catalog = aws_catalog()
    named = set(gen.S3_READ + gen.S3_WRITE + gen.DDB_READ + gen.DDB_WRITE + gen.SQS_USE + gen.SNS_USE
                + gen.SECRET_READ + gen.KMS_USE + gen.LOGS_WRITE + gen.DESCRIBE + gen.PARAM_READ + gen.ECR_PULL
                + gen.DENIED_PROBES)
    for wildcard, actions in gen.SERVICE_WILDCARDS.items():
        assert catalog.expand(wildcard), wildcard
        named.update(actions)
    assert sorted(a for a in named if a not in catalog) == []


def test_cloudtrail_sample_is_laid_out_and_shaped_as_cloudtrail_writes_it(estate):
    out, summary = estate
    files = sorted((out / "cloudtrail").rglob("*.json.gz"))
    assert files
    known: dict[str, set[str]] = {}
    for account in summary.accounts:
        details = json.loads((out / "accounts" / account / "authorization-details.json").read_text())
        known[account] = {u["Arn"] for u in details["UserDetailList"]} | {r["Arn"] for r in details["RoleDetailList"]}
    users_and_roles = sum(len(arns) for arns in known.values())
    actors, events, denied = set(), 0, 0
    for file in files:
        relative = str(file.relative_to(out))
        match = TRAIL_PATH.match(relative)
        assert match, relative
        records = json.loads(gzip.decompress(file.read_bytes()))["Records"]
        assert [r["eventTime"] for r in records] == sorted(r["eventTime"] for r in records)
        for record in records:
            identity = record["userIdentity"]
            arn = identity["sessionContext"]["sessionIssuer"]["arn"] if identity["type"] == "AssumedRole" else identity["arn"]
            assert arn in known[match.group(1)]
            assert record["eventSource"].endswith(".amazonaws.com") and record["eventName"]
            actors.add(arn)
            events += 1
            denied += record.get("errorCode") == "AccessDenied"
    assert events == summary.counts["cloudtrail_events"]
    assert 0 < denied < events / 5
    # Only a share of identities is active, as in a real trail.
    assert 0 < len(actors) < users_and_roles


def test_gzip_is_reproducible():
    assert gen._gzip(b"same") == gen._gzip(b"same")
    assert gzip.decompress(gen._gzip(b"payload")) == b"payload"


def test_shape_rejects_sizes_it_cannot_build():
    with pytest.raises(ValueError):
        gen.Shape(roles=3)
    with pytest.raises(ValueError):
        gen.Shape(policies=5)


def test_a_lone_account_has_no_organization_and_its_own_trail_prefix(tmp_path):
    shape = gen.Shape(accounts=1, roles=20, users=5, policies=40, groups=6, buckets=2, tables=1, queues=1, topics=1,
                      secrets=1, keys=1, instances=1, trail_days=1)
    summary = gen.generate(tmp_path / "one", shape, seed=3)
    out = Path(summary.out)
    assert not (out / "organization").exists()
    assert load_export(out, lambda *args: None).data["organization"] is None
    prefixes = {p.relative_to(out).parts[:3] for p in (out / "cloudtrail").rglob("*.json.gz")}
    assert prefixes == {("cloudtrail", "AWSLogs", summary.accounts[0])}
