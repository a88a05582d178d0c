"""AWS-specific finding rules, contributed through the ``ciem_finding_rules`` hook.

* Separation-of-duties defaults in AWS's action names (the core's toxic-combination rule).
* Third-party trust without ``sts:ExternalId``: trusting an account outside the organization is the
  confused-deputy setting AWS documents; only an external id the third party checks stops another of
  its customers from making it assume the role (conditions on MFA or source IP do not).
* The root user with active access keys or without MFA.
"""

from __future__ import annotations

import re
from typing import Iterable

from ciem.findings.config import ToxicCombination
from ciem.findings.context import ScanContext, attribute_list
from ciem.findings.model import Hit
from ciem.findings.rules import ToxicCombinationRule
from ciem.findings.rules.common import identity_impact
from ciem.findings.rules.trust import external_trust
from ciem.findings.scoring import identity_exposure

from ciem_aws import PROVIDER

_ROOT_ARN = re.compile(r"arn:aws[a-z-]*:iam::(\d{12}):root\Z")
_PRINCIPAL_ACCOUNT = re.compile(r"arn:aws[a-z-]*:(?:iam|sts)::(\d{12}):")
_EXTERNAL_ID = "sts:externalid"
CONFUSED_DEPUTY_REFERENCE = "https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html"

COMPUTE_THAT_RUNS_A_ROLE = (
    "lambda:CreateFunction", "ec2:RunInstances", "ecs:RunTask", "ecs:RegisterTaskDefinition",
    "glue:CreateJob", "glue:CreateDevEndpoint", "sagemaker:CreateNotebookInstance",
    "sagemaker:CreateTrainingJob", "codebuild:CreateProject", "cloudformation:CreateStack",
    "apprunner:CreateService", "datapipeline:CreatePipeline",
)

DEFAULT_COMBINATIONS = (
    ToxicCombination(
        id="aws-pipeline-change-and-approve",
        title="can change a pipeline and approve its manual approval",
        rationale="The approval step exists so that a second person reviews a change; one identity "
                  "holding both can push anything to production alone.",
        all_of=(("codepipeline:UpdatePipeline", "codepipeline:CreatePipeline"), ("codepipeline:PutApprovalResult",)),
        same_resource=True,
    ),
    ToxicCombination(
        id="aws-pass-role-to-new-compute",
        title="can pass a role to compute it creates",
        rationale="Passing a role to a new function, instance, task or job runs code with that role's "
                  "permissions: the identity holds whatever any passable role holds.",
        all_of=(("iam:PassRole",), COMPUTE_THAT_RUNS_A_ROLE),
    ),
    ToxicCombination(
        id="aws-kms-key-policy-and-decrypt",
        title="can rewrite a KMS key's policy and decrypt with it",
        rationale="Whoever both administers and uses a key can grant themselves any use of it and "
                  "read everything it protects; key administrators and key users should differ.",
        all_of=(("kms:PutKeyPolicy", "kms:CreateGrant"), ("kms:Decrypt",)),
        same_resource=True,
    ),
    ToxicCombination(
        id="aws-disable-logging-and-act",
        title="can stop the audit trail and change permissions",
        rationale="An identity that can silence CloudTrail and also change IAM can escalate without a "
                  "record of it.",
        all_of=(("cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "cloudtrail:PutEventSelectors",
                 "cloudtrail:UpdateTrail"),
                ("iam:AttachUserPolicy", "iam:AttachRolePolicy", "iam:PutUserPolicy", "iam:PutRolePolicy",
                 "iam:CreatePolicyVersion")),
    ),
)


class ThirdPartyTrustWithoutExternalIdRule:
    id = "aws-third-party-trust-without-external-id"
    title = "Role trusted by another organization's account without sts:ExternalId"
    rationale = (
        "A role that an account outside the organization may assume must require the external id "
        "the third party gives out; otherwise any customer of that third party can have it assume "
        "the role for them (the confused deputy)."
    )

    def evaluate(self, ctx: ScanContext) -> Iterable[Hit]:
        organization = organization_accounts(ctx)
        for edge, source, target in external_trust(ctx):
            if target.provider != PROVIDER or not outside_organization(source, organization):
                continue
            if any(condition.lower() == _EXTERNAL_ID for condition in edge.conditions):
                continue
            impact, impact_reason = identity_impact(ctx, target)
            exposure, exposure_reason = identity_exposure(source)
            usage, usage_reason = ctx.identity_usage(target)
            yield Hit(
                subject=target.id, title=f"{target.name} trusts {source.name} without an external id",
                impact=impact, impact_reason=impact_reason,
                exploitability=1.0, exploitability_reason="any customer of the third party",
                usage=usage, key={"trusted": source.id},
                details={"conditions": list(edge.conditions), "provenance": list(edge.provenance),
                         "reference": CONFUSED_DEPUTY_REFERENCE, "usage_evidence": usage_reason},
                paths=((edge,),), exposure=exposure, exposure_reason=exposure_reason,
            )


def organization_accounts(ctx: ScanContext) -> set[str]:
    """Every account of the organization the snapshots describe, and every collected account."""
    accounts: set[str] = set()
    for snapshot in ctx.index.snapshots.get(PROVIDER, []):
        accounts |= set(snapshot.data.get("accounts") or {})
        organization = snapshot.data.get("organization") or {}
        accounts |= {item["Id"] for item in organization.get("accounts") or () if isinstance(item, dict) and "Id" in item}
    return accounts


def outside_organization(source, organization: set[str]) -> bool:
    """Whether an external principal is an account, or a principal of an account, outside the
    organization; the resolver's ``in_organization`` attribute wins when it gives one."""
    stated = source.attributes.get("in_organization")
    if isinstance(stated, bool):
        return not stated
    match = _PRINCIPAL_ACCOUNT.match(source.id)
    return match is not None and match.group(1) not in organization


class RootCredentialsRule:
    id = "aws-root-credentials"
    title = "Root user with access keys or without MFA"
    rationale = (
        "The root user cannot be limited by IAM policies; it should have no access keys and must "
        "have MFA."
    )

    def evaluate(self, ctx: ScanContext) -> Iterable[Hit]:
        for identity in ctx.acting_identities():
            if identity.provider != PROVIDER or not _ROOT_ARN.match(identity.id):
                continue
            problems = []
            if identity.attributes.get("mfa") is False:
                problems.append("no MFA")
            active = [key for key in attribute_list(identity, "access_keys") if key.get("active") is True]
            if active:
                problems.append(f"{len(active)} active access key{'s' if len(active) > 1 else ''}")
            if not problems:
                continue
            usage, usage_reason = ctx.identity_usage(identity)
            yield Hit(
                subject=identity.id, title=f"root user of {identity.account}: {' and '.join(problems)}",
                impact=1.0, impact_reason="the root user is beyond IAM",
                exploitability=1.0, exploitability_reason="a password or a key is enough",
                usage=usage, details={"problems": problems, "usage_evidence": usage_reason},
                exposure=0.9, exposure_reason="root credentials",
            )


def finding_rules() -> list:
    return [
        ThirdPartyTrustWithoutExternalIdRule(),
        RootCredentialsRule(),
        *(ToxicCombinationRule(combination, source=PROVIDER) for combination in DEFAULT_COMBINATIONS),
    ]
