import datetime

from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class IdentityKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    IDENTITY_KIND_UNSPECIFIED: _ClassVar[IdentityKind]
    IDENTITY_KIND_USER: _ClassVar[IdentityKind]
    IDENTITY_KIND_GROUP: _ClassVar[IdentityKind]
    IDENTITY_KIND_ROLE: _ClassVar[IdentityKind]
    IDENTITY_KIND_SERVICE_ACCOUNT: _ClassVar[IdentityKind]
    IDENTITY_KIND_MANAGED_IDENTITY: _ClassVar[IdentityKind]
    IDENTITY_KIND_FEDERATED: _ClassVar[IdentityKind]
    IDENTITY_KIND_EXTERNAL: _ClassVar[IdentityKind]

class EdgeKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EDGE_KIND_UNSPECIFIED: _ClassVar[EdgeKind]
    EDGE_KIND_ASSUME: _ClassVar[EdgeKind]
    EDGE_KIND_IMPERSONATE: _ClassVar[EdgeKind]
    EDGE_KIND_ESCALATE: _ClassVar[EdgeKind]

class Sensitivity(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SENSITIVITY_NONE: _ClassVar[Sensitivity]
    SENSITIVITY_LOW: _ClassVar[Sensitivity]
    SENSITIVITY_HIGH: _ClassVar[Sensitivity]
    SENSITIVITY_CRITICAL: _ClassVar[Sensitivity]

class Usage(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    USAGE_UNSPECIFIED: _ClassVar[Usage]
    USAGE_USED: _ClassVar[Usage]
    USAGE_UNUSED: _ClassVar[Usage]
    USAGE_UNKNOWN: _ClassVar[Usage]

class FindingStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FINDING_STATUS_UNSPECIFIED: _ClassVar[FindingStatus]
    FINDING_STATUS_NEW: _ClassVar[FindingStatus]
    FINDING_STATUS_OPEN: _ClassVar[FindingStatus]
    FINDING_STATUS_RESOLVED: _ClassVar[FindingStatus]
IDENTITY_KIND_UNSPECIFIED: IdentityKind
IDENTITY_KIND_USER: IdentityKind
IDENTITY_KIND_GROUP: IdentityKind
IDENTITY_KIND_ROLE: IdentityKind
IDENTITY_KIND_SERVICE_ACCOUNT: IdentityKind
IDENTITY_KIND_MANAGED_IDENTITY: IdentityKind
IDENTITY_KIND_FEDERATED: IdentityKind
IDENTITY_KIND_EXTERNAL: IdentityKind
EDGE_KIND_UNSPECIFIED: EdgeKind
EDGE_KIND_ASSUME: EdgeKind
EDGE_KIND_IMPERSONATE: EdgeKind
EDGE_KIND_ESCALATE: EdgeKind
SENSITIVITY_NONE: Sensitivity
SENSITIVITY_LOW: Sensitivity
SENSITIVITY_HIGH: Sensitivity
SENSITIVITY_CRITICAL: Sensitivity
USAGE_UNSPECIFIED: Usage
USAGE_USED: Usage
USAGE_UNUSED: Usage
USAGE_UNKNOWN: Usage
FINDING_STATUS_UNSPECIFIED: FindingStatus
FINDING_STATUS_NEW: FindingStatus
FINDING_STATUS_OPEN: FindingStatus
FINDING_STATUS_RESOLVED: FindingStatus

class Identity(_message.Message):
    __slots__ = ("id", "provider", "kind", "name", "account", "human", "aliases", "tags", "attributes")
    class TagsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    HUMAN_FIELD_NUMBER: _ClassVar[int]
    ALIASES_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    id: str
    provider: str
    kind: IdentityKind
    name: str
    account: str
    human: bool
    aliases: _containers.RepeatedScalarFieldContainer[str]
    tags: _containers.ScalarMap[str, str]
    attributes: _struct_pb2.Struct
    def __init__(self, id: _Optional[str] = ..., provider: _Optional[str] = ..., kind: _Optional[_Union[IdentityKind, str]] = ..., name: _Optional[str] = ..., account: _Optional[str] = ..., human: _Optional[bool] = ..., aliases: _Optional[_Iterable[str]] = ..., tags: _Optional[_Mapping[str, str]] = ..., attributes: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class Edge(_message.Message):
    __slots__ = ("source", "target", "kind", "method", "permissions", "resources", "conditions", "provenance", "reference")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    PERMISSIONS_FIELD_NUMBER: _ClassVar[int]
    RESOURCES_FIELD_NUMBER: _ClassVar[int]
    CONDITIONS_FIELD_NUMBER: _ClassVar[int]
    PROVENANCE_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    source: str
    target: str
    kind: EdgeKind
    method: str
    permissions: _containers.RepeatedScalarFieldContainer[str]
    resources: _containers.RepeatedScalarFieldContainer[str]
    conditions: _containers.RepeatedScalarFieldContainer[str]
    provenance: _containers.RepeatedScalarFieldContainer[str]
    reference: str
    def __init__(self, source: _Optional[str] = ..., target: _Optional[str] = ..., kind: _Optional[_Union[EdgeKind, str]] = ..., method: _Optional[str] = ..., permissions: _Optional[_Iterable[str]] = ..., resources: _Optional[_Iterable[str]] = ..., conditions: _Optional[_Iterable[str]] = ..., provenance: _Optional[_Iterable[str]] = ..., reference: _Optional[str] = ...) -> None: ...

class Path(_message.Message):
    __slots__ = ("edges",)
    EDGES_FIELD_NUMBER: _ClassVar[int]
    edges: _containers.RepeatedCompositeFieldContainer[Edge]
    def __init__(self, edges: _Optional[_Iterable[_Union[Edge, _Mapping]]] = ...) -> None: ...

class Action(_message.Message):
    __slots__ = ("name", "service", "access_level", "conditional")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    ACCESS_LEVEL_FIELD_NUMBER: _ClassVar[int]
    CONDITIONAL_FIELD_NUMBER: _ClassVar[int]
    name: str
    service: str
    access_level: str
    conditional: bool
    def __init__(self, name: _Optional[str] = ..., service: _Optional[str] = ..., access_level: _Optional[str] = ..., conditional: _Optional[bool] = ...) -> None: ...

class ResolveIdentityRequest(_message.Message):
    __slots__ = ("identifier",)
    IDENTIFIER_FIELD_NUMBER: _ClassVar[int]
    identifier: str
    def __init__(self, identifier: _Optional[str] = ...) -> None: ...

class ReachRequest(_message.Message):
    __slots__ = ("identity", "max_hops", "services", "actions", "access_levels", "resource_prefix", "min_sensitivity")
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    MAX_HOPS_FIELD_NUMBER: _ClassVar[int]
    SERVICES_FIELD_NUMBER: _ClassVar[int]
    ACTIONS_FIELD_NUMBER: _ClassVar[int]
    ACCESS_LEVELS_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_PREFIX_FIELD_NUMBER: _ClassVar[int]
    MIN_SENSITIVITY_FIELD_NUMBER: _ClassVar[int]
    identity: str
    max_hops: int
    services: _containers.RepeatedScalarFieldContainer[str]
    actions: _containers.RepeatedScalarFieldContainer[str]
    access_levels: _containers.RepeatedScalarFieldContainer[str]
    resource_prefix: str
    min_sensitivity: Sensitivity
    def __init__(self, identity: _Optional[str] = ..., max_hops: _Optional[int] = ..., services: _Optional[_Iterable[str]] = ..., actions: _Optional[_Iterable[str]] = ..., access_levels: _Optional[_Iterable[str]] = ..., resource_prefix: _Optional[str] = ..., min_sensitivity: _Optional[_Union[Sensitivity, str]] = ...) -> None: ...

class ReachableIdentity(_message.Message):
    __slots__ = ("identity", "path")
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    identity: str
    path: Path
    def __init__(self, identity: _Optional[str] = ..., path: _Optional[_Union[Path, _Mapping]] = ...) -> None: ...

class ReachEntry(_message.Message):
    __slots__ = ("via", "path", "resource", "resource_known", "sensitivity", "actions", "conditions", "provenance", "conditional")
    VIA_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_KNOWN_FIELD_NUMBER: _ClassVar[int]
    SENSITIVITY_FIELD_NUMBER: _ClassVar[int]
    ACTIONS_FIELD_NUMBER: _ClassVar[int]
    CONDITIONS_FIELD_NUMBER: _ClassVar[int]
    PROVENANCE_FIELD_NUMBER: _ClassVar[int]
    CONDITIONAL_FIELD_NUMBER: _ClassVar[int]
    via: str
    path: Path
    resource: str
    resource_known: bool
    sensitivity: Sensitivity
    actions: _containers.RepeatedCompositeFieldContainer[Action]
    conditions: _containers.RepeatedScalarFieldContainer[str]
    provenance: _containers.RepeatedScalarFieldContainer[str]
    conditional: bool
    def __init__(self, via: _Optional[str] = ..., path: _Optional[_Union[Path, _Mapping]] = ..., resource: _Optional[str] = ..., resource_known: _Optional[bool] = ..., sensitivity: _Optional[_Union[Sensitivity, str]] = ..., actions: _Optional[_Iterable[_Union[Action, _Mapping]]] = ..., conditions: _Optional[_Iterable[str]] = ..., provenance: _Optional[_Iterable[str]] = ..., conditional: _Optional[bool] = ...) -> None: ...

class ReachResponse(_message.Message):
    __slots__ = ("identity", "reachable_identity", "entry")
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    REACHABLE_IDENTITY_FIELD_NUMBER: _ClassVar[int]
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    identity: Identity
    reachable_identity: ReachableIdentity
    entry: ReachEntry
    def __init__(self, identity: _Optional[_Union[Identity, _Mapping]] = ..., reachable_identity: _Optional[_Union[ReachableIdentity, _Mapping]] = ..., entry: _Optional[_Union[ReachEntry, _Mapping]] = ...) -> None: ...

class WhoCanRequest(_message.Message):
    __slots__ = ("resource", "actions", "access_levels", "max_hops", "services")
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    ACTIONS_FIELD_NUMBER: _ClassVar[int]
    ACCESS_LEVELS_FIELD_NUMBER: _ClassVar[int]
    MAX_HOPS_FIELD_NUMBER: _ClassVar[int]
    SERVICES_FIELD_NUMBER: _ClassVar[int]
    resource: str
    actions: _containers.RepeatedScalarFieldContainer[str]
    access_levels: _containers.RepeatedScalarFieldContainer[str]
    max_hops: int
    services: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, resource: _Optional[str] = ..., actions: _Optional[_Iterable[str]] = ..., access_levels: _Optional[_Iterable[str]] = ..., max_hops: _Optional[int] = ..., services: _Optional[_Iterable[str]] = ...) -> None: ...

class WhoCanHeader(_message.Message):
    __slots__ = ("resource", "resource_known", "provider", "account", "sensitivity")
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_KNOWN_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    SENSITIVITY_FIELD_NUMBER: _ClassVar[int]
    resource: str
    resource_known: bool
    provider: str
    account: str
    sensitivity: Sensitivity
    def __init__(self, resource: _Optional[str] = ..., resource_known: _Optional[bool] = ..., provider: _Optional[str] = ..., account: _Optional[str] = ..., sensitivity: _Optional[_Union[Sensitivity, str]] = ...) -> None: ...

class WhoCanEntry(_message.Message):
    __slots__ = ("identity", "holder", "path", "actions", "conditions", "provenance", "conditional")
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    HOLDER_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    ACTIONS_FIELD_NUMBER: _ClassVar[int]
    CONDITIONS_FIELD_NUMBER: _ClassVar[int]
    PROVENANCE_FIELD_NUMBER: _ClassVar[int]
    CONDITIONAL_FIELD_NUMBER: _ClassVar[int]
    identity: Identity
    holder: str
    path: Path
    actions: _containers.RepeatedCompositeFieldContainer[Action]
    conditions: _containers.RepeatedScalarFieldContainer[str]
    provenance: _containers.RepeatedScalarFieldContainer[str]
    conditional: bool
    def __init__(self, identity: _Optional[_Union[Identity, _Mapping]] = ..., holder: _Optional[str] = ..., path: _Optional[_Union[Path, _Mapping]] = ..., actions: _Optional[_Iterable[_Union[Action, _Mapping]]] = ..., conditions: _Optional[_Iterable[str]] = ..., provenance: _Optional[_Iterable[str]] = ..., conditional: _Optional[bool] = ...) -> None: ...

class WhoCanResponse(_message.Message):
    __slots__ = ("header", "entry")
    HEADER_FIELD_NUMBER: _ClassVar[int]
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    header: WhoCanHeader
    entry: WhoCanEntry
    def __init__(self, header: _Optional[_Union[WhoCanHeader, _Mapping]] = ..., entry: _Optional[_Union[WhoCanEntry, _Mapping]] = ...) -> None: ...

class ExplainRequest(_message.Message):
    __slots__ = ("identity", "action", "resource", "context")
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    identity: str
    action: str
    resource: str
    context: _struct_pb2.Struct
    def __init__(self, identity: _Optional[str] = ..., action: _Optional[str] = ..., resource: _Optional[str] = ..., context: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...

class LayerVerdict(_message.Message):
    __slots__ = ("layer", "verdict", "statements", "detail")
    LAYER_FIELD_NUMBER: _ClassVar[int]
    VERDICT_FIELD_NUMBER: _ClassVar[int]
    STATEMENTS_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    layer: str
    verdict: str
    statements: _containers.RepeatedScalarFieldContainer[str]
    detail: str
    def __init__(self, layer: _Optional[str] = ..., verdict: _Optional[str] = ..., statements: _Optional[_Iterable[str]] = ..., detail: _Optional[str] = ...) -> None: ...

class Decision(_message.Message):
    __slots__ = ("decision", "layers", "missing_context", "identity")
    DECISION_FIELD_NUMBER: _ClassVar[int]
    LAYERS_FIELD_NUMBER: _ClassVar[int]
    MISSING_CONTEXT_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    decision: str
    layers: _containers.RepeatedCompositeFieldContainer[LayerVerdict]
    missing_context: _containers.RepeatedScalarFieldContainer[str]
    identity: Identity
    def __init__(self, decision: _Optional[str] = ..., layers: _Optional[_Iterable[_Union[LayerVerdict, _Mapping]]] = ..., missing_context: _Optional[_Iterable[str]] = ..., identity: _Optional[_Union[Identity, _Mapping]] = ...) -> None: ...

class EnrichRequest(_message.Message):
    __slots__ = ("identifiers",)
    IDENTIFIERS_FIELD_NUMBER: _ClassVar[int]
    identifiers: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, identifiers: _Optional[_Iterable[str]] = ...) -> None: ...

class IdentitySummary(_message.Message):
    __slots__ = ("identifier", "identity", "error", "admin_equivalent", "admin_reason", "paths_to_admin", "reachable_identities", "sensitive_resources", "last_used", "unused_share")
    class SensitiveResourcesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    IDENTIFIER_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    ADMIN_EQUIVALENT_FIELD_NUMBER: _ClassVar[int]
    ADMIN_REASON_FIELD_NUMBER: _ClassVar[int]
    PATHS_TO_ADMIN_FIELD_NUMBER: _ClassVar[int]
    REACHABLE_IDENTITIES_FIELD_NUMBER: _ClassVar[int]
    SENSITIVE_RESOURCES_FIELD_NUMBER: _ClassVar[int]
    LAST_USED_FIELD_NUMBER: _ClassVar[int]
    UNUSED_SHARE_FIELD_NUMBER: _ClassVar[int]
    identifier: str
    identity: Identity
    error: str
    admin_equivalent: bool
    admin_reason: str
    paths_to_admin: _containers.RepeatedCompositeFieldContainer[Path]
    reachable_identities: int
    sensitive_resources: _containers.ScalarMap[str, int]
    last_used: _timestamp_pb2.Timestamp
    unused_share: float
    def __init__(self, identifier: _Optional[str] = ..., identity: _Optional[_Union[Identity, _Mapping]] = ..., error: _Optional[str] = ..., admin_equivalent: _Optional[bool] = ..., admin_reason: _Optional[str] = ..., paths_to_admin: _Optional[_Iterable[_Union[Path, _Mapping]]] = ..., reachable_identities: _Optional[int] = ..., sensitive_resources: _Optional[_Mapping[str, int]] = ..., last_used: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., unused_share: _Optional[float] = ...) -> None: ...

class EnrichResponse(_message.Message):
    __slots__ = ("summaries",)
    SUMMARIES_FIELD_NUMBER: _ClassVar[int]
    summaries: _containers.RepeatedCompositeFieldContainer[IdentitySummary]
    def __init__(self, summaries: _Optional[_Iterable[_Union[IdentitySummary, _Mapping]]] = ...) -> None: ...

class GetUnusedAccessRequest(_message.Message):
    __slots__ = ("identity", "window_days")
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    WINDOW_DAYS_FIELD_NUMBER: _ClassVar[int]
    identity: str
    window_days: int
    def __init__(self, identity: _Optional[str] = ..., window_days: _Optional[int] = ...) -> None: ...

class CredentialUse(_message.Message):
    __slots__ = ("id", "active", "last_used")
    ID_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    LAST_USED_FIELD_NUMBER: _ClassVar[int]
    id: str
    active: bool
    last_used: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., active: _Optional[bool] = ..., last_used: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class UnusedAccess(_message.Message):
    __slots__ = ("identity", "window_days", "since", "last_used", "identity_unused", "granted_count", "used_count", "unused_share", "unused_actions", "unused_services", "unused_high_privilege", "not_judged_services", "unused_credentials", "warnings")
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    WINDOW_DAYS_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    LAST_USED_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_UNUSED_FIELD_NUMBER: _ClassVar[int]
    GRANTED_COUNT_FIELD_NUMBER: _ClassVar[int]
    USED_COUNT_FIELD_NUMBER: _ClassVar[int]
    UNUSED_SHARE_FIELD_NUMBER: _ClassVar[int]
    UNUSED_ACTIONS_FIELD_NUMBER: _ClassVar[int]
    UNUSED_SERVICES_FIELD_NUMBER: _ClassVar[int]
    UNUSED_HIGH_PRIVILEGE_FIELD_NUMBER: _ClassVar[int]
    NOT_JUDGED_SERVICES_FIELD_NUMBER: _ClassVar[int]
    UNUSED_CREDENTIALS_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    identity: Identity
    window_days: int
    since: _timestamp_pb2.Timestamp
    last_used: _timestamp_pb2.Timestamp
    identity_unused: bool
    granted_count: int
    used_count: int
    unused_share: float
    unused_actions: _containers.RepeatedScalarFieldContainer[str]
    unused_services: _containers.RepeatedScalarFieldContainer[str]
    unused_high_privilege: _containers.RepeatedScalarFieldContainer[str]
    not_judged_services: _containers.RepeatedScalarFieldContainer[str]
    unused_credentials: _containers.RepeatedCompositeFieldContainer[CredentialUse]
    warnings: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, identity: _Optional[_Union[Identity, _Mapping]] = ..., window_days: _Optional[int] = ..., since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_used: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., identity_unused: _Optional[bool] = ..., granted_count: _Optional[int] = ..., used_count: _Optional[int] = ..., unused_share: _Optional[float] = ..., unused_actions: _Optional[_Iterable[str]] = ..., unused_services: _Optional[_Iterable[str]] = ..., unused_high_privilege: _Optional[_Iterable[str]] = ..., not_judged_services: _Optional[_Iterable[str]] = ..., unused_credentials: _Optional[_Iterable[_Union[CredentialUse, _Mapping]]] = ..., warnings: _Optional[_Iterable[str]] = ...) -> None: ...

class RightSizeRequest(_message.Message):
    __slots__ = ("identity", "window_days")
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    WINDOW_DAYS_FIELD_NUMBER: _ClassVar[int]
    identity: str
    window_days: int
    def __init__(self, identity: _Optional[str] = ..., window_days: _Optional[int] = ...) -> None: ...

class PolicyChange(_message.Message):
    __slots__ = ("source", "removed", "kept")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    REMOVED_FIELD_NUMBER: _ClassVar[int]
    KEPT_FIELD_NUMBER: _ClassVar[int]
    source: str
    removed: _containers.RepeatedScalarFieldContainer[str]
    kept: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, source: _Optional[str] = ..., removed: _Optional[_Iterable[str]] = ..., kept: _Optional[_Iterable[str]] = ...) -> None: ...

