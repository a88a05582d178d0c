"""Live collection from AWS through boto3: thin API calls whose responses
:mod:`ciem_aws.collect.transform` turns into the snapshot shape of docs/aws-export-layout.md.

Options (a live source's settings):

``profile``
    credentials profile; default: boto3's default credential chain.
``region``
    region of the session, of STS and of global services' clients; default ``us-east-1``.
``regions``
    list of regions whose regional resources (KMS, Secrets Manager, SQS, SNS, Lambda, ECR, EC2, SSM,
    CloudFormation, CodeBuild, Glue, SageMaker, ECS, App Runner) are read; default ``[region]``.
    S3 buckets are listed once, whatever their region.
``organization``
    ``true`` to read the whole organization (accounts, OUs, SCPs, RCPs) and, unless ``accounts`` is
    given, collect every active account of it. Without it the organization is still read in full
    when the caller is its management account.
``accounts``
    list of account ids to collect; default: the caller's account, or every active account of the
    organization with ``organization: true``.
``assume_role``
    name (with path, if any) of the role to assume in every account other than the caller's, for
    example ``OrganizationAccountAccessRole``; the session name is ``ciem-collect``.
``external_id``
    the ExternalId to pass to that AssumeRole call.

Every client retries throttled calls with botocore's standard retry mode (10 attempts). A call that
is denied, unsupported in a region or otherwise refused becomes a :class:`ciem.model.CoverageGap`
(scope ``ACCOUNT`` or ``ACCOUNT/REGION``, operation ``service:Operation``) and collection goes on;
the "no such policy" answers mean that there is no policy and are not gaps.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Mapping

import boto3
import botocore.session
from botocore.config import Config
from botocore.credentials import CredentialProvider, RefreshableCredentials
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionError as BotoConnectionError,
    HTTPClientError,
    ProfileNotFound,
)

from ciem.errors import ConfigError, SourceError
from ciem.hookspec import Progress
from ciem.model import CoverageGap, Snapshot

from ciem_aws import PROVIDER
from ciem_aws.collect import transform

SESSION_NAME = "ciem-collect"
RETRIES = Config(retries={"mode": "standard", "max_attempts": 10})
AUTH_DETAILS_FILTER = ["User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"]
ORGANIZATION_POLICY_TYPES = ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY")
REPORT_POLLS = 10  # generate-credential-report is asked this often, REPORT_POLL_SECONDS apart
REPORT_POLL_SECONDS = 2.0
_ACCOUNT_ID = re.compile(r"^\d{12}$")


@dataclass(frozen=True)
class Settings:
    profile: str | None
    region: str
    regions: tuple[str, ...]
    organization: bool
    accounts: tuple[str, ...]
    assume_role: str | None
    external_id: str | None

    @staticmethod
    def from_options(options: Mapping[str, Any]) -> "Settings":
        def text(key: str, default: str | None = None) -> str | None:
            value = options.get(key, default)
            if value is not None and (not isinstance(value, str) or not value):
                raise ConfigError(f"aws option {key!r} must be a non-empty string")
            return value

        def text_list(key: str, default: tuple[str, ...]) -> tuple[str, ...]:
            value = options.get(key)
            if value is None:
                return default
            if not isinstance(value, list) or not value:
                raise ConfigError(f"aws option {key!r} must be a non-empty list")
            return tuple(str(item) for item in value)

        region = text("region", "us-east-1")
        accounts = text_list("accounts", ())
        for account in accounts:
            if not _ACCOUNT_ID.match(account):
                raise ConfigError(f"aws option 'accounts': {account!r} is not a 12-digit account id (quote it in YAML)")
        organization = options.get("organization", False)
        if not isinstance(organization, bool):
            raise ConfigError("aws option 'organization' must be true or false")
        assume_role = text("assume_role")
        if assume_role and assume_role.startswith("arn:"):
            raise ConfigError("aws option 'assume_role' is a role name (assumed in each account), not an ARN")
        return Settings(
            profile=text("profile"),
            region=region,
            regions=text_list("regions", (region,)),
            organization=organization,
            accounts=accounts,
            assume_role=assume_role,
            external_id=text("external_id"),
        )


def collect(options: Mapping[str, Any], progress: Progress) -> Snapshot:
    """Collect the accounts ``options`` name (see the module docstring) into one snapshot."""
    settings = Settings.from_options(options)
    started = datetime.now(timezone.utc)
    try:
        session = boto3.Session(profile_name=settings.profile, region_name=settings.region)
        caller = session.client("sts", config=RETRIES).get_caller_identity()
    except ProfileNotFound as error:
        raise SourceError(f"aws: {error}") from None
    except (ClientError, BotoCoreError) as error:  # no credentials, expired ones, no network
        raise SourceError(f"aws: cannot call sts:GetCallerIdentity: {error}") from None
    caller_account = caller["Account"]
    partition = caller["Arn"].split(":")[1]
    gaps: list[CoverageGap] = []
    home = AccountReader(session, caller_account, settings, gaps, progress)
    organization = home.organization()
    accounts = _target_accounts(settings, caller_account, organization, gaps)
    data: dict[str, Any] = {"organization": organization, "accounts": {}}
    for index, account in enumerate(accounts):
        progress(f"aws account {account}", index, len(accounts))
        if account == caller_account:
            reader = home
        else:
            account_session = _assume(session, settings, partition, account, gaps)
            if account_session is None:
                continue
            reader = AccountReader(account_session, account, settings, gaps, progress)
        data["accounts"][account] = reader.account_data()
    progress("aws accounts", len(accounts), len(accounts))
    source = f"live:profile={settings.profile}" if settings.profile else "live:default-credentials"
    return Snapshot(provider=PROVIDER, source=source, collected_at=started, data=data, gaps=gaps)


def _target_accounts(
    settings: Settings, caller: str, organization: dict | None, gaps: list[CoverageGap]
) -> list[str]:
    if settings.accounts:
        return list(dict.fromkeys(settings.accounts))
    if not settings.organization:
        return [caller]
    if organization is None:
        gaps.append(CoverageGap(PROVIDER, caller, "organizations:ListAccounts",
                                "organization: true, but the organization could not be read; collected the caller's account only"))
        return [caller]
    accounts = []
    for account in organization["accounts"]:
        if account.get("Status", "ACTIVE") == "ACTIVE":
            accounts.append(account["Id"])
        else:
            gaps.append(CoverageGap(PROVIDER, account["Id"], "organizations:ListAccounts",
                                    f"skipped: the account's status is {account['Status']}"))
    return accounts or [caller]


def _assume(
    session: boto3.Session, settings: Settings, partition: str, account: str, gaps: list[CoverageGap]
) -> boto3.Session | None:
    if not settings.assume_role:
        gaps.append(CoverageGap(PROVIDER, account, "sts:AssumeRole",
                                "skipped: not the caller's account and no assume_role is configured"))
        return None
    request = {"RoleArn": f"arn:{partition}:iam::{account}:role/{settings.assume_role}", "RoleSessionName": SESSION_NAME}
    if settings.external_id:
        request["ExternalId"] = settings.external_id
    role = _AssumedRole(session.client("sts", config=RETRIES), request)
    try:
        first = role.fetch()
    except ClientError as error:
        gaps.append(CoverageGap(PROVIDER, account, "sts:AssumeRole", f"{request['RoleArn']}: {_describe(error)}"))
        return None
    role.credentials = RefreshableCredentials.create_from_metadata(first, role.fetch, role.METHOD)
    core = botocore.session.Session()
    core.get_component("credential_provider").insert_before("env", role)
    return boto3.Session(botocore_session=core, region_name=settings.region)


class _AssumedRole(CredentialProvider):
    """An assumed role's credentials, which botocore renews before they expire (a large account can
    take longer to read than the role's session lasts)."""

    METHOD = "ciem-assume-role"

    def __init__(self, sts: Any, request: Mapping[str, str]):
        super().__init__()
        self.sts = sts
        self.request = request
        self.credentials: RefreshableCredentials | None = None

    def fetch(self) -> dict[str, str]:
        credentials = self.sts.assume_role(**self.request)["Credentials"]
        return {
            "access_key": credentials["AccessKeyId"],
            "secret_key": credentials["SecretAccessKey"],
            "token": credentials["SessionToken"],
            "expiry_time": credentials["Expiration"].isoformat(),
        }

    def load(self) -> RefreshableCredentials | None:
        return self.credentials


