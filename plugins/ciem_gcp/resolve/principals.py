"""Who a binding names: every identity of the estate and the member keys that apply to it.

A binding's member applies to an identity when it is one of the identity's keys: its own member
string; ``group:`` of every group it belongs to, transitively; ``domain:`` of a user's e-mail domain;
``allAuthenticatedUsers`` for users and service accounts; ``allUsers`` for everyone; a workload
identity pool's ``principalSet://.../*`` for the pool's subjects; and the Cloud Storage convenience
values ``projectOwner:P`` / ``projectEditor:P`` / ``projectViewer:P`` for holders of the basic role on P.
``principalSet://cloudresourcemanager.googleapis.com/projects/N/type/ServiceAccount`` (and folders,
organizations) for the service accounts of that project or below it.
``deleted:`` members name no one: a new account with the same address is another principal.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable

from ciem.model import IdentityKind

from ciem_gcp.members import (
    ACCOUNT_SET, ALL_AUTHENTICATED, ALL_USERS, CONVENIENCE, GROUP, SERVICE_ACCOUNT, kind_of, pool_of, v2_to_member,
)
from ciem_gcp.resolve.estate import Estate

PUBLIC_ALL = "principalSet://goog/public:all"
CUSTOMER = "principalSet://goog/cloudIdentityCustomerId/"
KINDS = {
    "user": IdentityKind.USER, "group": IdentityKind.GROUP, "serviceAccount": IdentityKind.SERVICE_ACCOUNT,
    "domain": IdentityKind.EXTERNAL, "public": IdentityKind.EXTERNAL, "principal": IdentityKind.FEDERATED,
    "principalSet": IdentityKind.FEDERATED, "accountSet": IdentityKind.GROUP,
}


@dataclass(frozen=True)
class Principal:
    id: str
    kind: str  # kind_of(id)

    @property
    def acts(self) -> bool:
        """Whether it authenticates and calls APIs itself (a group or a domain does not)."""
        return self.kind not in ("group", "domain", "accountSet")


class Principals:
    def __init__(self, estate: Estate):
        self.estate = estate
        members: set[str] = set()
        for bindings in estate.bindings.values():
            for binding in bindings:
                members.update(binding.members)
        for email, group_members in estate.groups.items():
            members.add(GROUP + email)
            members.update(group_members)
        members.update(SERVICE_ACCOUNT + email for email in estate.service_accounts)
        self.all: dict[str, Principal] = {}
        for member in sorted(members):
            kind = kind_of(member)
            if kind not in ("deleted", "convenience"):
                self.all[member] = Principal(member, kind)
        self._member_of: dict[str, set[str]] = defaultdict(set)
        for email, group_members in estate.groups.items():
            for member in group_members:
                self._member_of[member].add(GROUP + email)
        self._keys: dict[str, frozenset[str]] = {}
        base = {pid: self._base_keys(p) for pid, p in self.all.items()}
        convenience = self._convenience(base)
        for pid, keys in base.items():
            self._keys[pid] = frozenset(keys | {value for value, holders in convenience.items() if keys & holders})
        self._holders: dict[str, list[str]] = defaultdict(list)
        for pid, keys in self._keys.items():
            for key in keys:
                self._holders[key].append(pid)

    def groups_of(self, member: str) -> set[str]:
        seen: set[str] = set()
        todo = [member]
        while todo:
            for group in self._member_of.get(todo.pop(), ()):
                if group not in seen:
                    seen.add(group)
                    todo.append(group)
        return seen

    def _base_keys(self, principal: Principal) -> set[str]:
        keys = {principal.id} | self.groups_of(principal.id)
        if principal.kind in ("user", "serviceAccount"):
            keys |= {ALL_AUTHENTICATED, ALL_USERS}
        if principal.kind == "user":
            keys.add("domain:" + principal.id.rsplit("@", 1)[1])
        if principal.kind == "serviceAccount":
            node = self.estate.service_accounts.get(principal.id.split(":", 1)[1])
            for short in self.estate.short_names(node.id) if node else ():
                keys.add(f"{ACCOUNT_SET}{short}/type/ServiceAccount")
        if principal.kind in ("principal", "principalSet"):
            keys.add(ALL_USERS)
            pool = pool_of(principal.id)
            if pool is not None:
                keys.add(f"principalSet://iam.googleapis.com/{pool[0]}/*")
        return keys

    def _convenience(self, base: dict[str, set[str]]) -> dict[str, set[str]]:
        """convenience value -> the member keys that hold its basic role on the project (inherited too)."""
        out: dict[str, set[str]] = {}
        for bindings in self.estate.bindings.values():
            for binding in bindings:
                for member in binding.members:
                    prefix = next((p for p in CONVENIENCE if member.startswith(p)), None)
                    if prefix is None or member in out:
                        continue
                    project = self.estate.project_node(member[len(prefix):])
                    holders: set[str] = set()
                    for node_id in ([*project.parents, project.id] if project else ()):
                        for candidate in self.estate.bindings.get(node_id, ()):
                            if candidate.role == CONVENIENCE[prefix] and not candidate.condition:
                                holders.update(candidate.members)
                    out[member] = holders
        return out

    def keys(self, principal_id: str) -> frozenset[str]:
        return self._keys.get(principal_id, frozenset((principal_id,)))

    def holders(self, member: str) -> list[str]:
        """Identities a binding member applies to."""
        return self._holders.get(member, [])

    def denied(self, principal_id: str, v2_principals: Iterable[str]) -> str | None:
        """The deny-policy principal that names ``principal_id``, or None."""
        keys = self.keys(principal_id)
        kind = self.all[principal_id].kind if principal_id in self.all else ""
        for v2 in v2_principals:
            if v2 == PUBLIC_ALL:
                return v2
            if v2.startswith(CUSTOMER):
                # The customer's principals: users and groups of the organization's domains.
                if kind in ("user", "group") and principal_id.rsplit("@", 1)[-1] in self.estate.domains:
                    return v2
                continue
            if v2_to_member(v2) in keys:
                return v2
        return None

    def of_kind(self, *kinds: str) -> list[Principal]:
        return [p for p in self.all.values() if p.kind in kinds]
