"""Reading and writing the GCP export layout (docs/gcp-export-layout.md).

The layout is what Google's own tools write: Cloud Asset Inventory export lines (``assets/*.jsonl``,
content types RESOURCE, IAM_POLICY and optionally ORG_POLICY), ``gcloud iam roles describe`` output
(``roles/*.json``), IAM v2 deny policies as the API returns them (``deny-policies/*.json``) and a
groups file. Field names are accepted in the export's snake_case and in the API's camelCase.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

from ciem.errors import InputError
from ciem.hookspec import Progress
from ciem.model import CoverageGap, Snapshot

from ciem_gcp import PROVIDER
from ciem_gcp.members import MemberError, kind_of

MANIFEST = "gcp.json"
ASSETS, ROLES, DENY, GROUPS, GAPS = "assets", "roles", "deny-policies", "groups.json", "coverage-gaps.json"
_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")
# Asset keys read, in the export's spelling; the API's camelCase is folded onto them.
_ASSET_KEYS = {"name", "asset_type", "ancestors", "resource", "iam_policy", "org_policy", "update_time"}


def _snake(key: str) -> str:
    return _CAMEL.sub(r"_\1", key).lower()


def looks_like_export(path: Path) -> bool:
    path = Path(path)
    if not (path / MANIFEST).is_file():
        return False
    try:
        return json.loads((path / MANIFEST).read_text()).get("provider") == PROVIDER
    except (OSError, ValueError, AttributeError):
        return False


def _read_json(file: Path) -> Any:
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except ValueError as error:
        raise InputError(file, f"line {getattr(error, 'lineno', '?')}", f"not JSON: {error}") from None


def normalise_asset(raw: dict[str, Any], file: Path, where: str) -> dict[str, Any]:
    """One asset in the export's spelling, checked for what the resolver relies on."""
    if not isinstance(raw, dict):
        raise InputError(file, where, "an asset must be a JSON object")
    asset = {_snake(k): v for k, v in raw.items() if _snake(k) in _ASSET_KEYS}
    if not isinstance(asset.get("name"), str) or not asset["name"].startswith("//"):
        raise InputError(file, f"{where}.name", "an asset needs its full resource name (//service/...)")
    if not isinstance(asset.get("asset_type"), str):
        raise InputError(file, f"{where}.asset_type", "missing")
    ancestors = asset.get("ancestors", [])
    if not isinstance(ancestors, list) or not all(isinstance(a, str) for a in ancestors):
        raise InputError(file, f"{where}.ancestors", "must be a list of names (projects/N, folders/N, organizations/N)")
    policy = asset.get("iam_policy")
    if policy is not None:
        _check_policy(policy, file, f"{where}.iam_policy")
    return asset


def _check_policy(policy: Any, file: Path, where: str) -> None:
    if not isinstance(policy, dict) or not isinstance(policy.get("bindings", []), list):
        raise InputError(file, where, "an allow policy is an object with a bindings list")
    for number, binding in enumerate(policy.get("bindings", [])):
        at = f"{where}.bindings[{number}]"
        if not isinstance(binding, dict) or not isinstance(binding.get("role"), str):
            raise InputError(file, at, "a binding needs a role")
        members = binding.get("members")
        if not isinstance(members, list) or not members:
            raise InputError(file, f"{at}.members", "a binding needs at least one member")
        for index, member in enumerate(members):
            try:
                kind_of(member if isinstance(member, str) else "")
            except MemberError as error:
                raise InputError(file, f"{at}.members[{index}]", str(error)) from None
        condition = binding.get("condition")
        if condition is not None and not (isinstance(condition, dict) and isinstance(condition.get("expression"), str)):
            raise InputError(file, f"{at}.condition", "a condition needs an expression")


def merge_asset(assets: dict[str, dict[str, Any]], asset: dict[str, Any]) -> None:
    """Fold the content types of one asset (exported on separate lines) into one record."""
    known = assets.setdefault(asset["name"], {"name": asset["name"]})
    for key, value in asset.items():
        if value not in (None, [], {}) or key not in known:
            known[key] = value


def _assets(folder: Path, progress: Progress) -> dict[str, dict[str, Any]]:
    assets: dict[str, dict[str, Any]] = {}
    files = sorted([*folder.glob("*.jsonl"), *folder.glob("*.json")])
    for done, file in enumerate(files):
        progress("gcp assets", done, len(files))
        with file.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                try:
                    raw = json.loads(line)
                except ValueError as error:
                    raise InputError(file, f"line {number}", f"not JSON: {error}") from None
                merge_asset(assets, normalise_asset(raw, file, f"line {number}"))
    return assets


