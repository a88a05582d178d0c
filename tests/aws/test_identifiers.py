from __future__ import annotations

import pytest

from ciem.errors import QueryError

from ciem_aws.identifiers import normalize_identifier, role_alias


@pytest.mark.parametrize("text, expected", [
    ("arn:aws:iam::111111111111:user/alice", "arn:aws:iam::111111111111:user/alice"),
    ("arn:aws:iam::111111111111:user/dev/alice", "arn:aws:iam::111111111111:user/dev/alice"),
    ("arn:aws:iam::111111111111:role/ops", "arn:aws:iam::111111111111:role/ops"),
    ("arn:aws:iam::111111111111:root", "arn:aws:iam::111111111111:root"),
    ("arn:aws:sts::111111111111:assumed-role/ops/alice@example.com", "arn:aws:iam::111111111111:role/ops"),
    ("arn:aws-us-gov:sts::111111111111:assumed-role/ops/s", "arn:aws-us-gov:iam::111111111111:role/ops"),
    ("arn:aws:sts::111111111111:federated-user/bob", "arn:aws:sts::111111111111:federated-user/bob"),
    ("AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
    ("ASIAIOSFODNN7EXAMPLE", "ASIAIOSFODNN7EXAMPLE"),
    ("AROA1234567890ABCDEFG", "AROA1234567890ABCDEFG"),
    ("  arn:aws:iam::111111111111:role/ops  ", "arn:aws:iam::111111111111:role/ops"),
])
def test_aws_forms_normalize(text, expected):
    assert normalize_identifier(text) == expected


@pytest.mark.parametrize("text", [
    "alice@example.com",
    "/subscriptions/123/resourceGroups/x",
    "serviceAccount:x@p.iam.gserviceaccount.com",
    "arn:azure:foo:bar",
    "akiaiosfodnn7example",
])
def test_other_forms_are_not_aws(text):
    assert normalize_identifier(text) is None


@pytest.mark.parametrize("text", [
    "arn:aws:iam::12:user/x",
    "arn:aws:iam::111111111111:user/",
    "arn:aws:iam::111111111111:policy/p",
    "arn:aws:iam:us-east-1:111111111111:user/x",
    "arn:aws:sts::111111111111:assumed-role/ops",
    "arn:aws:sts::111111111111:federated-user/",
    "arn:aws:s3:::bucket",
    "arn:aws:iam",
    "AKIA123",
])
def test_malformed_aws_forms_raise(text):
    with pytest.raises(QueryError):
        normalize_identifier(text)


def test_role_alias_is_name_at_account():
    assert role_alias("ops", "111111111111") == "ops@111111111111"
