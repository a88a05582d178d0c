"""The risk score: one number from 0 to 100 that explains itself.

    likelihood = 0.4 * exploitability + 0.3 * exposure + 0.3 * usage
    score      = round(100 * impact * likelihood)

Impact is what becomes reachable (1.0 admin-equivalent access). Exploitability falls with path
length and conditions. Exposure is who could hold the starting credential (the public, another
account, a human with a password and no MFA ...). Usage is 1.0 for access unused in the window (pure
risk: nobody needs it), 0.6 when usage is unknown and 0.3 when it is used. docs/findings.md gives
every value's table.
"""

from __future__ import annotations

from typing import Iterable, Mapping

from ciem.findings.model import Factors, Score, Usage
from ciem.model import Edge, Identity, IdentityKind

WEIGHTS = {"exploitability": 0.4, "exposure": 0.3, "usage": 0.3}
USAGE_FACTOR = {Usage.UNUSED: 1.0, Usage.UNKNOWN: 0.6, Usage.USED: 0.3}
HOP_DECAY = 0.85  # each edge of a path multiplies exploitability
CONDITION_FACTOR = 0.6  # a path or grant that hinges on request context
SEVERITIES = ((80, "critical"), (60, "high"), (40, "medium"), (20, "low"), (0, "info"))
# An identity's score: its worst finding plus this much for each further finding, capped.
EXTRA_FINDING_POINTS = 2
EXTRA_FINDING_CAP = 10


def severity(value: int) -> str:
    for floor, name in SEVERITIES:
        if value >= floor:
            return name
    return "info"


def score(factors: Factors) -> Score:
    likelihood = (
        WEIGHTS["exploitability"] * factors.exploitability
        + WEIGHTS["exposure"] * factors.exposure
        + WEIGHTS["usage"] * factors.usage
    )
    value = max(0, min(100, round(100 * factors.impact * likelihood)))
    reasons = factors.reasons
    explanation = (
        f"{value} = 100 x impact {factors.impact:.2f} ({reasons.get('impact', '')}) x "
        f"(0.4 x exploitability {factors.exploitability:.2f} ({reasons.get('exploitability', '')}) + "
        f"0.3 x exposure {factors.exposure:.2f} ({reasons.get('exposure', '')}) + "
        f"0.3 x usage {factors.usage:.2f} ({reasons.get('usage', '')}))"
    )
    return Score(value, severity(value), factors, explanation)


def path_exploitability(paths: Iterable[tuple[Edge, ...]]) -> tuple[float, str]:
    """The easiest of ``paths``: each hop costs a factor of 0.85, a conditional hop 0.6 more."""
    best, reason = 0.0, "no path"
    for path in paths:
        value = HOP_DECAY ** len(path)
        conditional = sum(1 for edge in path if edge.conditions)
        value *= CONDITION_FACTOR ** conditional
        if value > best:
            hops = f"{len(path)} hop{'s' if len(path) != 1 else ''}"
            best, reason = value, hops + (f", {conditional} conditional" if conditional else ", unconditional")
    return best, reason


def identity_exposure(identity: Identity) -> tuple[float, str]:
    """How exposed the credential that starts an attack is; the highest applicable value wins."""
    attributes: Mapping = identity.attributes
    if identity.kind is IdentityKind.EXTERNAL:
        scope = attributes.get("external")
        if scope == "public":
            return 1.0, "anyone, unauthenticated"
        if scope == "account":
            return 0.9, "any principal of another account"
        return 0.8, "a principal outside the estate"
    candidates = []
    if attributes.get("password_enabled") is True and attributes.get("mfa") is False:
        candidates.append((0.9, "password sign-in without MFA"))
    if any(key.get("active") for key in attributes.get("access_keys", ()) if isinstance(key, Mapping)):
        candidates.append((0.7, "active long-lived access keys"))
    if identity.human:
        candidates.append((0.6, "human identity"))
    if identity.kind is IdentityKind.FEDERATED:
        candidates.append((0.6, "federated identity"))
    candidates.append((0.4, "machine identity"))
    return max(candidates, key=lambda item: item[0])


def identity_score(finding_scores: list[tuple[int, str]]) -> tuple[int, str]:
    """An identity's score from its findings' (score, rule) pairs."""
    if not finding_scores:
        return 0, "no findings"
    ordered = sorted(finding_scores, reverse=True)
    top, rule = ordered[0]
    extra = min(EXTRA_FINDING_CAP, EXTRA_FINDING_POINTS * (len(ordered) - 1))
    value = min(100, top + extra)
    if extra:
        return value, f"{value} = worst finding {top} ({rule}) + {extra} for {len(ordered) - 1} more finding(s)"
    return value, f"{value} = worst finding {top} ({rule})"
