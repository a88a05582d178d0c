"""Finding rules, scores, stable ids and history on small cloud-neutral estates: for every rule one
estate that hits and a near miss that does not."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from ciem.errors import ConfigError
from ciem.findings import Status, Usage, parse_findings_config
from ciem.findings.engine import finding_id
from ciem.findings.history import apply_history
from ciem.findings.model import Factors
from ciem.findings.scoring import score
from ciem.hookspec import hookimpl
from ciem.model import EdgeKind, IdentityKind, Resource, Sensitivity, UsageRecord
from ciem.providers import new_manager

from findings_estates import LONG_AGO, NOW, P, RECENTLY, by_rule, edge, external, grant, ident, logs, scan, used

ADMIN = {"tc:boss": "allowed * on *"}


# -- admin and escalation -------------------------------------------------------------------------


def test_admin_equivalent_direct_and_through_assume_with_usage():
    result = scan(
        [ident("boss"), ident("dev", human=True), ident("ops", human=True)],
        [grant("boss", ["*"])],
        [edge("dev", "boss")],
        admin=ADMIN,
        usage=logs(used("boss", "store:Put")),
    )
    found = {f.subject: f for f in by_rule(result, "admin-equivalent")}
    assert set(found) == {"tc:boss", "tc:dev"}  # near miss: ops has no way to boss
    assert found["tc:boss"].usage is Usage.USED and found["tc:boss"].details["reason"] == "allowed * on *"
    assert found["tc:dev"].usage is Usage.UNUSED  # covered by logs, did nothing
    assert [e.target for e in found["tc:dev"].paths[0]] == ["tc:boss"]


def test_admin_usage_is_unknown_without_logs_never_unused():
    result = scan([ident("boss")], [grant("boss", ["*"])], admin=ADMIN)
    assert by_rule(result, "admin-equivalent")[0].usage is Usage.UNKNOWN
    assert result.notes and "usage unknown for 1 identity" in result.notes[0]


def test_escalation_path_one_finding_per_identity_with_every_admin_reached():
    admins = {"tc:boss": "all", "tc:root2": "all"}
    result = scan(
        [ident("boss"), ident("root2"), ident("builder"), ident("viewer")],
        [grant("boss", ["*"]), grant("root2", ["*"]), grant("builder", ["id:PassRole", "compute:Create"])],
        [edge("builder", "boss", EdgeKind.ESCALATE, method="id:PassRole+compute:Create"),
         edge("builder", "root2", EdgeKind.ESCALATE, conditions=("tag:team",), method="id:PassRole+compute:Create"),
         edge("viewer", "builder")],
        admin=admins,
    )
    found = {f.subject: f for f in by_rule(result, "privilege-escalation-path")}
    assert set(found) == {"tc:builder", "tc:viewer"}
    builder = found["tc:builder"]
    assert len(builder.paths) == 2 and builder.details["methods"] == ["id:PassRole+compute:Create"]
    # The unconditional one-hop path sets exploitability; the viewer's two hops score lower.
    assert builder.score.factors.exploitability == pytest.approx(0.85)
    assert found["tc:viewer"].score.value < builder.score.value
    assert {f.subject for f in by_rule(result, "admin-equivalent")} == {"tc:boss", "tc:root2"}


def test_escalation_near_miss_assume_only_path_is_admin_equivalent_not_escalation():
    result = scan([ident("boss"), ident("dev")], [grant("boss", ["*"])], [edge("dev", "boss")], admin=ADMIN)
    assert not by_rule(result, "privilege-escalation-path")


def test_human_standing_admin_hits_and_eligible_only_or_assumed_does_not():
    result = scan(
        [ident("alice", IdentityKind.USER, human=True), ident("bob", IdentityKind.USER, human=True),
         ident("carol", IdentityKind.USER, human=True), ident("boss")],
        [grant("alice", ["*"]), grant("bob", ["*"], potential=True), grant("boss", ["*"])],
        [edge("carol", "boss")],
        admin={"tc:alice": "all", "tc:bob": "eligible all", "tc:boss": "all"},
    )
    assert [f.subject for f in by_rule(result, "human-standing-admin")] == ["tc:alice"]


# -- unused access ----------------------------------------------------------------------------------


def test_unused_privileged_access_lists_only_unused_privileged_actions():
    result = scan(
        [ident("app"), ident("reader")],
        [grant("app", ["id:AttachPolicy", "store:Put", "store:Get", "compute:Describe"]),
         grant("reader", ["store:Get", "compute:Describe"])],
        usage=logs(used("app", "store:Put"), used("reader", "store:Get")),
    )
    found = by_rule(result, "unused-privileged-access")
    assert [f.subject for f in found] == ["tc:app"]  # reader holds nothing privileged: near miss
    # store:Put is write on a data-exfiltration service (sensitive) but used; Get is read.
    assert found[0].details["unused_actions"] == ["id:AttachPolicy"]
    assert found[0].score.factors.impact == 0.8


def test_unused_privileged_access_is_silent_when_usage_unknown():
    # The logs record activity only in acct-1: acct-9 is not known to be logged.
    result = scan([ident("app", account="acct-9"), ident("busy")], [grant("app", ["id:AttachPolicy"])],
                  usage=logs(used("busy", "store:Get")))
    assert not by_rule(result, "unused-privileged-access")
    # Logs that start inside the window do not prove non-use either.
    late = scan([ident("app"), ident("busy")], [grant("app", ["id:AttachPolicy"])],
                usage=logs(used("busy", "store:Get"), since_days=30))
    assert not by_rule(late, "unused-privileged-access")


def test_unused_identity_from_logs_and_from_provider_record():
    result = scan(
        [ident("idle"), ident("busy"), ident("stale", last_used=LONG_AGO), ident("fresh", account="acct-2", last_used=RECENTLY),
         ident("never", account="acct-2", created=LONG_AGO, last_used=None), ident("mystery", account="acct-2"),
         ident("team", IdentityKind.GROUP)],
        usage=logs(used("busy", "store:Get")),
    )
    assert {f.subject for f in by_rule(result, "unused-identity")} == {"tc:idle", "tc:stale", "tc:never"}


def test_unused_and_old_access_keys():
    keys = [
        {"id": "K-OLD-UNUSED", "active": True, "created": LONG_AGO, "last_used": None},
        {"id": "K-OLD-USED", "active": True, "created": LONG_AGO, "last_used": RECENTLY},
        {"id": "K-NEW", "active": True, "created": RECENTLY, "last_used": None},
        {"id": "K-INACTIVE", "active": False, "created": LONG_AGO, "last_used": None},
        {"id": "K-UNSAID", "active": True, "created": LONG_AGO},
    ]
    result = scan([ident("deploy-user", IdentityKind.USER, access_keys=keys)])
    assert [f.key["access_key"] for f in by_rule(result, "unused-access-key")] == ["K-OLD-UNUSED"]
    old = {f.key["access_key"]: f for f in by_rule(result, "old-access-key")}
    assert set(old) == {"K-OLD-UNUSED", "K-OLD-USED", "K-UNSAID"}
    assert old["K-OLD-USED"].usage is Usage.USED and old["K-UNSAID"].usage is Usage.UNKNOWN
    assert old["K-OLD-UNUSED"].details["age_days"] == 400


def test_console_without_mfa_only_where_the_export_says_so():
    result = scan([
        ident("nomfa", IdentityKind.USER, True, password_enabled=True, mfa=False),
        ident("mfa", IdentityKind.USER, True, password_enabled=True, mfa=True),
        ident("unsaid", IdentityKind.USER, True, password_enabled=True),
        ident("keyonly", IdentityKind.USER, False, password_enabled=False, mfa=False),
    ])
    found = by_rule(result, "console-without-mfa")
    assert [f.subject for f in found] == ["tc:nomfa"]
    assert found[0].score.factors.exposure == 0.9


# -- trust and public access ------------------------------------------------------------------------


def test_broad_external_trust_needs_a_whole_account_or_anyone_and_no_condition():
    result = scan(
        [ident("vendor-role"), ident("narrow-role"), ident("named-role"),
         external("999", "account", in_organization=False), external("anyone", "public"),
         external("999-user", "principal", in_organization=False)],
        edges=[edge("ext:999", "vendor-role"), edge("ext:anyone", "vendor-role"),
               edge("ext:999", "narrow-role", conditions=("id:ExternalId",)),
               edge("ext:999-user", "named-role")],
    )
    found = by_rule(result, "broad-external-trust")
    assert {(f.subject, f.key["trusted"]) for f in found} == {("tc:vendor-role", "ext:999"), ("tc:vendor-role", "ext:anyone")}
    public = next(f for f in found if f.key["trusted"] == "ext:anyone")
    assert public.score.factors.exposure == 1.0


def test_trust_outside_organization_skips_inside_and_unknown():
    result = scan(
        [ident("r1"), ident("r2"), ident("r3"), external("111", "account", in_organization=True),
         external("222", "account", in_organization=False), external("333", "account")],
        edges=[edge("ext:111", "r1"), edge("ext:222", "r2", conditions=("id:ExternalId",)), edge("ext:333", "r3")],
    )
    assert [(f.subject, f.key["trusted"]) for f in by_rule(result, "trust-outside-organization")] == [("tc:r2", "ext:222")]


def test_unused_trust_uses_the_target_usage():
    result = scan(
        [ident("used-role"), ident("idle-role"), ident("unknown-role", account="acct-9"),
         external("222", "account", in_organization=False)],
        edges=[edge("ext:222", "used-role"), edge("ext:222", "idle-role"), edge("ext:222", "unknown-role")],
        usage=logs(used("used-role", "store:Get")),
    )
    assert [f.subject for f in by_rule(result, "unused-trust")] == ["tc:idle-role"]


def test_public_access_through_resource_policy():
    bucket = Resource("store:acct-1/site", P, "bucket", "acct-1", "site")
    secret = Resource("store:acct-1/keys", P, "bucket", "acct-1", "keys", sensitivity=Sensitivity.CRITICAL)
    result = scan(
        [external("anyone", "public"), external("222", "account")],
        [grant("anyone", ["store:Get"], [bucket.id], holder_prefix="ext:"),
         grant("anyone", ["store:Get"], [secret.id], holder_prefix="ext:"),
         grant("222", ["store:Get"], [secret.id], holder_prefix="ext:")],  # near miss: not public
        resources=[bucket, secret],
    )
    found = {f.subject: f for f in by_rule(result, "public-access")}
    assert set(found) == {bucket.id, secret.id}
    assert found[secret.id].score.factors.impact == 0.9 and found[bucket.id].score.factors.impact == 0.6
    assert found[secret.id].account == "acct-1" and found[secret.id].subject_type == "resource"


# -- sensitive resources and toxic combinations -----------------------------------------------------


def test_unused_sensitive_access_by_sensitivity_type_and_tag():
    payroll = Resource("store:acct-1/payroll", P, "bucket", "acct-1", "payroll", sensitivity=Sensitivity.CRITICAL)
    vault = Resource("vault:acct-1/main", P, "vault", "acct-1", "main")
    tagged = Resource("store:acct-1/pii", P, "bucket", "acct-1", "pii", tags={"data": "pii"})
    plain = Resource("store:acct-1/logs", P, "bucket", "acct-1", "logs")
    config = parse_findings_config({"sensitive": {"types": ["vault"], "tags": {"data": ["pii", "phi"]}}})
    result = scan(
        [ident("analyst"), ident("payroll-app")],
        [grant("analyst", ["store:Get"], ["store:acct-1/*", "vault:acct-1/*"]),
         grant("payroll-app", ["store:Get"], [payroll.id])],
        resources=[payroll, vault, tagged, plain], config=config,
        usage=logs(used("payroll-app", "store:Get", payroll.id), used("analyst", "store:Get", plain.id)),
    )
    found = by_rule(result, "unused-sensitive-access")
    assert {(f.subject, f.key["resource"]) for f in found} == {
        ("tc:analyst", payroll.id), ("tc:analyst", vault.id), ("tc:analyst", tagged.id)
    }
    impacts = {f.key["resource"]: f.score.factors.impact for f in found}
    assert impacts[payroll.id] == 0.8 and impacts[vault.id] == 0.5


COMBINATIONS = {"toxic_combinations": [
    {"id": "pipeline-change-and-approve", "title": "can change and approve the same pipeline",
     "all_of": [["pipe:Update"], ["pipe:Approve"]], "same_resource": True},
    {"id": "pass-role-to-new-compute", "title": "can pass a role to compute it creates",
     "all_of": [["id:PassRole"], ["compute:Create"]]},
]}


def test_toxic_combinations_from_configuration():
    result = scan(
        [ident("release"), ident("split"), ident("half"), ident("launcher")],
        [grant("release", ["pipe:Update"], ["pipe:acct-1/app-*"]), grant("release", ["pipe:Approve"], ["pipe:acct-1/*"]),
         grant("split", ["pipe:Update"], ["pipe:acct-1/app"]), grant("split", ["pipe:Approve"], ["pipe:acct-1/infra"]),
         grant("half", ["pipe:Update"]),
         grant("launcher", ["id:PassRole"], ["role:x"]), grant("launcher", ["compute:Create"], ["fn:*"])],
        config=parse_findings_config(COMBINATIONS),
    )
    hits = {(f.rule, f.subject) for f in result.findings if f.rule.startswith("toxic-combination:")}
    assert hits == {("toxic-combination:pipeline-change-and-approve", "tc:release"),
                    ("toxic-combination:pass-role-to-new-compute", "tc:launcher")}


class ProviderRules:
    """A provider contributing a rule through the hook, as plugins/ciem_aws/findings.py does."""

    @hookimpl
    def ciem_finding_rules(self):
        from ciem.findings.config import ToxicCombination
        from ciem.findings.rules import ToxicCombinationRule

        return [ToxicCombinationRule(ToxicCombination("store-write-and-policy", "writes and re-permissions stores",
                                                      "", (("store:Put",), ("store:SetPolicy",))))]


def test_provider_rules_come_through_the_hook_and_duplicates_are_refused():
    manager = new_manager(load_entry_points=False, plugins=(ProviderRules(),))
    result = scan([ident("x")], [grant("x", ["store:Put", "store:SetPolicy"])], manager=manager)
    assert by_rule(result, "toxic-combination:store-write-and-policy")
    assert any(rule.id == "toxic-combination:store-write-and-policy" and rule.source != "core" for rule in result.rules)
    manager.register(ProviderRules(), name="again")
    with pytest.raises(ConfigError, match="defined by both"):
        scan([ident("x")], manager=manager)


# -- configuration ----------------------------------------------------------------------------------


def test_config_errors_name_the_key():
    with pytest.raises(ConfigError, match=r"findings.toxic_combinations\[0\].all_of"):
        parse_findings_config({"toxic_combinations": [{"id": "a", "title": "t", "all_of": [["x"]]}]})
    with pytest.raises(ConfigError, match="findings.sensitive.min_sensitivity"):
        parse_findings_config({"sensitive": {"min_sensitivity": "extreme"}})
    with pytest.raises(ConfigError, match="findings.usage_windw"):
        parse_findings_config({"usage_windw": 3})
    with pytest.raises(ConfigError, match="no rule 'nope'"):
        scan([ident("x")], config=parse_findings_config({"disabled_rules": ["nope"]}))


def test_disabled_rules_do_not_run():
    config = parse_findings_config({"disabled_rules": ["admin-equivalent"]})
    result = scan([ident("boss")], [grant("boss", ["*"])], admin=ADMIN, config=config)
    assert not by_rule(result, "admin-equivalent") and "admin-equivalent" not in {r.id for r in result.rules}


# -- scoring, ranking, ids, history -----------------------------------------------------------------


def test_score_formula_and_explanation():
    result = score(Factors(1.0, 1.0, 1.0, 1.0, {"impact": "i"}))
    assert result.value == 100 and result.severity == "critical"
    mid = score(Factors(0.5, 0.85, 0.4, 0.6))
    assert mid.value == round(100 * 0.5 * (0.4 * 0.85 + 0.3 * 0.4 + 0.3 * 0.6)) == 32
    assert mid.severity == "low" and mid.explanation.startswith("32 = 100 x impact 0.50")


def test_unused_access_scores_higher_than_used_and_identities_are_ranked():
    ids = [ident("boss"), ident("boss2")]
    grants = [grant("boss", ["*"]), grant("boss2", ["*"])]
    result = scan(ids, grants, admin={"tc:boss": "all", "tc:boss2": "all"}, usage=logs(used("boss", "store:Put")))
    scores = {f.subject: f.score.value for f in by_rule(result, "admin-equivalent")}
    assert scores["tc:boss2"] > scores["tc:boss"]
    assert [r.identity for r in result.identities][0] == "tc:boss2"
    top = result.identities[0]
    assert top.score >= max(scores.values()) and "worst finding" in top.explanation
    assert [f.score.value for f in result.findings] == sorted((f.score.value for f in result.findings), reverse=True)


def test_finding_ids_are_stable_and_depend_on_key_facts():
    first = scan([ident("boss")], [grant("boss", ["*"])], admin=ADMIN)
    again = scan([ident("boss")], [grant("boss", ["*"]), grant("boss", ["store:Get"])], admin=ADMIN)
    assert [f.id for f in first.findings] == [f.id for f in again.findings]
    assert finding_id("r", "s", {"a": 1}) != finding_id("r", "s", {"a": 2})
    assert finding_id("r", "s", {"a": 1, "b": 2}) == finding_id("r", "s", {"b": 2, "a": 1})


def test_history_marks_new_open_and_resolved():
    before = scan([ident("boss"), ident("dev")], [grant("boss", ["*"])], [edge("dev", "boss")], admin=ADMIN)
    first = apply_history(before, {})
    assert {f.status for f in first.findings} == {Status.NEW}
    later = replace(scan([ident("boss"), ident("dev")], [grant("boss", ["*"])], admin=ADMIN),
                    at=NOW + timedelta(days=1))
    second = apply_history(later, {f.id: f for f in first.findings})
    assert [f.status for f in second.findings] == [Status.OPEN]
    assert second.findings[0].first_seen == NOW
    assert [(f.subject, f.status, f.resolved_at) for f in second.resolved] == [("tc:dev", Status.RESOLVED, NOW + timedelta(days=1))]


def test_service_level_usage_leaves_that_service_not_judged():
    # The logs say only that the "id" service was used (a last-accessed report), not which action.
    result = scan([ident("app")], [grant("app", ["id:AttachPolicy", "compute:Create"])],
                  usage=logs(used("app", "id:*")))
    (found,) = by_rule(result, "unused-privileged-access")
    assert found.details["unused_actions"] == ["compute:Create"]


def test_access_key_use_seen_in_the_logs_counts_as_use():
    key = {"id": "K-1", "active": True, "created": LONG_AGO, "last_used": None}
    seen = UsageRecord("tc:ci-user", "store:Get", NOW - timedelta(days=2), NOW - timedelta(days=1), credential="K-1")
    result = scan([ident("ci-user", IdentityKind.USER, access_keys=[key])], usage=logs(seen))
    assert not by_rule(result, "unused-access-key")
    assert not by_rule(result, "unused-identity")
    assert by_rule(scan([ident("ci-user", IdentityKind.USER, access_keys=[key])]), "unused-access-key")


# -- AWS rules (plugins/ciem_aws/findings.py, through the hook) -------------------------------------


def _aws_scan(identities, grants=(), edges=()):
    from ciem.index import EffectiveAccessIndex
    from ciem.findings.engine import run_scan
    from ciem.model import Resolution

    import ciem_aws.plugin
    from ciem_aws.catalog import aws_catalog

    index = EffectiveAccessIndex([Resolution("aws", aws_catalog(), list(identities), [], list(grants), list(edges))],
                                 built_at=NOW)
    return run_scan(index, new_manager(load_entry_points=False, plugins=(ciem_aws.plugin.plugin,)), NOW)


def _aws(arn, kind=IdentityKind.ROLE, **attributes):
    from ciem.model import Identity

    return Identity(arn, "aws", kind, arn.rsplit("/", 1)[-1].rsplit(":", 1)[-1], arn.split(":")[4], False,
                    attributes=attributes)


def _aws_grant(arn, actions, resources=("*",)):
    from ciem.model import Grant, ResourceSelector

    return Grant(arn, frozenset(actions), ResourceSelector(tuple(resources)), ("inline",))


def _trust(source, target, conditions=()):
    from ciem.model import Edge

    return Edge(source, target, EdgeKind.ASSUME, "sts:AssumeRole", ("sts:AssumeRole",), (target,), tuple(conditions))


VENDOR = "arn:aws:iam::999999999999:root"
ROLE = "arn:aws:iam::111111111111:role/vendor-audit"


def test_aws_third_party_trust_needs_an_external_id():
    vendor = external("vendor", "account", in_organization=False)
    vendor = replace(vendor, id=VENDOR, provider="aws")
    hit = _aws_scan([vendor, _aws(ROLE)], edges=[_trust(VENDOR, ROLE, ("aws:MultiFactorAuthPresent",))])
    found = by_rule(hit, "aws-third-party-trust-without-external-id")
    assert [f.subject for f in found] == [ROLE]
    near = _aws_scan([vendor, _aws(ROLE)], edges=[_trust(VENDOR, ROLE, ("sts:ExternalId",))])
    assert not by_rule(near, "aws-third-party-trust-without-external-id")
    inside = replace(vendor, attributes={"external": "account", "in_organization": True})
    assert not by_rule(_aws_scan([inside, _aws(ROLE)], edges=[_trust(VENDOR, ROLE)]),
                       "aws-third-party-trust-without-external-id")


def test_aws_root_credentials():
    root = "arn:aws:iam::111111111111:root"
    found = by_rule(_aws_scan([_aws(root, IdentityKind.USER, mfa=False,
                                    access_keys=[{"active": True, "last_rotated": LONG_AGO, "last_used": "N/A"}])]),
                    "aws-root-credentials")
    assert [f.details["problems"] for f in found] == [["no MFA", "1 active access key"]]
    assert not by_rule(_aws_scan([_aws(root, IdentityKind.USER, mfa=True, access_keys=[])]), "aws-root-credentials")


def test_aws_default_toxic_combinations():
    builder = "arn:aws:iam::111111111111:role/builder"
    releaser = "arn:aws:iam::111111111111:role/releaser"
    result = _aws_scan(
        [_aws(builder), _aws(releaser)],
        [_aws_grant(builder, ["iam:PassRole"], ["arn:aws:iam::111111111111:role/app-*"]),
         _aws_grant(builder, ["lambda:CreateFunction"]),
         _aws_grant(releaser, ["codepipeline:UpdatePipeline"], ["arn:aws:codepipeline:us-east-1:111111111111:web"]),
         _aws_grant(releaser, ["codepipeline:PutApprovalResult"], ["arn:aws:codepipeline:us-east-1:111111111111:db/*"])],
    )
    hits = {(f.rule, f.subject) for f in result.findings if f.rule.startswith("toxic-combination:aws-")}
    # The releaser changes one pipeline and approves another: not the same pipeline, no break.
    assert hits == {("toxic-combination:aws-pass-role-to-new-compute", builder)}
    # An old key found through last_rotated, with no key id in the export.
    keys = [{"active": True, "last_rotated": LONG_AGO, "last_used": RECENTLY}]
    old = by_rule(_aws_scan([_aws("arn:aws:iam::111111111111:user/ci", IdentityKind.USER, access_keys=keys)]), "old-access-key")
    assert [f.key["access_key"] for f in old] == ["access key 1"]


def test_groups_roles_and_provider_managed_identities_are_not_flagged_as_people_or_unused():
    result = scan(
        [ident("admins", IdentityKind.GROUP, human=True), ident("sso-admin", human=True),
         ident("root", IdentityKind.USER, human=True, root=True, last_used=LONG_AGO),
         ident("support", service_linked=True, last_used=LONG_AGO)],
        [grant("admins", ["*"]), grant("sso-admin", ["*"]), grant("root", ["*"]), grant("support", ["id:AttachPolicy"])],
        admin={"tc:admins": "all", "tc:sso-admin": "all", "tc:root": "all"},
    )
    assert by_rule(result, "human-standing-admin") == []  # a group, an assumed role, a root user
    assert {f.subject for f in by_rule(result, "admin-equivalent")} == {"tc:sso-admin", "tc:root"}
    assert by_rule(result, "unused-identity") == [] and by_rule(result, "unused-privileged-access") == []


def test_aws_third_party_trust_reads_the_organization_from_the_snapshots():
    from ciem.findings.engine import run_scan
    from ciem.index import EffectiveAccessIndex
    from ciem.model import Identity, Resolution, Snapshot

    import ciem_aws.plugin
    from ciem_aws.catalog import aws_catalog

    member = "arn:aws:iam::222222222222:root"
    identities = [_aws(ROLE), Identity(VENDOR, "aws", IdentityKind.EXTERNAL, VENDOR, "999999999999", False),
                  Identity(member, "aws", IdentityKind.EXTERNAL, member, "222222222222", False)]
    snapshot = Snapshot("aws", "export", NOW, {"organization": {"accounts": [{"Id": "111111111111"}, {"Id": "222222222222"}]},
                                                 "accounts": {"111111111111": {}}})
    resolution = Resolution("aws", aws_catalog(), identities, [], [], [_trust(VENDOR, ROLE), _trust(member, ROLE)])
    index = EffectiveAccessIndex([resolution], [snapshot], built_at=NOW)
    result = run_scan(index, new_manager(load_entry_points=False, plugins=(ciem_aws.plugin.plugin,)), NOW)
    assert [f.key["trusted"] for f in by_rule(result, "aws-third-party-trust-without-external-id")] == [VENDOR]


def test_unused_sensitive_access_ignores_identities_as_resources_and_listing_only():
    role_as_resource = Resource("tc:boss", P, "role", "acct-1", "boss", sensitivity=Sensitivity.CRITICAL)
    vault = Resource("vault:acct-1/main", P, "vault", "acct-1", "main", sensitivity=Sensitivity.CRITICAL)
    result = scan(
        [ident("boss"), ident("lister"), ident("busy")],
        [grant("lister", ["id:Assume"], ["tc:boss"]), grant("lister", ["store:List"], [vault.id])],
        resources=[role_as_resource, vault], usage=logs(used("busy", "store:Get")),
    )
    assert by_rule(result, "unused-sensitive-access") == []


def test_federated_identities_are_not_reported_unused():
    result = scan([ident("okta", IdentityKind.FEDERATED), ident("busy")], usage=logs(used("busy", "store:Get")))
    assert by_rule(result, "unused-identity") == []


def test_times_without_a_zone_read_as_utc_and_unreadable_ones_as_unknown():
    from ciem.findings.context import parse_time

    assert parse_time("2026-01-02T03:04:05") == parse_time("2026-01-02T03:04:05Z")
    assert parse_time("N/A") is None and parse_time("no_information") is None and parse_time(None) is None
    result = scan([ident("naive", created="2020-01-01T00:00:00", last_used="2020-02-01T00:00:00")])
    assert by_rule(result, "unused-identity")[0].details["usage_evidence"] == "last used 2020-02-01 (provider record)"


# -- the AWS resolver feeds the trust, public-access and root rules --------------------------------


def _resolved_aws_scan(accounts, organization):
    """Findings for a snapshot resolved by the AWS provider, not hand-built identities."""
    from datetime import datetime, timezone

    from ciem.findings.engine import run_scan
    from ciem.index import EffectiveAccessIndex
    from ciem.model import Snapshot

    import ciem_aws.plugin
    from ciem_aws.catalog import aws_catalog
    from ciem_aws.resolve import resolve

    snapshot = Snapshot("aws", "test", datetime(2026, 1, 1, tzinfo=timezone.utc),
                        {"organization": organization, "accounts": accounts})
    index = EffectiveAccessIndex([resolve([snapshot], catalog=aws_catalog())], built_at=NOW)
    return run_scan(index, new_manager(load_entry_points=False, plugins=(ciem_aws.plugin.plugin,)), NOW)


def test_aws_resolved_external_trust_public_access_and_root_credentials():
    home, sister, vendor = "111111111111", "222222222222", "999999999999"

    def role(name, principal, condition=None):
        statement = {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}
        if condition:
            statement["Condition"] = condition
        return {"RoleName": name, "Arn": f"arn:aws:iam::{home}:role/{name}", "Path": "/",
                "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [statement]}}

    def queue(name, condition=None):
        arn = f"arn:aws:sqs:eu-west-1:{home}:{name}"
        statement = {"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Resource": arn}
        if condition:
            statement["Condition"] = condition
        return {"QueueUrl": f"https://sqs/{name}", "Arn": arn, "Policy": {"Version": "2012-10-17", "Statement": [statement]}}

    bucket_policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::site/*"}]}
    root = f"arn:aws:iam::{home}:root"
    accounts = {home: {
        "authorization_details": {"RoleDetailList": [
            role("vendor-read", f"arn:aws:iam::{vendor}:root"),
            role("vendor-audit", f"arn:aws:iam::{vendor}:root", {"StringEquals": {"sts:ExternalId": "x-1"}}),
            role("sister-read", f"arn:aws:iam::{sister}:root"),
            role("sister-deploy", f"arn:aws:iam::{sister}:role/deployer"),
        ]},
        "credential_report": [{"user": "<root_account>", "arn": root, "mfa_active": "true",
                               "access_key_1_active": "true", "access_key_1_last_rotated": LONG_AGO}],
        "resources": {"sqs": {"Queues": [queue("open"), queue("vpce-only", {"StringEquals": {"aws:SourceVpce": "vpce-1"}})]},
                      "s3": {"Buckets": [{"Name": "site", "Policy": bucket_policy,
                                          "PublicAccessBlock": {"RestrictPublicBuckets": True}}]}},
    }}
    organization = {"organization": {"Organization": {"Id": "o-home", "MasterAccountId": home}},
                    "roots": [{"Id": "r-1", "Name": "Root"}], "accounts": [{"Id": home}, {"Id": sister}],
                    "account_parents": {home: "r-1", sister: "r-1"}}
    result = _resolved_aws_scan(accounts, organization)

    def subjects(rule):
        return {(f.subject.rsplit("/", 1)[-1], f.key.get("trusted", "")) for f in by_rule(result, rule)}

    vendor_root, sister_root = f"arn:aws:iam::{vendor}:root", f"arn:aws:iam::{sister}:root"
    # A whole account without a condition; near misses: an external id, one named principal.
    assert subjects("broad-external-trust") == {("vendor-read", vendor_root), ("sister-read", sister_root)}
    # Outside the organization, with or without a condition; near miss: the sister account is a member.
    assert subjects("trust-outside-organization") == {("vendor-read", vendor_root), ("vendor-audit", vendor_root)}
    # The open queue; near misses: the queue narrowed to a VPC endpoint, the bucket Block Public Access restricts.
    public = by_rule(result, "public-access")
    assert [(f.subject, f.key["principal"]) for f in public] == [(f"arn:aws:sqs:eu-west-1:{home}:open", "aws:public")]
    assert public[0].score.factors.exploitability == 1.0
    # The root user's key comes from the credential report.
    assert [f.details["problems"] for f in by_rule(result, "aws-root-credentials")] == [["1 active access key"]]
