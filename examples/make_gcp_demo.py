"""Generate Northwind Analytics' Google Cloud organization under examples/gcp-demo/.

The output follows docs/gcp-export-layout.md: Cloud Asset Inventory export lines (RESOURCE,
IAM_POLICY and ORG_POLICY content types, one line per asset and content type, as `gcloud asset
export` writes them), `gcloud iam roles describe` output for the roles in use and the deny policies
as the IAM v2 API returns them. Predefined roles are read from Google's published definitions in
../shared/data/gcp/roles (ROLES_DIR overrides); only the roles the demo binds are written. Running
the script again reproduces the committed files byte for byte (tests/test_gcp_demo.py checks it).

    python examples/make_gcp_demo.py [OUT_DIR]   # default: examples/gcp-demo (+ gcp-demo-audit-logs)
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROLES_DIR = Path(os.environ.get("ROLES_DIR", HERE.parent.parent / "shared" / "data" / "gcp" / "roles"))
ORG, DOMAIN = "organizations/100000000001", "northwind.example"
FOLDERS = {"folders/200000000001": "prod", "folders/200000000002": "dev"}
PROJECTS = {  # id: (number, parent)
    "nw-prod": ("300000000001", "folders/200000000001"),
    "nw-dev": ("300000000002", "folders/200000000002"),
    "nw-shared": ("300000000003", ORG),
}
AWS_PROD = "222222222222"  # the AWS demo's prod account (examples/aws-demo)
POOL = "projects/300000000003/locations/global/workloadIdentityPools/aws-northwind"
CUSTOM_ROLE = f"{ORG}/roles/bucketAuditor"
PREDEFINED = (
    "resourcemanager.organizationAdmin", "resourcemanager.projectIamAdmin", "iam.serviceAccountTokenCreator",
    "iam.serviceAccountUser", "iam.serviceAccountKeyAdmin", "iam.workloadIdentityUser", "iam.roleAdmin",
    "cloudfunctions.developer", "cloudbuild.builds.editor", "cloudbuild.builds.builder", "storage.objectViewer",
    "storage.admin", "secretmanager.secretAccessor", "compute.instanceAdmin.v1", "orgpolicy.policyAdmin",
)


def sa(name: str, project: str) -> str:
    return f"serviceAccount:{name}@{project}.iam.gserviceaccount.com"


def user(name: str) -> str:
    return f"user:{name}@{DOMAIN}"


def group(name: str) -> str:
    return f"group:{name}@{DOMAIN}"


DEPLOYER, APP, FED = sa("deployer", "nw-prod"), sa("app-runtime", "nw-prod"), sa("fed-reader", "nw-shared")
CI, FN = sa("ci", "nw-dev"), sa("fn-runtime", "nw-dev")
LEGACY_BUILD = f"serviceAccount:{PROJECTS['nw-dev'][0]}@cloudbuild.gserviceaccount.com"
AWS_ROLE_SET = f"principalSet://iam.googleapis.com/{POOL}/attribute.aws_role/arn:aws:sts::{AWS_PROD}:assumed-role/ProdDeployer"
OTHER_ACCOUNT_SET = f"principalSet://iam.googleapis.com/{POOL}/attribute.aws_role/arn:aws:sts::999999999999:assumed-role/Vendor"


def binding(role: str, *members: str, condition: dict[str, str] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"role": role, "members": sorted(members)}
    if condition:
        out["condition"] = condition
    return out


def ancestors(project: str) -> list[str]:
    number, parent = PROJECTS[project]
    chain = [f"projects/{number}"]
    if parent != ORG:
        chain.append(parent)
    return [*chain, ORG]


def sa_email(member: str) -> str:
    return member.split(":", 1)[1]


def sa_asset(member: str, project: str, unique: str) -> dict[str, Any]:
    email = sa_email(member)
    return {"name": f"//iam.googleapis.com/projects/{project}/serviceAccounts/{unique}",
            "asset_type": "iam.googleapis.com/ServiceAccount", "ancestors": ancestors(project),
            "resource": {"data": {"email": email, "uniqueId": unique, "projectId": project,
                                  "name": f"projects/{project}/serviceAccounts/{email}"}}}


def assets() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    def container(name: str, type_: str, chain: list[str], data: dict, policy: list[dict] | None = None,
                  org_policy: list[dict] | None = None) -> None:
        full = f"//cloudresourcemanager.googleapis.com/{name}"
        out.append({"name": full, "asset_type": f"cloudresourcemanager.googleapis.com/{type_}", "ancestors": chain,
                    "resource": {"data": data}})
        if policy:
            out.append({"name": full, "asset_type": f"cloudresourcemanager.googleapis.com/{type_}",
                        "ancestors": chain, "iam_policy": {"version": 3, "bindings": policy}})
        if org_policy:
            out.append({"name": full, "asset_type": f"cloudresourcemanager.googleapis.com/{type_}",
                        "ancestors": chain, "org_policy": org_policy})

    container(ORG, "Organization", [ORG], {"displayName": DOMAIN, "name": ORG}, [
        binding("roles/resourcemanager.organizationAdmin", user("alice")),
        binding(CUSTOM_ROLE, user("ivan")),
        binding("roles/iam.roleAdmin", user("ivan")),
    ], [{"constraint": "constraints/iam.disableServiceAccountKeyCreation", "booleanPolicy": {"enforced": True}}])
    for folder, name in FOLDERS.items():
        container(folder, "Folder", [folder, ORG], {"displayName": name, "parent": ORG})
    policies = {
        "nw-prod": [
            binding("roles/resourcemanager.projectIamAdmin", DEPLOYER),
            binding("roles/iam.serviceAccountKeyAdmin", user("dana")),
            binding("roles/compute.instanceAdmin.v1", user("hank")),
        ],
        "nw-dev": [
            binding("roles/cloudfunctions.developer", group("dev-team"), CI),
            binding("roles/cloudbuild.builds.editor", group("dev-team")),
            binding("roles/cloudbuild.builds.builder", LEGACY_BUILD),
            binding("roles/iam.serviceAccountKeyAdmin", user("judy")),
            binding("roles/storage.admin", FN),
        ],
        "nw-shared": [
            binding("roles/iam.serviceAccountKeyAdmin", user("lee"), user("kim")),
            binding("roles/orgpolicy.policyAdmin", user("kim")),
        ],
    }
    org_policies = {"nw-dev": [{"constraint": "constraints/iam.disableServiceAccountKeyCreation",
                                "restoreDefault": {}}]}
    for project, (number, parent) in PROJECTS.items():
        container(f"projects/{number}", "Project", ancestors(project),
                  {"projectId": project, "projectNumber": number, "parent": {"id": parent.split("/")[1],
                                                                             "type": parent.split("/")[0][:-1]}},
                  policies[project], org_policies.get(project))
    accounts = [(DEPLOYER, "nw-prod", "110000000000000000001", [binding("roles/iam.serviceAccountTokenCreator", FED, user("erin"), user("frank"))]),
                (APP, "nw-prod", "110000000000000000002", []),
                (FED, "nw-shared", "110000000000000000003", [binding("roles/iam.workloadIdentityUser", AWS_ROLE_SET, OTHER_ACCOUNT_SET)]),
                (CI, "nw-dev", "110000000000000000004", [binding(
                    "roles/iam.serviceAccountTokenCreator", user("gina"),
                    condition={"title": "until 2027", "expression": 'request.time < timestamp("2027-01-01T00:00:00Z")'})]),
                (FN, "nw-dev", "110000000000000000005", [binding("roles/iam.serviceAccountUser", group("dev-team"), CI)])]
    for member, project, unique, policy in accounts:
        asset = sa_asset(member, project, unique)
        out.append(asset)
        if policy:
            out.append({k: asset[k] for k in ("name", "asset_type", "ancestors")} | {"iam_policy": {"bindings": policy}})

    out.append({"name": "//iam.googleapis.com/projects/nw-dev/serviceAccounts/110000000000000000005/keys/"
                        "5e1b7c0d9a3f4e2b8c6d0a1f2e3d4c5b6a798877",
                "asset_type": "iam.googleapis.com/ServiceAccountKey", "ancestors": ancestors("nw-dev"),
                "resource": {"data": {"keyType": "USER_MANAGED", "validAfterTime": "2025-02-03T10:00:00Z",
                                      "keyAlgorithm": "KEY_ALG_RSA_2048"}}})

    def resource(name: str, type_: str, project: str, data: dict, policy: list[dict] | None = None) -> None:
        out.append({"name": name, "asset_type": type_, "ancestors": ancestors(project), "resource": {"data": data}})
        if policy:
            out.append({"name": name, "asset_type": type_, "ancestors": ancestors(project),
                        "iam_policy": {"bindings": policy}})

    resource("//storage.googleapis.com/nw-payroll", "storage.googleapis.com/Bucket", "nw-prod",
             {"name": "nw-payroll", "labels": {"data": "payroll"}}, [binding("roles/storage.objectViewer", APP)])
    resource("//storage.googleapis.com/nw-public-assets", "storage.googleapis.com/Bucket", "nw-prod",
             {"name": "nw-public-assets"}, [binding("roles/storage.objectViewer", "allUsers")])
    resource("//secretmanager.googleapis.com/projects/300000000001/secrets/db-password",
             "secretmanager.googleapis.com/Secret", "nw-prod", {"name": "projects/300000000001/secrets/db-password"},
             [binding("roles/secretmanager.secretAccessor", APP)])
    resource("//compute.googleapis.com/projects/nw-prod/zones/europe-west1-b/instances/batch-1",
             "compute.googleapis.com/Instance", "nw-prod",
             {"name": "batch-1", "serviceAccounts": [{"email": sa_email(APP), "scopes": [
                 "https://www.googleapis.com/auth/cloud-platform"]}]})
    resource("//cloudfunctions.googleapis.com/projects/nw-dev/locations/europe-west1/functions/ingest",
             "cloudfunctions.googleapis.com/CloudFunction", "nw-dev",
             {"name": "projects/nw-dev/locations/europe-west1/functions/ingest", "serviceAccountEmail": sa_email(FN)})
    resource(f"//iam.googleapis.com/{POOL.rsplit('/', 2)[0]}/workloadIdentityPools/aws-northwind",
             "iam.googleapis.com/WorkloadIdentityPool", "nw-shared", {"name": POOL, "state": "ACTIVE"})
    resource(f"//iam.googleapis.com/{POOL}/providers/northwind-prod",
             "iam.googleapis.com/WorkloadIdentityPoolProvider", "nw-shared",
             {"name": f"{POOL}/providers/northwind-prod", "state": "ACTIVE", "aws": {"accountId": AWS_PROD},
              "attributeMapping": {"google.subject": "assertion.arn",
                                   "attribute.aws_role": "assertion.arn.contains('assumed-role') ? "
                                   "assertion.arn.extract('{account_arn}assumed-role/') + 'assumed-role/' + "
                                   "assertion.arn.extract('assumed-role/{role_name}/') : assertion.arn"},
              "attributeCondition": f"assertion.account == '{AWS_PROD}'"})
    return out


def deny_policies() -> dict[str, Any]:
    return {"policies": [{
        "name": "policies/cloudresourcemanager.googleapis.com%2Ffolders%2F200000000001/denypolicies/protect-prod-accounts",
        "uid": "7c1f0a52-0000-4000-8000-000000000001", "kind": "DenyPolicy", "displayName": "protect-prod-accounts",
        "rules": [{"description": "only SRE may mint prod service-account credentials",
                   "denyRule": {"deniedPrincipals": ["principalSet://goog/public:all"],
                                "exceptionPrincipals": [f"principalSet://goog/group/sre@{DOMAIN}",
                                                        "principal://iam.googleapis.com/projects/-/serviceAccounts/"
                                                        "fed-reader@nw-shared.iam.gserviceaccount.com"],
                                "deniedPermissions": [
                                    "iam.googleapis.com/serviceAccounts.getAccessToken",
                                    "iam.googleapis.com/serviceAccounts.getOpenIdToken",
                                    "iam.googleapis.com/serviceAccounts.implicitDelegation",
                                    "iam.googleapis.com/serviceAccounts.signBlob",
                                    "iam.googleapis.com/serviceAccounts.signJwt",
                                    "iam.googleapis.com/serviceAccountKeys.create"]}}]}]}


def groups() -> dict[str, Any]:
    return {"groups": [
        {"email": f"dev-team@{DOMAIN}", "members": [user("bob"), group("contractors")]},
        {"email": f"contractors@{DOMAIN}", "members": ["user:carl@partner.example"]},
        {"email": f"sre@{DOMAIN}", "members": [user("frank")]},
    ]}


def roles() -> dict[str, dict[str, Any]]:
    out = {}
    for name in PREDEFINED:
        out[f"roles.{name}.json"] = json.loads((ROLES_DIR / f"{name}.json").read_text())
    out["organizations.100000000001.roles.bucketAuditor.json"] = {
        "name": CUSTOM_ROLE, "title": "Bucket auditor", "stage": "GA", "etag": "BwYAAAAAAAA=",
        "includedPermissions": ["storage.buckets.get", "storage.buckets.getIamPolicy", "storage.buckets.list"]}
    return out


def audit_entry(principal: str, when: str, method: str, service: str, checks: list[tuple[str, str]],
                delegated_by: str = "") -> dict[str, Any]:
    """One Cloud Audit Logs entry, as a log sink to Cloud Storage writes it."""
    auth: dict[str, Any] = {"principalEmail": principal.split(":", 1)[1], "principalSubject": principal}
    if delegated_by:
        auth["serviceAccountDelegationInfo"] = [{"principalSubject": delegated_by}]
    return {"logName": "projects/nw-prod/logs/cloudaudit.googleapis.com%2Fdata_access", "timestamp": when,
            "protoPayload": {"@type": "type.googleapis.com/google.cloud.audit.AuditLog", "serviceName": service,
                             "methodName": method, "authenticationInfo": auth,
                             "authorizationInfo": [{"resource": r, "permission": p, "granted": True}
                                                   for p, r in checks]}}


def audit_logs() -> list[dict[str, Any]]:
    """What the demo identities did in November 2026: app-runtime reads payroll and the database
    password, ci redeploys the ingest function, frank reads deployer's token once."""
    payroll = "projects/_/buckets/nw-payroll/objects/2026-11.csv"
    secret = "projects/300000000001/secrets/db-password/versions/latest"
    function = "projects/nw-dev/locations/europe-west1/functions/ingest"
    out = []
    for day in range(1, 28, 3):
        when = f"2026-11-{day:02d}T06:00:00Z"
        out.append(audit_entry(APP, when, "storage.objects.get", "storage.googleapis.com",
                               [("storage.objects.get", payroll)]))
        out.append(audit_entry(APP, when, "google.cloud.secretmanager.v1.SecretManagerService.AccessSecretVersion",
                               "secretmanager.googleapis.com", [("secretmanager.versions.access", secret)]))
    out.append(audit_entry(CI, "2026-11-18T10:00:00Z", "google.cloud.functions.v1.CloudFunctionsService.UpdateFunction",
                           "cloudfunctions.googleapis.com",
                           [("cloudfunctions.functions.update", function),
                            ("cloudfunctions.functions.sourceCodeSet", function),
                            ("iam.serviceAccounts.actAs", f"projects/-/serviceAccounts/{sa_email(FN)}")]))
    out.append(audit_entry(user("frank"), "2026-11-12T22:00:00Z", "GenerateAccessToken", "iamcredentials.googleapis.com",
                           [("iam.serviceAccounts.getAccessToken", f"projects/-/serviceAccounts/{sa_email(DEPLOYER)}")]))
    return out


