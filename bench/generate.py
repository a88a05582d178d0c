"""A seeded generator of realistic AWS estates, in the export layout of docs/aws-export-layout.md.

    python -m bench.generate --out /tmp/ciem-bench/one --accounts 1 --seed 1

Each account gets (by default, the seed's example) 1,400 roles, 300 users and 3,000 managed policies,
as ``aws iam get-account-authorization-details`` prints them: customer policies with wildcards,
NotAction, conditions and denies (some with an older, broader non-default version); the AWS managed
policies attached in the account, with their real documents (from moto's copy); groups with a
force-MFA inline policy; permission boundaries; role trust to services, to roles of the same and of
other accounts, to vendors with an external id, to a SAML provider (Identity Center and a corporate
IdP) and to GitHub's OIDC provider; bucket, key, secret, queue, topic and function policies; EC2
instances with profiles, stacks and build projects that carry roles; a credential report. A small
share of policies grant a privilege-escalation method. With more than one account an organization
is written too: OUs, SCPs (region guard with NotAction, tooling protection) and RCPs.

``DIR/cloudtrail/`` holds a CloudTrail sample laid out as CloudTrail writes it to S3
(``AWSLogs/[o-ORG/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/*.json.gz``, ``{"Records": [...]}``), in
which each active identity uses a fraction of the actions its policies grant, plus a few denied calls.

The same seed and shape give the same bytes: every random choice comes from a ``random.Random``
seeded with a string, nothing iterates a set, and gzip headers carry no time or name.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import random
import sys
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

VERSION = "2012-10-17"
REGIONS = ("us-east-1", "eu-west-1")
CREATED_FROM = datetime(2021, 3, 1, tzinfo=timezone.utc)
CREATED_TO = datetime(2026, 9, 1, tzinfo=timezone.utc)
TRAIL_END = datetime(2026, 11, 20, tzinfo=timezone.utc)

TEAMS = (
    "payments", "checkout", "search", "identity", "data", "ml", "platform", "mobile",
    "web", "analytics", "billing", "fraud", "ledger", "notify", "catalog", "growth",
)
APPS = ("api", "worker", "ingest", "etl", "reports", "sync", "gateway", "scheduler", "export", "indexer")
FIRST_NAMES = ("ana", "ben", "chen", "dara", "eli", "fatima", "gus", "hana", "ivan", "jo", "kofi", "lena",
               "mia", "nils", "omar", "priya", "quinn", "rosa", "sam", "tariq", "uma", "vik", "wen", "yara")
LAST_NAMES = ("smith", "garcia", "kim", "novak", "okafor", "rossi", "sato", "silva", "weber", "ivanova",
              "khan", "muller", "nguyen", "park", "costa", "berg")

# Real IAM actions. Each group's actions are ones CloudTrail logs under the same event name, except
# for those in EVENT_NAMES.
S3_READ = ("s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket", "s3:GetBucketLocation")
S3_WRITE = ("s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:PutObjectTagging")
DDB_READ = ("dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:BatchGetItem", "dynamodb:DescribeTable")
DDB_WRITE = ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem")
SQS_USE = ("sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl")
SNS_USE = ("sns:Publish", "sns:GetTopicAttributes", "sns:Subscribe")
SECRET_READ = ("secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret")
KMS_USE = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey")
LOGS_WRITE = ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents")
DESCRIBE = ("ec2:DescribeInstances", "ec2:DescribeSecurityGroups", "ec2:DescribeVpcs", "ec2:DescribeSubnets",
            "cloudwatch:GetMetricData", "cloudwatch:ListMetrics", "logs:DescribeLogGroups", "s3:ListAllMyBuckets")
PARAM_READ = ("ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath")
ECR_PULL = ("ecr:GetAuthorizationToken", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability")
DENIED_PROBES = ("iam:ListUsers", "iam:ListRoles", "s3:GetBucketPolicy", "secretsmanager:ListSecrets", "kms:ListKeys")
# A service wildcard and the concrete actions a holder of it is likely to use.
SERVICE_WILDCARDS = {
    "s3:*": S3_READ + S3_WRITE, "dynamodb:*": DDB_READ + DDB_WRITE, "sqs:*": SQS_USE, "sns:*": SNS_USE,
    "s3:Get*": ("s3:GetObject", "s3:GetObjectVersion", "s3:GetBucketLocation"), "dynamodb:Get*": ("dynamodb:GetItem",),
    "ec2:Describe*": DESCRIBE[:4], "cloudwatch:*": DESCRIBE[4:6], "logs:*": LOGS_WRITE, "kms:*": KMS_USE,
}
EVENT_NAMES = {"s3:ListBucket": "ListObjects", "s3:ListAllMyBuckets": "ListBuckets", "s3:GetObjectVersion": "GetObject",
               "lambda:InvokeFunction": "Invoke"}
EVENT_SOURCES = {"cloudwatch": "monitoring.amazonaws.com"}

# Managed by AWS, attached in accounts as real estates do; documents come from moto's copy of AWS's.
AWS_MANAGED = (
    "AdministratorAccess", "PowerUserAccess", "ReadOnlyAccess", "SecurityAudit", "AmazonS3ReadOnlyAccess",
    "AWSLambdaBasicExecutionRole", "AWSLambdaVPCAccessExecutionRole", "AmazonSSMManagedInstanceCore",
    "AmazonEC2ReadOnlyAccess", "AmazonECSTaskExecutionRolePolicy", "AmazonDynamoDBReadOnlyAccess",
    "IAMReadOnlyAccess", "CloudWatchAgentServerPolicy",
)
SERVICE_LINKED = (
    ("AWSServiceRoleForSupport", "support.amazonaws.com", "AWSSupportServiceRolePolicy"),
    ("AWSServiceRoleForTrustedAdvisor", "trustedadvisor.amazonaws.com", "AWSTrustedAdvisorServiceRolePolicy"),
    ("AWSServiceRoleForOrganizations", "organizations.amazonaws.com", "AWSOrganizationsServiceTrustPolicy"),
    ("AWSServiceRoleForSSO", "sso.amazonaws.com", "AWSSSOServiceRolePolicy"),
    ("AWSServiceRoleForECS", "ecs.amazonaws.com", "AmazonECSServiceRolePolicy"),
    ("AWSServiceRoleForElasticLoadBalancing", "elasticloadbalancing.amazonaws.com", "AWSElasticLoadBalancingServiceRolePolicy"),
)
OTHER_SERVICES = ("glue.amazonaws.com", "codebuild.amazonaws.com", "cloudformation.amazonaws.com",
                  "states.amazonaws.com", "events.amazonaws.com", "sagemaker.amazonaws.com")
# Roles every account has, so that trust and policies can name them across accounts.
STANDARD_ROLES = ("platform-automation", "ci-deployer", "security-audit", "data-analytics", "break-glass-admin")
SSO_PERMISSION_SETS = ("AdministratorAccess", "ReadOnlyAccess", "PowerUserAccess", "DataScientist", "Billing")
GITHUB_OIDC = "token.actions.githubusercontent.com"
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


@dataclass(frozen=True)
class Shape:
    """How big each generated account is, and how the CloudTrail sample is drawn."""

    accounts: int = 1
    roles: int = 1400
    users: int = 300
    policies: int = 3000  # managed policies in each account's authorization details
    groups: int = 40
    buckets: int = 80
    tables: int = 60
    queues: int = 40
    topics: int = 20
    secrets: int = 60
    keys: int = 25
    instances: int = 40
    trail_days: int = 3
    events_per_identity: int = 6  # mean events of an active identity over the sample
    active_share: float = 0.6  # identities that appear in the sample at all
    used_share: float = 0.25  # of an active identity's granted actions, the share it uses
    escalation_share: float = 0.02  # customer policies that grant a privilege-escalation method

    def __post_init__(self) -> None:
        if self.accounts < 1 or self.roles < len(STANDARD_ROLES) + 10 or self.users < 4 or self.groups < 6:
            raise ValueError("a shape needs at least 1 account, 15 roles, 4 users and 6 groups")
        if self.policies < len(AWS_MANAGED) + len(SERVICE_LINKED) + 20:
            raise ValueError(f"a shape needs at least {len(AWS_MANAGED) + len(SERVICE_LINKED) + 20} policies")
        if min(self.buckets, self.tables, self.queues, self.topics, self.secrets, self.keys) < 1:
            raise ValueError("a shape needs at least one resource of each kind")


@dataclass
class Summary:
    """What :func:`generate` wrote."""

    out: str
    seed: int
    shape: dict[str, Any]
    accounts: list[str]
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    bytes: int = 0
    seconds: float = 0.0


# -- small helpers --------------------------------------------------------------------------------


def _doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": VERSION, "Statement": list(statements)}


def _allow(actions, resources, condition: dict | None = None, sid: str = "") -> dict[str, Any]:
    return _statement("Allow", "Action", actions, resources, condition, sid)


def _statement(effect, action_key, actions, resources, condition=None, sid="", principal=None) -> dict[str, Any]:
    statement: dict[str, Any] = {}
    if sid:
        statement["Sid"] = sid
    statement["Effect"] = effect
    if principal is not None:
        statement["Principal"] = principal
    statement[action_key] = actions[0] if len(actions) == 1 else list(actions)
    if resources is not None:
        statement["Resource"] = resources[0] if len(resources) == 1 else list(resources)
    if condition:
        statement["Condition"] = condition
    return statement


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+00:00")


@lru_cache(maxsize=1)
def _aws_managed_documents() -> dict[str, dict[str, Any]]:
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    every = json.loads(aws_managed_policies_data)
    wanted = set(AWS_MANAGED) | {policy for _, _, policy in SERVICE_LINKED}
    missing = sorted(wanted - set(every))
    if missing:
        raise RuntimeError(f"moto's copy of the AWS managed policies lacks {missing}")
    return {name: every[name] for name in sorted(wanted)}


@dataclass
class Org:
    """What every account of the estate knows about the others."""

    id: str
    management: str
    accounts: tuple[str, ...]
    vendors: tuple[str, ...]  # third-party accounts outside the organization

    def arn_prefix(self) -> str:
        return f"arn:aws:organizations::{self.management}"


@dataclass
class Principal:
    """A generated user or role: its ARN and what its policies let it do, for the CloudTrail sample."""

    arn: str
    name: str
    kind: str  # "user" or "role"
    unique_id: str
    session: str = ""
    uses: list[tuple[str, str]] = field(default_factory=list)  # (action, resource ARN or "*")


# -- one account ----------------------------------------------------------------------------------


class AccountBuilder:
    """Everything one account's export holds, built from one seeded random source."""

    def __init__(self, seed: int, account: str, number: int, shape: Shape, org: Org | None):
        self.rng = random.Random(f"ciem-bench:{seed}:{account}")
        self.account = account
        self.number = number
        self.shape = shape
        self.org = org
        self.region = REGIONS[0]
        self.principals: dict[str, Principal] = {}
        self.policies: dict[str, dict[str, Any]] = {}  # ARN -> Policies item, customer then AWS managed
        self.policy_uses: dict[str, list[tuple[str, str]]] = {}
        self.team_policies: dict[str, list[str]] = defaultdict(list)
        self.platform_policies: tuple[str, str, str] = ("", "", "")
        self.escalation_policies: list[str] = []
        self.attachments: dict[str, int] = defaultdict(int)
        self.boundary_uses: dict[str, int] = defaultdict(int)
        self.resources: dict[str, list[dict[str, Any]]] = defaultdict(list)  # kind -> [{arn, name, team, ...}]
        self.role_arns: list[str] = []
        self.lambda_roles: list[str] = []
        self.ec2_roles: list[str] = []
        self.other_service_roles: list[tuple[str, str]] = []
        self.saml_provider = f"arn:aws:iam::{account}:saml-provider/CorpIdP"
        self.sso_provider = f"arn:aws:iam::{account}:saml-provider/AWSSSO_{self._hex(16)}_DO_NOT_DELETE"
        self.oidc_provider = f"arn:aws:iam::{account}:oidc-provider/{GITHUB_OIDC}"

    # -- identifiers --

    def _id(self, prefix: str) -> str:
        return prefix + "".join(self.rng.choice(ALPHABET) for _ in range(17))

    def _hex(self, length: int) -> str:
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(length))

    def _created(self) -> datetime:
        span = (CREATED_TO - CREATED_FROM).total_seconds()
        return CREATED_FROM + timedelta(seconds=int(self.rng.random() * span))

    def _team(self) -> str:
        return self.rng.choice(TEAMS)

    def _other_account(self) -> str | None:
        if self.org is None or len(self.org.accounts) < 2:
            return None
        while True:
            other = self.rng.choice(self.org.accounts)
            if other != self.account:
                return other

    # -- resources --

    def build_resources(self) -> None:
        s, a, r = self.shape, self.account, self.region
        for n in range(s.buckets):
            team = self._team()
            name = f"{team}-{self.rng.choice(APPS)}-{a}-{n}"
            self.resources["bucket"].append({"arn": f"arn:aws:s3:::{name}", "name": name, "team": team})
        for n in range(s.tables):
            team = self._team()
            name = f"{team}-{self.rng.choice(APPS)}-{n}"
            self.resources["table"].append({"arn": f"arn:aws:dynamodb:{r}:{a}:table/{name}", "name": name, "team": team})
        for n in range(s.queues):
            team = self._team()
            name = f"{team}-{self.rng.choice(APPS)}-q{n}"
            self.resources["queue"].append({"arn": f"arn:aws:sqs:{r}:{a}:{name}", "name": name, "team": team,
                                            "url": f"https://sqs.{r}.amazonaws.com/{a}/{name}"})
        for n in range(s.topics):
            team = self._team()
            name = f"{team}-events-{n}"
            self.resources["topic"].append({"arn": f"arn:aws:sns:{r}:{a}:{name}", "name": name, "team": team})
        for n in range(s.secrets):
            team = self._team()
            name = f"{team}/{self.rng.choice(APPS)}/db-{n}"
            suffix = "".join(self.rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(6))
            self.resources["secret"].append({"arn": f"arn:aws:secretsmanager:{r}:{a}:secret:{name}-{suffix}",
                                             "name": name, "team": team})
        for _ in range(s.keys):
            key_id = f"{self._hex(8)}-{self._hex(4)}-{self._hex(4)}-{self._hex(4)}-{self._hex(12)}"
            self.resources["key"].append({"arn": f"arn:aws:kms:{r}:{a}:key/{key_id}", "name": key_id, "team": self._team()})

    def _pick(self, kind: str, team: str, most: int = 3) -> list[dict[str, Any]]:
        """Up to ``most`` resources of ``kind``, the team's own when it has some."""
        pool = [item for item in self.resources[kind] if item["team"] == team] or self.resources[kind]
        return self.rng.sample(pool, min(len(pool), self.rng.randint(1, most)))

    # -- customer managed policies --

    def build_policies(self) -> None:
        customer = self.shape.policies - len(AWS_MANAGED) - len(SERVICE_LINKED)
        escalation = max(1, round(customer * self.shape.escalation_share))
        templates = (
            (self._app_data, 30), (self._service_wildcard, 13), (self._read_only, 9), (self._messaging, 10),
            (self._secrets, 8), (self._abac, 6), (self._guarded, 7), (self._region_bound, 5),
            (self._network_bound, 3), (self._power_user, 2), (self._logs, 4), (self._parameters, 3),
        )
        functions = [t for t, _ in templates]
        weights = [w for _, w in templates]
        self._boundary_policies()
        self._platform_policies()
        for n in range(customer - len(self.policies)):
            team = self._team()
            if n < escalation:
                document, uses = self._escalation(team)
                name = f"{team}-deploy-automation-{n}"
            else:
                kind, document, uses = self.rng.choices(functions, weights)[0](team)
                name = f"{team}-{self.rng.choice(APPS)}-{kind}-{n}"
            arn = self._add_policy(name, document, uses, path=self.rng.choice(("/", "/", "/app/", f"/{team}/")))
            (self.escalation_policies if n < escalation else self.team_policies[team]).append(arn)

    def _add_policy(self, name: str, document: dict[str, Any], uses: list[tuple[str, str]], path: str = "/") -> str:
        arn = f"arn:aws:iam::{self.account}:policy{path}{name}"
        created = self._created()
        versions = [{"Document": document, "VersionId": "v2", "IsDefaultVersion": True, "CreateDate": _iso(created + timedelta(days=30))}]
        if self.rng.random() < 0.12:
            # An older, broader version kept as non-default: it grants nothing until someone makes it default.
            older = {"Version": VERSION, "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
            versions.append({"Document": older, "VersionId": "v1", "IsDefaultVersion": False, "CreateDate": _iso(created)})
        self.policies[arn] = {
            "PolicyName": name, "PolicyId": self._id("ANPA"), "Arn": arn, "Path": path,
            "DefaultVersionId": "v2", "AttachmentCount": 0, "PermissionsBoundaryUsageCount": 0, "IsAttachable": True,
            "CreateDate": _iso(created), "UpdateDate": _iso(created + timedelta(days=30)), "PolicyVersionList": versions,
        }
        self.policy_uses[arn] = uses
        return arn

    def _boundary_policies(self) -> None:
        a = self.account
        developer = _doc(
            _statement("Allow", "NotAction", ("iam:*", "organizations:*", "account:*"), ("*",), sid="ServicesButIam"),
            _allow(("iam:Get*", "iam:List*", "iam:PassRole"), ("*",), sid="ReadIamAndPass"),
            _statement("Deny", "Action", ("iam:DeleteRolePermissionsBoundary", "iam:DeleteUserPermissionsBoundary"),
                       ("*",), sid="KeepBoundary"),
        )
        workload = _doc(
            _allow(S3_READ + S3_WRITE + DDB_READ + DDB_WRITE + SQS_USE + SNS_USE + KMS_USE + LOGS_WRITE + SECRET_READ
                   + PARAM_READ + ECR_PULL, ("*",), sid="WorkloadServices"),
            _statement("Deny", "Action", ("s3:DeleteBucket", "dynamodb:DeleteTable"), ("*",), sid="NoDestroy"),
            _statement("Deny", "Action", ("secretsmanager:GetSecretValue",), (f"arn:aws:secretsmanager:*:{a}:secret:platform/*",),
                       sid="NoPlatformSecrets"),
        )
        for name, document in (("DeveloperBoundary", developer), ("WorkloadBoundary", workload)):
            self._add_policy(name, document, [], path="/boundaries/")

    def _platform_policies(self) -> None:
        """The policies of the standard roles: automation that assumes its twin in every account."""
        a = self.account
        automation = self._add_policy("platform-automation-cross-account", _doc(
            _allow(("sts:AssumeRole",), ("arn:aws:iam::*:role/platform-automation",), sid="AssumeInEveryAccount"),
            _allow(("iam:PassRole",), (f"arn:aws:iam::{a}:role/*",)),
            _allow(("cloudformation:*",), ("*",))), [], path="/platform/")
        deployer = self._add_policy("ci-deployer-assume", _doc(
            _allow(("sts:AssumeRole",), ("arn:aws:iam::*:role/platform-automation",)),
            _allow(S3_READ + S3_WRITE, ("arn:aws:s3:::*-artifacts-*", "arn:aws:s3:::*-artifacts-*/*"))), [], path="/platform/")
        analytics = self._add_policy("analytics-read-all-data", _doc(
            _allow(S3_READ, ("*",)), _allow(DDB_READ, ("*",)),
            _allow(("kms:Decrypt",), ("*",), {"StringLike": {"kms:ViaService": "s3.*.amazonaws.com"}})),
            [(x, "*") for x in S3_READ[2:]], path="/data/")
        self.platform_policies = (automation, deployer, analytics)

    def _app_data(self, team: str):
        buckets, tables = self._pick("bucket", team), self._pick("table", team)
        read_only = self.rng.random() < 0.4
        s3_actions = S3_READ if read_only else S3_READ + S3_WRITE
        ddb_actions = DDB_READ if read_only else DDB_READ + DDB_WRITE
        statements = [
            _allow(("s3:ListBucket", "s3:GetBucketLocation"), [b["arn"] for b in buckets], sid="Buckets"),
            _allow([x for x in s3_actions if x not in ("s3:ListBucket", "s3:GetBucketLocation")],
                   [b["arn"] + "/*" for b in buckets], sid="Objects"),
            _allow(ddb_actions, [t["arn"] for t in tables] + [t["arn"] + "/index/*" for t in tables], sid="Tables"),
        ]
        uses = [(x, b["arn"]) for b in buckets for x in ("s3:ListBucket", "s3:GetBucketLocation")]
        uses += [(x, b["arn"] + "/data/part-0001.parquet") for b in buckets for x in s3_actions if x not in ("s3:ListBucket", "s3:GetBucketLocation")]
        uses += [(x, t["arn"]) for t in tables for x in ddb_actions]
        if self.rng.random() < 0.5:
            key = self._pick("key", team, 1)[0]
            statements.append(_allow(("kms:Decrypt", "kms:GenerateDataKey"), (key["arn"],),
                                     {"StringEquals": {"kms:ViaService": [f"s3.{self.region}.amazonaws.com",
                                                                          f"dynamodb.{self.region}.amazonaws.com"]}}, sid="Key"))
        return "data", _doc(*statements), uses

    def _service_wildcard(self, team: str):
        wildcard = self.rng.choice(sorted(SERVICE_WILDCARDS))
        service = wildcard.split(":")[0]
        scoped = {"s3": [b["arn"] + suffix for b in self._pick("bucket", team) for suffix in ("", "/*")],
                  "dynamodb": [t["arn"] for t in self._pick("table", team)],
                  "sqs": [f"arn:aws:sqs:*:{self.account}:{team}-*"], "sns": [f"arn:aws:sns:*:{self.account}:{team}-*"]}
        resources = scoped.get(service) if self.rng.random() < 0.6 else None
        resources = resources or ["*"]
        uses = [(action, resources[0] if resources[0] != "*" else "*") for action in SERVICE_WILDCARDS[wildcard]]
        return "wild", _doc(_allow((wildcard,), resources)), uses

    def _read_only(self, team: str):
        actions = ("ec2:Describe*", "cloudwatch:Get*", "cloudwatch:List*", "logs:Describe*", "s3:ListAllMyBuckets",
                   "tag:GetResources")
        return "observe", _doc(_allow(actions, ("*",), sid="Observe")), [(x, "*") for x in DESCRIBE]

    def _messaging(self, team: str):
        queues, topics = self._pick("queue", team), self._pick("topic", team, 2)
        statements = [_allow(SQS_USE, [q["arn"] for q in queues]), _allow(SNS_USE[:2], [t["arn"] for t in topics])]
        uses = [(x, q["arn"]) for q in queues for x in SQS_USE] + [(x, t["arn"]) for t in topics for x in SNS_USE[:2]]
        return "messaging", _doc(*statements), uses

    def _secrets(self, team: str):
        app = self.rng.choice(APPS)
        pattern = f"arn:aws:secretsmanager:{self.region}:{self.account}:secret:{team}/{app}/*"
        statements = [_allow(SECRET_READ, (pattern,), sid="AppSecrets")]
        key = self._pick("key", team, 1)[0]
        statements.append(_allow(("kms:Decrypt",), (key["arn"],),
                                 {"StringEquals": {"kms:ViaService": f"secretsmanager.{self.region}.amazonaws.com"}}))
        own = [s["arn"] for s in self.resources["secret"] if s["name"].startswith(f"{team}/{app}/")]
        return "secrets", _doc(*statements), [(x, arn) for arn in own for x in SECRET_READ]

    def _abac(self, team: str):
        condition = {"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}}
        statements = [
            _allow(("ec2:StartInstances", "ec2:StopInstances", "ec2:RebootInstances"),
                   (f"arn:aws:ec2:*:{self.account}:instance/*",), condition, sid="OwnInstances"),
            _allow(("ec2:DescribeInstances",), ("*",)),
            _allow(("s3:GetObject", "s3:PutObject"), (f"arn:aws:s3:::{team}-*/home/${{aws:username}}/*",), sid="Home"),
        ]
        return "abac", _doc(*statements), [("ec2:DescribeInstances", "*")]

    def _guarded(self, team: str):
        buckets = self._pick("bucket", team)
        statements = [
            _allow(("s3:*",), [b["arn"] for b in buckets] + [b["arn"] + "/*" for b in buckets], sid="TeamBuckets"),
            _statement("Deny", "Action", ("s3:DeleteBucket", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy"), ("*",), sid="NoBucketAdmin"),
            _statement("Deny", "Action", ("s3:DeleteObject",), ("*",),
                       {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}, sid="DeleteNeedsMfa"),
        ]
        return "guarded", _doc(*statements), [(x, b["arn"] + "/in/2026/11/batch.json") for b in buckets
                                                          for x in ("s3:GetObject", "s3:PutObject")]

    def _region_bound(self, team: str):
        statements = [_allow(("ec2:*", "autoscaling:*", "elasticloadbalancing:*"), ("*",),
                             {"StringEquals": {"aws:RequestedRegion": list(REGIONS)}}, sid="ComputeInRegions")]
        return "compute", _doc(*statements), [(x, "*") for x in DESCRIBE[:4]]

    def _network_bound(self, team: str):
        buckets = self._pick("bucket", team)
        statements = [
            _allow(S3_READ, [b["arn"] for b in buckets] + [b["arn"] + "/*" for b in buckets],
                   {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "198.51.100.0/24"]}}, sid="FromOffice"),
            _statement("Deny", "Action", ("s3:*",), ("*",), {"Bool": {"aws:SecureTransport": "false"}}, sid="TlsOnly"),
        ]
        return "office", _doc(*statements), [(x, b["arn"]) for b in buckets for x in S3_READ[2:]]

    def _power_user(self, team: str):
        statements = [
            _statement("Allow", "NotAction", ("iam:*", "organizations:*", "account:*"), ("*",), sid="AllButIdentity"),
            _allow(("iam:CreateServiceLinkedRole", "iam:DeleteServiceLinkedRole", "iam:ListRoles",
                    "organizations:DescribeOrganization"), ("*",)),
        ]
        uses = [(x, "*") for x in DESCRIBE] + [(x, b["arn"]) for b in self._pick("bucket", team) for x in S3_READ[2:]]
        return "power", _doc(*statements), uses

    def _logs(self, team: str):
        pattern = f"arn:aws:logs:{self.region}:{self.account}:log-group:/aws/lambda/{team}-*"
        return "logs", _doc(_allow(LOGS_WRITE, (pattern, pattern + ":*"))), [(x, pattern.replace("*", "api")) for x in LOGS_WRITE]

    def _parameters(self, team: str):
        pattern = f"arn:aws:ssm:{self.region}:{self.account}:parameter/{team}/*"
        repositories = f"arn:aws:ecr:{self.region}:{self.account}:repository/{team}/*"
        document = _doc(_allow(PARAM_READ, (pattern,)), _allow(ECR_PULL[:1], ("*",)), _allow(ECR_PULL[1:], (repositories,)))
        return "config", document, [(x, pattern.replace("*", "config")) for x in PARAM_READ] + [(ECR_PULL[0], "*")]

    def _escalation(self, team: str):
        """One of the documented privilege-escalation methods (pathfinding.cloud / Rhino list)."""
        a = self.account
        methods = (
            lambda: [_allow(("iam:PassRole",), (f"arn:aws:iam::{a}:role/*",)),
                     _allow(("lambda:CreateFunction", "lambda:InvokeFunction"), ("*",))],
            lambda: [_allow(("iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion"), (f"arn:aws:iam::{a}:policy/*",))],
            lambda: [_allow(("iam:AttachRolePolicy", "iam:PutRolePolicy"), (f"arn:aws:iam::{a}:role/{team}-*",))],
            lambda: [_allow(("iam:PutUserPolicy",), (f"arn:aws:iam::{a}:user/${{aws:username}}",))],
            lambda: [_allow(("sts:AssumeRole",), ("*",))],
            lambda: [_allow(("iam:UpdateAssumeRolePolicy",), (f"arn:aws:iam::{a}:role/*",))],
            lambda: [_allow(("iam:CreateAccessKey", "iam:CreateLoginProfile"), (f"arn:aws:iam::{a}:user/*",))],
            lambda: [_allow(("iam:PassRole",), (f"arn:aws:iam::{a}:role/*",),
                            {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}),
                     _allow(("ec2:RunInstances", "ec2:AssociateIamInstanceProfile"), ("*",))],
            lambda: [_allow(("ssm:SendCommand", "ssm:StartSession"), ("*",))],
            lambda: [_allow(("iam:PassRole",), (f"arn:aws:iam::{a}:role/*",)),
                     _allow(("cloudformation:CreateStack", "cloudformation:UpdateStack"), ("*",))],
            lambda: [_allow(("codebuild:StartBuild", "codebuild:UpdateProject"), (f"arn:aws:codebuild:*:{a}:project/*",))],
            lambda: [_allow(("iam:AddUserToGroup",), (f"arn:aws:iam::{a}:group/*",))],
        )
        return _doc(*self.rng.choice(methods)()), []

    # -- principals --

    def _attach(self, arns: list[str]) -> list[dict[str, str]]:
        out = []
        for arn in dict.fromkeys(arns):
            self.attachments[arn] += 1
            out.append({"PolicyName": arn.rsplit("/", 1)[-1], "PolicyArn": arn})
        return out

    def _aws_policy(self, name: str) -> str:
        path = _aws_managed_documents()[name]["Path"]
        return f"arn:aws:iam::aws:policy{path}{name}"

    def _team_picks(self, team: str, most: int) -> list[str]:
        pool = self.team_policies[team]
        return self.rng.sample(pool, min(len(pool), self.rng.randint(1, most)))

    def _uses_of(self, arns: list[str]) -> list[tuple[str, str]]:
        uses: list[tuple[str, str]] = []
        for arn in arns:
            uses.extend(self.policy_uses.get(arn, ()))
        return uses

    def _boundary(self, name: str) -> dict[str, str]:
        arn = f"arn:aws:iam::{self.account}:policy/boundaries/{name}"
        self.boundary_uses[arn] += 1
        return {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": arn}

    def build_groups(self) -> list[dict[str, Any]]:
        a = self.account
        force_mfa = _doc(_statement(
            "Deny", "NotAction",
            ("iam:CreateVirtualMFADevice", "iam:EnableMFADevice", "iam:GetUser", "iam:ListMFADevices",
             "iam:ListVirtualMFADevices", "iam:ResyncMFADevice", "sts:GetSessionToken"),
            ("*",), {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}, sid="DenyAllExceptMfaSetupWithoutMfa"))
        fixed = [
            ("Admins", [self._aws_policy("AdministratorAccess")], []),
            ("ReadOnly", [self._aws_policy("ReadOnlyAccess")], []),
            ("SecurityAuditors", [self._aws_policy("SecurityAudit")], []),
            ("ForceMFA", [], [{"PolicyName": "force-mfa", "PolicyDocument": force_mfa}]),
            ("IAMReaders", [self._aws_policy("IAMReadOnlyAccess")], []),
        ]
        groups = []
        for n in range(self.shape.groups):
            if n < len(fixed):
                name, managed, inline = fixed[n]
            else:
                team = TEAMS[n % len(TEAMS)]
                name = f"dev-{team}-{n}"
                managed = self._team_picks(team, 3)
                inline = []
                if self.rng.random() < 0.2:
                    inline = [{"PolicyName": "oncall-power", "PolicyDocument": self._power_user(team)[1]}]
            item = {"Path": "/", "GroupName": name, "GroupId": self._id("AGPA"), "Arn": f"arn:aws:iam::{a}:group/{name}",
                    "CreateDate": _iso(self._created()), "GroupPolicyList": inline, "AttachedManagedPolicies": self._attach(managed)}
            groups.append(item)
        return groups

    def build_users(self, groups: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[list[str]]]:
        """Users as authorization details lists them, and credential-report rows."""
        a = self.account
        team_groups = groups[5:]
        group_uses = {g["GroupName"]: self._uses_of([p["PolicyArn"] for p in g["AttachedManagedPolicies"]]) for g in groups}
        users, report = [], []
        for n in range(self.shape.users):
            human = n < self.shape.users * 3 // 4
            team = self._team()
            created = self._created()
            if human:
                name = f"{self.rng.choice(FIRST_NAMES)}.{self.rng.choice(LAST_NAMES)}{n}"
                member_of = ["ForceMFA"] + [g["GroupName"] for g in self.rng.sample(team_groups, min(len(team_groups), self.rng.randint(1, 2)))]
                if n % 40 == 0:
                    member_of.append("Admins")
                elif n % 9 == 0:
                    member_of.append("ReadOnly")
                managed, inline = [], []
            else:
                name = f"svc-{team}-{self.rng.choice(APPS)}-{n}"
                member_of = []
                managed = self._team_picks(team, 2) + (self.rng.sample(self.escalation_policies, 1) if n % 23 == 0 else [])
                inline = []
                if self.rng.random() < 0.3:
                    inline = [{"PolicyName": "queue-access", "PolicyDocument": self._messaging(team)[1]}]
            arn = f"arn:aws:iam::{a}:user/{name}"
            item: dict[str, Any] = {"Path": "/", "UserName": name, "UserId": self._id("AIDA"), "Arn": arn, "CreateDate": _iso(created)}
            if inline:
                item["UserPolicyList"] = inline
            item["GroupList"] = member_of
            item["AttachedManagedPolicies"] = self._attach(managed)
            if human and self.rng.random() < 0.1:
                item["PermissionsBoundary"] = self._boundary("DeveloperBoundary")
            item["Tags"] = [{"Key": "team", "Value": team}] + ([{"Key": "owner", "Value": f"{team}@example.com"}] if not human else [])
            users.append(item)
            principal = Principal(arn, name, "user", item["UserId"])
            principal.uses = self._uses_of(managed) + [u for g in member_of for u in group_uses.get(g, [])]
            self.principals[arn] = principal
            report.append(self._report_row(name, arn, created, human))
        return users, report

    def _report_row(self, name: str, arn: str, created: datetime, human: bool) -> list[str]:
        def when(days_after: int) -> str:
            return _iso(created + timedelta(days=days_after))

        key_active = not human or self.rng.random() < 0.3
        used = self.rng.random() < 0.7
        return [
            name, arn, _iso(created), "true" if human else "false",
            when(self.rng.randint(1, 400)) if human and used else "no_information" if human else "N/A",
            when(1) if human else "N/A", "N/A", "true" if human and self.rng.random() < 0.85 else "false",
            "true" if key_active else "false", when(2) if key_active else "N/A",
            when(self.rng.randint(3, 500)) if key_active and used else "N/A",
            self.region if key_active and used else "N/A", "s3" if key_active and used else "N/A",
            "false", "N/A", "N/A", "N/A", "N/A", "false", "N/A", "false", "N/A",
        ]

    def _trust(self, kind: str, name: str) -> tuple[dict[str, Any], str]:
        """A role's trust policy for ``kind``, and the path the role lives under."""
        a, rng = self.account, self.rng
        assume = ("sts:AssumeRole",)

        def trust(principal, actions=assume, condition=None):
            return _doc(_statement("Allow", "Action", actions, None, condition, principal=principal))

        if kind == "lambda":
            return trust({"Service": "lambda.amazonaws.com"}), "/service-role/"
        if kind == "ecs":
            return trust({"Service": "ecs-tasks.amazonaws.com"}, condition={
                "ArnLike": {"aws:SourceArn": f"arn:aws:ecs:{self.region}:{a}:*"}, "StringEquals": {"aws:SourceAccount": a}}), "/"
        if kind == "ec2":
            return trust({"Service": "ec2.amazonaws.com"}), "/"
        if kind == "service":
            return trust({"Service": rng.choice(OTHER_SERVICES)}), "/service-role/"
        if kind == "saml":
            return trust({"Federated": self.saml_provider}, ("sts:AssumeRoleWithSAML",),
                         {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}), "/"
        if kind == "oidc":
            return trust({"Federated": self.oidc_provider}, ("sts:AssumeRoleWithWebIdentity",), {
                "StringEquals": {f"{GITHUB_OIDC}:aud": "sts.amazonaws.com"},
                "StringLike": {f"{GITHUB_OIDC}:sub": f"repo:example-corp/{name}:ref:refs/heads/main"}}), "/"
        if kind == "vendor":
            vendor = rng.choice(self.org.vendors if self.org else ("464622532012",))
            return trust({"AWS": f"arn:aws:iam::{vendor}:root"}, condition={"StringEquals": {"sts:ExternalId": self._hex(24)}}), "/"
        if kind == "cross":
            other = self._other_account()
            if other is None:
                kind = "chain"
            elif rng.random() < 0.5:
                return trust({"AWS": f"arn:aws:iam::{other}:role/{rng.choice(STANDARD_ROLES[:2])}"}), "/"
            else:
                return trust({"AWS": f"arn:aws:iam::{other}:root"},
                             condition={"StringEquals": {"aws:PrincipalOrgID": self.org.id}}), "/"
        # "chain": trusted by a role or a user of this account, or the whole account with MFA.
        choice = rng.random()
        if choice < 0.05:
            return trust({"AWS": self._id("AROA")}), "/"  # the trusted role was deleted: AWS shows its unique id
        if choice < 0.25:
            return trust({"AWS": f"arn:aws:iam::{a}:root"}, condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}), "/"
        trusted = rng.sample(self.role_arns, min(len(self.role_arns), rng.randint(1, 2)))
        if not trusted:
            return trust({"AWS": f"arn:aws:iam::{a}:role/platform-automation"}), "/"
        return trust({"AWS": trusted}), "/"

    def build_roles(self) -> list[dict[str, Any]]:
        s, rng = self.shape, self.rng
        roles: list[dict[str, Any]] = []
        roles.extend(self._standard_roles())
        for role_name, service, policy in SERVICE_LINKED:
            path = f"/aws-service-role/{service}/"
            trust = _doc(_statement("Allow", "Action", ("sts:AssumeRole",), None, principal={"Service": service}))
            roles.append(self._role(role_name, path, trust, [self._aws_policy(policy)], []))
        kinds = ("lambda", "ecs", "ec2", "service", "saml", "oidc", "cross", "vendor", "chain")
        weights = (34, 11, 8, 10, 3, 4, 10, 2, 14)
        sso_count = len(SSO_PERMISSION_SETS) if s.roles > 60 else 1
        for permission_set in SSO_PERMISSION_SETS[:sso_count]:
            roles.append(self._sso_role(permission_set))
        for n in range(s.roles - len(roles)):
            kind = rng.choices(kinds, weights)[0]
            team = self._team()
            name = f"{team}-{rng.choice(APPS)}-{kind}-{n}"
            trust, path = self._trust(kind, name)
            managed = self._team_picks(team, 3)
            if kind == "lambda":
                managed.append(self._aws_policy(rng.choice(("AWSLambdaBasicExecutionRole", "AWSLambdaVPCAccessExecutionRole"))))
                self.lambda_roles.append(name)
            elif kind == "ecs":
                managed.append(self._aws_policy("AmazonECSTaskExecutionRolePolicy"))
            elif kind == "ec2":
                managed += [self._aws_policy("AmazonSSMManagedInstanceCore"), self._aws_policy("CloudWatchAgentServerPolicy")]
                self.ec2_roles.append(name)
            elif kind in ("chain", "cross") and rng.random() < 0.2:
                managed.append(self._aws_policy(rng.choice(("AmazonEC2ReadOnlyAccess", "AmazonDynamoDBReadOnlyAccess"))))
            elif kind == "service":
                self.other_service_roles.append((name, trust["Statement"][0]["Principal"]["Service"]))
            if rng.random() < s.escalation_share * 2:
                managed.append(rng.choice(self.escalation_policies))
            inline, inline_uses = [], []
            if rng.random() < 0.15:
                _, document, inline_uses = self._app_data(team)
                inline = [{"PolicyName": "inline-data", "PolicyDocument": document}]
            boundary = self._boundary("WorkloadBoundary") if kind in ("lambda", "ecs") and rng.random() < 0.2 else None
            roles.append(self._role(name, path, trust, managed, inline, boundary, team, ec2=kind == "ec2"))
            self.principals[roles[-1]["Arn"]].uses.extend(inline_uses)
            self.role_arns.append(roles[-1]["Arn"])
        return roles

    def _standard_roles(self) -> list[dict[str, Any]]:
        a = self.account
        org, management = self.org, self.org.management if self.org else a
        admin = [self._aws_policy("AdministratorAccess")]

        def trust(principal, condition=None, actions=("sts:AssumeRole",)):
            return _doc(_statement("Allow", "Action", actions, None, condition, principal=principal))

        automation, deployer, analytics = self.platform_policies
        roles = [
            self._role("platform-automation", "/", trust({"AWS": [f"arn:aws:iam::{management}:role/ci-deployer",
                                                                  f"arn:aws:iam::{management}:role/platform-automation"]}),
                       [automation, self._aws_policy("PowerUserAccess")], []),
            self._role("ci-deployer", "/", trust({"Federated": self.oidc_provider}, {
                "StringEquals": {f"{GITHUB_OIDC}:aud": "sts.amazonaws.com"},
                "StringLike": {f"{GITHUB_OIDC}:sub": "repo:example-corp/*:ref:refs/heads/main"}}, ("sts:AssumeRoleWithWebIdentity",)),
                       [deployer], []),
            self._role("security-audit", "/", trust({"AWS": f"arn:aws:iam::{management}:root"},
                                                    {"Bool": {"aws:MultiFactorAuthPresent": "true"}}),
                       [self._aws_policy("SecurityAudit"), self._aws_policy("ReadOnlyAccess")], []),
            self._role("data-analytics", "/", trust({"Federated": self.saml_provider},
                                                    {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}},
                                                    ("sts:AssumeRoleWithSAML",)), [analytics], []),
            self._role("break-glass-admin", "/", trust({"AWS": f"arn:aws:iam::{a}:root"},
                                                       {"Bool": {"aws:MultiFactorAuthPresent": "true"}}), admin, []),
        ]
        if org is not None and a != management:
            roles.append(self._role("OrganizationAccountAccessRole", "/", trust({"AWS": f"arn:aws:iam::{management}:root"}), admin, []))
        return roles

    def _sso_role(self, permission_set: str) -> dict[str, Any]:
        name = f"AWSReservedSSO_{permission_set}_{self._hex(16)}"
        path = "/aws-reserved/sso.amazonaws.com/"
        trust = _doc(_statement("Allow", "Action", ("sts:AssumeRoleWithSAML", "sts:TagSession"), None,
                                {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}},
                                principal={"Federated": self.sso_provider}))
        managed = {"AdministratorAccess": ["AdministratorAccess"], "ReadOnlyAccess": ["ReadOnlyAccess"],
                   "PowerUserAccess": ["PowerUserAccess"], "DataScientist": ["AmazonS3ReadOnlyAccess"],
                   "Billing": []}[permission_set]
        inline = []
        if permission_set == "Billing":
            inline = [{"PolicyName": "AwsSSOInlinePolicy", "PolicyDocument": _doc(
                _allow(("aws-portal:ViewBilling", "aws-portal:ViewUsage", "ce:Get*", "budgets:ViewBudget"), ("*",)))}]
        return self._role(name, path, trust, [self._aws_policy(m) for m in managed], inline)

    def _role(self, name, path, trust, managed, inline, boundary=None, team="", ec2=False) -> dict[str, Any]:
        a = self.account
        arn = f"arn:aws:iam::{a}:role{path}{name}"
        created = self._created()
        role_id = self._id("AROA")
        item: dict[str, Any] = {"Path": path, "RoleName": name, "RoleId": role_id, "Arn": arn, "CreateDate": _iso(created),
                                "AssumeRolePolicyDocument": trust, "InstanceProfileList": []}
        if ec2:
            profile = {"Path": "/", "InstanceProfileName": name, "InstanceProfileId": self._id("AIPA"),
                       "Arn": f"arn:aws:iam::{a}:instance-profile/{name}", "CreateDate": _iso(created),
                       "Roles": [{"Path": path, "RoleName": name, "RoleId": role_id, "Arn": arn, "CreateDate": _iso(created),
                                  "AssumeRolePolicyDocument": trust}]}
            item["InstanceProfileList"].append(profile)
        item["RolePolicyList"] = inline
        item["AttachedManagedPolicies"] = self._attach(managed)
        if boundary:
            item["PermissionsBoundary"] = boundary
        item["Tags"] = [{"Key": "team", "Value": team}] if team else []
        used_recently = self.rng.random() < 0.7
        item["RoleLastUsed"] = ({"LastUsedDate": _iso(TRAIL_END - timedelta(hours=self.rng.randint(1, 2000))), "Region": self.region}
                                if used_recently else {})
        session = name if "-lambda-" in name else f"i-{self._hex(17)}" if ec2 else f"botocore-session-{self.rng.randint(10**9, 2 * 10**9)}"
        principal = Principal(arn, name, "role", role_id, session)
        principal.uses = self._uses_of(managed)
        self.principals[arn] = principal
        return item

    # -- resource files --

    def resource_files(self) -> dict[str, Any]:
        a, r, rng = self.account, self.region, self.rng
        org_condition = {"StringEquals": {"aws:PrincipalOrgID": self.org.id}} if self.org else None
        buckets = []
        for n, bucket in enumerate(self.resources["bucket"]):
            statements = []
            if rng.random() < 0.6:
                statements.append(_statement("Deny", "Action", ("s3:*",), (bucket["arn"], bucket["arn"] + "/*"),
                                             {"Bool": {"aws:SecureTransport": "false"}}, "DenyInsecureTransport", "*"))
            choice = rng.random()
            other = self._other_account()
            if choice < 0.15 and other:
                statements.append(_statement("Allow", "Action", S3_READ, (bucket["arn"], bucket["arn"] + "/*"), None,
                                             "CrossAccountAnalytics", {"AWS": f"arn:aws:iam::{other}:role/data-analytics"}))
            elif choice < 0.25 and org_condition:
                statements.append(_statement("Allow", "Action", ("s3:GetObject",), (bucket["arn"] + "/shared/*",),
                                             org_condition, "OrgRead", "*"))
            elif choice < 0.32:
                statements.append(_statement("Allow", "Action", ("s3:GetObject",), (bucket["arn"] + "/*",),
                                             {"StringEquals": {"AWS:SourceArn": f"arn:aws:cloudfront::{a}:distribution/E{self._hex(12).upper()}"}},
                                             "AllowCloudFront", {"Service": "cloudfront.amazonaws.com"}))
            elif n == 0 and self.number % 4 == 0:
                statements.append(_statement("Allow", "Action", ("s3:GetObject",), (bucket["arn"] + "/public/*",), None,
                                             "PublicWebsite", "*"))
            sensitive = rng.random() < 0.15
            buckets.append({
                "Name": bucket["name"], "Region": r if rng.random() < 0.85 else REGIONS[1],
                "Policy": _doc(*statements) if statements else None,
                "PublicAccessBlock": None if n == 0 else {"BlockPublicAcls": True, "IgnorePublicAcls": True,
                                                          "BlockPublicPolicy": True, "RestrictPublicBuckets": True},
                "Tags": {"team": bucket["team"], **({"data-classification": "restricted"} if sensitive else {})},
            })
        keys = []
        for key in self.resources["key"]:
            users = rng.sample(self.role_arns, min(3, len(self.role_arns))) or [f"arn:aws:iam::{a}:role/platform-automation"]
            policy = _doc(
                _statement("Allow", "Action", ("kms:*",), ("*",), None, "Enable IAM User Permissions", {"AWS": f"arn:aws:iam::{a}:root"}),
                _statement("Allow", "Action", ("kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*",
                                               "kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:ScheduleKeyDeletion",
                                               "kms:CancelKeyDeletion"), ("*",), None, "Allow access for Key Administrators",
                           {"AWS": f"arn:aws:iam::{a}:role/platform-automation"}),
                _statement("Allow", "Action", KMS_USE + ("kms:ReEncrypt*", "kms:GenerateDataKey*"), ("*",), None,
                           "Allow use of the key", {"AWS": users}),
            )
            grants = []
            if rng.random() < 0.3:
                grantee = users[0]
                grants.append({"KeyId": key["arn"], "GrantId": self._hex(64), "Name": "", "CreationDate": _iso(self._created()),
                               "GranteePrincipal": grantee, "IssuingAccount": f"arn:aws:iam::{a}:root",
                               "Operations": ["Decrypt", "GenerateDataKey"],
                               "Constraints": {"EncryptionContextSubset": {"team": key["team"]}}})
            keys.append({"KeyId": key["name"], "Arn": key["arn"], "Policy": policy, "Grants": grants,
                         "Tags": {"team": key["team"]}})
        secrets = []
        for secret in self.resources["secret"]:
            policy = None
            other = self._other_account()
            if other and rng.random() < 0.1:
                policy = _doc(_statement("Allow", "Action", ("secretsmanager:GetSecretValue",), ("*",), None, "ShareWithAccount",
                                         {"AWS": f"arn:aws:iam::{other}:role/platform-automation"}))
            secrets.append({"ARN": secret["arn"], "Name": secret["name"], "Policy": policy,
                            "Tags": {"team": secret["team"], "data-classification": "restricted" if rng.random() < 0.3 else "internal"}})
        topics = [{"TopicArn": t["arn"], "Policy": _doc(_statement(
            "Allow", "Action", ("SNS:Publish", "SNS:Subscribe", "SNS:GetTopicAttributes"), (t["arn"],),
            {"StringEquals": {"AWS:SourceOwner": a}}, "__default_statement_ID", {"AWS": "*"}))} for t in self.resources["topic"]]
        queues = []
        for queue in self.resources["queue"]:
            topic = rng.choice(self.resources["topic"]) if self.resources["topic"] else None
            policy = _doc(_statement("Allow", "Action", ("sqs:SendMessage",), (queue["arn"],),
                                     {"ArnEquals": {"aws:SourceArn": topic["arn"]}}, "FromTopic",
                                     {"Service": "sns.amazonaws.com"})) if topic and rng.random() < 0.5 else None
            queues.append({"QueueUrl": queue["url"], "Arn": queue["arn"], "Policy": policy})
        functions = []
        for name in self.lambda_roles:
            function_arn = f"arn:aws:lambda:{r}:{a}:function:{name}"
            policy = None
            if rng.random() < 0.3:
                bucket = rng.choice(self.resources["bucket"])
                policy = _doc(_statement("Allow", "Action", ("lambda:InvokeFunction",), (function_arn,),
                                         {"ArnLike": {"AWS:SourceArn": bucket["arn"]}, "StringEquals": {"AWS:SourceAccount": a}},
                                         "s3-invoke", {"Service": "s3.amazonaws.com"}))
            functions.append({"FunctionName": name, "FunctionArn": function_arn, "Runtime": "python3.12",
                              "Role": f"arn:aws:iam::{a}:role/service-role/{name}", "Handler": "app.handler",
                              "MemorySize": 256, "Timeout": 30, "PackageType": "Zip", "Policy": policy})
        instances, managed_instances = [], []
        for n in range(min(self.shape.instances, len(self.ec2_roles) * 3)):
            role = self.ec2_roles[n % len(self.ec2_roles)]
            instance_id = f"i-{self._hex(17)}"
            instances.append({"InstanceId": instance_id, "InstanceType": "m6i.large", "State": {"Code": 16, "Name": "running"},
                              "Placement": {"AvailabilityZone": f"{r}a"},
                              "IamInstanceProfile": {"Arn": f"arn:aws:iam::{a}:instance-profile/{role}", "Id": self._id("AIPA")},
                              "Tags": [{"Key": "Name", "Value": role}]})
            if n % 2 == 0:
                managed_instances.append({"InstanceId": instance_id, "PingStatus": "Online", "PlatformType": "Linux",
                                          "PlatformName": "Amazon Linux", "ResourceType": "EC2Instance", "AgentVersion": "3.3.987.0"})
        stacks, projects = [], []
        for name, service in self.other_service_roles:
            role_arn = f"arn:aws:iam::{a}:role/service-role/{name}"
            if service == "cloudformation.amazonaws.com":
                stacks.append({"StackName": name, "StackId": f"arn:aws:cloudformation:{r}:{a}:stack/{name}/{self._hex(8)}",
                               "StackStatus": "UPDATE_COMPLETE", "CreationTime": _iso(self._created()), "RoleARN": role_arn})
            elif service == "codebuild.amazonaws.com":
                projects.append({"name": name, "arn": f"arn:aws:codebuild:{r}:{a}:project/{name}", "serviceRole": role_arn,
                                 "source": {"type": "GITHUB", "location": f"https://github.com/example-corp/{name}.git"},
                                 "environment": {"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0",
                                                 "computeType": "BUILD_GENERAL1_SMALL"}})
        return {
            "s3": {"Buckets": buckets, "AccountPublicAccessBlock": None},
            "kms": {"Keys": keys},
            "secretsmanager": {"Secrets": secrets},
            "sqs": {"Queues": queues},
            "sns": {"Topics": topics},
            "lambda": {"Functions": functions},
            "ec2": {"Instances": instances},
            "ssm": {"InstanceInformationList": managed_instances},
            "cloudformation": {"Stacks": stacks},
            "codebuild": {"Projects": projects},
        }

    # -- the whole account --

    def build(self) -> dict[str, Any]:
        """Every file of the account, as {relative path: JSON value or text}."""
        self.build_resources()
        self.build_policies()
        groups = self.build_groups()
        users, report = self.build_users(groups)
        roles = self.build_roles()
        aws_documents = _aws_managed_documents()
        policies = []
        for arn, item in self.policies.items():
            policies.append({**item, "AttachmentCount": self.attachments.get(arn, 0),
                             "PermissionsBoundaryUsageCount": self.boundary_uses.get(arn, 0)})
        for arn in sorted(a for a in self.attachments if ":aws:policy/" in a):
            name = arn.rsplit("/", 1)[-1]
            source = aws_documents[name]
            policies.append({
                "PolicyName": name, "PolicyId": "ANPA" + name.upper()[:17].ljust(17, "X"), "Arn": arn, "Path": source["Path"],
                "DefaultVersionId": source["DefaultVersionId"], "AttachmentCount": self.attachments[arn],
                "PermissionsBoundaryUsageCount": 0, "IsAttachable": True, "CreateDate": source["CreateDate"],
                "UpdateDate": source["UpdateDate"],
                "PolicyVersionList": [{"Document": source["Document"], "VersionId": source["DefaultVersionId"],
                                       "IsDefaultVersion": True, "CreateDate": source["UpdateDate"]}],
            })
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(REPORT_COLUMNS)
        writer.writerow(["<root_account>", f"arn:aws:iam::{self.account}:root", _iso(CREATED_FROM), "not_supported",
                         _iso(CREATED_FROM + timedelta(days=3)), "not_supported", "not_supported", "true", "false", "N/A",
                         "N/A", "N/A", "N/A", "false", "N/A", "N/A", "N/A", "N/A", "false", "N/A", "false", "N/A"])
        writer.writerows(report)
        files: dict[str, Any] = {
            "authorization-details.json": {"UserDetailList": users, "GroupDetailList": groups, "RoleDetailList": roles,
                                           "Policies": policies},
            "credential-report.csv": out.getvalue(),
            "saml-providers.json": {"SAMLProviderList": [
                {"Arn": self.saml_provider, "ValidUntil": "2027-06-01T00:00:00+00:00", "CreateDate": _iso(CREATED_FROM)},
                {"Arn": self.sso_provider, "ValidUntil": "2030-01-01T00:00:00+00:00", "CreateDate": _iso(CREATED_FROM)}]},
            "oidc-providers.json": {"OpenIDConnectProviderList": [{"Arn": self.oidc_provider}]},
        }
        for name, content in self.resource_files().items():
            files[f"resources/{name}.json"] = content
        return files


