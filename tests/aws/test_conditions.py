"""Condition operators and policy variables, case by case from AWS's condition operator reference."""

from __future__ import annotations

import pytest

from ciem_aws.policy.conditions import ConditionResult, evaluate_conditions, parse_operator
from ciem_aws.policy.variables import ContextView, substitute


def check(conditions, context, complete=True, version="2012-10-17"):
    normalised = {op: {k: tuple(v) if isinstance(v, list) else (v,) for k, v in block.items()} for op, block in conditions.items()}
    return evaluate_conditions(normalised, context, context_complete=complete, version=version).value


# --- strings ----------------------------------------------------------------------------------


def test_string_equals_is_case_sensitive_on_values_and_insensitive_on_keys():
    assert check({"StringEquals": {"aws:PrincipalTag/team": "red"}}, {"AWS:principaltag/TEAM": "red"}) is True
    assert check({"StringEquals": {"aws:PrincipalTag/team": "red"}}, {"aws:PrincipalTag/team": "Red"}) is False


def test_several_values_are_or_several_keys_and_several_operators_and():
    ctx = {"aws:PrincipalTag/team": "blue", "aws:RequestedRegion": "eu-west-1"}
    assert check({"StringEquals": {"aws:PrincipalTag/team": ["red", "blue"]}}, ctx) is True
    assert check({"StringEquals": {"aws:PrincipalTag/team": "blue", "aws:RequestedRegion": "us-east-1"}}, ctx) is False
    assert check({"StringEquals": {"aws:PrincipalTag/team": "blue"}, "StringLike": {"aws:RequestedRegion": "eu-*"}}, ctx) is True
    assert check({"StringEquals": {"aws:PrincipalTag/team": "blue"}, "StringLike": {"aws:RequestedRegion": "us-*"}}, ctx) is False