class RightSizeResponse(_message.Message):
    __slots__ = ("identity", "format", "document", "warnings", "changes", "left_out", "window_days", "since")
    IDENTITY_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    LEFT_OUT_FIELD_NUMBER: _ClassVar[int]
    WINDOW_DAYS_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    identity: Identity
    format: str
    document: str
    warnings: _containers.RepeatedScalarFieldContainer[str]
    changes: _containers.RepeatedCompositeFieldContainer[PolicyChange]
    left_out: _containers.RepeatedScalarFieldContainer[str]
    window_days: int
    since: _timestamp_pb2.Timestamp
    def __init__(self, identity: _Optional[_Union[Identity, _Mapping]] = ..., format: _Optional[str] = ..., document: _Optional[str] = ..., warnings: _Optional[_Iterable[str]] = ..., changes: _Optional[_Iterable[_Union[PolicyChange, _Mapping]]] = ..., left_out: _Optional[_Iterable[str]] = ..., window_days: _Optional[int] = ..., since: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetIndexStatusRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class SourceStatus(_message.Message):
    __slots__ = ("provider", "source", "collected_at", "gap_count")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    COLLECTED_AT_FIELD_NUMBER: _ClassVar[int]
    GAP_COUNT_FIELD_NUMBER: _ClassVar[int]
    provider: str
    source: str
    collected_at: _timestamp_pb2.Timestamp
    gap_count: int
    def __init__(self, provider: _Optional[str] = ..., source: _Optional[str] = ..., collected_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., gap_count: _Optional[int] = ...) -> None: ...

class CoverageGap(_message.Message):
    __slots__ = ("provider", "scope", "operation", "reason")
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    provider: str
    scope: str
    operation: str
    reason: str
    def __init__(self, provider: _Optional[str] = ..., scope: _Optional[str] = ..., operation: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class IndexStatus(_message.Message):
    __slots__ = ("built_at", "sources", "counts", "gaps")
    class CountsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    BUILT_AT_FIELD_NUMBER: _ClassVar[int]
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    COUNTS_FIELD_NUMBER: _ClassVar[int]
    GAPS_FIELD_NUMBER: _ClassVar[int]
    built_at: _timestamp_pb2.Timestamp
    sources: _containers.RepeatedCompositeFieldContainer[SourceStatus]
    counts: _containers.ScalarMap[str, int]
    gaps: _containers.RepeatedCompositeFieldContainer[CoverageGap]
    def __init__(self, built_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., sources: _Optional[_Iterable[_Union[SourceStatus, _Mapping]]] = ..., counts: _Optional[_Mapping[str, int]] = ..., gaps: _Optional[_Iterable[_Union[CoverageGap, _Mapping]]] = ...) -> None: ...

class RefreshRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class RefreshResponse(_message.Message):
    __slots__ = ("status",)
    STATUS_FIELD_NUMBER: _ClassVar[int]
    status: IndexStatus
    def __init__(self, status: _Optional[_Union[IndexStatus, _Mapping]] = ...) -> None: ...

class ScoreFactors(_message.Message):
    __slots__ = ("impact", "exploitability", "exposure", "usage", "reasons")
    class ReasonsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    IMPACT_FIELD_NUMBER: _ClassVar[int]
    EXPLOITABILITY_FIELD_NUMBER: _ClassVar[int]
    EXPOSURE_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    impact: float
    exploitability: float
    exposure: float
    usage: float
    reasons: _containers.ScalarMap[str, str]
    def __init__(self, impact: _Optional[float] = ..., exploitability: _Optional[float] = ..., exposure: _Optional[float] = ..., usage: _Optional[float] = ..., reasons: _Optional[_Mapping[str, str]] = ...) -> None: ...

class Score(_message.Message):
    __slots__ = ("value", "severity", "factors", "explanation")
    VALUE_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    FACTORS_FIELD_NUMBER: _ClassVar[int]
    EXPLANATION_FIELD_NUMBER: _ClassVar[int]
    value: int
    severity: str
    factors: ScoreFactors
    explanation: str
    def __init__(self, value: _Optional[int] = ..., severity: _Optional[str] = ..., factors: _Optional[_Union[ScoreFactors, _Mapping]] = ..., explanation: _Optional[str] = ...) -> None: ...

class Finding(_message.Message):
    __slots__ = ("id", "rule", "rule_title", "title", "subject", "subject_type", "subject_name", "provider", "account", "human", "usage", "score", "key", "details", "paths", "status", "first_seen", "last_seen", "resolved_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    RULE_FIELD_NUMBER: _ClassVar[int]
    RULE_TITLE_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_TYPE_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_NAME_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    HUMAN_FIELD_NUMBER: _ClassVar[int]
    USAGE_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    PATHS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    FIRST_SEEN_FIELD_NUMBER: _ClassVar[int]
    LAST_SEEN_FIELD_NUMBER: _ClassVar[int]
    RESOLVED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    rule: str
    rule_title: str
    title: str
    subject: str
    subject_type: str
    subject_name: str
    provider: str
    account: str
    human: bool
    usage: Usage
    score: Score
    key: _struct_pb2.Struct
    details: _struct_pb2.Struct
    paths: _containers.RepeatedCompositeFieldContainer[Path]
    status: FindingStatus
    first_seen: _timestamp_pb2.Timestamp
    last_seen: _timestamp_pb2.Timestamp
    resolved_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., rule: _Optional[str] = ..., rule_title: _Optional[str] = ..., title: _Optional[str] = ..., subject: _Optional[str] = ..., subject_type: _Optional[str] = ..., subject_name: _Optional[str] = ..., provider: _Optional[str] = ..., account: _Optional[str] = ..., human: _Optional[bool] = ..., usage: _Optional[_Union[Usage, str]] = ..., score: _Optional[_Union[Score, _Mapping]] = ..., key: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., details: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., paths: _Optional[_Iterable[_Union[Path, _Mapping]]] = ..., status: _Optional[_Union[FindingStatus, str]] = ..., first_seen: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_seen: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., resolved_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListFindingsRequest(_message.Message):
    __slots__ = ("page_size", "page_token", "min_severity", "rules", "subjects", "providers", "accounts", "statuses")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    MIN_SEVERITY_FIELD_NUMBER: _ClassVar[int]
    RULES_FIELD_NUMBER: _ClassVar[int]
    SUBJECTS_FIELD_NUMBER: _ClassVar[int]
    PROVIDERS_FIELD_NUMBER: _ClassVar[int]
    ACCOUNTS_FIELD_NUMBER: _ClassVar[int]
    STATUSES_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    min_severity: str
    rules: _containers.RepeatedScalarFieldContainer[str]
    subjects: _containers.RepeatedScalarFieldContainer[str]
    providers: _containers.RepeatedScalarFieldContainer[str]
    accounts: _containers.RepeatedScalarFieldContainer[str]
    statuses: _containers.RepeatedScalarFieldContainer[FindingStatus]
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., min_severity: _Optional[str] = ..., rules: _Optional[_Iterable[str]] = ..., subjects: _Optional[_Iterable[str]] = ..., providers: _Optional[_Iterable[str]] = ..., accounts: _Optional[_Iterable[str]] = ..., statuses: _Optional[_Iterable[_Union[FindingStatus, str]]] = ...) -> None: ...

class ListFindingsResponse(_message.Message):
    __slots__ = ("findings", "next_page_token", "total_size", "scan_id", "scanned_at")
    FINDINGS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    SCAN_ID_FIELD_NUMBER: _ClassVar[int]
    SCANNED_AT_FIELD_NUMBER: _ClassVar[int]
    findings: _containers.RepeatedCompositeFieldContainer[Finding]
    next_page_token: str
    total_size: int
    scan_id: str
    scanned_at: _timestamp_pb2.Timestamp
    def __init__(self, findings: _Optional[_Iterable[_Union[Finding, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ..., scan_id: _Optional[str] = ..., scanned_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