REPORT_COLUMNS = (
    "user", "arn", "user_creation_time", "password_enabled", "password_last_used", "password_last_changed",
    "password_next_rotation", "mfa_active", "access_key_1_active", "access_key_1_last_rotated",
    "access_key_1_last_used_date", "access_key_1_last_used_region", "access_key_1_last_used_service",
    "access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date", "access_key_2_last_used_region",
    "access_key_2_last_used_service", "cert_1_active", "cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated",
)


# -- CloudTrail ------------------------------------------------------------------------------------


def cloudtrail_records(builder: AccountBuilder, shape: Shape, seed: int) -> list[dict[str, Any]]:
    """Events in which each active identity uses a share of what its policies grant, plus a few
    calls its policies deny (``errorCode`` AccessDenied)."""
    rng = random.Random(f"ciem-bench-trail:{seed}:{builder.account}")
    a = builder.account
    start = TRAIL_END - timedelta(days=shape.trail_days)
    span = int((TRAIL_END - start).total_seconds())
    records = []
    for principal in builder.principals.values():
        grants = list(dict.fromkeys(principal.uses))
        if not grants or rng.random() >= shape.active_share:
            continue
        used = rng.sample(grants, max(1, round(len(grants) * shape.used_share)))
        key = ("ASIA" if principal.kind == "role" else "AKIA") + "".join(rng.choice(ALPHABET) for _ in range(16))
        for _ in range(max(1, int(rng.expovariate(1 / shape.events_per_identity)))):
            action, resource = rng.choice(used)
            denied = rng.random() < 0.02
            if denied:
                action, resource = rng.choice(DENIED_PROBES), "*"
            moment = start + timedelta(seconds=rng.randrange(span))
            records.append(_event(rng, a, principal, key, action, resource, moment, denied))
    records.sort(key=lambda record: record["eventTime"])
    return records


