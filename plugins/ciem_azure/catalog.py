"""Azure's permission catalog, built from the operations the estate names.

Azure publishes its operations per resource provider (``az provider operation list``); an export that
holds that list (arm/provider-operations.json) gives the complete catalog. Without it the catalog is
the union of the literal operations named in the role definitions (built-in and custom), the deny
assignments and the operations the escalation methods name: a wildcard in a role then expands only over operations
some definition names, so an operation nobody names literally is not listed and activity on it is not
counted (docs/azure-export-layout.md, "The operation catalog").

Access levels come from the operation's verb, since Azure publishes none: ``read`` is Read;
``write``, ``delete`` and ``action`` are Write, except that a data ``action`` whose operation starts
``get``, ``read`` or ``list`` (``secrets/getSecret/action``) is Read; ``Microsoft.Authorization``
writes, deletes and actions and Key Vault access-policy writes are Permissions management;
``Microsoft.Resources/tags`` and any ``.../tags/...`` operation are Tagging.

Data actions (``DataActions``) are catalog entries like the rest, but kept apart: a pattern in a
role's ``Actions`` expands over control-plane operations only, so ``*`` grants no data action.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from ciem.catalog import PermissionCatalog
from ciem.model import AccessLevel, ActionInfo

from ciem_azure import PROVIDER

PRIVILEGE_ESCALATION = "privilege-escalation"
CREDENTIAL_EXPOSURE = "credential-exposure"
DATA_EXFILTRATION = "data-exfiltration"
RESOURCE_EXPOSURE = "resource-exposure"

_RISK_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("microsoft.authorization/roleassignments/write", PRIVILEGE_ESCALATION),
    ("microsoft.authorization/roledefinitions/write", PRIVILEGE_ESCALATION),
    ("microsoft.authorization/elevateaccess/action", PRIVILEGE_ESCALATION),
    ("/runcommand/action", PRIVILEGE_ESCALATION),
    ("/runcommands/write", PRIVILEGE_ESCALATION),
    ("/extensions/write", PRIVILEGE_ESCALATION),
    ("microsoft.automation/automationaccounts/runbooks/write", PRIVILEGE_ESCALATION),
    ("microsoft.automation/automationaccounts/jobs/write", PRIVILEGE_ESCALATION),
    ("microsoft.logic/workflows/write", PRIVILEGE_ESCALATION),
    ("microsoft.web/sites/write", PRIVILEGE_ESCALATION),
    ("microsoft.web/sites/publish/action", PRIVILEGE_ESCALATION),
    ("/assign/action", PRIVILEGE_ESCALATION),
    ("microsoft.keyvault/vaults/accesspolicies/write", PRIVILEGE_ESCALATION),
    ("microsoft.keyvault/vaults/accesspolicies/write", RESOURCE_EXPOSURE),
    ("microsoft.authorization/roleassignments/write", RESOURCE_EXPOSURE),
    ("microsoft.storage/storageaccounts/listkeys/action", CREDENTIAL_EXPOSURE),
    ("microsoft.web/sites/publishxml/action", CREDENTIAL_EXPOSURE),
    ("microsoft.web/sites/config/list/action", CREDENTIAL_EXPOSURE),
    ("microsoft.containerservice/managedclusters/listclusteradmincredential/action", CREDENTIAL_EXPOSURE),
    ("microsoft.containerservice/managedclusters/listclusterusercredential/action", CREDENTIAL_EXPOSURE),
    ("microsoft.keyvault/vaults/secrets/getsecret/action", CREDENTIAL_EXPOSURE),
)


def access_level(name: str, data: bool) -> AccessLevel:
    lowered = name.lower()
    parts = lowered.split("/")
    verb = parts[-1]
    if lowered.startswith("microsoft.resources/tags/") or "/tags/" in lowered:
        return AccessLevel.TAGGING
    if verb == "read":
        return AccessLevel.READ
    if lowered.startswith("microsoft.authorization/") or lowered.startswith("microsoft.keyvault/vaults/accesspolicies/"):
        return AccessLevel.PERMISSIONS_MANAGEMENT
    if data and verb == "action" and len(parts) > 1 and parts[-2].startswith(("get", "read", "list")):
        return AccessLevel.READ
    return AccessLevel.WRITE


def risk_tags(name: str, data: bool) -> frozenset[str]:
    lowered = name.lower()
    tags = {tag for suffix, tag in _RISK_SUFFIXES if lowered.endswith(suffix)}
    if data and access_level(name, data) is AccessLevel.READ:
        tags.add(DATA_EXFILTRATION)
    return frozenset(tags)


def is_literal(name: str) -> bool:
    return "*" not in name and "?" not in name


@dataclass
class AzureCatalog:
    """The core catalog plus which of its bits are data actions."""

    catalog: PermissionCatalog
    data_bits: int

    @property
    def control_bits(self) -> int:
        return self.catalog.all_bits & ~self.data_bits

    def expand(self, patterns: Iterable[str], data: bool) -> int:
        """The operations ``patterns`` match, among data actions or among control-plane actions only."""
        bits = 0
        for pattern in patterns:
            bits |= self.catalog.expand(pattern)
        return bits & (self.data_bits if data else self.control_bits)

    def permission_bits(self, permission: Mapping[str, Any]) -> int:
        """One ``permissions`` entry: Actions minus its NotActions, DataActions minus its NotDataActions."""
        control = self.expand(permission.get("actions") or (), False) & ~self.expand(permission.get("notActions") or (), False)
        data = self.expand(permission.get("dataActions") or (), True) & ~self.expand(permission.get("notDataActions") or (), True)
        return control | data

    def is_data(self, name: str) -> bool:
        return bool(self.catalog.expand(name) & self.data_bits)


def _operations_of_export(rows: Iterable[Mapping[str, Any]]) -> Iterable[tuple[str, bool]]:
    """(name, isDataAction) from ``az provider operation list`` output."""
    for provider in rows:
        for operation in provider.get("operations") or ():
            yield operation.get("name", ""), bool(operation.get("isDataAction"))
        for resource_type in provider.get("resourceTypes") or ():
            for operation in resource_type.get("operations") or ():
                yield operation.get("name", ""), bool(operation.get("isDataAction"))


def _operations_of_definitions(rows: Iterable[Mapping[str, Any]]) -> Iterable[tuple[str, bool]]:
    for definition in rows:
        permissions = definition.get("permissions") or (definition.get("properties") or {}).get("permissions") or ()
        for permission in permissions:
            for key, data in (("actions", False), ("notActions", False), ("dataActions", True), ("notDataActions", True)):
                for name in permission.get(key) or ():
                    yield name, data


def build_catalog(datas: Iterable[Mapping[str, Any]], extra: Iterable[tuple[str, bool]] = ()) -> AzureCatalog:
    """The catalog of every literal operation in ``datas`` (snapshot data) and ``extra``."""
    datas = list(datas)
    seen: dict[str, tuple[str, bool]] = {}

    def add(name: str, data: bool) -> None:
        if name and is_literal(name):
            seen.setdefault(name.lower(), (name, data))

    for data in datas:
        for name, is_data in _operations_of_export(data.get("operations") or ()):
            add(name, is_data)
    for data in datas:
        for name, is_data in _operations_of_definitions(data.get("role_definitions") or ()):
            add(name, is_data)
        deny_rows = [row.get("properties", row) for row in data.get("deny_assignments") or ()]
        for row in deny_rows:
            for permission in row.get("permissions") or ():
                for key, is_data in (("actions", False), ("notActions", False), ("dataActions", True), ("notDataActions", True)):
                    for name in permission.get(key) or ():
                        add(name, is_data)
    for name, is_data in extra:
        add(name, is_data)
    infos = []
    data_bits = 0
    for number, (name, is_data) in enumerate(sorted(seen.values(), key=lambda item: item[0].lower())):
        infos.append(ActionInfo(name, name.split("/", 1)[0], access_level(name, is_data), risk_tags(name, is_data)))
        if is_data:
            data_bits |= 1 << number
    return AzureCatalog(PermissionCatalog(PROVIDER, infos), data_bits)
