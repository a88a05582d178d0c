"""The cloud-neutral model every provider maps its estate onto.

Providers turn their cloud's identities, policies and trust into the types below; the core builds its
index, answers queries and raises findings from these types alone, without knowing any cloud by name.
docs/model.md shows how AWS, Azure and Google Cloud each map onto them.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Mapping

if TYPE_CHECKING:
    from ciem.catalog import PermissionCatalog


def pickled_by_fields(cls):
    """Pickles a slotted dataclass as its constructor and field values: a saved index holds hundreds
    of thousands of them, and the generated per-object ``__setstate__`` would dominate a restart."""
    names = tuple(f.name for f in dataclasses.fields(cls))

    def __reduce__(self):
        return cls, tuple([getattr(self, name) for name in names])

    cls.__reduce__ = __reduce__
    return cls


class IdentityKind(str, enum.Enum):
    USER = "user"
    GROUP = "group"
    ROLE = "role"
    SERVICE_ACCOUNT = "service_account"
    MANAGED_IDENTITY = "managed_identity"
    FEDERATED = "federated"
    # A principal outside the collected estate that policies name: another account, a public principal.
    EXTERNAL = "external"


class AccessLevel(str, enum.Enum):
    """The access levels AWS's service authorization reference uses; other providers map onto them."""

    LIST = "List"
    READ = "Read"
    WRITE = "Write"
    PERMISSIONS_MANAGEMENT = "Permissions management"
    TAGGING = "Tagging"


class EdgeKind(str, enum.Enum):
    ASSUME = "assume"  # take on the target's identity through a trust relationship
    IMPERSONATE = "impersonate"  # obtain the target's credentials or tokens
    ESCALATE = "escalate"  # use a permission to gain the target's privileges


class Sensitivity(enum.IntEnum):
    NONE = 0
    LOW = 1
    HIGH = 2
    CRITICAL = 3


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Identity:
    """A principal: human or machine, inside the estate or (kind EXTERNAL) outside it.

    ``id`` is canonical and unique across providers (an ARN, an Azure object id, a GCP member string).
    ``aliases`` are the other names an alert may use for it: access key ids, e-mail addresses, user
    principal names, application ids.
    """

    id: str
    provider: str
    kind: IdentityKind
    name: str
    account: str
    human: bool
    aliases: tuple[str, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)
    # Facts a rule may use: created, password_last_used, mfa_enabled, access key ages ...
    attributes: Mapping[str, Any] = field(default_factory=dict)


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Resource:
    """Something access is granted to. ``parents`` runs from the root of the hierarchy down to the
    immediate parent (organization > folder > project, management group > subscription > group)."""

    id: str
    provider: str
    type: str
    account: str
    name: str = ""
    parents: tuple[str, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)
    sensitivity: Sensitivity = Sensitivity.NONE


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class ActionInfo:
    """One entry of a provider's permission catalog."""

    name: str  # canonical spelling, e.g. "s3:GetObject"
    service: str
    access_level: AccessLevel
    risk_tags: frozenset[str] = frozenset()  # e.g. {"privilege-escalation", "credential-exposure"}


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class ResourceSelector:
    """Which resources a grant covers, without enumerating them.

    A resource id matches when it matches at least one pattern of ``include`` and of every clause in
    ``also`` (layers that each narrow the resources: a boundary, an SCP), and no pattern of
    ``exclude``. Patterns use ``*`` (any run of characters) and ``?`` (one character).
    """

    include: tuple[str, ...]
    also: tuple[tuple[str, ...], ...] = ()
    exclude: tuple[str, ...] = ()
    case_sensitive: bool = True

    @staticmethod
    def exact(resource_id: str, case_sensitive: bool = True) -> "ResourceSelector":
        return ResourceSelector((resource_id,), case_sensitive=case_sensitive)


ANY_RESOURCE = ResourceSelector(("*",))


@dataclass(frozen=True, slots=True)
class Grant:
    """Effective access of one identity after every policy layer its provider applies.

    ``deny`` entries carry explicit denies the provider could not fold into the allows (typically
    conditional ones); the index subtracts unconditional denies and marks overlaps with conditional
    denies as conditional. ``conditions`` names the request-context keys the grant hinges on; an empty
    tuple means unconditional. ``provenance`` lists the policy statements that produce it, outermost
    first, so that every answer can say why.
    """

    identity: str
    actions: frozenset[str]
    resources: ResourceSelector
    provenance: tuple[str, ...]
    conditions: tuple[str, ...] = ()
    deny: bool = False
    potential: bool = False  # eligible but not active (for example Azure PIM)


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Edge:
    """``source`` can become, or gain the privileges of, ``target``."""

    source: str
    target: str
    kind: EdgeKind
    method: str  # id of the method, for example "iam:PassRole+lambda:CreateFunction"
    permissions: tuple[str, ...]  # the actions the source needs
    resources: tuple[str, ...] = ()  # resources the method needs or acts on
    conditions: tuple[str, ...] = ()
    provenance: tuple[str, ...] = ()
    reference: str = ""  # where the method is documented


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class CoverageGap:
    """Something collection could not see: a denied call, a skipped account, an unreadable file."""

    provider: str
    scope: str  # account, subscription, project or file
    operation: str
    reason: str


@dataclass(slots=True)
class Snapshot:
    """What one provider collected from one source, in the provider's own JSON-serialisable form."""

    provider: str
    source: str
    collected_at: datetime
    data: dict[str, Any]
    gaps: list[CoverageGap] = field(default_factory=list)


@dataclass(slots=True)
class Resolution:
    """A provider's answer for one snapshot: who exists, what each can do, who can become whom."""

    provider: str
    catalog: "PermissionCatalog"
    identities: list[Identity]
    resources: list[Resource]
    grants: list[Grant]
    edges: list[Edge]
    # identity id -> why the provider considers it admin-equivalent (docs/<provider> define it).
    admin: dict[str, str] = field(default_factory=dict)
    gaps: list[CoverageGap] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class UsageRecord:
    """One identity's use of one action (on one resource where the log names it)."""

    identity: str
    action: str
    first_seen: datetime
    last_seen: datetime
    count: int = 1
    resource: str = ""
    caller: str = ""  # the service that made the call on the identity's behalf, if any
    credential: str = ""  # the long-term credential (an access key id) the call traces back to, if any


@dataclass(frozen=True, slots=True)
class EvaluationRequest:
    identity: str
    action: str
    resource: str
    context: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LayerVerdict:
    """One policy layer's say in a decision: ``allow``, ``deny``, ``no-match``, ``conditional``, or
    ``not-applicable`` (the layer does not govern this request; ``detail`` says why)."""

    layer: str
    verdict: str
    statements: tuple[str, ...] = ()
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of one request: ``allowed``, ``implicitDeny``, ``explicitDeny`` or ``conditional``."""

    decision: str
    layers: tuple[LayerVerdict, ...]
    missing_context: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RenderedPolicy:
    """A right-sized policy in its provider's own format."""

    provider: str
    identity: str
    format: str  # e.g. "aws-iam-policy-json"
    document: str
    warnings: tuple[str, ...] = ()
