"""Pattern matching: PatternSet gives the same answers as matching each pattern in turn."""

import random

import pytest

from ciem.patterns import PatternSet, glob_match

ACCOUNTS = [f"{n:012d}" for n in range(1, 41)]


def _any(patterns, text, case_sensitive=True):
    return any(glob_match(p, text, case_sensitive) for p in patterns)


@pytest.mark.parametrize("case_sensitive", [True, False])
def test_pattern_set_agrees_with_matching_each_pattern(case_sensitive):
    rng = random.Random(7)
    alphabet = "ab:/Xx*?"
    for _ in range(2000):
        patterns = tuple("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 7)))
                         for _ in range(rng.randint(0, 24)))
        matcher = PatternSet(patterns, case_sensitive)
        for _ in range(10):
            text = "".join(rng.choice("ab:/Xx") for _ in range(rng.randint(0, 9)))
            assert matcher.matches(text) == _any(patterns, text, case_sensitive), (patterns, text)


def test_many_account_scoped_patterns_match_by_their_literal_run():
    # The shape that motivated PatternSet: one account's grants exclude every other account.
    others = tuple(f"arn:*:*:*:{account}:*" for account in ACCOUNTS[1:]) + ("arn:aws:s3:::bucket-7", "arn:aws:s3:::bucket-7/*")
    exclude = PatternSet(others)
    assert exclude.matches(f"arn:aws:lambda:eu-west-1:{ACCOUNTS[5]}:function:f")
    assert not exclude.matches(f"arn:aws:lambda:eu-west-1:{ACCOUNTS[0]}:function:f")
    assert exclude.matches("arn:aws:s3:::bucket-7/reports/1.csv") and exclude.matches("arn:aws:s3:::bucket-7")
    assert not exclude.matches("arn:aws:s3:::bucket-70")


def test_case_insensitive_sets_fold_and_non_ascii_text_still_matches():
    patterns = PatternSet(tuple(f"/Subscriptions/{n}/*/VAULTS/?" for n in range(20)) + ("/ÄBC*",), case_sensitive=False)
    assert patterns.matches("/subscriptions/3/resourceGroups/rg/vaults/k")
    assert not patterns.matches("/subscriptions/3/resourceGroups/rg/vaults/kk")
    assert patterns.matches("/äbcdé")
    assert PatternSet(("*",)).matches_all and not PatternSet(("a*",)).matches_all
