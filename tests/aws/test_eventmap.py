"""CloudTrail event -> IAM action: the regular rule, the Service Authorization Reference links, and
the irregular cases AWS documents elsewhere."""

from __future__ import annotations

import pytest

from ciem_aws.activity.eventmap import IRREGULAR, actions_for, operation_name, service_prefix
from ciem_aws.catalog import aws_catalog


def names(source: str, event: str) -> tuple[str, ...] | None:
    targets = actions_for(source, event)
    return None if targets is None else tuple(t.action for t in targets)


@pytest.mark.parametrize("source, event, expected", [
    # The event name is the action name.
    ("s3.amazonaws.com", "GetObject", ("s3:GetObject",)),
    ("iam.amazonaws.com", "CreatePolicyVersion", ("iam:CreatePolicyVersion",)),
    ("ec2.amazonaws.com", "DescribeInstances", ("ec2:DescribeInstances",)),
    # The Service Authorization Reference links the action to another operation name.
    ("s3.amazonaws.com", "ListObjectsV2", ("s3:ListBucket",)),
    ("s3.amazonaws.com", "ListBuckets", ("s3:ListAllMyBuckets",)),
    ("s3.amazonaws.com", "GetBucketEncryption", ("s3:GetEncryptionConfiguration",)),
    ("s3.amazonaws.com", "PutBucketReplication", ("s3:PutReplicationConfiguration",)),
    ("lambda.amazonaws.com", "Invoke", ("lambda:InvokeFunction",)),
    # API version suffixes.
    ("lambda.amazonaws.com", "UpdateFunctionCode20150331v2", ("lambda:UpdateFunctionCode",)),
    ("lambda.amazonaws.com", "ListFunctions20150331", ("lambda:ListFunctions",)),
    ("cloudfront.amazonaws.com", "CreateDistribution2020_05_31", ("cloudfront:CreateDistribution",)),
    # Documented on the S3, KMS, STS and DynamoDB pages rather than in the action's entry.
    ("s3.amazonaws.com", "ListObjects", ("s3:ListBucket",)),
    ("s3.amazonaws.com", "HeadObject", ("s3:GetObject",)),
    ("s3.amazonaws.com", "HeadBucket", ("s3:ListBucket",)),
    ("s3.amazonaws.com", "CopyObject", ("s3:GetObject", "s3:PutObject")),
    ("s3.amazonaws.com", "CompleteMultipartUpload", ("s3:PutObject",)),
    ("s3.amazonaws.com", "DeleteObjects", ("s3:DeleteObject",)),
    ("s3.amazonaws.com", "DeleteBucketCors", ("s3:PutBucketCORS",)),
    ("kms.amazonaws.com", "ReEncrypt", ("kms:ReEncryptFrom", "kms:ReEncryptTo")),
    ("sts.amazonaws.com", "GetCallerIdentity", ()),
    ("s3.amazonaws.com", "SelectObjectContent", ("s3:GetObject",)),
    ("sqs.amazonaws.com", "SendMessageBatch", ("sqs:SendMessage",)),
    ("dynamodb.amazonaws.com", "TransactGetItems", ("dynamodb:GetItem",)),
    # Event sources whose host is not the service prefix.
    ("monitoring.amazonaws.com", "GetMetricData", ("cloudwatch:GetMetricData",)),
    ("streams.dynamodb.amazonaws.com", "GetRecords", ("dynamodb:GetRecords",)),
])
def test_events_map_to_the_actions_that_authorise_them(source, event, expected):
    assert names(source, event) == expected


def test_events_that_exercise_no_known_action_are_unmapped_not_guessed():
    assert names("signin.amazonaws.com", "ConsoleLogin") is None
    assert names("s3.amazonaws.com", "NoSuchOperation") is None
    assert names("nosuchservice.amazonaws.com", "GetObject") is None


def test_only_date_shaped_suffixes_are_taken_for_api_versions():
    assert operation_name("ListObjectsV2") == "ListObjectsV2"
    assert operation_name("GetFunction20150331v2") == "GetFunction"
    assert operation_name("DescribeDBClusters") == "DescribeDBClusters"
    assert service_prefix("MONITORING.amazonaws.com") == "cloudwatch"
    assert service_prefix("sqs.amazonaws.com") == "sqs"


def test_every_curated_target_is_an_action_of_the_catalog():
    catalog = aws_catalog()
    for key, actions in IRREGULAR.items():
        for action in actions:
            assert action in catalog, f"{key} names {action}, unknown to the catalog"
            assert catalog.info(action).name == action, f"{key}: spell {action} as the catalog does"


def test_targets_carry_the_resource_formats_used_to_pick_the_logged_resource():
    (list_bucket,) = actions_for("s3.amazonaws.com", "ListObjectsV2")
    assert "bucket" in list_bucket.resource_types and "arn:*:s3:::*" in list_bucket.arn_patterns
    (all_buckets,) = actions_for("s3.amazonaws.com", "ListBuckets")
    assert all_buckets.resource_types == () and all_buckets.arn_patterns == ()
