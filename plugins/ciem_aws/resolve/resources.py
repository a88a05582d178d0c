"""Resources of the collected accounts (``resources/*.json``), with their policies and the roles they run as.

Sensitivity rules (docs/aws-semantics.md): a ``sensitivity``, ``data-classification`` or
``classification`` tag decides (public NONE; internal LOW; confidential, sensitive, pii, phi, pci,
high HIGH; restricted, secret, critical, top-secret CRITICAL); untagged Secrets Manager secrets and
KMS keys are HIGH, roles that are admin-equivalent CRITICAL, everything else NONE.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from ciem.errors import InputError
from ciem.model import Sensitivity

from ciem_aws.policy.document import Policy, parse_policy
from ciem_aws.resolve.principals import Account, Estate, _tags

TAG_KEYS = ("sensitivity", "data-classification", "classification", "dataclassification")
TAG_LEVELS = {
    "public": Sensitivity.NONE, "none": Sensitivity.NONE,
    "internal": Sensitivity.LOW, "low": Sensitivity.LOW,
    "confidential": Sensitivity.HIGH, "sensitive": Sensitivity.HIGH, "pii": Sensitivity.HIGH,
    "phi": Sensitivity.HIGH, "pci": Sensitivity.HIGH, "high": Sensitivity.HIGH,
    "restricted": Sensitivity.CRITICAL, "secret": Sensitivity.CRITICAL, "critical": Sensitivity.CRITICAL,
    "top-secret": Sensitivity.CRITICAL, "topsecret": Sensitivity.CRITICAL,
}
TYPE_DEFAULTS = {"secretsmanager:secret": Sensitivity.HIGH, "kms:key": Sensitivity.HIGH}
_REGION = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d+")


@dataclass
class AwsResource:
    arn: str
    type: str  # "<service>:<resource type>", e.g. "s3:bucket"
    account: str
    name: str
    region: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    policy: Policy | None = None
    role: str = ""  # the role ARN the resource runs as (instance profile, function role, stack role ...)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def patterns(self) -> tuple[str, ...]:
        """The resource ids a grant on this resource covers (a bucket and its objects)."""
        return (self.arn, self.arn + "/*") if self.type == "s3:bucket" else (self.arn,)

    def sensitivity(self) -> Sensitivity:
        for key, value in self.tags.items():
            if key.lower() in TAG_KEYS and value.strip().lower() in TAG_LEVELS:
                return TAG_LEVELS[value.strip().lower()]
        return TYPE_DEFAULTS.get(self.type, Sensitivity.NONE)


def _grant_statement(grant: dict[str, Any]) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Sid": str(grant.get("GrantId") or grant.get("Name") or "grant"),
        "Effect": "Allow",
        "Principal": {"AWS": grant["GranteePrincipal"]},
        "Action": [f"kms:{operation}" for operation in grant.get("Operations") or []] or ["kms:NoOperation"],
        "Resource": "*",
    }
    constraints = grant.get("Constraints") or {}
    context = {**(constraints.get("EncryptionContextSubset") or {}), **(constraints.get("EncryptionContextEquals") or {})}
    if context:
        statement["Condition"] = {"StringEquals": {f"kms:EncryptionContext:{k}": v for k, v in context.items()}}
    return statement


def _region_of_zone(zone: str) -> str:
    match = _REGION.match(zone or "")
    return match.group(0) if match else ""


class _Reader:
    def __init__(self, estate: Estate, account: Account):
        self.estate = estate
        self.account = account
        self.source = account.source
        self.profiles = {profile: p.arn for p in estate.principals.values() for profile in p.instance_profiles}

    def where(self, service: str, key: str, index: int) -> str:
        return f"$.accounts.{self.account.id}.resources.{service}.{key}[{index}]"

    def items(self, service: str, key: str) -> Iterator[tuple[dict[str, Any], str]]:
        block = self.account.resources.get(service) or {}
        if not isinstance(block, dict):
            raise InputError(self.source, f"$.accounts.{self.account.id}.resources.{service}", "must be an object")
        for index, item in enumerate(block.get(key) or []):
            where = self.where(service, key, index)
            if not isinstance(item, dict):
                raise InputError(self.source, where, "must be an object")
            yield item, where

    def require(self, item: dict[str, Any], key: str, where: str) -> Any:
        value = item.get(key)
        if not value:
            raise InputError(self.source, where, f"missing {key}")
        return value

    def policy(self, item: dict[str, Any], arn: str, where: str) -> Policy | None:
        raw = item.get("Policy")
        return None if raw in (None, "", {}) else parse_policy(raw, f"resource:{arn}", self.source, f"{where}.Policy")

    def make(self, item: dict[str, Any], where: str, type_: str, arn: str, name: str, **extra: Any) -> AwsResource:
        return AwsResource(arn, type_, self.account.id, name, item.get("Region", ""), _tags(item.get("Tags") or item.get("tags")),
                           self.policy(item, arn, where), **extra)

    # One reader per file of docs/aws-export-layout.md.
    def s3(self) -> Iterator[AwsResource]:
        block = self.account.resources.get("s3") or {}
        account_block = block.get("AccountPublicAccessBlock") or {}
        for item, where in self.items("s3", "Buckets"):
            name = self.require(item, "Name", where)
            bucket_block = item.get("PublicAccessBlock") or {}
            restrict = bool(bucket_block.get("RestrictPublicBuckets") or account_block.get("RestrictPublicBuckets"))
            yield self.make(item, where, "s3:bucket", f"arn:aws:s3:::{name}", name,
                            extra={"restrict_public": restrict})

    def kms(self) -> Iterator[AwsResource]:
        for item, where in self.items("kms", "Keys"):
            arn = self.require(item, "Arn", where)
            key = self.make(item, where, "kms:key", arn, item.get("KeyId", arn))
            grants = [g for g in item.get("Grants") or [] if isinstance(g, dict) and g.get("GranteePrincipal")]
            if grants and key.policy is not None:
                # A grant allows its grantee its operations on the key, like a key-policy statement naming it.
                document = {"Version": "2012-10-17", "Statement": [_grant_statement(g) for g in grants]}
                extra = parse_policy(document, f"kms-grants:{arn}", self.source, f"{where}.Grants")
                key.policy = Policy(key.policy.label, key.policy.version, key.policy.statements + extra.statements)
            yield key

    def secretsmanager(self) -> Iterator[AwsResource]:
        for item, where in self.items("secretsmanager", "Secrets"):
            yield self.make(item, where, "secretsmanager:secret", self.require(item, "ARN", where), item.get("Name", ""))

    def sqs(self) -> Iterator[AwsResource]:
        for item, where in self.items("sqs", "Queues"):
            arn = self.require(item, "Arn", where)
            yield self.make(item, where, "sqs:queue", arn, arn.rsplit(":", 1)[-1])

    def sns(self) -> Iterator[AwsResource]:
        for item, where in self.items("sns", "Topics"):
            arn = self.require(item, "TopicArn", where)
            yield self.make(item, where, "sns:topic", arn, arn.rsplit(":", 1)[-1])

    def lambda_(self) -> Iterator[AwsResource]:
        for item, where in self.items("lambda", "Functions"):
            arn = self.require(item, "FunctionArn", where)
            yield self.make(item, where, "lambda:function", arn, item.get("FunctionName", ""), role=item.get("Role", ""))

    def ecr(self) -> Iterator[AwsResource]:
        for item, where in self.items("ecr", "Repositories"):
            yield self.make(item, where, "ecr:repository", self.require(item, "repositoryArn", where), item.get("repositoryName", ""))

    def ec2(self) -> Iterator[AwsResource]:
        managed = {i.get("InstanceId"): i for i, _ in self.items("ssm", "InstanceInformationList")}
        for item, where in self.items("ec2", "Instances"):
            instance = self.require(item, "InstanceId", where)
            region = item.get("Region") or _region_of_zone((item.get("Placement") or {}).get("AvailabilityZone", ""))
            profile = (item.get("IamInstanceProfile") or {}).get("Arn", "")
            info = managed.get(instance)
            resource = AwsResource(
                f"arn:aws:ec2:{region}:{self.account.id}:instance/{instance}", "ec2:instance", self.account.id, instance,
                region, _tags(item.get("Tags")), None, role=self.profiles.get(profile, ""),
                extra={"profile": profile, "state": (item.get("State") or {}).get("Name", ""),
                       "ssm_online": bool(info) and info.get("PingStatus", "Online") == "Online"})
            yield resource

    def cloudformation(self) -> Iterator[AwsResource]:
        for item, where in self.items("cloudformation", "Stacks"):
            yield self.make(item, where, "cloudformation:stack", self.require(item, "StackId", where),
                            item.get("StackName", ""), role=item.get("RoleARN", ""))

    def codebuild(self) -> Iterator[AwsResource]:
        for item, where in self.items("codebuild", "Projects"):
            yield self.make(item, where, "codebuild:project", self.require(item, "arn", where), item.get("name", ""),
                            role=item.get("serviceRole", ""))

    def _regional_arn(self, service: str, item: dict[str, Any], kind: str, name: str) -> str:
        return f"arn:aws:{service}:{item.get('Region', '')}:{self.account.id}:{kind}/{name}"

    def glue(self) -> Iterator[AwsResource]:
        for item, where in self.items("glue", "Jobs"):
            name = self.require(item, "Name", where)
            yield self.make(item, where, "glue:job", self._regional_arn("glue", item, "job", name), name, role=item.get("Role", ""))
        for item, where in self.items("glue", "DevEndpoints"):
            name = self.require(item, "EndpointName", where)
            yield self.make(item, where, "glue:devendpoint", self._regional_arn("glue", item, "devEndpoint", name), name,
                            role=item.get("RoleArn", ""))

    def sagemaker(self) -> Iterator[AwsResource]:
        for item, where in self.items("sagemaker", "NotebookInstances"):
            yield self.make(item, where, "sagemaker:notebook-instance", self.require(item, "NotebookInstanceArn", where),
                            item.get("NotebookInstanceName", ""), role=item.get("RoleArn", ""))

    def ecs(self) -> Iterator[AwsResource]:
        task_roles: dict[str, str] = {}
        for item, where in self.items("ecs", "TaskDefinitions"):
            arn = self.require(item, "taskDefinitionArn", where)
            task_roles[arn] = item.get("taskRoleArn", "")
            yield self.make(item, where, "ecs:task-definition", arn, item.get("family", ""), role=task_roles[arn])
        for item, where in self.items("ecs", "Services"):
            # A service's tasks run as the task role of its task definition.
            definition = item.get("taskDefinition", "")
            yield self.make(item, where, "ecs:service", self.require(item, "serviceArn", where), item.get("serviceName", ""),
                            role=task_roles.get(definition, ""),
                            extra={"task_definition": definition, "cluster": item.get("clusterArn", ""),
                                   "execute_command": bool(item.get("enableExecuteCommand")),
                                   "running": int(item.get("runningCount") or 0)})

    def apprunner(self) -> Iterator[AwsResource]:
        for item, where in self.items("apprunner", "Services"):
            role = (item.get("InstanceConfiguration") or {}).get("InstanceRoleArn", "")
            yield self.make(item, where, "apprunner:service", self.require(item, "ServiceArn", where),
                            item.get("ServiceName", ""), role=role)

    def batch(self) -> Iterator[AwsResource]:
        for item, where in self.items("batch", "JobDefinitions"):
            # A container job's role, or (ECS properties) the task role of its first task.
            tasks = (item.get("ecsProperties") or {}).get("taskProperties") or [{}]
            role = (item.get("containerProperties") or {}).get("jobRoleArn") or tasks[0].get("taskRoleArn", "")
            yield self.make(item, where, "batch:job-definition", self.require(item, "jobDefinitionArn", where),
                            item.get("jobDefinitionName", ""), role=role)

    def readers(self) -> list[Callable[[], Iterator[AwsResource]]]:
        return [self.s3, self.kms, self.secretsmanager, self.sqs, self.sns, self.lambda_, self.ecr, self.ec2,
                self.cloudformation, self.codebuild, self.glue, self.sagemaker, self.ecs, self.apprunner, self.batch]


def read_resources(estate: Estate) -> list[AwsResource]:
    out: list[AwsResource] = []
    for account in estate.collected_accounts():
        reader = _Reader(estate, account)
        for read in reader.readers():
            out.extend(read())
    return out