def _event(rng, account, principal: Principal, key, action, resource, moment, denied) -> dict[str, Any]:
    service, name = action.split(":", 1)
    if principal.kind == "role":
        identity = {
            "type": "AssumedRole", "principalId": f"{principal.unique_id}:{principal.session}",
            "arn": f"arn:aws:sts::{account}:assumed-role/{principal.name}/{principal.session}",
            "accountId": account, "accessKeyId": key,
            "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": principal.unique_id, "arn": principal.arn,
                                                 "accountId": account, "userName": principal.name},
                               "attributes": {"creationDate": _cloudtrail_time(moment - timedelta(minutes=20)),
                                              "mfaAuthenticated": "false"}},
        }
    else:
        identity = {"type": "IAMUser", "principalId": principal.unique_id, "arn": principal.arn, "accountId": account,
                    "accessKeyId": key, "userName": principal.name}
    record: dict[str, Any] = {
        "eventVersion": "1.09", "userIdentity": identity, "eventTime": _cloudtrail_time(moment),
        "eventSource": EVENT_SOURCES.get(service, f"{service}.amazonaws.com"), "eventName": EVENT_NAMES.get(action, name),
        "awsRegion": REGIONS[0], "sourceIPAddress": f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}",
        "userAgent": "Boto3/1.35.0 md/Botocore#1.35.0 ua/2.0 os/linux lang/python#3.12.4",
        "requestParameters": _request_parameters(service, resource),
        "responseElements": None,
        "requestID": _uuid(rng), "eventID": _uuid(rng), "readOnly": name.startswith(("Get", "List", "Describe")),
        "eventType": "AwsApiCall", "managementEvent": service not in ("s3", "dynamodb", "lambda", "sqs", "sns"),
        "recipientAccountId": account, "eventCategory": "Management",
    }
    if resource != "*":
        record["resources"] = [{"ARN": resource, "accountId": account}]
    if denied:
        record["errorCode"] = "AccessDenied"
        record["errorMessage"] = (f"User: {identity['arn']} is not authorized to perform: {action} "
                                  f"because no identity-based policy allows the {action} action")
    return record


