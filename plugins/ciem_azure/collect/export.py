"""The Azure export folder (docs/azure-export-layout.md): read, recognise and write it.

Every file holds what the named CLI command or REST call prints: a JSON array, or a list page
``{"value": [...]}`` (ARM and Microsoft Graph), or Resource Graph's ``{"data": [...]}``. The snapshot
keeps each file's rows under the file's key, so explain and right-sizing re-read the same data.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ciem.errors import InputError
from ciem.model import CoverageGap, Snapshot

from ciem_azure import PROVIDER

MANIFEST = "manifest.json"
# key -> (relative path, required, shape): "rows" is a list of objects, "members" maps an object id to rows.
FILES: dict[str, tuple[str, bool, str]] = {
    "role_definitions": ("arm/role-definitions.json", True, "rows"),
    "role_assignments": ("arm/role-assignments.json", True, "rows"),
    "deny_assignments": ("arm/deny-assignments.json", False, "rows"),
    "role_eligibility": ("arm/role-eligibility-schedules.json", False, "rows"),
    "management_groups": ("arm/management-groups.json", False, "rows"),
    "subscriptions": ("arm/subscriptions.json", False, "rows"),
    "resources": ("arm/resources.json", False, "rows"),
    "operations": ("arm/provider-operations.json", False, "rows"),
    "users": ("graph/users.json", False, "rows"),
    "groups": ("graph/groups.json", False, "rows"),
    "group_members": ("graph/group-members.json", False, "members"),
    "service_principals": ("graph/service-principals.json", False, "rows"),
    "applications": ("graph/applications.json", False, "rows"),
    "application_owners": ("graph/application-owners.json", False, "members"),
    "service_principal_owners": ("graph/service-principal-owners.json", False, "members"),
    "group_owners": ("graph/group-owners.json", False, "members"),
    "directory_roles": ("graph/directory-role-definitions.json", False, "rows"),
    "directory_role_assignments": ("graph/directory-role-assignments.json", False, "rows"),
    "directory_role_eligibility": ("graph/directory-role-eligibility-schedules.json", False, "rows"),
    "app_role_assignments": ("graph/app-role-assignments.json", False, "rows"),
}


def looks_like_export(path: Path) -> bool:
    manifest = path / MANIFEST
    if not manifest.is_file():
        return False
    try:
        return json.loads(manifest.read_text(encoding="utf-8")).get("provider") == PROVIDER
    except (OSError, ValueError, AttributeError):
        return False


def _rows(value: Any, path: Path, where: str) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        for key in ("value", "data"):
            if isinstance(value.get(key), list):
                value = value[key]
                break
        else:
            raise InputError(path, where or "$", 'expected a JSON array, {"value": [...]} or {"data": [...]}')
    if not isinstance(value, list):
        raise InputError(path, where or "$", f"expected a JSON array, not {type(value).__name__}")
    for number, row in enumerate(value):
        if not isinstance(row, dict):
            raise InputError(path, f"{where or '$'}[{number}]", f"expected an object, not {type(row).__name__}")
    return value


def read_file(path: Path, shape: str) -> Any:
    try:
        raw = json.loads(path.read_text(encoding="utf-8-sig"))
    except ValueError as error:
        raise InputError(path, f"line {getattr(error, 'lineno', '?')}", f"not valid JSON: {error}") from None
    if shape == "rows":
        return _rows(raw, path, "")
    if not isinstance(raw, dict):
        raise InputError(path, "$", "expected an object mapping each object id to its list")
    return {key: _rows(value, path, f"$.{key}") for key, value in raw.items()}


def load_export(path: Path, progress=None) -> Snapshot:
    """The snapshot of one export folder; required files missing or malformed raise InputError."""
    if not path.is_dir():
        raise InputError(path, "", "an Azure export is a folder (docs/azure-export-layout.md)")
    manifest_path = path / MANIFEST
    manifest: dict[str, Any] = {}
    if manifest_path.is_file():
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except ValueError as error:
            raise InputError(manifest_path, f"line {getattr(error, 'lineno', '?')}", f"not valid JSON: {error}") from None
        if not isinstance(manifest, dict):
            raise InputError(manifest_path, "$", "expected an object")
    data: dict[str, Any] = {"tenant_id": manifest.get("tenantId", "")}
    gaps = [CoverageGap(PROVIDER, gap.get("scope", str(path)), gap.get("operation", ""), gap.get("reason", ""))
            for gap in manifest.get("gaps", []) if isinstance(gap, dict)]
    for number, (key, (relative, required, shape)) in enumerate(FILES.items()):
        if progress is not None:
            progress("reading the Azure export", number, len(FILES))
        file = path / relative
        if not file.is_file():
            if required:
                raise InputError(file, "", "required file is missing (docs/azure-export-layout.md)")
            data[key] = {} if shape == "members" else []
            continue
        data[key] = read_file(file, shape)
    collected = manifest.get("collectedAt")
    try:
        collected_at = datetime.fromisoformat(collected) if collected else datetime.now(timezone.utc)
    except ValueError:
        raise InputError(manifest_path, "$.collectedAt", f"not an ISO 8601 time: {collected!r}") from None
    if collected_at.tzinfo is None:
        collected_at = collected_at.replace(tzinfo=timezone.utc)
    return Snapshot(PROVIDER, str(path), collected_at, data, gaps)


def write_export(snapshot: Snapshot, out: Path) -> None:
    """Write ``snapshot`` in the layout :func:`load_export` reads."""
    out.mkdir(parents=True, exist_ok=True)
    manifest = {
        "provider": PROVIDER,
        "tenantId": snapshot.data.get("tenant_id", ""),
        "collectedAt": snapshot.collected_at.isoformat(),
        "gaps": [{"scope": g.scope, "operation": g.operation, "reason": g.reason} for g in snapshot.gaps],
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    for key, (relative, _required, shape) in FILES.items():
        value = snapshot.data.get(key)
        if not value:
            continue
        file = out / relative
        file.parent.mkdir(parents=True, exist_ok=True)
        body = value if shape == "members" else {"value": value}
        file.write_text(json.dumps(body, indent=2, sort_keys=True) + "\n", encoding="utf-8")
