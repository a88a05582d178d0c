"""Live collection from Azure Resource Manager and Microsoft Graph, into the snapshot shape of
docs/azure-export-layout.md (each row as the REST API returns it).

Options (a live source's settings):

``tenant_id``
    the tenant to read; default: the credential's.
``subscriptions``
    list of subscription ids; default: every subscription the credential can list.
``arm_endpoint``, ``graph_endpoint``
    default ``https://management.azure.com`` and ``https://graph.microsoft.com`` (sovereign clouds,
    or a test server).
``ca_bundle``
    a CA file to verify the endpoints' TLS with (a proxy's); default: the system's.
``graph``
    ``false`` to skip Microsoft Graph (ARM only).

Credentials come from azure-identity's ``DefaultAzureCredential`` (environment, workload identity,
managed identity, Azure CLI ...). Role definitions, assignments, deny assignments and PIM
eligibility go through azure-mgmt-authorization, resources through azure-mgmt-resource; the
management-group hierarchy, subscriptions, the few resource properties the resolver needs (key vault
access policies, storage Shared Key, AKS kubelet identity) and Graph through azure-core pipelines.
The resource providers' operations (``providerOperations``) are read too, so that the catalog is
complete (docs/azure-export-layout.md). Every client follows ``nextLink`` paging and retries throttled calls (429 and 503 honour
``Retry-After``, up to ``retries`` attempts, default 6). A call that is denied or fails for one scope
becomes a :class:`ciem.model.CoverageGap` (scope: the subscription, management group or Graph
collection; operation: what was read) and collection goes on.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Callable, Mapping

from azure.core.exceptions import AzureError, ClientAuthenticationError, HttpResponseError
from azure.core.pipeline.policies import BearerTokenCredentialPolicy, RetryPolicy
from azure.core.rest import HttpRequest
from azure.mgmt.authorization import AuthorizationManagementClient
from azure.mgmt.core import ARMPipelineClient
from azure.mgmt.resource.resources import ResourceManagementClient

from ciem.errors import SourceError
from ciem.hookspec import Progress
from ciem.model import CoverageGap, Snapshot

from ciem_azure import PROVIDER

ARM = "https://management.azure.com"
GRAPH = "https://graph.microsoft.com"
# resource types whose properties the resolver reads, and the API version to GET them with
PROPERTY_TYPES = {
    "microsoft.keyvault/vaults": "2023-07-01",
    "microsoft.storage/storageaccounts": "2023-05-01",
    "microsoft.containerservice/managedclusters": "2024-05-01",
}
GRAPH_COLLECTIONS = {
    "users": "/v1.0/users?$select=id,displayName,userPrincipalName,mail,accountEnabled,userType",
    "groups": "/v1.0/groups?$select=id,displayName,mail,isAssignableToRole",
    "service_principals": "/v1.0/servicePrincipals?$select=id,appId,displayName,servicePrincipalType,"
                          "alternativeNames,appRoles,appOwnerOrganizationId",
    "applications": "/v1.0/applications?$select=id,appId,displayName",
    "directory_roles": "/v1.0/roleManagement/directory/roleDefinitions",
    "directory_role_assignments": "/v1.0/roleManagement/directory/roleAssignments",
    "directory_role_eligibility": "/v1.0/roleManagement/directory/roleEligibilitySchedules",
}


def _retry(options: Mapping[str, Any]) -> RetryPolicy:
    return RetryPolicy(retry_total=int(options.get("retries", 6)), retry_backoff_factor=0.5, retry_backoff_max=60)


class Collector:
    def __init__(self, options: Mapping[str, Any], credential: Any, progress: Progress):
        self.options = options
        self.credential = credential
        self.progress = progress
        self.gaps: list[CoverageGap] = []
        self.arm = str(options.get("arm_endpoint", ARM)).rstrip("/")
        self.graph = str(options.get("graph_endpoint", GRAPH)).rstrip("/")
        self.client_kwargs: dict[str, Any] = {"retry_policy": _retry(options)}
        if options.get("ca_bundle"):
            self.client_kwargs["connection_verify"] = str(options["ca_bundle"])
        self.scope_arm = self.arm + "/.default"
        self._arm_client = ARMPipelineClient(base_url=self.arm, policies=self._policies(self.scope_arm), **self._verify())
        self._graph_client = ARMPipelineClient(base_url=self.graph, policies=self._policies(self.graph + "/.default"),
                                               **self._verify())

    def _verify(self) -> dict[str, Any]:
        return {"connection_verify": self.client_kwargs["connection_verify"]} if "connection_verify" in self.client_kwargs else {}

    def _policies(self, scope: str) -> list:
        from azure.core.pipeline.policies import (ContentDecodePolicy, HeadersPolicy, NetworkTraceLoggingPolicy,
                                                  RedirectPolicy, UserAgentPolicy)

        return [HeadersPolicy(), UserAgentPolicy("ciem"), _retry(self.options), RedirectPolicy(),
                BearerTokenCredentialPolicy(self.credential, scope), ContentDecodePolicy(), NetworkTraceLoggingPolicy()]

    # -- calls ----------------------------------------------------------------------------------------

    def guarded(self, scope: str, operation: str, call: Callable[[], Any], default: Any) -> Any:
        """``call()``, or ``default`` with a coverage gap when Azure refuses or fails it."""
        try:
            return call()
        except ClientAuthenticationError as error:
            if getattr(error, "status_code", None) in (401, 403):
                self.gaps.append(CoverageGap(PROVIDER, scope, operation, _reason(error)))
                return default
            raise SourceError(f"azure: cannot authenticate: {error}") from None
        except HttpResponseError as error:
            self.gaps.append(CoverageGap(PROVIDER, scope, operation, _reason(error)))
            return default
        except AzureError as error:
            self.gaps.append(CoverageGap(PROVIDER, scope, operation, str(error).splitlines()[0]))
            return default

    def pages(self, client: ARMPipelineClient, url: str, method: str = "GET") -> list[dict[str, Any]]:
        """Every row of a list call, following ``nextLink`` / ``@odata.nextLink``."""
        rows: list[dict[str, Any]] = []
        next_url: str | None = url
        while next_url:
            response = client.send_request(HttpRequest(method, next_url))
            response.raise_for_status()
            body = response.json()
            rows.extend(body.get("value") or [])
            next_url = body.get("nextLink") or body.get("@odata.nextLink")  # same method: getEntities pages by POST
        return rows

    # -- ARM ------------------------------------------------------------------------------------------

    def subscriptions(self) -> list[dict[str, Any]]:
        rows = self.guarded("/", "Microsoft.Resources/subscriptions/read",
                            lambda: self.pages(self._arm_client, f"{self.arm}/subscriptions?api-version=2022-12-01"), [])
        wanted = {s.lower() for s in self.options.get("subscriptions") or ()}
        subscriptions = [{"id": r["subscriptionId"], "name": r.get("displayName", ""), "tenantId": r.get("tenantId", ""),
                          "state": r.get("state", "")} for r in rows if not wanted or r["subscriptionId"].lower() in wanted]
        for missing in wanted - {s["id"].lower() for s in subscriptions}:
            self.gaps.append(CoverageGap(PROVIDER, f"/subscriptions/{missing}", "Microsoft.Resources/subscriptions/read",
                                         "not visible to the credential"))
            subscriptions.append({"id": missing, "name": missing, "tenantId": "", "state": ""})
        return subscriptions

    def management_groups(self) -> list[dict[str, Any]]:
        url = f"{self.arm}/providers/Microsoft.Management/getEntities?api-version=2021-04-01"
        rows = self.guarded("/", "Microsoft.Management/getEntities/action", lambda: self.pages(self._arm_client, url, "POST"), [])
        entities = []
        for row in rows:
            properties = row.get("properties") or {}
            entities.append({"id": row.get("id", ""), "name": row.get("name", ""), "type": row.get("type", ""),
                             "displayName": properties.get("displayName", ""), "parent": properties.get("parent")})
        return entities

    def authorization(self, subscription: str, data: dict[str, list]) -> None:
        client = AuthorizationManagementClient(self.credential, subscription, base_url=self.arm,
                                               credential_scopes=[self.scope_arm], **self.client_kwargs)
        scope = f"/subscriptions/{subscription}"
        data["role_definitions"] += self.guarded(scope, "Microsoft.Authorization/roleDefinitions/read",
                                                 lambda: [_rest(r) for r in client.role_definitions.list(scope)], [])
        data["role_assignments"] += self.guarded(scope, "Microsoft.Authorization/roleAssignments/read",
                                                 lambda: [_rest(r) for r in client.role_assignments.list_for_subscription()], [])
        data["deny_assignments"] += self.guarded(scope, "Microsoft.Authorization/denyAssignments/read",
                                                 lambda: [_rest(r) for r in client.deny_assignments.list()], [])
        data["role_eligibility"] += self.guarded(
            scope, "Microsoft.Authorization/roleEligibilitySchedules/read",
            lambda: [_rest(r) for r in client.role_eligibility_schedules.list_for_scope(scope)], [])

    def operations(self, any_subscription: str) -> list[dict[str, Any]]:
        """Every resource provider's operations (``az provider operation list``): the complete catalog."""
        client = AuthorizationManagementClient(self.credential, any_subscription, base_url=self.arm,
                                               credential_scopes=[self.scope_arm], **self.client_kwargs)
        return self.guarded("/", "Microsoft.Authorization/providerOperations/read",
                            lambda: [_rest(p) for p in client.provider_operations_metadata.list(expand="resourceTypes")], [])

    def management_group_assignments(self, group: str, any_subscription: str, data: dict[str, list]) -> None:
        client = AuthorizationManagementClient(self.credential, any_subscription, base_url=self.arm,
                                               credential_scopes=[self.scope_arm], **self.client_kwargs)
        data["role_assignments"] += self.guarded(
            group, "Microsoft.Authorization/roleAssignments/read",
            lambda: [_rest(r) for r in client.role_assignments.list_for_scope(group, filter="atScope()")], [])

    def resources(self, subscription: str) -> list[dict[str, Any]]:
        client = ResourceManagementClient(self.credential, subscription, base_url=self.arm,
                                          credential_scopes=[self.scope_arm], **self.client_kwargs)
        scope = f"/subscriptions/{subscription}"
        rows = self.guarded(scope, "Microsoft.Resources/resources/read", lambda: [r.as_dict() for r in client.resources.list()], [])
        resources = []
        for row in rows:
            resource = {"id": row["id"], "name": row.get("name", ""), "type": row.get("type", ""),
                        "location": row.get("location", ""), "tags": row.get("tags") or {}}
            if row.get("identity"):
                resource["identity"] = row["identity"]  # azure-mgmt-resource's models give the REST shape
            version = PROPERTY_TYPES.get(resource["type"].lower())
            if version:
                full = self.guarded(row["id"], f"{resource['type']}/read",
                                    lambda: self._get(f"{self.arm}{row['id']}?api-version={version}"), None)
                if full is not None:
                    resource["properties"] = full.get("properties") or {}
            resources.append(resource)
        return resources

    def _get(self, url: str) -> dict[str, Any]:
        response = self._arm_client.send_request(HttpRequest("GET", url))
        response.raise_for_status()
        return response.json()

    # -- Graph ----------------------------------------------------------------------------------------

    def directory(self, data: dict[str, Any]) -> None:
        for key, path in GRAPH_COLLECTIONS.items():
            data[key] = self.guarded(f"graph:{path.split('?')[0]}", "GET", lambda: self.pages(self._graph_client, self.graph + path), [])
        for key, kind, ids in (("group_members", "groups/{}/members", [g["id"] for g in data["groups"]]),
                               ("group_owners", "groups/{}/owners", [g["id"] for g in data["groups"]]),
                               ("application_owners", "applications/{}/owners", [a["id"] for a in data["applications"]]),
                               ("service_principal_owners", "servicePrincipals/{}/owners",
                                [s["id"] for s in data["service_principals"] if s.get("servicePrincipalType") != "ManagedIdentity"])):
            data[key] = {}
            for ident in ids:
                path = "/v1.0/" + kind.format(ident) + "?$select=id"
                rows = self.guarded(f"graph:/v1.0/{kind.format(ident)}", "GET", lambda: self.pages(self._graph_client, self.graph + path), None)
                if rows:
                    data[key][ident] = rows
        data["app_role_assignments"] = []
        for sp in data["service_principals"]:
            path = f"/v1.0/servicePrincipals/{sp['id']}/appRoleAssignments"
            data["app_role_assignments"] += self.guarded(f"graph:{path}", "GET", lambda: self.pages(self._graph_client, self.graph + path), [])


