"""Run every rule over an index and rank the result: one :class:`Scan`.

Rules come from the core (:func:`ciem.findings.rules.core_rules`), from the configuration's toxic
combinations, and from every plugin's ``ciem_finding_rules`` hook. Each hit becomes a finding whose
id is a hash of the rule id, the subject and the hit's key facts, so it is the same in every scan
that sees the same risk.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

import pluggy

from ciem.errors import ConfigError
from ciem.findings.config import FindingsConfig
from ciem.findings.context import ScanContext
from ciem.findings.model import Factors, Finding, FindingRule, Hit, IdentityRisk, RuleInfo, Scan, Usage
from ciem.findings.rules import ToxicCombinationRule, core_rules
from ciem.findings.scoring import USAGE_FACTOR, identity_exposure, identity_score, score, severity
from ciem.index import EffectiveAccessIndex

log = logging.getLogger(__name__)


def finding_id(rule_id: str, subject: str, key: Mapping[str, Any]) -> str:
    facts = json.dumps(key, sort_keys=True, separators=(",", ":"), default=str)
    digest = hashlib.sha256(f"{rule_id}\0{subject}\0{facts}".encode("utf-8")).hexdigest()
    return f"ciem-{digest[:24]}"


def collect_rules(manager: pluggy.PluginManager, config: FindingsConfig) -> list[tuple[FindingRule, str]]:
    """(rule, source) for every enabled rule; a duplicate id is a configuration error."""
    rules: list[tuple[FindingRule, str]] = [(rule, "core") for rule in core_rules()]
    rules += [(ToxicCombinationRule(combination), "config") for combination in config.toxic_combinations]
    for impl in manager.hook.ciem_finding_rules.get_hookimpls():
        for rule in impl.function() or ():
            if not isinstance(rule, FindingRule):
                raise ConfigError(f"plugin {impl.plugin_name}: {rule!r} is not a finding rule (id, title, rationale, evaluate)")
            rules.append((rule, impl.plugin_name))
    seen: dict[str, str] = {}
    for rule, source in rules:
        if rule.id in seen:
            raise ConfigError(f"finding rule id {rule.id!r} is defined by both {seen[rule.id]} and {source}")
        seen[rule.id] = source
    unknown = sorted(set(config.disabled_rules) - set(seen))
    if unknown:
        raise ConfigError(f"findings.disabled_rules: no rule {unknown[0]!r} (rules: {', '.join(sorted(seen))})")
    return [(rule, source) for rule, source in rules if rule.id not in config.disabled_rules]


def run_scan(
    index: EffectiveAccessIndex,
    manager: pluggy.PluginManager,
    now: datetime | None = None,
    *,
    config: FindingsConfig | None = None,
) -> Scan:
    """Every enabled rule over ``index`` (and its usage store, ``index.usage``): findings ranked by
    score, identities ranked by risk."""
    now = now or datetime.now(timezone.utc)
    if now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    config = config or FindingsConfig()
    ctx = ScanContext(index, config, now)
    rules = collect_rules(manager, config)
    findings: dict[str, Finding] = {}
    for rule, _ in rules:
        for hit in rule.evaluate(ctx):
            finding = _finding(ctx, rule, hit)
            kept = findings.get(finding.id)
            if kept is None or finding.score.value > kept.score.value:
                findings[finding.id] = finding
    ranked = tuple(sorted(findings.values(), key=lambda f: (-f.score.value, f.rule, f.subject, f.id)))
    return Scan(
        id="scan-" + now.strftime("%Y%m%dT%H%M%S%fZ"),
        at=now,
        index_built_at=index.built_at,
        findings=ranked,
        identities=_identity_risks(ctx, ranked),
        rules=tuple(RuleInfo(rule.id, rule.title, rule.rationale, source) for rule, source in rules),
        notes=_notes(ctx),
    )


def _finding(ctx: ScanContext, rule: FindingRule, hit: Hit) -> Finding:
    identity = ctx.index.identities.get(hit.subject) if hit.subject_type == "identity" else None
    if hit.exposure is not None:
        exposure, exposure_reason = hit.exposure, hit.exposure_reason
    elif identity is not None:
        exposure, exposure_reason = identity_exposure(identity)
    else:
        raise ValueError(f"rule {rule.id}: a hit on {hit.subject!r} needs an exposure (not a known identity)")
    factors = Factors(
        impact=hit.impact,
        exploitability=hit.exploitability,
        exposure=exposure,
        usage=USAGE_FACTOR[hit.usage],
        reasons={
            "impact": hit.impact_reason,
            "exploitability": hit.exploitability_reason,
            "exposure": exposure_reason,
            "usage": hit.usage.value,
        },
    )
    resource = ctx.index.resources.get(hit.subject)
    return Finding(
        id=finding_id(rule.id, hit.subject, hit.key),
        rule=rule.id,
        rule_title=rule.title,
        title=hit.title,
        subject=hit.subject,
        subject_type=hit.subject_type,
        subject_name=identity.name if identity else (resource.name if resource and resource.name else hit.subject),
        provider=identity.provider if identity else hit.provider,
        account=identity.account if identity else hit.account,
        human=identity.human if identity else None,
        usage=hit.usage,
        score=score(factors),
        key=dict(hit.key),
        details=dict(hit.details),
        paths=hit.paths,
        first_seen=ctx.now,
        last_seen=ctx.now,
    )


def _identity_risks(ctx: ScanContext, findings: Iterable[Finding]) -> tuple[IdentityRisk, ...]:
    by_identity: dict[str, list[Finding]] = {}
    for finding in findings:
        if finding.subject_type == "identity":
            by_identity.setdefault(finding.subject, []).append(finding)
    risks = []
    for identity_id, own in by_identity.items():
        identity = ctx.index.identities[identity_id]
        value, explanation = identity_score([(f.score.value, f.rule) for f in own])
        risks.append(IdentityRisk(
            identity=identity_id, name=identity.name, provider=identity.provider, account=identity.account,
            human=identity.human, admin=identity_id in ctx.index.admin, score=value, severity=severity(value),
            findings=tuple(f.id for f in own), explanation=explanation,
        ))
    risks.sort(key=lambda risk: (-risk.score, risk.identity))
    return tuple(risks)


def _notes(ctx: ScanContext) -> tuple[str, ...]:
    unknown = [
        identity for identity in ctx.acting_identities() if ctx.identity_usage(identity)[0] is Usage.UNKNOWN
    ]
    if not unknown:
        return ()
    return (
        f"usage unknown for {len(unknown)} identit{'y' if len(unknown) == 1 else 'ies'}: no activity logs cover "
        "them and their provider recorded no last use; unused-access rules do not report them",
    )
