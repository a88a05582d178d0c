"""Findings as JSON-ready dictionaries and back, for the sinks' stores and the report."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

from ciem.findings.model import Factors, Finding, IdentityRisk, Score, Status, Usage
from ciem.model import Edge, EdgeKind


def edge_to_dict(edge: Edge) -> dict[str, Any]:
    return {
        "source": edge.source, "target": edge.target, "kind": edge.kind.value, "method": edge.method,
        "permissions": list(edge.permissions), "resources": list(edge.resources),
        "conditions": list(edge.conditions), "provenance": list(edge.provenance), "reference": edge.reference,
    }


def edge_from_dict(raw: Mapping[str, Any]) -> Edge:
    return Edge(
        source=raw["source"], target=raw["target"], kind=EdgeKind(raw["kind"]), method=raw["method"],
        permissions=tuple(raw.get("permissions", ())), resources=tuple(raw.get("resources", ())),
        conditions=tuple(raw.get("conditions", ())), provenance=tuple(raw.get("provenance", ())),
        reference=raw.get("reference", ""),
    )


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def finding_to_dict(finding: Finding) -> dict[str, Any]:
    factors = finding.score.factors
    return {
        "id": finding.id, "rule": finding.rule, "rule_title": finding.rule_title, "title": finding.title,
        "subject": finding.subject, "subject_type": finding.subject_type, "subject_name": finding.subject_name,
        "provider": finding.provider, "account": finding.account, "human": finding.human,
        "usage": finding.usage.value,
        "score": {
            "value": finding.score.value, "severity": finding.score.severity,
            "explanation": finding.score.explanation,
            "factors": {
                "impact": factors.impact, "exploitability": factors.exploitability,
                "exposure": factors.exposure, "usage": factors.usage, "reasons": dict(factors.reasons),
            },
        },
        "key": dict(finding.key), "details": dict(finding.details),
        "paths": [[edge_to_dict(edge) for edge in path] for path in finding.paths],
        "status": finding.status.value,
        "first_seen": _time(finding.first_seen), "last_seen": _time(finding.last_seen),
        "resolved_at": _time(finding.resolved_at),
    }


def finding_from_dict(raw: Mapping[str, Any]) -> Finding:
    score = raw["score"]
    factors = score["factors"]
    return Finding(
        id=raw["id"], rule=raw["rule"], rule_title=raw["rule_title"], title=raw["title"],
        subject=raw["subject"], subject_type=raw["subject_type"], subject_name=raw["subject_name"],
        provider=raw["provider"], account=raw["account"], human=raw["human"], usage=Usage(raw["usage"]),
        score=Score(
            value=score["value"], severity=score["severity"], explanation=score["explanation"],
            factors=Factors(factors["impact"], factors["exploitability"], factors["exposure"], factors["usage"],
                            dict(factors.get("reasons", {}))),
        ),
        key=dict(raw["key"]), details=dict(raw["details"]),
        paths=tuple(tuple(edge_from_dict(edge) for edge in path) for path in raw["paths"]),
        status=Status(raw["status"]),
        first_seen=_parse_time(raw.get("first_seen")), last_seen=_parse_time(raw.get("last_seen")),
        resolved_at=_parse_time(raw.get("resolved_at")),
    )


def identity_risk_to_dict(risk: IdentityRisk) -> dict[str, Any]:
    return {
        "identity": risk.identity, "name": risk.name, "provider": risk.provider, "account": risk.account,
        "human": risk.human, "admin": risk.admin, "score": risk.score, "severity": risk.severity,
        "findings": list(risk.findings), "explanation": risk.explanation,
    }


def identity_risk_from_dict(raw: Mapping[str, Any]) -> IdentityRisk:
    return IdentityRisk(
        identity=raw["identity"], name=raw["name"], provider=raw["provider"], account=raw["account"],
        human=raw["human"], admin=raw["admin"], score=raw["score"], severity=raw["severity"],
        findings=tuple(raw["findings"]), explanation=raw["explanation"],
    )