def write_audit_logs(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "cloudaudit.jsonl").write_text("".join(json.dumps(e, sort_keys=True) + "\n" for e in audit_logs()))


def write(out: Path) -> None:
    if out.exists():
        shutil.rmtree(out)
    (out / "assets").mkdir(parents=True)
    (out / "roles").mkdir()
    (out / "deny-policies").mkdir()
    (out / "gcp.json").write_text(json.dumps({"provider": "gcp", "organization": ORG,
                                               "collected_at": "2026-11-20T09:00:00+00:00"}, indent=2) + "\n")
    lines = assets()
    (out / "assets" / "resources.jsonl").write_text(
        "".join(json.dumps(a, sort_keys=True) + "\n" for a in lines if "iam_policy" not in a))
    (out / "assets" / "iam-policies.jsonl").write_text(
        "".join(json.dumps(a, sort_keys=True) + "\n" for a in lines if "iam_policy" in a))
    for file, role in roles().items():
        (out / "roles" / file).write_text(json.dumps(role, indent=2, sort_keys=True) + "\n")
    (out / "deny-policies" / "folders.200000000001.json").write_text(json.dumps(deny_policies(), indent=2) + "\n")
    (out / "groups.json").write_text(json.dumps(groups(), indent=2) + "\n")


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "gcp-demo"
    write(target)
    write_audit_logs(target.parent / f"{target.name}-audit-logs")
