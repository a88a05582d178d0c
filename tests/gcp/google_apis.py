"""A local server that answers as Google's APIs do, from a GCP export: gRPC for Cloud Asset Inventory,
IAM (admin v1, v2 deny policies) and Resource Manager v3, with the request and response messages
the client packages ship; HTTP/JSON for Cloud Identity groups. Live-collection tests point the real
client libraries at it."""

from __future__ import annotations

import json
import threading
from concurrent import futures
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, urlparse

import grpc
from google.cloud import asset_v1, iam_admin_v1, iam_v2, resourcemanager_v3
from google.iam.v1 import iam_policy_pb2, policy_pb2
from google.protobuf import json_format


def _serialize(message: Any) -> bytes:
    return type(message).serialize(message) if hasattr(type(message), "serialize") else message.SerializeToString()


class GoogleApis:
    """Serves ``data`` (a snapshot's data). ``deny_asset`` answers Cloud Asset calls PERMISSION_DENIED."""

    def __init__(self, data: dict[str, Any], deny_asset: bool = False):
        self.data = data
        self.deny_asset = deny_asset
        self.calls: list[str] = []
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        services: dict[str, dict[str, Any]] = {}
        for service, method, request, handler in (
            ("google.cloud.asset.v1.AssetService", "ListAssets", asset_v1.ListAssetsRequest, self.list_assets),
            ("google.iam.admin.v1.IAM", "GetRole", iam_admin_v1.GetRoleRequest, self.get_role),
            ("google.iam.admin.v1.IAM", "ListRoles", iam_admin_v1.ListRolesRequest, self.list_roles),
            ("google.iam.admin.v1.IAM", "ListServiceAccounts", iam_admin_v1.ListServiceAccountsRequest,
             self.list_service_accounts),
            ("google.iam.admin.v1.IAM", "ListServiceAccountKeys", iam_admin_v1.ListServiceAccountKeysRequest,
             self.list_keys),
            ("google.iam.v2.Policies", "ListPolicies", iam_v2.ListPoliciesRequest, self.list_policies),
            ("google.iam.v2.Policies", "GetPolicy", iam_v2.GetPolicyRequest, self.get_policy),
            ("google.cloud.resourcemanager.v3.Organizations", "GetOrganization",
             resourcemanager_v3.GetOrganizationRequest, self.get_organization),
            ("google.cloud.resourcemanager.v3.Folders", "SearchFolders", resourcemanager_v3.SearchFoldersRequest,
             self.search_folders),
            ("google.cloud.resourcemanager.v3.Projects", "SearchProjects", resourcemanager_v3.SearchProjectsRequest,
             self.search_projects),
            *[(f"google.cloud.resourcemanager.v3.{s}", "GetIamPolicy", iam_policy_pb2.GetIamPolicyRequest,
               self.get_iam_policy) for s in ("Organizations", "Folders", "Projects")],
        ):
            services.setdefault(service, {})[method] = grpc.unary_unary_rpc_method_handler(
                self._logged(method, handler), request_deserializer=request.deserialize if hasattr(
                    request, "deserialize") else request.FromString, response_serializer=_serialize)
        for service, methods in services.items():
            self.server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(service, methods),))
        self.port = self.server.add_insecure_port("127.0.0.1:0")
        self.http = ThreadingHTTPServer(("127.0.0.1", 0), self._http_handler())

    def _logged(self, method: str, handler: Callable) -> Callable:
        def call(request: Any, context: grpc.ServicerContext) -> Any:
            self.calls.append(method)
            return handler(request, context)
        return call

    def __enter__(self) -> "GoogleApis":
        self.server.start()
        threading.Thread(target=self.http.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_exc: Any) -> None:
        self.server.stop(None)
        self.http.shutdown()
        self.http.server_close()

    def endpoints(self) -> dict[str, Any]:
        grpc_address = f"127.0.0.1:{self.port}"
        return {"api_endpoints": {"asset": grpc_address, "iam": grpc_address, "resourcemanager": grpc_address,
                                  "cloudidentity": f"http://127.0.0.1:{self.http.server_address[1]}"},
                "insecure_endpoints": True}

    # -- Cloud Asset Inventory -----------------------------------------------------------------

    def list_assets(self, request: Any, context: grpc.ServicerContext) -> Any:
        if self.deny_asset:
            context.abort(grpc.StatusCode.PERMISSION_DENIED, "cloudasset.assets.listResource denied")
        field = {asset_v1.ContentType.RESOURCE: "resource", asset_v1.ContentType.IAM_POLICY: "iam_policy",
                 asset_v1.ContentType.ORG_POLICY: "org_policy"}[request.content_type]
        assets = []
        for asset in self.data["assets"].values():
            if not asset.get(field) or (request.asset_types and asset["asset_type"] not in request.asset_types):
                continue
            body = {k: asset[k] for k in ("name", "asset_type", "ancestors", field)}
            assets.append(asset_v1.Asset.from_json(json.dumps(body)))
        return asset_v1.ListAssetsResponse(assets=assets)

    # -- IAM --------------------------------------------------------------------------------------

    def get_role(self, request: Any, context: grpc.ServicerContext) -> Any:
        role = self.data["roles"].get(request.name)
        if role is None:
            context.abort(grpc.StatusCode.NOT_FOUND, f"role {request.name} not found")
        return iam_admin_v1.Role.from_json(json.dumps(role), ignore_unknown_fields=True)

    def list_roles(self, request: Any, context: grpc.ServicerContext) -> Any:
        roles = [iam_admin_v1.Role.from_json(json.dumps(r), ignore_unknown_fields=True)
                 for name, r in self.data["roles"].items() if name.startswith(request.parent + "/roles/")]
        return iam_admin_v1.ListRolesResponse(roles=roles)

    def _accounts(self, project: str) -> list[dict[str, Any]]:
        return [a["resource"]["data"] for a in self.data["assets"].values()
                if a["asset_type"] == "iam.googleapis.com/ServiceAccount" and a["resource"]["data"]["projectId"] == project]

    def list_service_accounts(self, request: Any, context: grpc.ServicerContext) -> Any:
        project = request.name.split("/", 1)[1]
        return iam_admin_v1.ListServiceAccountsResponse(accounts=[
            iam_admin_v1.ServiceAccount(name=f"projects/{project}/serviceAccounts/{d['email']}", email=d["email"],
                                        unique_id=d["uniqueId"], project_id=project) for d in self._accounts(project)])

    def list_keys(self, request: Any, context: grpc.ServicerContext) -> Any:
        keys = [iam_admin_v1.ServiceAccountKey(name=f"{request.name}/keys/{k}")
                for k in self.data.get("live_keys", {}).get(request.name, [])]
        return iam_admin_v1.ListServiceAccountKeysResponse(keys=keys)

    def list_policies(self, request: Any, context: grpc.ServicerContext) -> Any:
        prefix = request.parent + "/"
        return iam_v2.ListPoliciesResponse(policies=[
            iam_v2.Policy(name=p["name"], display_name=p.get("displayName", ""))  # listing omits the rules
            for p in self.data["deny_policies"] if p["name"].startswith(prefix)])

    def get_policy(self, request: Any, context: grpc.ServicerContext) -> Any:
        policy = next(p for p in self.data["deny_policies"] if p["name"] == request.name)
        return iam_v2.Policy.from_json(json.dumps(policy), ignore_unknown_fields=True)

    # -- Resource Manager -------------------------------------------------------------------------

    def _containers(self, type_: str) -> list[dict[str, Any]]:
        return [a for a in self.data["assets"].values() if a["asset_type"] == f"cloudresourcemanager.googleapis.com/{type_}"]

    def get_organization(self, request: Any, context: grpc.ServicerContext) -> Any:
        org = self._containers("Organization")[0]
        return resourcemanager_v3.Organization(name=request.name, display_name=org["resource"]["data"]["displayName"])

    def search_folders(self, request: Any, context: grpc.ServicerContext) -> Any:
        return resourcemanager_v3.SearchFoldersResponse(folders=[
            resourcemanager_v3.Folder(name=a["ancestors"][0], parent=a["ancestors"][1],
                                      display_name=a["resource"]["data"].get("displayName", ""))
            for a in self._containers("Folder")])

    def search_projects(self, request: Any, context: grpc.ServicerContext) -> Any:
        return resourcemanager_v3.SearchProjectsResponse(projects=[
            resourcemanager_v3.Project(name=a["ancestors"][0], parent=a["ancestors"][1],
                                       project_id=a["resource"]["data"]["projectId"])
            for a in self._containers("Project")])

    def get_iam_policy(self, request: Any, context: grpc.ServicerContext) -> Any:
        asset = self.data["assets"].get(f"//cloudresourcemanager.googleapis.com/{request.resource}", {})
        return json_format.ParseDict(asset.get("iam_policy") or {}, policy_pb2.Policy())

    # -- Cloud Identity (HTTP/JSON) ---------------------------------------------------------------

    def _http_handler(self) -> type:
        groups = self.data.get("groups", {})
        ids = {email: f"groups/g{number}" for number, email in enumerate(sorted(groups))}

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                url = urlparse(self.path)
                if url.path == "/v1/groups" and parse_qs(url.query).get("parent"):
                    body = {"groups": [{"name": ids[e], "groupKey": {"id": e}} for e in sorted(groups)]}
                elif url.path.endswith("/memberships"):
                    email = next(e for e, i in ids.items() if url.path == f"/v1/{i}/memberships")
                    kinds = {"user": "USER", "group": "GROUP", "serviceAccount": "SERVICE_ACCOUNT"}
                    body = {"memberships": [{"preferredMemberKey": {"id": m.split(":", 1)[1]},
                                             "type": kinds[m.split(":", 1)[0]]} for m in groups[email]]}
                else:
                    self.send_error(404)
                    return
                payload = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *_args: Any) -> None:
                pass

        return Handler
