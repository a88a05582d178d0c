"""GCP's permission catalog, built from the roles of the export.

No PyPI package ships Google's permission list, so the catalog is every permission that some role
of the snapshots includes (``roles/*.json`` in the layout: ``gcloud iam roles describe`` output for
the roles in use, custom roles from the asset export): a permission no role holds cannot be granted.
Access levels follow the permission's verb (its last dot-separated part); docs/gcp-semantics.md
lists the rule. Risk tags name the permissions the escalation table uses (``privilege-escalation``),
those that mint credentials (``credential-exposure``), the setIamPolicy family
(``resource-exposure``) and reads of stored data and secrets (``data-exfiltration``).
"""

from __future__ import annotations

from typing import Iterable

from ciem.catalog import PermissionCatalog
from ciem.model import AccessLevel, ActionInfo

from ciem_gcp import PROVIDER

PRIVILEGE_ESCALATION = "privilege-escalation"
CREDENTIAL_EXPOSURE = "credential-exposure"
RESOURCE_EXPOSURE = "resource-exposure"
DATA_EXFILTRATION = "data-exfiltration"

CREDENTIAL_PERMISSIONS = frozenset({
    "iam.serviceAccounts.getAccessToken", "iam.serviceAccounts.getOpenIdToken", "iam.serviceAccounts.signBlob",
    "iam.serviceAccounts.signJwt", "iam.serviceAccounts.implicitDelegation", "iam.serviceAccountKeys.create",
    "storage.hmacKeys.create", "serviceusage.apiKeys.create", "serviceusage.apiKeys.getKeyString",
})
DATA_PERMISSIONS = frozenset({
    "storage.objects.get", "secretmanager.versions.access", "bigquery.tables.getData", "bigquery.tables.export",
    "cloudsql.instances.export", "spanner.databases.read", "datastore.entities.get", "cloudkms.cryptoKeyVersions.useToDecrypt",
})
PERMISSIONS_MANAGEMENT_VERBS = ("setIamPolicy",)
PERMISSIONS_MANAGEMENT = frozenset({
    "iam.roles.create", "iam.roles.update", "iam.roles.delete", "iam.roles.undelete",
    "iam.denypolicies.create", "iam.denypolicies.update", "iam.denypolicies.delete",
    "orgpolicy.policy.set", "orgpolicy.policies.create", "orgpolicy.policies.update", "orgpolicy.policies.delete",
})
TAGGING_VERBS = ("createTagBinding", "deleteTagBinding", "setLabels", "setTags", "addTags", "removeTags")
LIST_VERBS = ("list", "search")
READ_VERBS = ("get", "read", "query", "export", "access", "view", "lookup", "download", "getIamPolicy")


def access_level(permission: str) -> AccessLevel:
    """The access level a permission's verb implies (``storage.buckets.setIamPolicy`` -> Permissions
    management, ``compute.instances.list`` -> List, ``...get*`` -> Read, the rest -> Write)."""
    verb = permission.rsplit(".", 1)[-1]
    if permission in PERMISSIONS_MANAGEMENT or verb in PERMISSIONS_MANAGEMENT_VERBS:
        return AccessLevel.PERMISSIONS_MANAGEMENT
    if verb in TAGGING_VERBS or permission.startswith("resourcemanager.tagValueBindings.") or ".tagBindings." in permission:
        return AccessLevel.TAGGING
    if verb.startswith(LIST_VERBS):
        return AccessLevel.LIST
    if verb.startswith(READ_VERBS):
        return AccessLevel.READ
    return AccessLevel.WRITE


def _escalation_permissions() -> frozenset[str]:
    from ciem_gcp.escalation.base import methods

    return frozenset(permission for method in methods() for permission in method.permissions())


def gcp_catalog(permissions: Iterable[str]) -> PermissionCatalog:
    """The catalog of ``permissions`` (deduplicated, sorted), each with its level and risk tags."""
    escalation = _escalation_permissions()
    infos = []
    for name in sorted(set(permissions)):
        tags = set()
        if name in escalation:
            tags.add(PRIVILEGE_ESCALATION)
        if name in CREDENTIAL_PERMISSIONS:
            tags.add(CREDENTIAL_EXPOSURE)
        if name in DATA_PERMISSIONS:
            tags.add(DATA_EXFILTRATION)
        if name.endswith(".setIamPolicy"):
            tags.add(RESOURCE_EXPOSURE)
        infos.append(ActionInfo(name, name.split(".", 1)[0], access_level(name), frozenset(tags)))
    return PermissionCatalog(PROVIDER, infos)