def _request_parameters(service: str, resource: str) -> dict[str, Any] | None:
    if resource == "*":
        return None
    if service == "s3":
        bucket, _, key = resource.removeprefix("arn:aws:s3:::").partition("/")
        return {"bucketName": bucket, "key": key} if key else {"bucketName": bucket}
    if service == "dynamodb":
        return {"tableName": resource.rsplit("/", 1)[-1]}
    if service == "sqs":
        _, _, _, region, account, name = resource.split(":", 5)
        return {"queueUrl": f"https://sqs.{region}.amazonaws.com/{account}/{name}"}
    if service == "sns":
        return {"topicArn": resource}
    if service == "secretsmanager":
        return {"secretId": resource}
    if service == "kms":
        return {"keyId": resource}
    if service == "ssm":
        return {"name": resource.split(":parameter", 1)[-1]}
    if service == "logs":
        return {"logGroupName": resource.split(":log-group:", 1)[-1].split(":", 1)[0]}
    return None


def _uuid(rng: random.Random) -> str:
    digits = "".join(rng.choice("0123456789abcdef") for _ in range(32))
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


def _cloudtrail_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def cloudtrail_files(records: list[dict[str, Any]], account: str, org: Org | None, rng: random.Random) -> dict[str, bytes]:
    """The records as CloudTrail delivers them: one gzip file per account, region and hour."""
    by_hour: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        by_hour[(record["awsRegion"], record["eventTime"][:13])].append(record)
    prefix = f"AWSLogs/{org.id}/{account}" if org else f"AWSLogs/{account}"
    files = {}
    for (region, hour), batch in by_hour.items():
        day = hour[:10].replace("-", "/")
        stamp = hour.replace("-", "") + "00Z"
        unique = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(16))
        name = f"{prefix}/CloudTrail/{region}/{day}/{account}_CloudTrail_{region}_{stamp}_{unique}.json.gz"
        files[name] = _gzip(json.dumps({"Records": batch}, separators=(",", ":")).encode())
    return files


