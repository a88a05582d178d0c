"""Findings: rules over the effective-access index, a risk score for each finding and identity,
and the lifecycle of findings across scans. docs/findings.md documents every rule and the score."""

from ciem.findings.config import FindingsConfig, ToxicCombination, parse_findings_config
from ciem.findings.context import ScanContext
from ciem.findings.model import (
    Finding,
    FindingRule,
    FindingsSink,
    Hit,
    IdentityRisk,
    RuleInfo,
    Scan,
    Score,
    Status,
    Usage,
)

__all__ = [
    "Finding", "FindingRule", "FindingsConfig", "FindingsSink", "Hit", "IdentityRisk", "RuleInfo", "Scan",
    "ScanContext", "Score", "Status", "ToxicCombination", "Usage", "parse_findings_config",
]
