"""Small GCP estates for tests, as the snapshot the export loader produces.

An estate has one organization (``organizations/1``, domain ``example.com``), folders and projects
under it and resources in projects; roles are custom roles with exactly the permissions a test
names, or Google's predefined roles read from ../shared/data/gcp/roles.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ciem.model import Snapshot

ORG = "organizations/1"
DOMAIN = "example.com"
SHARED_ROLES = Path(__file__).resolve().parents[3] / "shared" / "data" / "gcp" / "roles"


def sa(name: str, project: str = "app") -> str:
    return f"serviceAccount:{name}@{project}.iam.gserviceaccount.com"


class GcpEstate:
    def __init__(self) -> None:
        self.assets: dict[str, dict[str, Any]] = {}
        self.roles: dict[str, dict[str, Any]] = {}
        self.deny_policies: list[dict[str, Any]] = []
        self.groups: dict[str, list[str]] = {}
        self.groups_read = True
        self._chains: dict[str, list[str]] = {ORG: [ORG]}
        self._numbers: dict[str, str] = {}
        self._asset(f"//cloudresourcemanager.googleapis.com/{ORG}", "cloudresourcemanager.googleapis.com/Organization",
                    [ORG], {"displayName": DOMAIN})

    def _asset(self, name: str, type_: str, ancestors: list[str], data: dict[str, Any]) -> dict[str, Any]:
        asset = {"name": name, "asset_type": type_, "ancestors": ancestors, "resource": {"data": data}}
        self.assets[name] = asset
        return asset

    def folder(self, number: str, parent: str = ORG) -> str:
        short = f"folders/{number}"
        self._chains[short] = [short, *self._chains[parent]]
        self._asset(f"//cloudresourcemanager.googleapis.com/{short}", "cloudresourcemanager.googleapis.com/Folder",
                    self._chains[short], {"parent": parent})
        return short

    def project(self, project_id: str, number: str, parent: str = ORG) -> str:
        short = f"projects/{number}"
        self._numbers[project_id] = number
        self._chains[project_id] = [short, *self._chains[parent]]
        self._asset(f"//cloudresourcemanager.googleapis.com/{short}", "cloudresourcemanager.googleapis.com/Project",
                    self._chains[project_id], {"projectId": project_id, "projectNumber": number})
        return "/".join(reversed([f"projects/{project_id}" if a == short else a for a in self._chains[project_id]]))

    def resource(self, name: str, type_: str, project: str, data: dict[str, Any] | None = None) -> str:
        self._asset(name, type_, self._chains[project], data or {})
        return self.node_id(name)

    def account(self, member: str, project: str = "app", **data: Any) -> str:
        email = member.split(":", 1)[1]
        return self.resource(f"//iam.googleapis.com/projects/{project}/serviceAccounts/{email}",
                             "iam.googleapis.com/ServiceAccount", project, {"email": email, "projectId": project, **data})

    def node_id(self, name: str) -> str:
        """The hierarchical id the resolver gives an asset."""
        asset = self.assets[name]
        path = [a if not a.startswith("projects/") else "projects/" + next(
            p for p, n in self._numbers.items() if f"projects/{n}" == a) for a in reversed(asset["ancestors"])]
        if asset["asset_type"].startswith("cloudresourcemanager"):
            return "/".join(path)
        return "/".join([*path, name[2:]])

    def container_name(self, short: str) -> str:
        if short in self._numbers:
            short = f"projects/{self._numbers[short]}"
        return f"//cloudresourcemanager.googleapis.com/{short}"

    def role(self, name: str, *permissions: str) -> str:
        self.roles[name] = {"name": name, "title": name, "includedPermissions": list(permissions), "stage": "GA"}
        return name

    def predefined(self, name: str) -> str:
        self.roles[name] = json.loads((SHARED_ROLES / f"{name.split('/', 1)[1]}.json").read_text())
        return name

    def bind(self, where: str, role: str, *members: str, condition: str = "") -> None:
        """Bind on an asset named by full name, or on a container by ``ORG``, ``folders/N`` or project id."""
        name = where if where.startswith("//") else self.container_name(where)
        policy = self.assets[name].setdefault("iam_policy", {"bindings": []})
        binding: dict[str, Any] = {"role": role, "members": list(members)}
        if condition:
            binding["condition"] = {"title": "t", "expression": condition}
        policy["bindings"].append(binding)

    def org_policy(self, where: str, constraint: str, **policy: Any) -> None:
        name = self.container_name(where)
        self.assets[name].setdefault("org_policy", []).append({"constraint": f"constraints/{constraint}", **policy})

    def deny(self, attachment: str, principals: list[str], permissions: list[str], *, exception_principals=(),
             exception_permissions=(), condition: str = "") -> None:
        if attachment in self._numbers:
            attachment = f"projects/{self._numbers[attachment]}"
        rule: dict[str, Any] = {"deniedPrincipals": principals, "deniedPermissions": permissions,
                                "exceptionPrincipals": list(exception_principals),
                                "exceptionPermissions": list(exception_permissions)}
        if condition:
            rule["denialCondition"] = {"expression": condition}
        encoded = f"cloudresourcemanager.googleapis.com/{attachment}".replace("/", "%2F")
        self.deny_policies.append({"name": f"policies/{encoded}/denypolicies/d{len(self.deny_policies)}",
                                   "rules": [{"denyRule": rule}]})

    def group(self, email: str, *members: str) -> str:
        self.groups[email] = list(members)
        return f"group:{email}"

    def snapshot(self) -> Snapshot:
        return Snapshot("gcp", "test", datetime(2026, 11, 1, tzinfo=timezone.utc), {
            "organization": ORG, "assets": json.loads(json.dumps(self.assets)), "roles": dict(self.roles),
            "deny_policies": list(self.deny_policies), "groups": dict(self.groups), "groups_read": self.groups_read})