def _gzip(data: bytes) -> bytes:
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=6) as out:
        out.write(data)
    return buffer.getvalue()


# -- the organization ------------------------------------------------------------------------------


def organization_files(org: Org, seed: int) -> tuple[dict[str, Any], dict[str, str]]:
    """The organization's files, and each account's parent (root or OU)."""
    rng = random.Random(f"ciem-bench-org:{seed}")
    m, o = org.management, org.id
    root = f"r-{''.join(rng.choice('abcdefghijklmnopqrstuvwxyz0123456789') for _ in range(4))}"

    def ou_id() -> str:
        return f"ou-{root[2:]}-{''.join(rng.choice('abcdefghijklmnopqrstuvwxyz0123456789') for _ in range(8))}"

    ous: list[dict[str, str]] = []

    def add_ou(name: str, parent: str) -> str:
        identifier = ou_id()
        ous.append({"Id": identifier, "Arn": f"{org.arn_prefix()}:ou/{o}/{identifier}", "Name": name, "ParentId": parent})
        return identifier

    security = add_ou("Security", root)
    workloads = add_ou("Workloads", root)
    prod = add_ou("Prod", workloads)
    nonprod = add_ou("NonProd", workloads)
    sandbox = add_ou("Sandbox", root)
    parents = {m: root}
    placement = (security, prod, prod, nonprod, nonprod, sandbox)
    for number, account in enumerate(org.accounts[1:]):
        parents[account] = placement[number % len(placement)]
    accounts = [{"Id": account, "Arn": f"{org.arn_prefix()}:account/{o}/{account}",
                 "Email": f"aws+{account}@example.com", "Name": "management" if account == m else f"workload-{number}",
                 "Status": "ACTIVE", "JoinedMethod": "INVITED" if account == m else "CREATED",
                 "JoinedTimestamp": _iso(CREATED_FROM + timedelta(days=number))} for number, account in enumerate(org.accounts)]

    def target(identifier: str) -> dict[str, str]:
        if identifier == root:
            return {"TargetId": root, "Arn": f"{org.arn_prefix()}:root/{o}/{root}", "Name": "Root", "Type": "ROOT"}
        if identifier in parents:
            return {"TargetId": identifier, "Arn": f"{org.arn_prefix()}:account/{o}/{identifier}",
                    "Name": "management" if identifier == m else identifier, "Type": "ACCOUNT"}
        name = next(ou["Name"] for ou in ous if ou["Id"] == identifier)
        return {"TargetId": identifier, "Arn": f"{org.arn_prefix()}:ou/{o}/{identifier}", "Name": name,
                "Type": "ORGANIZATIONAL_UNIT"}

    global_services = ("iam:*", "organizations:*", "sts:*", "support:*", "cloudfront:*", "route53:*", "budgets:*",
                       "waf:*", "health:*", "trustedadvisor:*", "account:*", "aws-portal:*", "ce:*")
    policies = []

    def add(policy_id, name, kind, document, targets, aws_managed=False):
        type_path = "service_control_policy" if kind == "SERVICE_CONTROL_POLICY" else "resource_control_policy"
        owner = "aws" if aws_managed else m
        policies.append({
            "PolicySummary": {"Id": policy_id, "Arn": f"arn:aws:organizations::{owner}:policy/{'' if aws_managed else o + '/'}{type_path}/{policy_id}",
                              "Name": name, "Description": name, "Type": kind, "AwsManaged": aws_managed},
            "Content": json.dumps(document), "Targets": [target(t) for t in targets]})

    def policy_id() -> str:
        return "p-" + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(8))

    # As AWS does once a policy type is enabled, the full-access policy sits on the root, every OU and
    # every account: a node without an allow would deny everything below it.
    everywhere = [root, *(ou["Id"] for ou in ous), *org.accounts]
    add("p-FullAWSAccess", "FullAWSAccess", "SERVICE_CONTROL_POLICY", _doc(_allow(("*",), ("*",))), everywhere, True)
    add(policy_id(), "DenyLeaveAndProtectTrail", "SERVICE_CONTROL_POLICY", _doc(
        _statement("Deny", "Action", ("organizations:LeaveOrganization",), ("*",), sid="NoLeaving"),
        _statement("Deny", "Action", ("cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "cloudtrail:UpdateTrail",
                                      "guardduty:DeleteDetector", "guardduty:DisassociateFromMasterAccount"), ("*",),
                   {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/security-audit"}}, "ProtectTooling")), [root])
    add(policy_id(), "RegionGuard", "SERVICE_CONTROL_POLICY", _doc(
        _statement("Deny", "NotAction", global_services, ("*",),
                   {"StringNotEquals": {"aws:RequestedRegion": list(REGIONS)}}, "DenyOutsideRegions")), [workloads, sandbox])
    add(policy_id(), "SandboxNoIamUsers", "SERVICE_CONTROL_POLICY", _doc(
        _statement("Deny", "Action", ("iam:CreateUser", "iam:CreateAccessKey", "iam:CreateLoginProfile"), ("*",),
                   sid="NoLongLivedCredentials")), [sandbox])
    add("p-RCPFullAWSAccess", "RCPFullAWSAccess", "RESOURCE_CONTROL_POLICY",
        _doc(_statement("Allow", "Action", ("*",), ("*",), principal="*")), everywhere, True)
    add(policy_id(), "DataPerimeter", "RESOURCE_CONTROL_POLICY", _doc(
        _statement("Deny", "Action", ("s3:*", "secretsmanager:*", "kms:*", "sqs:*"), ("*",),
                   {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": o},
                    "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}, "EnforceOrgIdentities", "*")), [prod])
    files = {
        "organization.json": {"Organization": {
            "Id": o, "Arn": f"{org.arn_prefix()}:organization/{o}", "FeatureSet": "ALL",
            "MasterAccountArn": f"{org.arn_prefix()}:account/{o}/{m}", "MasterAccountId": m,
            "MasterAccountEmail": f"aws+{m}@example.com",
            "AvailablePolicyTypes": [{"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}]}},
        "roots.json": {"Roots": [{"Id": root, "Arn": f"{org.arn_prefix()}:root/{o}/{root}", "Name": "Root",
                                  "PolicyTypes": [{"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"},
                                                  {"Type": "RESOURCE_CONTROL_POLICY", "Status": "ENABLED"}]}]},
        "accounts.json": {"Accounts": accounts},
        "organizational-units.json": {"OrganizationalUnits": ous},
        "account-parents.json": parents,
        "policies.json": {"Policies": policies},
    }
    return files, parents


# -- writing ---------------------------------------------------------------------------------------


def account_ids(seed: int, count: int) -> tuple[str, ...]:
    rng = random.Random(f"ciem-bench-accounts:{seed}")
    ids: list[str] = []
    while len(ids) < count:
        candidate = str(rng.randrange(10**11, 10**12)).zfill(12)
        if candidate not in ids:
            ids.append(candidate)
    return tuple(ids)


def _write(path: Path, content: Any, summary: Summary) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        data = content
    elif isinstance(content, str):
        data = content.encode()
    else:
        data = json.dumps(content, indent=4).encode()  # as the AWS CLI prints it
    path.write_bytes(data)
    summary.bytes += len(data)
    summary.counts["files"] += 1


def generate(out: Path, shape: Shape = Shape(), seed: int = 1, cloudtrail: bool = True, progress=None) -> Summary:
    """Write an estate of ``shape`` into ``out`` (which must be empty or absent)."""
    started = time.perf_counter()
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out}: not empty; generate into a new folder")
    ids = account_ids(seed, shape.accounts + 4)
    accounts, vendors = ids[: shape.accounts], ids[shape.accounts:]
    org = None
    summary = Summary(str(out), seed, asdict(shape), list(accounts))
    if shape.accounts > 1:
        org_rng = random.Random(f"ciem-bench-org-id:{seed}")
        org = Org(id="o-" + "".join(org_rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(10)),
                  management=accounts[0], accounts=accounts, vendors=vendors)
        files, _ = organization_files(org, seed)
        for name, content in files.items():
            _write(out / "organization" / name, content, summary)
    for number, account in enumerate(accounts):
        builder = AccountBuilder(seed, account, number, shape, org)
        files = builder.build()
        details = files["authorization-details.json"]
        summary.counts["roles"] += len(details["RoleDetailList"])
        summary.counts["users"] += len(details["UserDetailList"])
        summary.counts["groups"] += len(details["GroupDetailList"])
        summary.counts["policies"] += len(details["Policies"])
        summary.counts["escalation_policies"] += len(builder.escalation_policies)
        for name, content in files.items():
            _write(out / "accounts" / account / name, content, summary)
        if cloudtrail:
            records = cloudtrail_records(builder, shape, seed)
            summary.counts["cloudtrail_events"] += len(records)
            trail_rng = random.Random(f"ciem-bench-trail-files:{seed}:{account}")
            for name, content in cloudtrail_files(records, account, org, trail_rng).items():
                _write(out / "cloudtrail" / name, content, summary)
        if progress:
            progress(number + 1, len(accounts))
    summary.counts = dict(summary.counts)
    summary.seconds = round(time.perf_counter() - started, 2)
    return summary


def auth_details_files(out: Path) -> list[Path]:
    """Each account's authorization-details file, as PMapper and Cloudsplaining take them."""
    return sorted(Path(out).glob("accounts/*/authorization-details.json"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, type=Path, help="folder to create (must be empty or absent)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--accounts", type=int, default=1)
    parser.add_argument("--roles", type=int, default=Shape.roles)
    parser.add_argument("--users", type=int, default=Shape.users)
    parser.add_argument("--policies", type=int, default=Shape.policies)
    parser.add_argument("--no-cloudtrail", action="store_true", help="skip the CloudTrail sample")
    args = parser.parse_args(argv)
    shape = Shape(accounts=args.accounts, roles=args.roles, users=args.users, policies=args.policies)
    summary = generate(args.out, shape, args.seed, cloudtrail=not args.no_cloudtrail,
                       progress=lambda done, total: print(f"  account {done}/{total}", file=sys.stderr))
    print(json.dumps({k: v for k, v in asdict(summary).items() if k != "shape"}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