def _reason(error: HttpResponseError) -> str:
    code = getattr(getattr(error, "error", None), "code", None) or ""
    status = getattr(error, "status_code", None)
    message = (getattr(getattr(error, "error", None), "message", None) or str(error)).splitlines()[0]
    return f"{status} {code}: {message}".strip()


def _rest(model: Any) -> dict[str, Any]:
    """An SDK model as the REST API returns it (``properties`` bag, camelCase)."""
    return model.serialize(keep_readonly=True)


def collect(options: Mapping[str, Any], progress: Progress, credential: Any = None) -> Snapshot:
    """A snapshot of the tenant; ``credential`` defaults to ``DefaultAzureCredential``."""
    if credential is None:
        from azure.identity import DefaultAzureCredential

        credential = DefaultAzureCredential()
    collector = Collector(options, credential, progress)
    data: dict[str, Any] = {"role_definitions": [], "role_assignments": [], "deny_assignments": [], "role_eligibility": []}
    subscriptions = collector.subscriptions()
    if not subscriptions and not collector.gaps:
        raise SourceError("azure: the credential sees no subscription")
    data["subscriptions"] = subscriptions
    data["management_groups"] = collector.management_groups()
    data["resources"] = []
    for number, subscription in enumerate(subscriptions):
        progress("reading Azure subscriptions", number, len(subscriptions))
        collector.authorization(subscription["id"], data)
        data["resources"] += collector.resources(subscription["id"])
    if subscriptions:
        data["operations"] = collector.operations(subscriptions[0]["id"])
        for entity in data["management_groups"]:
            if "managementgroups" in entity["type"].lower():
                collector.management_group_assignments(entity["id"], subscriptions[0]["id"], data)
    data["role_definitions"] = list({(r.get("name") or r.get("id")).lower(): r for r in data["role_definitions"]}.values())
    data["role_assignments"] = list({r["id"].lower(): r for r in data["role_assignments"]}.values())
    if options.get("graph", True):
        collector.directory(data)
    data["tenant_id"] = options.get("tenant_id") or next((s["tenantId"] for s in subscriptions if s.get("tenantId")), "")
    return Snapshot(PROVIDER, f"azure:live:{data['tenant_id']}", datetime.now(timezone.utc), data, collector.gaps)
