"""Query results (ciem.queries, ciem.model) as ciem.v1 protocol buffer messages.

The service sends these messages and the CLI renders them, whether it asked a server or answered
in-process, so both print the same answer.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Iterable, Iterator, Mapping

from google.protobuf import json_format, struct_pb2, timestamp_pb2

from ciem.findings.model import Finding
from ciem.model import Decision, Edge, Identity, Resource, Sensitivity
from ciem.queries import (
    ActionEntry,
    EnrichSummary,
    IndexStatus,
    ReachEntry,
    ReachResult,
    WhoCanEntry,
    WhoCanResult,
)
from ciem.usage import RightSized, UnusedAccess
from ciem.v1 import ciem_pb2 as pb


def _json_safe(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    return str(value)


def struct(values: Mapping[str, Any]) -> struct_pb2.Struct:
    """A Struct from a mapping; datetimes become ISO 8601 strings, sets sorted lists."""
    message = struct_pb2.Struct()
    message.update(json.loads(json.dumps(dict(values), default=_json_safe)))
    return message


def struct_dict(message: struct_pb2.Struct) -> dict[str, Any]:
    return json_format.MessageToDict(message)


def timestamp(moment: datetime | str) -> timestamp_pb2.Timestamp:
    message = timestamp_pb2.Timestamp()
    message.FromDatetime(datetime.fromisoformat(moment) if isinstance(moment, str) else moment)
    return message


def identity(value: Identity) -> pb.Identity:
    return pb.Identity(
        id=value.id,
        provider=value.provider,
        kind=pb.IdentityKind.Value(f"IDENTITY_KIND_{value.kind.name}"),
        name=value.name,
        account=value.account,
        human=value.human,
        aliases=value.aliases,
        tags=dict(value.tags),
        attributes=struct(value.attributes),
    )


def edge(value: Edge) -> pb.Edge:
    return pb.Edge(
        source=value.source,
        target=value.target,
        kind=pb.EdgeKind.Value(f"EDGE_KIND_{value.kind.name}"),
        method=value.method,
        permissions=value.permissions,
        resources=value.resources,
        conditions=value.conditions,
        provenance=value.provenance,
        reference=value.reference,
    )


def path(edges: Iterable[Edge]) -> pb.Path:
    return pb.Path(edges=[edge(e) for e in edges])


def actions(entries: Iterable[ActionEntry]) -> list[pb.Action]:
    return [
        pb.Action(name=a.name, service=a.service, access_level=a.access_level, conditional=a.conditional)
        for a in entries
    ]


def sensitivity(level: int) -> int:
    return pb.Sensitivity.Value(f"SENSITIVITY_{Sensitivity(level).name}")


def reach_entry(value: ReachEntry) -> pb.ReachEntry:
    return pb.ReachEntry(
        via=value.via,
        path=path(value.path),
        resource=value.resource,
        resource_known=value.resource_known,
        sensitivity=sensitivity(value.sensitivity),
        actions=actions(value.actions),
        conditions=value.conditions,
        provenance=value.provenance,
        conditional=value.conditional,
    )


def reach_responses(result: ReachResult) -> Iterator[pb.ReachResponse]:
    """The Reach stream: the identity, the identities it can become, then the entries."""
    yield pb.ReachResponse(identity=identity(result.identity))
    for other, edges in result.reachable_identities.items():
        if other != result.identity.id:
            yield pb.ReachResponse(reachable_identity=pb.ReachableIdentity(identity=other, path=path(edges)))
    for entry in result.entries:
        yield pb.ReachResponse(entry=reach_entry(entry))


def who_can_entry(value: WhoCanEntry) -> pb.WhoCanEntry:
    return pb.WhoCanEntry(
        identity=identity(value.identity),
        holder=value.holder,
        path=path(value.path),
        actions=actions(value.actions),
        conditions=value.conditions,
        provenance=value.provenance,
        conditional=value.conditional,
    )


def who_can_responses(result: WhoCanResult, known: Resource | None) -> Iterator[pb.WhoCanResponse]:
    """The WhoCan stream: facts about the resource (``known``: the index's record of it), then the entries."""
    header = pb.WhoCanHeader(resource=result.resource, resource_known=result.resource_known)
    if known is not None:
        header.provider, header.account = known.provider, known.account
        header.sensitivity = sensitivity(known.sensitivity)
    yield pb.WhoCanResponse(header=header)
    for entry in result.entries:
        yield pb.WhoCanResponse(entry=who_can_entry(entry))


def decision(value: Decision, subject: Identity) -> pb.Decision:
    return pb.Decision(
        decision=value.decision,
        layers=[
            pb.LayerVerdict(layer=layer.layer, verdict=layer.verdict, statements=layer.statements, detail=layer.detail)
            for layer in value.layers
        ],
        missing_context=value.missing_context,
        identity=identity(subject),
    )


def summary(value: EnrichSummary) -> pb.IdentitySummary:
    message = pb.IdentitySummary(
        identifier=value.identifier,
        error=value.error,
        admin_equivalent=value.admin_equivalent,
        admin_reason=value.admin_reason,
        paths_to_admin=[path(edges) for edges in value.paths_to_admin],
        reachable_identities=value.reachable_identities,
        sensitive_resources=dict(value.sensitive_resources),
    )
    if value.identity is not None:
        message.identity.CopyFrom(identity(value.identity))
    if value.last_used is not None:
        message.last_used.CopyFrom(timestamp(value.last_used))
    if value.unused_share is not None:
        message.unused_share = value.unused_share
    return message


def unused_access(value: UnusedAccess, subject: Identity) -> pb.UnusedAccess:
    message = pb.UnusedAccess(
        identity=identity(subject),
        window_days=value.window_days,
        since=timestamp(value.since),
        identity_unused=value.identity_unused,
        granted_count=value.granted_count,
        used_count=value.used_count,
        unused_share=value.unused_share,
        unused_actions=value.unused_actions,
        unused_services=value.unused_services,
        unused_high_privilege=value.unused_high_privilege,
        not_judged_services=value.not_judged_services,
        warnings=value.warnings,
    )
    if value.last_used is not None:
        message.last_used.CopyFrom(timestamp(value.last_used))
    for credential in value.unused_credentials:
        entry = message.unused_credentials.add(id=credential.id, active=credential.active)
        if credential.last_used is not None:
            entry.last_used.CopyFrom(timestamp(credential.last_used))
    return message


def rightsized(value: RightSized, subject: Identity) -> pb.RightSizeResponse:
    return pb.RightSizeResponse(
        identity=identity(subject),
        format=value.policy.format,
        document=value.policy.document,
        warnings=value.policy.warnings,
        changes=[pb.PolicyChange(source=c.source, removed=c.removed, kept=c.kept) for c in value.changes],
        left_out=value.left_out,
        window_days=value.window_days,
        since=timestamp(value.since),
    )


def index_status(value: IndexStatus) -> pb.IndexStatus:
    return pb.IndexStatus(
        built_at=timestamp(value.built_at),
        sources=[
            pb.SourceStatus(
                provider=source.provider,
                source=source.source,
                collected_at=timestamp(source.collected_at),
                gap_count=source.gaps,
            )
            for source in value.sources
        ],
        counts=dict(value.counts),
        gaps=[
            pb.CoverageGap(provider=gap.provider, scope=gap.scope, operation=gap.operation, reason=gap.reason)
            for gap in value.gaps
        ],
    )


def finding(value: Finding) -> pb.Finding:
    score = value.score
    message = pb.Finding(
        id=value.id,
        rule=value.rule,
        rule_title=value.rule_title,
        title=value.title,
        subject=value.subject,
        subject_type=value.subject_type,
        subject_name=value.subject_name,
        provider=value.provider,
        account=value.account,
        usage=pb.Usage.Value(f"USAGE_{value.usage.name}"),
        score=pb.Score(
            value=score.value,
            severity=score.severity,
            factors=pb.ScoreFactors(
                impact=score.factors.impact,
                exploitability=score.factors.exploitability,
                exposure=score.factors.exposure,
                usage=score.factors.usage,
                reasons=dict(score.factors.reasons),
            ),
            explanation=score.explanation,
        ),
        key=struct(value.key),
        details=struct(value.details),
        paths=[path(edges) for edges in value.paths],
        status=pb.FindingStatus.Value(f"FINDING_STATUS_{value.status.name}"),
    )
    if value.human is not None:
        message.human = value.human
    for name in ("first_seen", "last_seen", "resolved_at"):
        moment = getattr(value, name)
        if moment is not None:
            getattr(message, name).CopyFrom(timestamp(moment))
    return message