def test_negated_operator_with_several_values_is_nor():
    assert check({"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}, {"aws:RequestedRegion": "eu-west-1"}) is False
    assert check({"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}, {"aws:RequestedRegion": "ap-south-1"}) is True


def test_absent_key_is_false_but_true_for_negated_operators():
    assert check({"StringEquals": {"aws:PrincipalTag/team": "red"}}, {}) is False
    assert check({"StringNotEquals": {"aws:PrincipalTag/team": "red"}}, {}) is True
    assert check({"StringNotLike": {"aws:PrincipalTag/team": "r*"}}, {}) is True
    assert check({"ArnNotLike": {"aws:SourceArn": "arn:aws:s3:::*"}}, {}) is True
    assert check({"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {}) is True
    assert check({"NumericNotEquals": {"s3:max-keys": "10"}}, {}) is True


def test_ignore_case_operators():
    assert check({"StringEqualsIgnoreCase": {"aws:PrincipalTag/team": "RED"}}, {"aws:PrincipalTag/team": "red"}) is True
    assert check({"StringNotEqualsIgnoreCase": {"aws:PrincipalTag/team": "RED"}}, {"aws:PrincipalTag/team": "red"}) is False
    assert check({"StringNotEqualsIgnoreCase": {"aws:PrincipalTag/team": "RED"}}, {"aws:PrincipalTag/team": "blue"}) is True


def test_string_like_wildcards():
    assert check({"StringLike": {"s3:prefix": "home/*/docs"}}, {"s3:prefix": "home/alice/docs"}) is True
    assert check({"StringLike": {"s3:prefix": "home/?"}}, {"s3:prefix": "home/ab"}) is False
    assert check({"StringLike": {"s3:prefix": "home/?"}}, {"s3:prefix": "home/a"}) is True
    assert check({"StringLike": {"s3:prefix": "Home/*"}}, {"s3:prefix": "home/a"}) is False
    assert check({"StringNotLike": {"s3:prefix": "home/*"}}, {"s3:prefix": "tmp/x"}) is True


# --- numbers, dates, booleans, binary ---------------------------------------------------------


@pytest.mark.parametrize("operator, value, expected", [
    ("NumericEquals", "10", True), ("NumericEquals", "10.0", True), ("NumericNotEquals", "10", False),
    ("NumericLessThan", "11", True), ("NumericLessThan", "10", False), ("NumericLessThanEquals", "10", True),
    ("NumericGreaterThan", "9", True), ("NumericGreaterThan", "10", False), ("NumericGreaterThanEquals", "10", True),
])
def test_numeric_operators(operator, value, expected):
    assert check({operator: {"s3:max-keys": value}}, {"s3:max-keys": "10"}) is expected


def test_numeric_on_a_value_that_is_not_a_number_does_not_match():
    assert check({"NumericLessThan": {"s3:max-keys": "10"}}, {"s3:max-keys": "ten"}) is False


@pytest.mark.parametrize("operator, value, expected", [
    ("DateGreaterThan", "2020-01-01T00:00:00Z", True),
    ("DateLessThan", "2020-01-01T00:00:00Z", False),
    ("DateEquals", "2021-06-01T12:00:00+00:00", True),
    ("DateEquals", "2021-06-01T14:00:00+02:00", True),  # same instant, other offset
    ("DateEquals", "1622548800", True),  # epoch seconds
    ("DateNotEquals", "1622548800", False),
    ("DateLessThanEquals", "2021-06-01", False),  # a bare date is midnight UTC
    ("DateGreaterThanEquals", "2021-06-01", True),
])
def test_date_operators_accept_iso_8601_and_epoch(operator, value, expected):
    assert check({operator: {"aws:CurrentTime": value}}, {"aws:CurrentTime": "2021-06-01T12:00:00Z"}) is expected


def test_date_context_in_epoch_seconds():
    assert check({"DateLessThan": {"aws:EpochTime": "2030-01-01T00:00:00Z"}}, {"aws:EpochTime": "1700000000"}) is True


def test_bool_and_bool_if_exists():
    assert check({"Bool": {"aws:MultiFactorAuthPresent": True}}, {"aws:MultiFactorAuthPresent": "true"}) is True
    assert check({"Bool": {"aws:MultiFactorAuthPresent": "true"}}, {"aws:MultiFactorAuthPresent": False}) is False
    assert check({"Bool": {"aws:MultiFactorAuthPresent": "true"}}, {}) is False
    assert check({"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}, {}) is True
    assert check({"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}, {"aws:MultiFactorAuthPresent": "true"}) is False


def test_binary_equals_compares_base64_values():
    assert check({"BinaryEquals": {"key": "QmluYXJ5VmFsdWU="}}, {"key": "QmluYXJ5VmFsdWU="}) is True
    assert check({"BinaryEquals": {"key": "QmluYXJ5VmFsdWU="}}, {"key": "T3RoZXI="}) is False


# --- IP addresses and ARNs --------------------------------------------------------------------


@pytest.mark.parametrize("policy, source, expected", [
    ("203.0.113.0/24", "203.0.113.7", True),
    ("203.0.113.0/24", "198.51.100.7", False),
    ("203.0.113.7", "203.0.113.7", True),  # a single address is a /32
    ("2001:DB8:1234:5678::/64", "2001:db8:1234:5678::1", True),
    ("2001:DB8:1234:5678::/64", "2001:db8:1234:9999::1", False),
    ("203.0.113.0/24", "2001:db8::1", False),  # IPv6 caller, IPv4 range
])
def test_ip_address(policy, source, expected):
    assert check({"IpAddress": {"aws:SourceIp": policy}}, {"aws:SourceIp": source}) is expected
    assert check({"NotIpAddress": {"aws:SourceIp": policy}}, {"aws:SourceIp": source}) is (not expected)


def test_arn_operators_match_part_by_part():
    ctx = {"aws:SourceArn": "arn:aws:sns:us-east-1:123456789012:topic"}
    assert check({"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:123456789012:*"}}, ctx) is True
    assert check({"ArnEquals": {"aws:SourceArn": "arn:aws:sns:*:123456789012:*"}}, ctx) is True  # same as ArnLike
    assert check({"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:111111111111:*"}}, ctx) is False
    assert check({"ArnNotLike": {"aws:SourceArn": "arn:aws:sns:*:111111111111:*"}}, ctx) is True
    # A wildcard in one part does not reach across a colon into the next.
    assert check({"ArnLike": {"aws:SourceArn": "arn:aws:sns:us-*:topic"}}, ctx) is False
    assert check({"ArnLike": {"aws:SourceArn": "arn:aws:sns:us-east-1:123456789012:Topic"}}, ctx) is False
    assert check({"ArnLike": {"aws:SourceArn": "arn:aws:*"}}, ctx) is False  # too few parts to be an ARN
    assert check({"ArnLike": {"aws:SourceArn": "arn:*:*:*:*:*"}}, {"aws:SourceArn": "not-an-arn"}) is False


# --- IfExists, Null, set operators --------------------------------------------------------------


def test_if_exists_applies_the_test_only_when_the_key_is_there():
    assert check({"StringEqualsIfExists": {"ec2:InstanceType": "t3.micro"}}, {}) is True
    assert check({"StringEqualsIfExists": {"ec2:InstanceType": "t3.micro"}}, {"ec2:InstanceType": "m5.large"}) is False
    assert check({"StringEqualsIfExists": {"ec2:InstanceType": "t3.micro"}}, {"ec2:InstanceType": "t3.micro"}) is True


def test_null_checks_presence():
    assert check({"Null": {"aws:TokenIssueTime": "true"}}, {}) is True
    assert check({"Null": {"aws:TokenIssueTime": "true"}}, {"aws:TokenIssueTime": "2021-01-01T00:00:00Z"}) is False
    assert check({"Null": {"aws:TokenIssueTime": "false"}}, {"aws:TokenIssueTime": "2021-01-01T00:00:00Z"}) is True
    assert check({"Null": {"aws:TokenIssueTime": False}}, {}) is False
    assert check({"Null": {"aws:RequestTag/team": "true"}}, {"aws:RequestTag/team": []}) is True  # empty counts as absent


def test_for_any_value():
    tags = {"aws:TagKeys": ["team", "cost-center"]}
    assert check({"ForAnyValue:StringEquals": {"aws:TagKeys": ["team", "owner"]}}, tags) is True
    assert check({"ForAnyValue:StringEquals": {"aws:TagKeys": ["owner"]}}, tags) is False
    assert check({"ForAnyValue:StringEquals": {"aws:TagKeys": ["owner"]}}, {}) is False
    assert check({"ForAnyValue:StringEquals": {"aws:TagKeys": ["owner"]}}, {"aws:TagKeys": []}) is False
    # Negated: true when at least one value is outside the list.
    assert check({"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["team"]}}, tags) is True
    assert check({"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["team", "cost-center"]}}, tags) is False
    assert check({"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["team"]}}, {}) is False


def test_for_all_values_is_true_on_a_missing_or_empty_key():
    tags = {"aws:TagKeys": ["team", "cost-center"]}
    assert check({"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "cost-center", "owner"]}}, tags) is True
    assert check({"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}, tags) is False
    assert check({"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}, {}) is True
    assert check({"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}, {"aws:TagKeys": []}) is True
    assert check({"ForAllValues:StringNotLike": {"aws:TagKeys": ["aws:*"]}}, tags) is True
    assert check({"ForAllValues:StringNotLike": {"aws:TagKeys": ["team*"]}}, tags) is False


def test_set_operators_with_if_exists():
    assert check({"ForAnyValue:StringEqualsIfExists": {"aws:TagKeys": ["team"]}}, {}) is True
    assert check({"ForAllValues:StringLikeIfExists": {"aws:TagKeys": ["t*"]}}, {"aws:TagKeys": ["team", "x"]}) is False


def test_single_valued_operator_on_a_multivalued_key_matches_any_value():
    assert check({"StringEquals": {"aws:TagKeys": "team"}}, {"aws:TagKeys": ["owner", "team"]}) is True
    assert check({"StringNotEquals": {"aws:TagKeys": "team"}}, {"aws:TagKeys": ["owner", "team"]}) is False


# --- unknown context (analysis) ----------------------------------------------------------------


def test_unknown_key_gives_unknown_with_the_key_listed():
    result = evaluate_conditions({"Bool": {"aws:MultiFactorAuthPresent": ("true",)}}, {}, context_complete=False)
    assert result == ConditionResult(None, ("aws:MultiFactorAuthPresent",))
    for operator in ("StringNotEquals", "StringEqualsIfExists", "ForAllValues:StringEquals", "Null"):
        assert evaluate_conditions({operator: {"k": ("v",)}}, {}, context_complete=False).value is None


def test_a_false_part_decides_even_when_another_is_unknown():
    result = evaluate_conditions(
        {"StringEquals": {"aws:RequestedRegion": ("us-east-1",)}, "Bool": {"aws:SecureTransport": ("true",)}},
        {"aws:RequestedRegion": "eu-west-1"},
        context_complete=False,
    )
    assert result.value is False


def test_keys_known_to_be_absent_count_as_absent_in_analysis():
    view = ContextView({}, complete=False, absent=["aws:username"])
    assert evaluate_conditions({"StringEquals": {"aws:username": ("bob",)}}, view, context_complete=False).value is False
    assert evaluate_conditions({"Null": {"AWS:UserName": ("true",)}}, view, context_complete=False).value is True


def test_complete_context_reports_the_absent_keys_it_looked_for():
    result = evaluate_conditions({"Bool": {"aws:MultiFactorAuthPresent": ("true",)}}, {}, context_complete=True)
    assert result == ConditionResult(False, ("aws:MultiFactorAuthPresent",))


# --- operator names ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["StringEqualz", "ForSomeValues:StringEquals", "ForAnyValue:Null", "NullIfExists", "IfExists"])
def test_unknown_operator_is_rejected(name):
    with pytest.raises(ValueError, match="unknown condition operator"):
        evaluate_conditions({name: {"k": ("v",)}}, {"k": "v"}, context_complete=True)


def test_operator_parts():
    operator = parse_operator("ForAllValues:StringLikeIfExists")
    assert (operator.set_operator, operator.base, operator.if_exists) == ("ForAllValues", "StringLike", True)


# --- policy variables --------------------------------------------------------------------------


def test_variables_in_condition_values():
    conditions = {"StringLike": {"s3:prefix": ["home/${aws:username}/*"]}}
    assert check(conditions, {"s3:prefix": "home/alice/x", "aws:username": "alice"}) is True
    assert check(conditions, {"s3:prefix": "home/bob/x", "aws:username": "alice"}) is False
    # A variable whose key is absent leaves the value unable to match.
    assert check(conditions, {"s3:prefix": "home/alice/x"}) is False
    result = evaluate_conditions({"StringLike": {"s3:prefix": ("home/${aws:username}/*",)}}, {"s3:prefix": "home/a"}, context_complete=False)
    assert result == ConditionResult(None, ("aws:username",))


def test_variables_are_literal_text_in_version_2008():
    conditions = {"StringEquals": {"s3:prefix": "${aws:username}"}}
    assert check(conditions, {"s3:prefix": "${aws:username}", "aws:username": "alice"}, version="2008-10-17") is True
    assert check(conditions, {"s3:prefix": "alice", "aws:username": "alice"}, version="2008-10-17") is False


def test_substitute():
    ctx = {"aws:username": "alice", "aws:PrincipalTag/team": "red"}
    assert substitute("home/${aws:username}/${aws:principaltag/team}", ctx, context_complete=True) == "home/alice/red"
    assert substitute("a${*}b${?}c${$}", {}, context_complete=True) == "a*b?c$"
    assert substitute("${aws:userid, 'nobody'}", {}, context_complete=True) == "nobody"
    assert substitute("${aws:username, 'nobody'}", ctx, context_complete=True) == "alice"
    assert substitute("${aws:userid}", {}, context_complete=True) is None
    assert substitute("${aws:userid, 'nobody'}", {}, context_complete=False) is None  # unknown: it may be set
    assert substitute("${aws:TagKeys}", {"aws:TagKeys": ["a", "b"]}, context_complete=True) is None  # multivalued


def test_a_star_from_a_variable_is_literal_in_string_like():
    conditions = {"StringLike": {"s3:prefix": "${aws:PrincipalTag/p}"}}
    assert check(conditions, {"s3:prefix": "anything", "aws:PrincipalTag/p": "*"}) is False
    assert check(conditions, {"s3:prefix": "*", "aws:PrincipalTag/p": "*"}) is True
    assert check({"StringLike": {"s3:prefix": "${*}"}}, {"s3:prefix": "x"}) is False