def _describe(error: ClientError) -> str:
    details = error.response.get("Error", {})
    return f"{details.get('Code', 'Unknown')}: {details.get('Message', '')}".rstrip(": ")


def _chunks(items: list, size: int) -> Iterable[list]:
    return (items[start:start + size] for start in range(0, len(items), size))


class AccountReader:
    """Reads one account with one session; every refused call is recorded in ``gaps``."""

    def __init__(self, session: boto3.Session, account: str, settings: Settings, gaps: list[CoverageGap],
                 progress: Progress):
        self.session = session
        self.account = account
        self.settings = settings
        self.gaps = gaps
        self.progress = progress
        self._clients: dict[tuple[str, str], Any] = {}

    # -- thin calls ----------------------------------------------------------------------------

    def client(self, service: str, region: str | None = None) -> Any:
        region = region or self.settings.region
        if (service, region) not in self._clients:
            self._clients[service, region] = self.session.client(service, region_name=region, config=RETRIES)
        return self._clients[service, region]

    def _guarded(self, scope: str, client: Any, operation: str, target: str, absent: Iterable[str],
                 run: Callable[[], Any]) -> Any:
        """``run()``, or ``None`` when AWS answers with an ``absent`` code or refuses (a gap)."""
        try:
            return run()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in absent:
                return None
            reason = _describe(error)
        except (BotoConnectionError, HTTPClientError) as error:
            reason = str(error)
        name = f"{client.meta.service_model.service_name}:{client.meta.method_to_api_mapping[operation]}"
        self.gaps.append(CoverageGap(PROVIDER, scope, name, f"{target}: {reason}" if target else reason))
        return None

    def get(self, scope: str, client: Any, operation: str, *, target: str = "", absent: Iterable[str] = (),
            **request: Any) -> Any:
        return self._guarded(scope, client, operation, target, absent, lambda: getattr(client, operation)(**request))

    def all(self, scope: str, client: Any, operation: str, key: str, *, target: str = "", **request: Any) -> list:
        """Every item under ``key`` across all pages (paginator where boto3 has one), or ``[]`` on a gap."""

        def run() -> list:
            if client.can_paginate(operation):
                pages = client.get_paginator(operation).paginate(**request)
                return [item for page in pages for item in page.get(key, [])]
            items, token = [], None
            while True:
                page = getattr(client, operation)(**request, **({"NextToken": token} if token else {}))
                items.extend(page.get(key, []))
                token = page.get("NextToken")
                if not token:
                    return items

        return self._guarded(scope, client, operation, target, (), run) or []

    def scope(self, region: str | None = None) -> str:
        return f"{self.account}/{region}" if region else self.account

    # -- organization --------------------------------------------------------------------------

    def organization(self) -> dict[str, Any] | None:
        """The organization as the caller sees it, or ``None`` when the account is in none."""
        org = self.client("organizations")
        scope = self.scope()
        described = self.get(scope, org, "describe_organization", absent=("AWSOrganizationsNotInUseException",))
        if described is None:
            return None
        data: dict[str, Any] = {
            "organization": transform.jsonable(described["Organization"]),
            "roots": [], "accounts": [], "organizational_units": [], "account_parents": {}, "policies": [],
        }
        if not self.settings.organization and data["organization"].get("MasterAccountId") != self.account:
            self.gaps.append(CoverageGap(
                PROVIDER, scope, "organizations:ListPolicies",
                "not read: the caller is not the management account and 'organization' is not set; "
                "the SCPs and RCPs that apply to these accounts are unknown"))
            return data
        data["roots"] = transform.jsonable(self.all(scope, org, "list_roots", "Roots"))
        data["accounts"] = transform.jsonable(self.all(scope, org, "list_accounts", "Accounts"))
        parents = [root["Id"] for root in data["roots"]]
        while parents:
            parent = parents.pop(0)
            for unit in self.all(scope, org, "list_organizational_units_for_parent", "OrganizationalUnits",
                                 target=parent, ParentId=parent):
                data["organizational_units"].append({**unit, "ParentId": parent})
                parents.append(unit["Id"])
        for account in data["accounts"]:
            found = self.all(scope, org, "list_parents", "Parents", target=account["Id"], ChildId=account["Id"])
            if found:
                data["account_parents"][account["Id"]] = found[0]["Id"]
        for policy_type in ORGANIZATION_POLICY_TYPES:
            for summary in self.all(scope, org, "list_policies", "Policies", target=policy_type, Filter=policy_type):
                described_policy = self.get(scope, org, "describe_policy", target=summary["Id"], PolicyId=summary["Id"])
                if described_policy is None:
                    continue
                targets = self.all(scope, org, "list_targets_for_policy", "Targets",
                                   target=summary["Id"], PolicyId=summary["Id"])
                data["policies"].append(transform.organization_policy(
                    summary, described_policy["Policy"]["Content"], targets, f"aws:{self.account}"))
        return data

    # -- one account ---------------------------------------------------------------------------

    def account_data(self) -> dict[str, Any]:
        readers = self._regional_readers()
        steps = len(readers) + 2
        self.progress(f"aws account {self.account}: iam", 0, steps)
        data = {
            "authorization_details": self.authorization_details(),
            "credential_report": self.credential_report(),
            "saml_providers": self.saml_providers(),
            "oidc_providers": self.oidc_providers(),
        }
        self.progress(f"aws account {self.account}: s3", 1, steps)
        resources: dict[str, Any] = {"s3": self.s3()}
        for step, (service, read) in enumerate(readers.items(), start=2):
            self.progress(f"aws account {self.account}: {service}", step, steps)
            resources[service] = transform.merge_regional(read(region) for region in self.settings.regions)
        source = f"aws:{self.account}"
        for service, locations in transform.RESOURCE_DOCUMENTS.items():
            transform.decode_documents(resources[service], locations, source, validate=False)
        return {**data, "resources": resources}

    def _regional_readers(self) -> dict[str, Callable[[str], dict[str, list]]]:
        return {
            "kms": self.kms, "secretsmanager": self.secretsmanager, "sqs": self.sqs, "sns": self.sns,
            "lambda": self.lambda_, "ecr": self.ecr, "ec2": self.ec2, "ssm": self.ssm,
            "cloudformation": self.cloudformation, "codebuild": self.codebuild, "glue": self.glue,
            "sagemaker": self.sagemaker, "ecs": self.ecs, "apprunner": self.apprunner, "batch": self.batch,
        }

    def authorization_details(self) -> dict[str, list]:
        iam = self.client("iam")
        pages = self._guarded(self.scope(), iam, "get_account_authorization_details", "", (), lambda: list(
            iam.get_paginator("get_account_authorization_details").paginate(Filter=AUTH_DETAILS_FILTER)))
        source = f"aws:{self.account}"
        details = transform.merge_authorization_details((source, transform.jsonable(page)) for page in pages or [])
        for arn in transform.missing_managed_policies(details) if pages else []:
            policy = self.get(self.scope(), iam, "get_policy", target=arn, PolicyArn=arn)
            version = policy and self.get(self.scope(), iam, "get_policy_version", target=arn, PolicyArn=arn,
                                          VersionId=policy["Policy"]["DefaultVersionId"])
            if version:
                details["Policies"].append(transform.managed_policy_detail(policy["Policy"], version["PolicyVersion"]))
        self.gaps.extend(transform.missing_policy_gaps(self.account, details))
        transform.decode_documents(details, transform.AUTH_DETAIL_DOCUMENTS, source, validate=False)
        return details

    def credential_report(self) -> list[dict[str, str]] | None:
        iam = self.client("iam")
        for _ in range(REPORT_POLLS):
            generated = self.get(self.scope(), iam, "generate_credential_report")
            if generated is None:
                return None
            if generated.get("State") == "COMPLETE":
                break
            time.sleep(REPORT_POLL_SECONDS)
        else:
            self.gaps.append(CoverageGap(PROVIDER, self.scope(), "iam:GetCredentialReport",
                                         f"report not ready after {REPORT_POLLS * REPORT_POLL_SECONDS:.0f} s"))
            return None
        report = self.get(self.scope(), iam, "get_credential_report")
        return transform.parse_credential_report(report["Content"]) if report else None

    def saml_providers(self) -> list[dict]:
        listed = self.get(self.scope(), self.client("iam"), "list_saml_providers")
        return transform.jsonable(listed["SAMLProviderList"]) if listed else []

    def oidc_providers(self) -> list[dict]:
        iam = self.client("iam")
        listed = self.get(self.scope(), iam, "list_open_id_connect_providers")
        providers = []
        for provider in listed["OpenIDConnectProviderList"] if listed else []:
            arn = provider["Arn"]
            details = self.get(self.scope(), iam, "get_open_id_connect_provider", target=arn,
                               OpenIDConnectProviderArn=arn)
            providers.append({"Arn": arn, **transform.jsonable(details or {})})
        return providers

    def s3(self) -> dict[str, Any]:
        scope = self.scope()
        s3 = self.client("s3")
        buckets = []
        for bucket in self.all(scope, s3, "list_buckets", "Buckets"):
            name = bucket["Name"]
            region = bucket.get("BucketRegion")
            if region is None:
                location = self.get(scope, s3, "get_bucket_location", target=name, Bucket=name)
                region = transform.bucket_region(location.get("LocationConstraint")) if location else None
            regional = self.client("s3", region)
            policy = self.get(scope, regional, "get_bucket_policy", target=name, Bucket=name,
                              absent=("NoSuchBucketPolicy",))
            block = self.get(scope, regional, "get_public_access_block", target=name, Bucket=name,
                             absent=("NoSuchPublicAccessBlockConfiguration",))
            tagging = self.get(scope, regional, "get_bucket_tagging", target=name, Bucket=name,
                               absent=("NoSuchTagSet",))
            buckets.append(transform.s3_bucket(
                name, region,
                policy["Policy"] if policy else None,
                block["PublicAccessBlockConfiguration"] if block else None,
                tagging["TagSet"] if tagging else None,
            ))
        account_block = self.get(scope, self.client("s3control"), "get_public_access_block",
                                 AccountId=self.account, absent=("NoSuchPublicAccessBlockConfiguration",))
        return {
            "Buckets": buckets,
            "AccountPublicAccessBlock": account_block["PublicAccessBlockConfiguration"] if account_block else None,
        }

    def kms(self, region: str) -> dict[str, list]:
        scope, kms = self.scope(region), self.client("kms", region)
        keys = []
        for key in self.all(scope, kms, "list_keys", "Keys"):
            key_id, arn = key["KeyId"], key["KeyArn"]
            policy = self.get(scope, kms, "get_key_policy", target=arn, KeyId=key_id, PolicyName="default")
            grants = self.all(scope, kms, "list_grants", "Grants", target=arn, KeyId=key_id)
            tags = self.all(scope, kms, "list_resource_tags", "Tags", target=arn, KeyId=key_id)
            keys.append(transform.kms_key(key, region, policy["Policy"] if policy else None, grants, tags))
        return {"Keys": keys}

    def secretsmanager(self, region: str) -> dict[str, list]:
        scope, client = self.scope(region), self.client("secretsmanager", region)
        secrets = []
        for item in self.all(scope, client, "list_secrets", "SecretList"):
            policy = self.get(scope, client, "get_resource_policy", target=item["ARN"], SecretId=item["ARN"])
            secrets.append(transform.secret(item, region, policy.get("ResourcePolicy") if policy else None))
        return {"Secrets": secrets}

    def sqs(self, region: str) -> dict[str, list]:
        scope, client = self.scope(region), self.client("sqs", region)
        queues = []
        for url in self.all(scope, client, "list_queues", "QueueUrls"):
            attributes = self.get(scope, client, "get_queue_attributes", target=url, QueueUrl=url,
                                  AttributeNames=["QueueArn", "Policy"])
            if attributes is not None:
                queues.append(transform.sqs_queue(url, region, attributes.get("Attributes", {})))
        return {"Queues": queues}

    def sns(self, region: str) -> dict[str, list]:
        scope, client = self.scope(region), self.client("sns", region)
        topics = []
        for topic in self.all(scope, client, "list_topics", "Topics"):
            arn = topic["TopicArn"]
            attributes = self.get(scope, client, "get_topic_attributes", target=arn, TopicArn=arn)
            if attributes is not None:
                topics.append(transform.sns_topic(arn, region, attributes.get("Attributes", {})))
        return {"Topics": topics}

    def lambda_(self, region: str) -> dict[str, list]:
        scope, client = self.scope(region), self.client("lambda", region)
        functions = []
        for function in self.all(scope, client, "list_functions", "Functions"):
            arn = function["FunctionArn"]
            policy = self.get(scope, client, "get_policy", target=arn, FunctionName=arn,
                              absent=("ResourceNotFoundException",))
            functions.append(transform.with_region(function, region, Policy=policy["Policy"] if policy else None))
        return {"Functions": functions}

    def ecr(self, region: str) -> dict[str, list]:
        scope, client = self.scope(region), self.client("ecr", region)
        repositories = []
        for repository in self.all(scope, client, "describe_repositories", "repositories"):
            policy = self.get(scope, client, "get_repository_policy", target=repository["repositoryArn"],
                              registryId=repository["registryId"], repositoryName=repository["repositoryName"],
                              absent=("RepositoryPolicyNotFoundException",))
            repositories.append(transform.ecr_repository(repository, region, policy["policyText"] if policy else None))
        return {"Repositories": repositories}

    def ec2(self, region: str) -> dict[str, list]:
        reservations = self.all(self.scope(region), self.client("ec2", region), "describe_instances", "Reservations")
        return {"Instances": transform.ec2_instances(reservations, region)}

    def ssm(self, region: str) -> dict[str, list]:
        items = self.all(self.scope(region), self.client("ssm", region), "describe_instance_information",
                         "InstanceInformationList")
        return {"InstanceInformationList": [transform.with_region(item, region) for item in items]}

    def cloudformation(self, region: str) -> dict[str, list]:
        stacks = self.all(self.scope(region), self.client("cloudformation", region), "describe_stacks", "Stacks")
        return {"Stacks": [transform.with_region(stack, region) for stack in stacks]}

    def codebuild(self, region: str) -> dict[str, list]:
        scope, client = self.scope(region), self.client("codebuild", region)
        projects = []
        for names in _chunks(self.all(scope, client, "list_projects", "projects"), 100):
            found = self.get(scope, client, "batch_get_projects", names=names)
            projects.extend(transform.with_region(project, region) for project in (found or {}).get("projects", []))
        return {"Projects": projects}

    def glue(self, region: str) -> dict[str, list]:
        scope, client = self.scope(region), self.client("glue", region)
        return {
            "Jobs": [transform.with_region(job, region) for job in self.all(scope, client, "get_jobs", "Jobs")],
            "DevEndpoints": [transform.with_region(endpoint, region)
                             for endpoint in self.all(scope, client, "get_dev_endpoints", "DevEndpoints")],
        }

    def sagemaker(self, region: str) -> dict[str, list]:
        scope, client = self.scope(region), self.client("sagemaker", region)
        notebooks = []
        for summary in self.all(scope, client, "list_notebook_instances", "NotebookInstances"):
            name = summary["NotebookInstanceName"]
            described = self.get(scope, client, "describe_notebook_instance", target=name, NotebookInstanceName=name)
            if described is not None:
                notebooks.append(transform.with_region(described, region))
        return {"NotebookInstances": notebooks}

    def ecs(self, region: str) -> dict[str, list]:
        scope, client = self.scope(region), self.client("ecs", region)
        services = []
        for cluster in self.all(scope, client, "list_clusters", "clusterArns"):
            arns = self.all(scope, client, "list_services", "serviceArns", target=cluster, cluster=cluster)
            for batch in _chunks(arns, 10):
                described = self.get(scope, client, "describe_services", target=cluster, cluster=cluster, services=batch)
                services.extend(transform.with_region(service, region) for service in (described or {}).get("services", []))
        # Active revisions can start new tasks; a service may still run an inactive one.
        arns = self.all(scope, client, "list_task_definitions", "taskDefinitionArns", status="ACTIVE")
        arns += [service["taskDefinition"] for service in services if service.get("taskDefinition")]
        definitions = []
        for arn in dict.fromkeys(arns):
            described = self.get(scope, client, "describe_task_definition", target=arn, taskDefinition=arn)
            if described is not None:
                definitions.append(transform.with_region(described["taskDefinition"], region))
        return {"TaskDefinitions": definitions, "Services": services}

    def apprunner(self, region: str) -> dict[str, list]:
        scope, client = self.scope(region), self.client("apprunner", region)
        services = []
        for summary in self.all(scope, client, "list_services", "ServiceSummaryList"):
            described = self.get(scope, client, "describe_service", target=summary["ServiceArn"],
                                 ServiceArn=summary["ServiceArn"])
            if described is not None:
                services.append(transform.with_region(described["Service"], region))
        return {"Services": services}

    def batch(self, region: str) -> dict[str, list]:
        definitions = self.all(self.scope(region), self.client("batch", region), "describe_job_definitions",
                               "jobDefinitions", status="ACTIVE")
        return {"JobDefinitions": [transform.with_region(definition, region) for definition in definitions]}
