"""Live collection with Google's client libraries and application default credentials.

A live source's settings::

    {"organization": "organizations/123"}     # or "scope": "folders/N" / "projects/P"
    {"groups_customer": "C0abc123"}          # read Cloud Identity groups of this customer (optional)

Collected: the hierarchy and allow policies through Cloud Asset Inventory (content types RESOURCE,
IAM_POLICY, ORG_POLICY), with Resource Manager as the fallback when the Asset API is denied; every
bound role and the scope's custom roles (IAM ``GetRole`` / ``ListRoles``, full view); service accounts
and their user-managed keys per project (IAM); deny policies at every organization, folder and
project (IAM v2 ``ListPolicies`` then ``GetPolicy``, since listing omits rules); Cloud Identity groups
and their members when ``groups_customer`` is set and readable. A call Google denies becomes a
coverage gap. ``api_endpoints`` (``{"asset": "host:port", "iam": ..., "resourcemanager": ...,
"cloudidentity": "https://..."}``) points the clients elsewhere (private endpoints; tests use local
servers, with ``insecure_endpoints: true``).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Callable, Mapping
from urllib.parse import quote

from ciem.errors import SourceError
from ciem.hookspec import Progress
from ciem.model import CoverageGap, Snapshot

from ciem_gcp import PROVIDER
from ciem_gcp.collect.export import merge_asset, normalise_asset
from ciem_gcp.resolve.estate import CONTAINERS, CUSTOM_ROLE, POOL_PROVIDER, PROJECT, SERVICE_ACCOUNT, _RUNS_AS

# RESOURCE assets the resolver reads (IAM_POLICY assets are read for every type).
RESOURCE_TYPES = (
    *CONTAINERS, SERVICE_ACCOUNT, "iam.googleapis.com/ServiceAccountKey", CUSTOM_ROLE,
    "iam.googleapis.com/WorkloadIdentityPool", POOL_PROVIDER, *_RUNS_AS,
    "storage.googleapis.com/Bucket", "secretmanager.googleapis.com/Secret", "cloudkms.googleapis.com/CryptoKey",
    "bigquery.googleapis.com/Dataset",
)
CRM = "cloudresourcemanager.googleapis.com"


class Clients:
    """The client objects, built once, pointed at ``api_endpoints`` when given."""

    def __init__(self, options: Mapping[str, Any]):
        import grpc
        from google.auth.exceptions import DefaultCredentialsError
        from google.cloud import asset_v1, iam_admin_v1, iam_v2, resourcemanager_v3
        from google.cloud.asset_v1.services.asset_service.transports import AssetServiceGrpcTransport
        from google.cloud.iam_admin_v1.services.iam.transports import IAMGrpcTransport
        from google.cloud.iam_v2.services.policies.transports import PoliciesGrpcTransport
        from google.cloud.resourcemanager_v3.services.folders.transports import FoldersGrpcTransport
        from google.cloud.resourcemanager_v3.services.organizations.transports import OrganizationsGrpcTransport
        from google.cloud.resourcemanager_v3.services.projects.transports import ProjectsGrpcTransport

        endpoints = dict(options.get("api_endpoints") or {})
        insecure = bool(options.get("insecure_endpoints"))
        self.identity_endpoint = endpoints.get("cloudidentity", "https://cloudidentity.googleapis.com")

        def make(client: Any, transport: Any, key: str) -> Any:
            endpoint = endpoints.get(key)
            if endpoint and insecure:
                return client(transport=transport(channel=grpc.insecure_channel(endpoint)))
            return client(client_options={"api_endpoint": endpoint} if endpoint else None)

        try:
            self.asset = make(asset_v1.AssetServiceClient, AssetServiceGrpcTransport, "asset")
            self.iam = make(iam_admin_v1.IAMClient, IAMGrpcTransport, "iam")
            self.policies = make(iam_v2.PoliciesClient, PoliciesGrpcTransport, "iam")
            self.projects = make(resourcemanager_v3.ProjectsClient, ProjectsGrpcTransport, "resourcemanager")
            self.folders = make(resourcemanager_v3.FoldersClient, FoldersGrpcTransport, "resourcemanager")
            self.organizations = make(resourcemanager_v3.OrganizationsClient, OrganizationsGrpcTransport,
                                      "resourcemanager")
        except DefaultCredentialsError as error:
            raise SourceError(f"gcp: no application default credentials: {error}") from None
        self.insecure = insecure


def _dict(message: Any, snake: bool = False) -> dict[str, Any]:
    """A proto-plus or protobuf message as the API's JSON (camelCase) or the export's snake_case."""
    from google.protobuf.json_format import MessageToDict

    pb = type(message).pb(message) if hasattr(type(message), "pb") else message
    return MessageToDict(pb, preserving_proto_field_name=snake)


class Collector:
    def __init__(self, clients: Clients, scope: str, progress: Progress):
        self.clients = clients
        self.scope = scope
        self.progress = progress
        self.assets: dict[str, dict[str, Any]] = {}
        self.gaps: list[CoverageGap] = []

    def attempt(self, scope: str, operation: str, call: Callable[[], Any]) -> Any:
        """``call()``, or None with a coverage gap when Google refuses it."""
        from google.api_core.exceptions import GoogleAPICallError

        try:
            return call()
        except GoogleAPICallError as error:
            self.gaps.append(CoverageGap(PROVIDER, scope, operation, f"{type(error).__name__}: {error.message}"))
            return None

    def add(self, raw: dict[str, Any]) -> None:
        merge_asset(self.assets, normalise_asset(raw, "live", raw.get("name", "?")))

    # -- hierarchy and allow policies ----------------------------------------------------------

    def cloud_asset(self) -> bool:
        from google.cloud import asset_v1

        kinds = ((asset_v1.ContentType.RESOURCE, list(RESOURCE_TYPES)), (asset_v1.ContentType.IAM_POLICY, []),
                 (asset_v1.ContentType.ORG_POLICY, list(CONTAINERS)))
        for number, (content_type, types) in enumerate(kinds):
            self.progress("gcp asset inventory", number, len(kinds))
            pages = self.attempt(self.scope, "cloudasset.assets.listResource" if number == 0 else
                                 "cloudasset.assets.listIamPolicy" if number == 1 else "cloudasset.assets.listOrgPolicy",
                                 lambda: list(self.clients.asset.list_assets(request={
                                     "parent": self.scope, "content_type": content_type, "asset_types": types})))
            if pages is None:
                if number < 2:
                    return False
                continue
            for asset in pages:
                self.add(_dict(asset, snake=True))
        return True

    def resource_manager(self) -> None:
        """The hierarchy and its allow policies without Cloud Asset Inventory."""
        parents: dict[str, str] = {}
        names: list[tuple[str, str, dict[str, Any]]] = []  # (short name, type, data)
        if self.scope.startswith("organizations/"):
            org = self.attempt(self.scope, "resourcemanager.organizations.get",
                               lambda: self.clients.organizations.get_organization(name=self.scope))
            names.append((self.scope, "Organization", _dict(org) if org is not None else {}))
        folders = self.attempt(self.scope, "resourcemanager.folders.search",
                               lambda: list(self.clients.folders.search_folders(request={})))
        for folder in folders or []:
            parents[folder.name] = folder.parent
            names.append((folder.name, "Folder", _dict(folder)))
        projects = self.attempt(self.scope, "resourcemanager.projects.search",
                                lambda: list(self.clients.projects.search_projects(request={})))
        for project in projects or []:
            parents[project.name] = project.parent
            data = _dict(project)
            data["projectNumber"] = project.name.split("/", 1)[1]
            names.append((project.name, "Project", data))
        for short, kind, data in names:
            chain = [short]
            while chain[-1] in parents:
                chain.append(parents[chain[-1]])
            asset = {"name": f"//{CRM}/{short}", "asset_type": f"{CRM}/{kind}", "ancestors": chain,
                     "resource": {"data": data}}
            client = {"Organization": self.clients.organizations, "Folder": self.clients.folders,
                      "Project": self.clients.projects}[kind]
            policy = self.attempt(short, f"resourcemanager.{kind.lower()}s.getIamPolicy",
                                  lambda: client.get_iam_policy(request={"resource": short, "options": {
                                      "requested_policy_version": 3}}))
            if policy is not None:
                asset["iam_policy"] = _dict(policy)
            self.add(asset)

    # -- roles, service accounts, deny policies ---------------------------------------------------

    def roles(self) -> dict[str, dict[str, Any]]:
        from google.cloud import iam_admin_v1

        roles: dict[str, dict[str, Any]] = {}
        bound = sorted({b["role"] for a in self.assets.values() for b in (a.get("iam_policy") or {}).get("bindings", [])})
        for parent in [s for s in self._containers() if not s.startswith("folders/")]:
            listed = self.attempt(parent, "iam.roles.list", lambda: list(self.clients.iam.list_roles(request={
                "parent": parent, "view": iam_admin_v1.RoleView.FULL, "show_deleted": True})))
            for role in listed or []:
                roles[role.name] = _dict(role)
        for number, name in enumerate(bound):
            self.progress("gcp roles", number, len(bound))
            if name not in roles:
                role = self.attempt(name, "iam.roles.get", lambda: self.clients.iam.get_role(request={"name": name}))
                if role is not None:
                    roles[name] = _dict(role)
        return roles

    def service_accounts(self) -> None:
        projects = [(a["resource"]["data"].get("projectId"), a["ancestors"]) for a in list(self.assets.values())
                    if a.get("asset_type") == PROJECT and (a.get("resource") or {}).get("data")]
        for project, ancestors in projects:
            accounts = self.attempt(f"projects/{project}", "iam.serviceAccounts.list",
                                    lambda: list(self.clients.iam.list_service_accounts(name=f"projects/{project}")))
            for account in accounts or []:
                data = _dict(account)
                name = f"//iam.googleapis.com/projects/{project}/serviceAccounts/{account.unique_id}"
                self.add({"name": name, "asset_type": SERVICE_ACCOUNT, "ancestors": ancestors, "resource": {"data": data}})
                keys = self.attempt(account.name, "iam.serviceAccountKeys.list",
                                    lambda: self.clients.iam.list_service_account_keys(request={
                                        "name": account.name, "key_types": ["USER_MANAGED"]}).keys)
                for key in keys or []:
                    key_data = _dict(key)
                    key_data["keyType"] = "USER_MANAGED"
                    self.add({"name": f"{name}/keys/{key.name.rsplit('/', 1)[1]}",
                              "asset_type": "iam.googleapis.com/ServiceAccountKey", "ancestors": ancestors,
                              "resource": {"data": key_data}})

    def _containers(self) -> list[str]:
        found = []
        for asset in self.assets.values():
            if asset.get("asset_type") in CONTAINERS:
                found.append("/".join(asset["name"].rsplit("/", 2)[1:]))
        return sorted(set(found)) or [self.scope]

    def deny_policies(self) -> list[dict[str, Any]]:
        out = []
        containers = self._containers()
        for number, container in enumerate(containers):
            self.progress("gcp deny policies", number, len(containers))
            parent = f"policies/{quote(f'{CRM}/{container}', safe='')}/denypolicies"
            listed = self.attempt(container, "iam.denypolicies.list",
                                  lambda: list(self.clients.policies.list_policies(parent=parent)))
            for policy in listed or []:
                full = self.attempt(policy.name, "iam.denypolicies.get",
                                    lambda: self.clients.policies.get_policy(name=policy.name))
                if full is not None:
                    out.append(_dict(full))
        return out

    # -- groups ---------------------------------------------------------------------------------

    def groups(self, customer: str) -> dict[str, list[str]] | None:
        """Cloud Identity groups of ``customer`` with their direct members (REST, v1)."""
        import google.auth
        from google.auth.transport.requests import AuthorizedSession

        if self.clients.insecure:
            from google.auth.credentials import AnonymousCredentials

            session = AuthorizedSession(AnonymousCredentials())
        else:
            credentials, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-identity.groups.readonly"])
            session = AuthorizedSession(credentials)
        base = self.clients.identity_endpoint.rstrip("/")
        groups: dict[str, list[str]] = {}
        listed = self._pages(session, f"{base}/v1/groups", {"parent": f"customers/{customer}"}, "groups")
        if listed is None:
            return None
        for group in listed:
            email = group["groupKey"]["id"].lower()
            members = self._pages(session, f"{base}/v1/{group['name']}/memberships", {}, "memberships") or []
            groups[email] = [f"{_MEMBER_TYPES.get(m.get('type', 'USER'), 'user')}:{m['preferredMemberKey']['id']}"
                             for m in members]
        return groups

    def _pages(self, session: Any, url: str, params: dict[str, str], key: str) -> list[dict[str, Any]] | None:
        items: list[dict[str, Any]] = []
        token = ""
        while True:
            response = session.get(url, params={**params, **({"pageToken": token} if token else {})})
            if response.status_code != 200:
                self.gaps.append(CoverageGap(PROVIDER, url, "cloudidentity.groups.list",
                                             f"HTTP {response.status_code}: {response.text[:200]}"))
                return None
            body = response.json()
            items.extend(body.get(key, []))
            token = body.get("nextPageToken", "")
            if not token:
                return items


_MEMBER_TYPES = {"USER": "user", "GROUP": "group", "SERVICE_ACCOUNT": "serviceAccount"}


def collect(options: Mapping[str, Any], progress: Progress, clients: Clients | None = None) -> Snapshot:
    scope = str(options.get("organization") or options.get("scope") or "")
    if not scope.startswith(("organizations/", "folders/", "projects/")):
        raise SourceError("a live gcp source needs organization: organizations/N (or scope: folders/N / projects/P)")
    collector = Collector(clients or Clients(options), scope, progress)
    if not collector.cloud_asset():
        collector.resource_manager()
    roles = collector.roles()
    collector.service_accounts()
    deny = collector.deny_policies()
    customer = options.get("groups_customer")
    groups = collector.groups(str(customer)) if customer else None
    if not customer:
        collector.gaps.append(CoverageGap(PROVIDER, scope, "cloudidentity.groups.list",
                                          "groups_customer not configured: group memberships not read"))
    data = {"organization": scope if scope.startswith("organizations/") else "", "assets": collector.assets,
            "roles": roles, "deny_policies": deny, "groups": groups or {}, "groups_read": groups is not None}
    return Snapshot(PROVIDER, f"gcp:{scope}", datetime.now(timezone.utc), data, collector.gaps)
