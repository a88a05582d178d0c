"""Generate the Northwind Analytics demo estate under examples/aws-demo/.

The output follows docs/aws-export-layout.md: every file holds what the named AWS CLI command prints
(``--output json``). Identifiers are derived from names with a hash, so running this script again
reproduces the committed files byte for byte; tests/test_demo_estate.py checks that it does.
AWS-managed policy documents come from the copy moto ships, as AWS publishes them.

    python examples/make_demo.py [OUT_DIR]   # default: examples/aws-demo
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import sys
import urllib.parse
from pathlib import Path
from typing import Any

ORG_ID = "o-n0rthw1nd7"
ROOT_ID = "r-n0rt"
MANAGEMENT, PROD, DEV = "111111111111", "222222222222", "333333333333"
VENDOR, PARTNER = "999999999999", "888888888888"
REGION = "eu-west-1"
ALLOWED_REGIONS = ["eu-west-1", "eu-central-1"]
OUS = {  # id: (name, parent)
    "ou-n0rt-w0rk10ad": ("Workloads", ROOT_ID),
    "ou-n0rt-pr0d0001": ("Prod", "ou-n0rt-w0rk10ad"),
    "ou-n0rt-dev00001": ("Dev", "ou-n0rt-w0rk10ad"),
    "ou-n0rt-secur1ty": ("Security", ROOT_ID),
}
ACCOUNT_PARENTS = {MANAGEMENT: ROOT_ID, PROD: "ou-n0rt-pr0d0001", DEV: "ou-n0rt-dev00001"}
ACCOUNT_NAMES = {MANAGEMENT: "northwind-management", PROD: "northwind-prod", DEV: "northwind-dev"}
SAML_PROVIDER = f"arn:aws:iam::{MANAGEMENT}:saml-provider/NorthwindOkta"
AUDIT_EXTERNAL_ID = "nw-audit-7f3a91"


def fake_id(prefix: str, *parts: str, length: int = 17) -> str:
    """A stable AWS-style unique id (AIDA..., AROA..., AKIA...) derived from ``parts``."""
    digest = hashlib.sha256("/".join(parts).encode()).digest()
    return prefix + base64.b32encode(digest).decode()[:length]


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def trust(principal: dict[str, Any], action: str = "sts:AssumeRole", condition: dict | None = None) -> dict[str, Any]:
    statement = {"Effect": "Allow", "Principal": principal, "Action": action}
    if condition:
        statement["Condition"] = condition
    return doc(statement)


def service_trust(service: str) -> dict[str, Any]:
    return trust({"Service": service})


def aws_managed(name: str) -> dict[str, Any]:
    """An AWS-managed policy as moto ships it (the document AWS publishes for the default version)."""
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    data = json.loads(aws_managed_policies_data)[name]
    return {
        "name": name,
        "path": data["Path"],
        "arn": f"arn:aws:iam::aws:policy{data['Path']}{name}",
        "created": data["CreateDate"].replace("+00:00", "Z"),
        "updated": data["UpdateDate"].replace("+00:00", "Z"),
        "versions": [(data["DefaultVersionId"], data["Document"], data["UpdateDate"].replace("+00:00", "Z"))],
        "default": data["DefaultVersionId"],
        "aws": True,
    }


FORCE_MFA = {
    "Sid": "DenyAllExceptMfaSetupWithoutMfa",
    "Effect": "Deny",
    "NotAction": [
        "iam:CreateVirtualMFADevice", "iam:EnableMFADevice", "iam:GetUser", "iam:ListMFADevices",
        "iam:ListVirtualMFADevices", "iam:ResyncMFADevice", "sts:GetSessionToken", "iam:ChangePassword",
    ],
    "Resource": "*",
    "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
}


class AccountBuilder:
    """Collects one account's IAM entities and prints them as get-account-authorization-details does."""

    def __init__(self, account: str):
        self.account = account
        self.users: list[dict] = []
        self.groups: list[dict] = []
        self.roles: list[dict] = []
        self.policies: dict[str, dict] = {}  # arn -> policy spec
        self.instance_profiles: dict[str, dict] = {}  # role name -> profile
        self.credentials: list[dict] = []  # credential-report rows

    def arn(self, kind: str, name: str, path: str = "/") -> str:
        return f"arn:aws:iam::{self.account}:{kind}{path}{name}"

    def managed(self, name: str, versions: list[tuple[str, dict, str]], default: str, path: str = "/",
                created: str = "2024-03-04T09:12:00Z") -> str:
        """A customer-managed policy; ``versions`` is [(version id, document, created)], oldest first."""
        arn = self.arn("policy", name, path)
        self.policies[arn] = {
            "name": name, "path": path, "arn": arn, "created": created, "updated": versions[-1][2],
            "versions": versions, "default": default, "aws": False,
        }
        return arn

    def use_aws(self, name: str) -> str:
        spec = aws_managed(name)
        self.policies.setdefault(spec["arn"], spec)
        return spec["arn"]

    def _attached(self, arns: list[str]) -> list[dict]:
        return [{"PolicyName": self.policies[arn]["name"], "PolicyArn": arn} for arn in arns]

    def group(self, name: str, inline: dict[str, Any] | None = None, managed: list[str] = (),
              created: str = "2023-05-02T10:00:00Z") -> None:
        self.groups.append({
            "Path": "/",
            "GroupName": name,
            "GroupId": fake_id("AGPA", self.account, "group", name),
            "Arn": self.arn("group", name),
            "CreateDate": created,
            "GroupPolicyList": [{"PolicyName": k, "PolicyDocument": v} for k, v in (inline or {}).items()],
            "AttachedManagedPolicies": self._attached(list(managed)),
        })

    def user(self, name: str, *, created: str, groups: list[str] = (), inline: dict[str, Any] | None = None,
             managed: list[str] = (), boundary: str | None = None, tags: dict[str, str] | None = None,
             password_last_used: str | None = None, mfa: bool = False, keys: list[dict] = ()) -> None:
        """``keys``: [{"active", "rotated", "last_used", "service"}] for the credential report."""
        entry = {
            "Path": "/",
            "UserName": name,
            "UserId": fake_id("AIDA", self.account, "user", name),
            "Arn": self.arn("user", name),
            "CreateDate": created,
            "UserPolicyList": [{"PolicyName": k, "PolicyDocument": v} for k, v in (inline or {}).items()],
            "GroupList": list(groups),
            "AttachedManagedPolicies": self._attached(list(managed)),
            "Tags": [{"Key": k, "Value": v} for k, v in (tags or {}).items()],
        }
        if boundary:
            entry["PermissionsBoundary"] = {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": boundary}
        self.users.append(entry)
        self.credentials.append({"name": name, "arn": entry["Arn"], "created": created,
                                 "password_last_used": password_last_used, "mfa": mfa, "keys": list(keys)})

    def role(self, name: str, trust_policy: dict, *, created: str, path: str = "/", inline: dict[str, Any] | None = None,
             managed: list[str] = (), boundary: str | None = None, tags: dict[str, str] | None = None,
             last_used: str | None = None, instance_profile: str | None = None, description: str = "",
             max_session: int = 3600) -> str:
        arn = self.arn("role", name, path)
        entry = {
            "Path": path,
            "RoleName": name,
            "RoleId": fake_id("AROA", self.account, "role", name),
            "Arn": arn,
            "CreateDate": created,
            "AssumeRolePolicyDocument": trust_policy,
            "Description": description,
            "MaxSessionDuration": max_session,
            "InstanceProfileList": [],
            "RolePolicyList": [{"PolicyName": k, "PolicyDocument": v} for k, v in (inline or {}).items()],
            "AttachedManagedPolicies": self._attached(list(managed)),
            "Tags": [{"Key": k, "Value": v} for k, v in (tags or {}).items()],
            "RoleLastUsed": {"LastUsedDate": last_used, "Region": REGION} if last_used else {},
        }
        if boundary:
            entry["PermissionsBoundary"] = {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": boundary}
        if instance_profile:
            summary = {k: entry[k] for k in ("Path", "RoleName", "RoleId", "Arn", "CreateDate", "AssumeRolePolicyDocument")}
            entry["InstanceProfileList"].append({
                "Path": "/",
                "InstanceProfileName": instance_profile,
                "InstanceProfileId": fake_id("AIPA", self.account, "instance-profile", instance_profile),
                "Arn": self.arn("instance-profile", instance_profile),
                "CreateDate": created,
                "Roles": [summary],
            })
        self.roles.append(entry)
        return arn

    def profile_arn(self, name: str) -> str:
        return self.arn("instance-profile", name)

    def authorization_details(self) -> dict[str, Any]:
        counts: dict[str, int] = {}
        boundary_counts: dict[str, int] = {}
        for entity in self.users + self.groups + self.roles:
            for attached in entity["AttachedManagedPolicies"]:
                counts[attached["PolicyArn"]] = counts.get(attached["PolicyArn"], 0) + 1
            if "PermissionsBoundary" in entity:
                arn = entity["PermissionsBoundary"]["PermissionsBoundaryArn"]
                boundary_counts[arn] = boundary_counts.get(arn, 0) + 1
        policies = []
        for arn, spec in sorted(self.policies.items(), key=lambda item: item[1]["name"]):
            policies.append({
                "PolicyName": spec["name"],
                "PolicyId": fake_id("ANPA", arn),
                "Arn": arn,
                "Path": spec["path"],
                "DefaultVersionId": spec["default"],
                "AttachmentCount": counts.get(arn, 0),
                "PermissionsBoundaryUsageCount": boundary_counts.get(arn, 0),
                "IsAttachable": True,
                "CreateDate": spec["created"],
                "UpdateDate": spec["updated"],
                "PolicyVersionList": [
                    {"Document": document, "VersionId": version, "IsDefaultVersion": version == spec["default"], "CreateDate": created}
                    for version, document, created in reversed(spec["versions"])
                ],
            })
        return {
            "UserDetailList": sorted(self.users, key=lambda u: u["UserName"]),
            "GroupDetailList": sorted(self.groups, key=lambda g: g["GroupName"]),
            "RoleDetailList": sorted(self.roles, key=lambda r: r["RoleName"]),
            "Policies": policies,
        }

    def credential_report(self) -> str:
        """The decoded CSV of ``aws iam get-credential-report``."""
        header = ("user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
                  "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"
                  "access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"
                  "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
                  "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,"
                  "cert_1_last_rotated,cert_2_active,cert_2_last_rotated")
        created = {MANAGEMENT: "2019-03-11T08:14:52+00:00", PROD: "2021-06-01T12:00:00+00:00", DEV: "2021-06-01T12:05:00+00:00"}
        root = (f"<root_account>,arn:aws:iam::{self.account}:root,{created[self.account]},not_supported,"
                f"2021-06-01T12:30:00+00:00,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,"
                "false,N/A,false,N/A")
        rows = [header, root]
        for cred in sorted(self.credentials, key=lambda c: c["name"]):
            console = cred["password_last_used"] is not None
            fields = [
                cred["name"], cred["arn"], iso(cred["created"]), str(console).lower(),
                iso(cred["password_last_used"]) if console else "N/A",
                iso(cred["created"]) if console else "N/A", "N/A", str(cred["mfa"]).lower(),
            ]
            for slot in range(2):
                if slot < len(cred["keys"]):
                    key = cred["keys"][slot]
                    used = key.get("last_used")
                    fields += [str(key["active"]).lower(), iso(key["rotated"]), iso(used) if used else "N/A",
                               REGION if used else "N/A", key.get("service", "N/A") if used else "N/A"]
                else:
                    fields += ["false", "N/A", "N/A", "N/A", "N/A"]
            fields += ["false", "N/A", "false", "N/A"]
            rows.append(",".join(fields))
        return "\n".join(rows) + "\n"


def iso(timestamp: str) -> str:
    """Credential-report timestamps: ``2024-01-02T03:04:05+00:00``."""
    return timestamp.replace("Z", "+00:00")


# --------------------------------------------------------------------------------------------- accounts


def management() -> AccountBuilder:
    a = AccountBuilder(MANAGEMENT)
    admin = a.use_aws("AdministratorAccess")
    audit = a.use_aws("SecurityAudit")
    change_password = a.use_aws("IAMUserChangePassword")
    a.group("Admins", managed=[admin], inline={"RequireMFA": doc(FORCE_MFA)}, created="2019-03-11T09:00:00Z")
    a.group("SecurityTeam", managed=[audit], inline={"AssumeAuditRoles": doc(
        allow("sts:AssumeRole", "arn:aws:iam::*:role/NorthwindAudit", Sid="AuditEveryAccount"),
    )}, created="2021-09-14T13:20:00Z")
    a.group("OnCall", inline={"BreakGlassIntoProd": doc(
        allow("sts:AssumeRole", f"arn:aws:iam::{PROD}:role/BreakGlassAdmin", Sid="BreakGlass"),
        allow(["cloudwatch:Describe*", "cloudwatch:Get*", "cloudwatch:List*", "logs:Describe*", "logs:Get*",
               "logs:FilterLogEvents"], Sid="ReadTelemetry"),
    )}, created="2022-02-01T08:00:00Z")
    a.group("Support", managed=[change_password], inline={"SupportDesk": doc(
        allow(["support:*", "iam:ListUsers", "iam:ListAttachedUserPolicies", "iam:ListPolicies"], Sid="SupportCases"),
        allow("iam:AttachUserPolicy", f"arn:aws:iam::{MANAGEMENT}:user/*", Sid="GrantReadOnlyToNewJoiners"),
    )}, created="2022-02-01T08:05:00Z")
    a.user("alice", created="2019-03-11T09:05:00Z", groups=["Admins"], password_last_used="2026-11-27T16:41:09Z",
           mfa=True, tags={"team": "platform", "email": "alice.moreau@northwind.example"})
    a.user("bob", created="2021-09-14T13:25:00Z", groups=["SecurityTeam"], password_last_used="2026-11-26T10:02:44Z",
           mfa=True, tags={"team": "security", "email": "bob.okafor@northwind.example"})
    a.user("carol", created="2022-02-01T08:10:00Z", groups=["OnCall"], password_last_used="2026-11-20T22:17:31Z",
           mfa=True, tags={"team": "sre", "email": "carol.lind@northwind.example"})
    a.user("frank", created="2022-02-01T08:12:00Z", groups=["Support"], password_last_used="2026-11-25T09:30:12Z",
           mfa=False, tags={"team": "support", "email": "frank.baptiste@northwind.example"})
    a.role("OrgAdmin", trust(
        {"Federated": SAML_PROVIDER}, "sts:AssumeRoleWithSAML",
        {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}},
    ), created="2020-01-15T10:00:00Z", managed=[admin], last_used="2026-11-27T08:00:00Z",
        description="Platform administrators signing in through Okta", max_session=14400)
    a.role("AWSServiceRoleForSupport", service_trust("support.amazonaws.com"), created="2019-03-11T08:20:00Z",
           path="/aws-service-role/support.amazonaws.com/", managed=[a.use_aws("AWSSupportServiceRolePolicy")],
           description="Enables resource access for AWS to provide billing, administrative and support services")
    return a


def prod() -> AccountBuilder:
    a = AccountBuilder(PROD)
    admin = a.use_aws("AdministratorAccess")
    audit = a.use_aws("SecurityAudit")
    ssm_core = a.use_aws("AmazonSSMManagedInstanceCore")
    lambda_basic = a.use_aws("AWSLambdaBasicExecutionRole")
    management_root = {"AWS": f"arn:aws:iam::{MANAGEMENT}:root"}

    a.role("OrganizationAccountAccessRole", trust(management_root), created="2021-06-01T12:00:10Z", managed=[admin],
           last_used="2026-11-02T14:00:00Z")
    a.role("BreakGlassAdmin", trust(management_root, condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}),
           created="2021-07-01T09:00:00Z", managed=[admin], description="Emergency access; requires MFA",
           tags={"owner": "sre"})
    a.role("NorthwindAudit", trust(management_root, condition={"StringEquals": {"sts:ExternalId": AUDIT_EXTERNAL_ID}}),
           created="2021-09-14T14:00:00Z", managed=[audit], last_used="2026-11-27T03:00:00Z")
    a.role("VendorMonitoring", trust({"AWS": f"arn:aws:iam::{VENDOR}:root"}), created="2023-04-18T15:30:00Z",
           inline={"MonitoringReadOnly": doc(allow([
               "cloudwatch:Describe*", "cloudwatch:Get*", "cloudwatch:List*", "ec2:DescribeInstances",
               "ec2:DescribeRegions", "tag:GetResources", "s3:ListAllMyBuckets",
           ]))}, last_used="2026-11-27T23:55:00Z", tags={"vendor": "skyline-monitoring"})
    a.managed("ProdDeployment", [
        ("v1", doc(allow(["cloudformation:*"], f"arn:aws:cloudformation:*:{PROD}:stack/northwind-*")),
         "2023-01-10T10:00:00Z"),
        ("v2", doc(
            allow(["cloudformation:CreateChangeSet", "cloudformation:DescribeChangeSet", "cloudformation:ExecuteChangeSet",
                   "cloudformation:DescribeStacks", "cloudformation:DescribeStackEvents", "cloudformation:GetTemplate",
                   "cloudformation:UpdateStack"], f"arn:aws:cloudformation:*:{PROD}:stack/northwind-*", Sid="Stacks"),
            allow(["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::northwind-prod-artifacts/*", Sid="Artifacts"),
        ), "2024-08-22T10:00:00Z"),
    ], default="v2", created="2023-01-10T10:00:00Z")
    a.role("ProdDeployer", trust({"AWS": f"arn:aws:iam::{DEV}:role/ci-deploy"}), created="2023-01-10T10:05:00Z",
           managed=[a.arn("policy", "ProdDeployment")], last_used="2026-11-27T17:12:00Z",
           description="Assumed by the CI deploy role in northwind-dev")
    a.role("cfn-exec", service_trust("cloudformation.amazonaws.com"), created="2022-11-03T11:00:00Z", managed=[admin],
           last_used="2026-11-27T17:13:00Z", description="Service role of the northwind-core stack")
    a.role("ops", trust({"AWS": f"arn:aws:iam::{PROD}:root"}), created="2022-05-10T09:00:00Z", inline={"RunCommands": doc(
        allow(["ssm:SendCommand", "ssm:ListCommandInvocations", "ssm:GetCommandInvocation"], [
            f"arn:aws:ec2:{REGION}:{PROD}:instance/*", "arn:aws:ssm:*::document/AWS-RunShellScript",
        ], Sid="RunShellOnInstances"),
        allow(["ssm:DescribeInstanceInformation", "ec2:DescribeInstances"], Sid="Inventory"),
    )}, last_used="2026-11-19T03:12:00Z", description="Operators; any prod principal allowed by its own policy")
    a.role("legacy-batch-admin", service_trust("ec2.amazonaws.com"), created="2020-10-05T12:00:00Z",
           managed=[admin, ssm_core], instance_profile="legacy-batch", last_used="2026-11-27T22:00:00Z",
           description="Nightly batch host (TODO: scope down)")
    a.role("reporting-instance", service_trust("ec2.amazonaws.com"), created="2022-03-03T10:00:00Z",
           inline={"ReadReports": doc(
               allow(["s3:GetObject", "s3:ListBucket"], ["arn:aws:s3:::northwind-prod-reports",
                                                          "arn:aws:s3:::northwind-prod-reports/*"]),
           )}, instance_profile="reporting", last_used="2026-11-27T06:00:00Z")
    a.role("orders-api-lambda", service_trust("lambda.amazonaws.com"), path="/service-role/",
           created="2023-02-14T10:00:00Z", managed=[lambda_basic], inline={"OrdersApi": doc(
               allow("secretsmanager:GetSecretValue", f"arn:aws:secretsmanager:{REGION}:{PROD}:secret:prod/orders/db-*"),
               allow(["sqs:SendMessage", "sqs:GetQueueAttributes"], f"arn:aws:sqs:{REGION}:{PROD}:orders-events"),
           )}, last_used="2026-11-28T01:59:00Z")
    # A URL-encoded document, exactly as the IAM API (and so a raw boto3 dump) returns it.
    a.user("gina", created="2023-03-01T09:00:00Z", password_last_used="2026-11-24T11:11:11Z", mfa=True,
           inline={"SupportTasks": urllib.parse.quote(json.dumps(doc(
               allow(["iam:AttachUserPolicy", "iam:ListUsers", "iam:ListAttachedUserPolicies"], Sid="ManageUserAccess"),
               allow("support:*", Sid="SupportCases"),
           ), separators=(",", ":")), safe="")},
           tags={"team": "support", "email": "gina.russo@northwind.example"})
    a.user("harry", created="2022-05-10T09:10:00Z", password_last_used="2026-11-27T21:05:00Z", mfa=True,
           inline={"AssumeOps": doc(allow("sts:AssumeRole", a.arn("role", "ops")))},
           tags={"team": "sre", "email": "harry.nakamura@northwind.example"})
    return a


def dev() -> AccountBuilder:
    a = AccountBuilder(DEV)
    admin = a.use_aws("AdministratorAccess")
    audit = a.use_aws("SecurityAudit")
    ssm_core = a.use_aws("AmazonSSMManagedInstanceCore")
    lambda_basic = a.use_aws("AWSLambdaBasicExecutionRole")
    management_root = {"AWS": f"arn:aws:iam::{MANAGEMENT}:root"}
    pipeline_role = a.arn("role", "data-pipeline-lambda", "/service-role/")
    basic_role = a.arn("role", "lambda-basic", "/service-role/")

    base_access = [
        {"Sid": "BucketsExceptAuditLogs", "Effect": "Allow", "Action": "s3:*",
         "NotResource": ["arn:aws:s3:::northwind-dev-audit-logs", "arn:aws:s3:::northwind-dev-audit-logs/*"]},
        allow(["logs:*", "cloudwatch:*", "dynamodb:*"], Sid="AppData"),
        allow(["lambda:Get*", "lambda:List*", "ec2:Describe*", "iam:Get*", "iam:List*"], Sid="Inspect"),
        allow(["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:GetQueueAttributes"], Sid="Queues"),
    ]
    a.managed("DeveloperAccess", [
        ("v1", doc(allow(["s3:*", "logs:*", "cloudwatch:*"])), "2022-06-01T10:00:00Z"),
        ("v2", doc(*base_access), "2023-09-12T10:00:00Z"),
        # Drafted for a migration and never made default: it grants nothing until someone sets it.
        ("v3", doc(*base_access, allow("iam:PassRole", Sid="PassAnyRoleDraft")), "2024-01-08T16:20:00Z"),
    ], default="v2", created="2022-06-01T10:00:00Z")
    a.managed("DeveloperBoundary", [
        ("v1", doc(allow(["s3:*", "logs:*", "cloudwatch:*", "dynamodb:*", "lambda:*", "sqs:*", "ec2:Describe*",
                          "iam:Get*", "iam:List*"])), "2022-06-01T10:00:00Z"),
    ], default="v1", created="2022-06-01T10:00:00Z")
    a.managed("ci-deploy-policy", [
        ("v1", doc(allow(["cloudformation:*", "s3:*"])), "2021-11-02T10:00:00Z"),
        ("v2", doc(
            allow(["cloudformation:*"], f"arn:aws:cloudformation:*:{DEV}:stack/*", Sid="Stacks"),
            allow(["s3:GetObject", "s3:PutObject", "s3:ListBucket"], ["arn:aws:s3:::northwind-dev-artifacts",
                                                                      "arn:aws:s3:::northwind-dev-artifacts/*"], Sid="Artifacts"),
            allow("sts:AssumeRole", f"arn:aws:iam::{PROD}:role/ProdDeployer", Sid="PromoteToProd"),
            # Lets the pipeline update its own permissions: a self-escalation nobody noticed.
            allow(["iam:CreatePolicyVersion", "iam:DeletePolicyVersion", "iam:GetPolicy", "iam:GetPolicyVersion"],
                  a.arn("policy", "ci-deploy-policy"), Sid="SelfManagePolicy"),
        ), "2023-06-30T10:00:00Z"),
    ], default="v2", created="2021-11-02T10:00:00Z")

    a.group("Developers", managed=[a.arn("policy", "DeveloperAccess"), a.use_aws("IAMUserChangePassword")],
            created="2022-06-01T10:05:00Z")
    lambda_invoke = ["lambda:CreateFunction", "lambda:InvokeFunction", "lambda:GetFunction", "lambda:DeleteFunction"]
    pass_pipeline = allow("iam:PassRole", pipeline_role, Sid="PassPipelineRole",
                          Condition={"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}})
    a.user("dana", created="2022-06-02T09:00:00Z", groups=["Developers"], password_last_used="2026-11-27T15:00:00Z",
           mfa=True, inline={"PipelineLambdas": doc(allow(lambda_invoke, Sid="Functions"), pass_pipeline)},
           tags={"team": "data", "email": "dana.silva@northwind.example"})
    a.user("ed", created="2023-01-09T09:00:00Z", groups=["Developers"], password_last_used="2026-11-27T14:00:00Z",
           mfa=True, inline={"PipelineLambdas": doc(allow(lambda_invoke, Sid="Functions"), pass_pipeline)},
           boundary=a.arn("policy", "DeveloperBoundary"), tags={"team": "data", "email": "ed.kowalski@northwind.example"})
    a.user("fay", created="2023-04-11T09:00:00Z", groups=["Developers"], password_last_used="2026-11-26T17:00:00Z",
           mfa=True, inline={"BasicLambdas": doc(
               allow(lambda_invoke, Sid="Functions"),
               allow("iam:PassRole", basic_role, Sid="PassBasicRole",
                     Condition={"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}),
           )}, tags={"team": "web", "email": "fay.adeyemi@northwind.example"})
    a.user("gus", created="2024-02-19T09:00:00Z", groups=["Developers"], password_last_used="2026-11-27T11:00:00Z",
           mfa=True, inline={"Lambdas": doc(allow(lambda_invoke, Sid="Functions"))},
           tags={"team": "web", "email": "gus.pereira@northwind.example"})
    a.user("ivan", created="2021-08-30T09:00:00Z", groups=["Developers"], password_last_used="2026-11-27T18:30:00Z",
           mfa=True, inline={"MaintainDevAdminTrust": doc(
               allow(["iam:GetRole", "iam:UpdateAssumeRolePolicy"], a.arn("role", "DevAdmin")),
           )}, tags={"team": "platform", "email": "ivan.horvat@northwind.example"})
    a.user("ci-bot", created="2021-11-02T10:10:00Z", inline={"AssumeDeployRole": doc(
        allow("sts:AssumeRole", a.arn("role", "ci-deploy"),
              Condition={"IpAddress": {"aws:SourceIp": ["203.0.113.0/24"]}}),
    )}, keys=[
        {"active": True, "rotated": "2026-09-01T10:00:00Z", "last_used": "2026-11-27T17:11:00Z", "service": "sts"},
        {"active": False, "rotated": "2025-03-01T10:00:00Z", "last_used": "2025-08-31T23:00:00Z", "service": "sts"},
    ], tags={"purpose": "ci", "owner": "platform"})
    a.user("old-etl", created="2022-12-05T10:00:00Z", inline={"ReadArtifacts": doc(
        allow(["s3:GetObject", "s3:ListBucket"], ["arn:aws:s3:::northwind-dev-artifacts", "arn:aws:s3:::northwind-dev-artifacts/*"]),
    )}, keys=[
        {"active": True, "rotated": "2022-12-05T10:05:00Z", "last_used": "2024-02-01T03:00:00Z", "service": "s3"},
    ], tags={"purpose": "etl", "owner": "data"})

    a.role("OrganizationAccountAccessRole", trust(management_root), created="2021-06-01T12:05:10Z", managed=[admin],
           last_used="2026-10-12T09:00:00Z")
    a.role("DevAdmin", trust(management_root, condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}),
           created="2021-08-30T09:30:00Z", managed=[admin], last_used="2026-11-21T10:00:00Z")
    a.role("NorthwindAudit", trust(management_root, condition={"StringEquals": {"sts:ExternalId": AUDIT_EXTERNAL_ID}}),
           created="2021-09-14T14:05:00Z", managed=[audit], last_used="2026-11-27T03:00:00Z")
    a.role("ci-deploy", trust({"AWS": a.arn("user", "ci-bot")}), created="2021-11-02T10:15:00Z",
           managed=[a.arn("policy", "ci-deploy-policy")], last_used="2026-11-27T17:11:30Z")
    a.role("data-pipeline-lambda", service_trust("lambda.amazonaws.com"), path="/service-role/",
           created="2024-01-08T16:00:00Z", managed=[admin],
           description="For the warehouse migration; admin until the pipeline's needs are known")
    a.role("lambda-basic", service_trust("lambda.amazonaws.com"), path="/service-role/", created="2022-06-15T10:00:00Z",
           managed=[lambda_basic], last_used="2026-11-27T19:00:00Z")
    a.role("dev-build", service_trust("codebuild.amazonaws.com"), path="/service-role/", created="2022-07-01T10:00:00Z",
           inline={"BuildWeb": doc(
               allow(["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]),
               allow(["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::northwind-dev-artifacts/*"),
               allow(["ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:PutImage",
                      "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload"]),
           )}, last_used="2026-11-27T16:00:00Z")
    a.role("dev-web", service_trust("ec2.amazonaws.com"), created="2022-07-01T10:30:00Z", managed=[ssm_core],
           inline={"ReadArtifacts": doc(allow("s3:GetObject", "arn:aws:s3:::northwind-dev-artifacts/*"))},
           instance_profile="dev-web", last_used="2026-11-28T01:00:00Z")
    return a


# -------------------------------------------------------------------------------------------- resources


def key_id(name: str) -> str:
    digest = hashlib.sha256(name.encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-4{digest[13:16]}-a{digest[17:20]}-{digest[20:32]}"


def instance(account: str, instance_id: str, name: str, profile: str, launched: str, private_ip: str) -> dict:
    return {
        "AmiLaunchIndex": 0,
        "ImageId": "ami-0c1bc246476a5572b",
        "InstanceId": instance_id,
        "InstanceType": "m6i.large",
        "LaunchTime": launched,
        "Monitoring": {"State": "disabled"},
        "Placement": {"AvailabilityZone": f"{REGION}a", "GroupName": "", "Tenancy": "default"},
        "PrivateDnsName": f"ip-{private_ip.replace('.', '-')}.{REGION}.compute.internal",
        "PrivateIpAddress": private_ip,
        "State": {"Code": 16, "Name": "running"},
        "SubnetId": "subnet-" + hashlib.sha256((account + "subnet").encode()).hexdigest()[:17],
        "VpcId": "vpc-" + hashlib.sha256((account + "vpc").encode()).hexdigest()[:17],
        "Architecture": "x86_64",
        "IamInstanceProfile": {
            "Arn": f"arn:aws:iam::{account}:instance-profile/{profile}",
            "Id": fake_id("AIPA", account, "instance-profile", profile),
        },
        "Tags": [{"Key": "Name", "Value": name}],
        "PlatformDetails": "Linux/UNIX",
        "MetadataOptions": {"State": "applied", "HttpTokens": "required", "HttpEndpoint": "enabled"},
    }


def ssm_info(instance_id: str, name: str, private_ip: str) -> dict:
    return {
        "InstanceId": instance_id,
        "PingStatus": "Online",
        "LastPingDateTime": "2026-11-28T01:58:12.411000+00:00",
        "AgentVersion": "3.3.1142.0",
        "IsLatestVersion": False,
        "PlatformType": "Linux",
        "PlatformName": "Amazon Linux",
        "PlatformVersion": "2023",
        "ResourceType": "EC2Instance",
        "IPAddress": private_ip,
        "ComputerName": name,
        "AssociationStatus": "Success",
        "SourceId": instance_id,
        "SourceType": "AWS::EC2::Instance",
    }


def block_all() -> dict:
    return {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}


def topic_arn(name: str) -> str:
    return f"arn:aws:sns:{REGION}:{MANAGEMENT}:{name}"


def management_resources() -> dict[str, dict]:
    return {
        "sns": {"Topics": [
            # SNS's default topic policy: everyone, narrowed to principals of the owning account (AWS:SourceOwner).
            {"TopicArn": topic_arn("northwind-billing-alerts"), "Policy": {
                "Version": "2008-10-17", "Id": "__default_policy_ID", "Statement": [
                    {"Sid": "__default_statement_ID", "Effect": "Allow", "Principal": {"AWS": "*"},
                     "Action": ["SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission",
                                "SNS:RemovePermission", "SNS:DeleteTopic", "SNS:Subscribe",
                                "SNS:ListSubscriptionsByTopic", "SNS:Publish"],
                     "Resource": topic_arn("northwind-billing-alerts"),
                     "Condition": {"StringEquals": {"AWS:SourceOwner": MANAGEMENT}}}]}},
            # The same policy with the condition dropped, "so that the deploy webhook works": anyone may
            # publish to it and subscribe to it.
            {"TopicArn": topic_arn("northwind-deploy-events"), "Policy": doc(
                {"Sid": "DeployWebhook", "Effect": "Allow", "Principal": {"AWS": "*"},
                 "Action": ["SNS:Publish", "SNS:Subscribe"], "Resource": topic_arn("northwind-deploy-events")},
            )},
        ]},
    }


def prod_resources() -> dict[str, dict]:
    data_key, secrets_key = key_id("prod-data"), key_id("prod-secrets")

    def key_arn(key: str) -> str:
        return f"arn:aws:kms:{REGION}:{PROD}:key/{key}"

    orders_role = f"arn:aws:iam::{PROD}:role/service-role/orders-api-lambda"
    break_glass = f"arn:aws:iam::{PROD}:role/BreakGlassAdmin"
    secret_arn = f"arn:aws:secretsmanager:{REGION}:{PROD}:secret:prod/orders/db-Xk29Qa"
    batch_id, reporting_id = "i-0a1b2c3d4e5f60001", "i-0a1b2c3d4e5f60002"
    return {
        "s3": {
            "Buckets": [
                {"Name": "northwind-public-assets", "Region": REGION, "Policy": doc(
                    {"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                     "Resource": "arn:aws:s3:::northwind-public-assets/*"},
                ), "PublicAccessBlock": block_all(), "Tags": {"data": "public"}},
                {"Name": "northwind-prod-reports", "Region": REGION, "Policy": doc(
                    {"Sid": "DevAnalystsRead", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{DEV}:root"},
                     "Action": ["s3:GetObject", "s3:ListBucket"],
                     "Resource": ["arn:aws:s3:::northwind-prod-reports", "arn:aws:s3:::northwind-prod-reports/*"]},
                    {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                     "Resource": ["arn:aws:s3:::northwind-prod-reports", "arn:aws:s3:::northwind-prod-reports/*"],
                     "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
                ), "PublicAccessBlock": block_all(), "Tags": {"data": "confidential"}},
                {"Name": "northwind-prod-partner-exchange", "Region": REGION, "Policy": doc(
                    {"Sid": "PartnerReads", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{PARTNER}:root"},
                     "Action": "s3:GetObject", "Resource": "arn:aws:s3:::northwind-prod-partner-exchange/*"},
                ), "PublicAccessBlock": block_all(), "Tags": {"data": "partner"}},
                {"Name": "northwind-prod-artifacts", "Region": REGION, "Policy": None,
                 "PublicAccessBlock": block_all(), "Tags": {}},
            ],
            "AccountPublicAccessBlock": None,
        },
        "kms": {"Keys": [
            {"KeyId": data_key, "Arn": key_arn(data_key), "Policy": {"Version": "2012-10-17", "Id": "key-default-1", "Statement": [
                {"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{PROD}:root"},
                 "Action": "kms:*", "Resource": "*"},
            ]}, "Grants": [{
                "KeyId": key_arn(data_key), "GrantId": hashlib.sha256(b"grant-reporting").hexdigest(),
                "Name": "reporting-decrypt", "CreationDate": "2022-03-03T10:05:00+00:00",
                "GranteePrincipal": f"arn:aws:iam::{PROD}:role/reporting-instance",
                "IssuingAccount": f"arn:aws:iam::{PROD}:root", "Operations": ["Decrypt", "DescribeKey"],
            }], "Tags": {"alias": "prod-data"}},
            {"KeyId": secrets_key, "Arn": key_arn(secrets_key), "Policy": {"Version": "2012-10-17", "Id": "orders-secrets", "Statement": [
                {"Sid": "KeyAdministration", "Effect": "Allow", "Principal": {"AWS": break_glass},
                 "Action": ["kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*",
                            "kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:ScheduleKeyDeletion",
                            "kms:CancelKeyDeletion"], "Resource": "*"},
                {"Sid": "OrdersApiDecrypts", "Effect": "Allow", "Principal": {"AWS": orders_role},
                 "Action": ["kms:Decrypt", "kms:DescribeKey"], "Resource": "*",
                 "Condition": {"StringEquals": {"kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"}}},
            ]}, "Grants": [], "Tags": {"alias": "prod-orders-secrets"}},
        ]},
        "secretsmanager": {"Secrets": [{"ARN": secret_arn, "Name": "prod/orders/db", "Policy": doc(
            {"Sid": "OrdersApiReads", "Effect": "Allow", "Principal": {"AWS": orders_role},
             "Action": "secretsmanager:GetSecretValue", "Resource": "*"},
            {"Sid": "OnlyOrdersApiAndBreakGlass", "Effect": "Deny", "Principal": "*", "Action": "secretsmanager:GetSecretValue",
             "Resource": "*", "Condition": {"StringNotEquals": {"aws:PrincipalArn": [orders_role, break_glass]}}},
        ), "Tags": {"data": "credentials"}}]},
        "sqs": {"Queues": [{
            "QueueUrl": f"https://sqs.{REGION}.amazonaws.com/{PROD}/orders-events",
            "Arn": f"arn:aws:sqs:{REGION}:{PROD}:orders-events",
            "Policy": {"Version": "2012-10-17", "Id": "orders-events-policy", "Statement": [
                {"Sid": "DevIntegrationTests", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{DEV}:root"},
                 "Action": "sqs:SendMessage", "Resource": f"arn:aws:sqs:{REGION}:{PROD}:orders-events"},
            ]},
        }]},
        "lambda": {"Functions": [{
            "FunctionName": "orders-api",
            "FunctionArn": f"arn:aws:lambda:{REGION}:{PROD}:function:orders-api",
            "Runtime": "python3.12",
            "Role": orders_role,
            "Handler": "app.handler",
            "CodeSize": 48213,
            "Description": "Orders REST API",
            "Timeout": 15,
            "MemorySize": 512,
            "LastModified": "2026-11-20T09:14:03.000+0000",
            "CodeSha256": base64.b64encode(hashlib.sha256(b"orders-api").digest()).decode(),
            "Version": "$LATEST",
            "TracingConfig": {"Mode": "PassThrough"},
            "RevisionId": key_id("orders-api-revision"),
            "PackageType": "Zip",
            "Architectures": ["arm64"],
            "EphemeralStorage": {"Size": 512},
            "LoggingConfig": {"LogFormat": "Text", "LogGroup": "/aws/lambda/orders-api"},
            "Policy": {"Version": "2012-10-17", "Id": "default", "Statement": [{
                "Sid": "apigateway-invoke", "Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"},
                "Action": "lambda:InvokeFunction", "Resource": f"arn:aws:lambda:{REGION}:{PROD}:function:orders-api",
                "Condition": {"ArnLike": {"AWS:SourceArn": f"arn:aws:execute-api:{REGION}:{PROD}:k7x2m9q4ab/*/*/orders"}},
            }]},
        }]},
        "ec2": {"Instances": [
            instance(PROD, batch_id, "legacy-batch", "legacy-batch", "2025-04-02T07:00:00+00:00", "10.20.1.15"),
            instance(PROD, reporting_id, "reporting", "reporting", "2026-01-15T07:00:00+00:00", "10.20.1.37"),
        ]},
        # Only the batch host runs the SSM agent: the reporting host is not a managed instance.
        "ssm": {"InstanceInformationList": [ssm_info(batch_id, "ip-10-20-1-15.eu-west-1.compute.internal", "10.20.1.15")]},
        "cloudformation": {"Stacks": [{
            "StackId": f"arn:aws:cloudformation:{REGION}:{PROD}:stack/northwind-core/{key_id('northwind-core')}",
            "StackName": "northwind-core",
            "Description": "Northwind core services",
            "CreationTime": "2022-11-03T11:20:00.512000+00:00",
            "LastUpdatedTime": "2026-11-27T17:14:09.871000+00:00",
            "RollbackConfiguration": {},
            "StackStatus": "UPDATE_COMPLETE",
            "DisableRollback": False,
            "NotificationARNs": [],
            "Capabilities": ["CAPABILITY_NAMED_IAM"],
            "RoleARN": f"arn:aws:iam::{PROD}:role/cfn-exec",
            "Tags": [{"Key": "owner", "Value": "platform"}],
            "EnableTerminationProtection": True,
            "DriftInformation": {"StackDriftStatus": "NOT_CHECKED"},
        }]},
    }


def dev_resources() -> dict[str, dict]:
    web_id = "i-0d3v0000000000001"
    return {
        "s3": {
            "Buckets": [
                {"Name": "northwind-dev-artifacts", "Region": REGION, "Policy": None, "PublicAccessBlock": None, "Tags": {}},
                {"Name": "northwind-dev-audit-logs", "Region": REGION, "Policy": doc(
                    {"Sid": "AWSCloudTrailWrite", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
                     "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::northwind-dev-audit-logs/AWSLogs/{DEV}/*",
                     "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control",
                                                    "aws:SourceAccount": DEV}}},
                ), "PublicAccessBlock": None, "Tags": {"data": "audit"}},
            ],
            "AccountPublicAccessBlock": block_all(),
        },
        "lambda": {"Functions": [{
            "FunctionName": "thumbnailer",
            "FunctionArn": f"arn:aws:lambda:{REGION}:{DEV}:function:thumbnailer",
            "Runtime": "nodejs20.x",
            "Role": f"arn:aws:iam::{DEV}:role/service-role/lambda-basic",
            "Handler": "index.handler",
            "CodeSize": 1822,
            "Description": "",
            "Timeout": 3,
            "MemorySize": 128,
            "LastModified": "2025-05-05T12:00:00.000+0000",
            "CodeSha256": base64.b64encode(hashlib.sha256(b"thumbnailer").digest()).decode(),
            "Version": "$LATEST",
            "TracingConfig": {"Mode": "PassThrough"},
            "RevisionId": key_id("thumbnailer-revision"),
            "PackageType": "Zip",
            "Architectures": ["x86_64"],
            "EphemeralStorage": {"Size": 512},
            "LoggingConfig": {"LogFormat": "Text", "LogGroup": "/aws/lambda/thumbnailer"},
            "Policy": None,
        }]},
        "ec2": {"Instances": [instance(DEV, web_id, "dev-web", "dev-web", "2026-10-01T07:00:00+00:00", "10.30.1.10")]},
        "ssm": {"InstanceInformationList": [ssm_info(web_id, "ip-10-30-1-10.eu-west-1.compute.internal", "10.30.1.10")]},
        "codebuild": {"Projects": [{
            "name": "northwind-web-build",
            "arn": f"arn:aws:codebuild:{REGION}:{DEV}:project/northwind-web-build",
            "source": {"type": "GITHUB", "location": "https://github.com/northwind-analytics/web.git",
                       "gitCloneDepth": 1, "buildspec": "buildspec.yml", "insecureSsl": False},
            "artifacts": {"type": "S3", "location": "northwind-dev-artifacts", "name": "web", "packaging": "ZIP"},
            "cache": {"type": "NO_CACHE"},
            "environment": {"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0",
                            "computeType": "BUILD_GENERAL1_SMALL", "environmentVariables": [],
                            "privilegedMode": True, "imagePullCredentialsType": "CODEBUILD"},
            "serviceRole": f"arn:aws:iam::{DEV}:role/service-role/dev-build",
            "timeoutInMinutes": 60,
            "queuedTimeoutInMinutes": 480,
            "encryptionKey": f"arn:aws:kms:{REGION}:{DEV}:alias/aws/s3",
            "tags": [],
            "created": "2022-07-01T10:40:00+00:00",
            "lastModified": "2025-02-11T09:00:00+00:00",
            "badge": {"badgeEnabled": False},
            "projectVisibility": "PRIVATE",
        }]},
    }


# ------------------------------------------------------------------------------------------ organization


def organization() -> dict[str, Any]:
    def org_arn(kind: str, ident: str) -> str:
        return f"arn:aws:organizations::{MANAGEMENT}:{kind}/{ORG_ID}/{ident}"

    def target(ident: str) -> dict:
        if ident == ROOT_ID:
            return {"TargetId": ROOT_ID, "Arn": org_arn("root", ROOT_ID), "Name": "Root", "Type": "ROOT"}
        if ident in OUS:
            return {"TargetId": ident, "Arn": org_arn("ou", ident), "Name": OUS[ident][0], "Type": "ORGANIZATIONAL_UNIT"}
        return {"TargetId": ident, "Arn": org_arn("account", ident), "Name": ACCOUNT_NAMES[ident], "Type": "ACCOUNT"}

    everywhere = [ROOT_ID, *OUS, MANAGEMENT, PROD, DEV]
    global_services = ["iam:*", "organizations:*", "sts:*", "support:*", "cloudfront:*", "route53:*", "route53domains:*",
                       "budgets:*", "ce:*", "health:*", "trustedadvisor:*", "globalaccelerator:*", "waf:*", "shield:*"]
    policies = [
        ("p-FullAWSAccess", "FullAWSAccess", "Allows access to every operation", "SERVICE_CONTROL_POLICY", True,
         doc(allow("*")), everywhere),
        ("p-nwdenyleave", "DenyLeaveOrganization", "Member accounts may not leave the organization",
         "SERVICE_CONTROL_POLICY", False,
         doc({"Sid": "DenyLeave", "Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}), [ROOT_ID]),
        ("p-nwregions01", "RestrictRegions", "Workloads run in the EU only", "SERVICE_CONTROL_POLICY", False,
         doc({"Sid": "DenyOutsideEU", "Effect": "Deny", "NotAction": global_services, "Resource": "*",
              "Condition": {"StringNotEquals": {"aws:RequestedRegion": ALLOWED_REGIONS}}}), ["ou-n0rt-w0rk10ad"]),
        ("p-nwprotiam01", "ProtectIAMInProd", "Only break-glass and the organization role change IAM in prod",
         "SERVICE_CONTROL_POLICY", False,
         doc({"Sid": "DenyIAMExceptBreakGlass", "Effect": "Deny", "Action": "iam:*", "Resource": "*",
              "Condition": {"ArnNotLike": {"aws:PrincipalArn": [
                  "arn:aws:iam::*:role/BreakGlassAdmin", "arn:aws:iam::*:role/OrganizationAccountAccessRole"]}}}),
         ["ou-n0rt-pr0d0001"]),
        ("p-nwsecguard", "ProtectSecurityTooling", "Nobody stops CloudTrail or GuardDuty", "SERVICE_CONTROL_POLICY", False,
         doc({"Sid": "DenyDisablingDetective", "Effect": "Deny", "Action": [
             "cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "guardduty:DeleteDetector", "guardduty:DisassociateFromMasterAccount",
         ], "Resource": "*"}), ["ou-n0rt-secur1ty", "ou-n0rt-w0rk10ad"]),
        ("p-nwlargeec2", "DevSmallInstancesOnly", "Dev launches burstable instances only", "SERVICE_CONTROL_POLICY", False,
         doc({"Sid": "DenyLargeInstances", "Effect": "Deny", "Action": "ec2:RunInstances",
              "Resource": "arn:aws:ec2:*:*:instance/*",
              "Condition": {"StringNotLike": {"ec2:InstanceType": ["t3.*", "t4g.*"]}}}), [DEV]),
        ("p-RCPFullAWSAccess", "RCPFullAWSAccess", "Allows access to every resource", "RESOURCE_CONTROL_POLICY", True,
         doc({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}), everywhere),
        ("p-nworgident", "EnforceOrgIdentities", "Workload data is reachable from inside the organization only",
         "RESOURCE_CONTROL_POLICY", False,
         doc({"Sid": "DenyOutsideOrganization", "Effect": "Deny", "Principal": "*",
              "Action": ["s3:*", "sqs:*", "kms:*", "secretsmanager:*"], "Resource": "*",
              "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": ORG_ID},
                            "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}}), ["ou-n0rt-w0rk10ad"]),
    ]
    policy_items = []
    for ident, name, description, kind, aws_managed_policy, content, targets in policies:
        arn = (f"arn:aws:organizations::aws:policy/{kind.lower()}/{ident}" if aws_managed_policy
               else f"arn:aws:organizations::{MANAGEMENT}:policy/{ORG_ID}/{kind.lower()}/{ident}")
        policy_items.append({
            "PolicySummary": {"Id": ident, "Arn": arn, "Name": name, "Description": description, "Type": kind,
                              "AwsManaged": aws_managed_policy},
            "Content": json.dumps(content, indent=4),
            "Targets": [target(t) for t in targets],
        })
    joined = {MANAGEMENT: ("2019-03-11T08:14:52.000000+00:00", "CREATED"),
              PROD: ("2021-06-01T12:00:00.000000+00:00", "CREATED"), DEV: ("2021-06-01T12:05:00.000000+00:00", "CREATED")}
    return {
        "organization.json": {"Organization": {
            "Id": ORG_ID,
            "Arn": f"arn:aws:organizations::{MANAGEMENT}:organization/{ORG_ID}",
            "FeatureSet": "ALL",
            "MasterAccountArn": org_arn("account", MANAGEMENT),
            "MasterAccountId": MANAGEMENT,
            "MasterAccountEmail": "aws-root@northwind.example",
            "AvailablePolicyTypes": [{"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}],
        }},
        "roots.json": {"Roots": [{
            "Id": ROOT_ID, "Arn": org_arn("root", ROOT_ID), "Name": "Root",
            "PolicyTypes": [{"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"},
                            {"Type": "RESOURCE_CONTROL_POLICY", "Status": "ENABLED"}],
        }]},
        "accounts.json": {"Accounts": [
            {"Id": account, "Arn": org_arn("account", account), "Email": f"aws+{ACCOUNT_NAMES[account]}@northwind.example",
             "Name": ACCOUNT_NAMES[account], "Status": "ACTIVE", "JoinedMethod": joined[account][1],
             "JoinedTimestamp": joined[account][0]}
            for account in (MANAGEMENT, PROD, DEV)
        ]},
        "organizational-units.json": {"OrganizationalUnits": [
            {"Id": ident, "Arn": org_arn("ou", ident), "Name": name, "ParentId": parent}
            for ident, (name, parent) in OUS.items()
        ]},
        "account-parents.json": ACCOUNT_PARENTS,
        "policies.json": {"Policies": policy_items},
    }


# ------------------------------------------------------------------------------------------------ writing


def write_json(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=4) + "\n")


def generate(out: Path) -> None:
    """Write the whole estate to ``out``, replacing what was there."""
    if out.exists():
        shutil.rmtree(out)
    for name, value in organization().items():
        write_json(out / "organization" / name, value)
    accounts = {MANAGEMENT: (management(), management_resources()), PROD: (prod(), prod_resources()), DEV: (dev(), dev_resources())}
    for account, (builder, resources) in accounts.items():
        folder = out / "accounts" / account
        details = builder.authorization_details()
        if account == DEV:
            # As `--max-items 10` prints it: two pages, the first with the token for the second.
            first = {"UserDetailList": details["UserDetailList"], "GroupDetailList": details["GroupDetailList"],
                     "RoleDetailList": [], "Policies": [],
                     "NextToken": base64.b64encode(b'{"Marker": null, "boto_truncate_amount": 10}').decode()}
            second = {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": details["RoleDetailList"],
                      "Policies": details["Policies"]}
            write_json(folder / "authorization-details" / "page-001.json", first)
            write_json(folder / "authorization-details" / "page-002.json", second)
        else:
            write_json(folder / "authorization-details.json", details)
        (folder / "credential-report.csv").write_text(builder.credential_report())
        if account == MANAGEMENT:
            write_json(folder / "saml-providers.json", {"SAMLProviderList": [{
                "Arn": SAML_PROVIDER, "ValidUntil": "2126-01-15T10:00:00+00:00", "CreateDate": "2020-01-15T09:55:00+00:00",
            }]})
        for service, value in resources.items():
            write_json(folder / "resources" / f"{service}.json", value)


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent / "aws-demo"
    generate(out)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
