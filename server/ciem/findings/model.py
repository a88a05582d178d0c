"""What a scan produces: findings with their scores, identity risk, and the sink contract."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Protocol, runtime_checkable

from ciem.model import Edge

if TYPE_CHECKING:
    from ciem.findings.context import ScanContext


class Usage(str, enum.Enum):
    """Whether the access a finding is about was exercised in the usage window."""

    USED = "used"
    UNUSED = "unused"
    UNKNOWN = "unknown"  # no activity evidence covers it: never read as unused


class Status(str, enum.Enum):
    NEW = "new"
    OPEN = "open"  # seen in an earlier scan and still present
    RESOLVED = "resolved"


@dataclass(frozen=True, slots=True)
class Factors:
    """The four inputs of the risk score, each in [0, 1], with the reason for each value."""

    impact: float
    exploitability: float
    exposure: float
    usage: float
    reasons: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Score:
    value: int  # 0..100
    severity: str  # critical, high, medium, low, info
    factors: Factors
    explanation: str  # the formula with this finding's numbers and reasons


@dataclass(frozen=True, slots=True)
class Hit:
    """What a rule reports; the engine turns it into a scored :class:`Finding` with a stable id.

    ``key`` holds the facts that identify the risk (with the rule id and subject they make the
    finding id); ``details`` may change between scans without making it a different risk.
    """

    subject: str  # an identity id, or a resource id when subject_type is "resource"
    title: str
    impact: float
    exploitability: float
    usage: Usage
    impact_reason: str
    exploitability_reason: str
    key: Mapping[str, Any] = field(default_factory=dict)
    details: Mapping[str, Any] = field(default_factory=dict)
    paths: tuple[tuple[Edge, ...], ...] = ()
    subject_type: str = "identity"
    # For a subject that is not an identity: where it lives.
    provider: str = ""
    account: str = ""
    # Set only when the subject is not an identity the engine can judge exposure from.
    exposure: float | None = None
    exposure_reason: str = ""


@dataclass(frozen=True, slots=True)
class Finding:
    id: str
    rule: str
    rule_title: str
    title: str
    subject: str
    subject_type: str
    subject_name: str
    provider: str
    account: str
    human: bool | None
    usage: Usage
    score: Score
    key: Mapping[str, Any]
    details: Mapping[str, Any]
    paths: tuple[tuple[Edge, ...], ...]
    status: Status = Status.NEW
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    resolved_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class IdentityRisk:
    identity: str
    name: str
    provider: str
    account: str
    human: bool
    admin: bool
    score: int
    severity: str
    findings: tuple[str, ...]  # finding ids, highest score first
    explanation: str


@dataclass(frozen=True, slots=True)
class RuleInfo:
    id: str
    title: str
    rationale: str
    source: str  # "core" or the provider that contributed it


@dataclass(frozen=True, slots=True)
class Scan:
    """One run of every rule over one index: the whole current set of open risks.

    ``findings`` are the risks present now (status new or open once a history has been applied);
    ``resolved`` those an applied history held open that are gone now, stamped with the scan time.
    """

    id: str
    at: datetime
    index_built_at: datetime
    findings: tuple[Finding, ...]
    identities: tuple[IdentityRisk, ...]
    rules: tuple[RuleInfo, ...]
    notes: tuple[str, ...] = ()
    resolved: tuple[Finding, ...] = ()


@runtime_checkable
class FindingRule(Protocol):
    """A risk rule: a stable ``id``, a ``title``, a documented ``rationale``, and ``evaluate``."""

    id: str
    title: str
    rationale: str

    def evaluate(self, ctx: "ScanContext") -> Iterable[Hit]: ...


@runtime_checkable
class FindingsSink(Protocol):
    """Receives every scan. ``publish`` must not lose an accepted scan; ``close`` releases resources."""

    def publish(self, scan: Scan) -> None: ...

    def close(self) -> None: ...