def _roles(folder: Path) -> dict[str, dict[str, Any]]:
    roles: dict[str, dict[str, Any]] = {}
    for file in sorted(folder.glob("*.json")):
        role = _read_json(file)
        if not isinstance(role, dict) or not isinstance(role.get("name"), str):
            raise InputError(file, "name", "a role (gcloud iam roles describe output) needs its name")
        permissions = role.get("includedPermissions", [])
        if not isinstance(permissions, list) or not all(isinstance(p, str) for p in permissions):
            raise InputError(file, "includedPermissions", "must be a list of permission names")
        roles[role["name"]] = role
    return roles


def _deny_policies(folder: Path) -> list[dict[str, Any]]:
    policies: list[dict[str, Any]] = []
    for file in sorted(folder.glob("*.json")):
        document = _read_json(file)
        items = document.get("policies", []) if isinstance(document, dict) and "policies" in document else (
            document if isinstance(document, list) else [document])
        for number, policy in enumerate(items):
            where = f"policies[{number}]"
            if not isinstance(policy, dict) or "/denypolicies/" not in str(policy.get("name", "")):
                raise InputError(file, f"{where}.name", "a deny policy is named policies/ATTACHMENT/denypolicies/ID")
            for index, rule in enumerate(policy.get("rules", [])):
                deny = rule.get("denyRule") if isinstance(rule, dict) else None
                if not isinstance(deny, dict) or not deny.get("deniedPrincipals") or not deny.get("deniedPermissions"):
                    raise InputError(file, f"{where}.rules[{index}].denyRule",
                                     "needs deniedPrincipals and deniedPermissions")
            policies.append(policy)
    return policies


def _groups(file: Path) -> dict[str, list[str]]:
    document = _read_json(file)
    groups: dict[str, list[str]] = {}
    for number, group in enumerate(document.get("groups", []) if isinstance(document, dict) else []):
        where = f"groups[{number}]"
        if not isinstance(group, dict) or not isinstance(group.get("email"), str):
            raise InputError(file, f"{where}.email", "a group needs its e-mail address")
        members = group.get("members", [])
        for index, member in enumerate(members):
            try:
                kind_of(member if isinstance(member, str) else "")
            except MemberError as error:
                raise InputError(file, f"{where}.members[{index}]", str(error)) from None
        groups[group["email"].lower()] = list(members)
    return groups


def load_export(path: Path, progress: Progress) -> Snapshot:
    path = Path(path)
    if not looks_like_export(path):
        raise InputError(path, MANIFEST, 'not a GCP export: the folder needs gcp.json with "provider": "gcp"')
    manifest = _read_json(path / MANIFEST)
    data: dict[str, Any] = {
        "organization": manifest.get("organization", ""),
        "assets": _assets(path / ASSETS, progress) if (path / ASSETS).is_dir() else {},
        "roles": _roles(path / ROLES) if (path / ROLES).is_dir() else {},
        "deny_policies": _deny_policies(path / DENY) if (path / DENY).is_dir() else [],
        "groups": _groups(path / GROUPS) if (path / GROUPS).is_file() else {},
        "groups_read": (path / GROUPS).is_file(),
    }
    gaps = [CoverageGap(PROVIDER, **gap) for gap in (_read_json(path / GAPS) if (path / GAPS).is_file() else [])]
    collected = manifest.get("collected_at")
    when = datetime.fromisoformat(collected) if collected else datetime.fromtimestamp(
        (path / MANIFEST).stat().st_mtime, timezone.utc)
    return Snapshot(PROVIDER, str(path), when, data, gaps)


def _write_lines(file: Path, assets: Iterable[dict[str, Any]]) -> None:
    with file.open("w", encoding="utf-8") as out:
        for asset in assets:
            out.write(json.dumps(asset, sort_keys=True) + "\n")


def write_export(snapshot: Snapshot, out: Path) -> None:
    """Write ``snapshot`` in the layout :func:`load_export` reads."""
    out = Path(out)
    for folder in (ASSETS, ROLES, DENY):
        (out / folder).mkdir(parents=True, exist_ok=True)
    data = snapshot.data
    (out / MANIFEST).write_text(json.dumps({"provider": PROVIDER, "organization": data.get("organization", ""),
                                            "collected_at": snapshot.collected_at.isoformat()}, indent=2))
    _write_lines(out / ASSETS / "assets.jsonl", data.get("assets", {}).values())
    for name, role in data.get("roles", {}).items():
        (out / ROLES / (name.replace("/", ".") + ".json")).write_text(json.dumps(role, indent=2, sort_keys=True))
    (out / DENY / "deny-policies.json").write_text(json.dumps({"policies": data.get("deny_policies", [])}, indent=2))
    if data.get("groups_read"):
        groups = [{"email": email, "members": members} for email, members in sorted(data["groups"].items())]
        (out / GROUPS).write_text(json.dumps({"groups": groups}, indent=2))
    (out / GAPS).write_text(json.dumps([{"scope": g.scope, "operation": g.operation, "reason": g.reason}
                                        for g in snapshot.gaps], indent=2))
