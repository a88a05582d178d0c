"""IAM member strings: their forms, the v2 (deny policy) principal forms, and identifier normalisation.

An identity's canonical id is its allow-policy member string (``user:ana@example.com``,
``serviceAccount:app@p.iam.gserviceaccount.com``, ``principal://iam.googleapis.com/...``).
"""

from __future__ import annotations

import re

USER, GROUP, SERVICE_ACCOUNT, DOMAIN = "user:", "group:", "serviceAccount:", "domain:"
ALL_USERS, ALL_AUTHENTICATED = "allUsers", "allAuthenticatedUsers"
DELETED = "deleted:"
PRINCIPAL, PRINCIPAL_SET = "principal://", "principalSet://"
# Every service account (or service agent) of a project, folder or organization.
ACCOUNT_SET = "principalSet://cloudresourcemanager.googleapis.com/"
# Cloud Storage convenience values: the project's owners, editors and viewers (basic roles).
CONVENIENCE = {"projectOwner:": "roles/owner", "projectEditor:": "roles/editor", "projectViewer:": "roles/viewer"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_POOL = re.compile(
    r"^(?:principal|principalSet)://iam\.googleapis\.com/(projects/[^/]+/locations/[^/]+/workloadIdentityPools/[^/]+)/(.+)$")
_SA_RESOURCE = re.compile(r"^(?://iam\.googleapis\.com/)?projects/[^/]+/serviceAccounts/([^/]+@[^/]+)$")


class MemberError(ValueError):
    """A member string Google would reject."""


def kind_of(member: str) -> str:
    """``user``, ``group``, ``serviceAccount``, ``domain``, ``public``, ``deleted``, ``convenience``,
    ``accountSet``, ``principal`` or ``principalSet``; raises :class:`MemberError` for a malformed member."""
    if member in (ALL_USERS, ALL_AUTHENTICATED):
        return "public"
    if member.startswith(DELETED):
        return "deleted"
    for prefix in CONVENIENCE:
        if member.startswith(prefix) and len(member) > len(prefix):
            return "convenience"
    if member.startswith(PRINCIPAL):
        return "principal"
    if member.startswith(ACCOUNT_SET) and member.endswith(("/type/ServiceAccount", "/type/ServiceAgent")):
        return "accountSet"
    if member.startswith(PRINCIPAL_SET):
        return "principalSet"
    for prefix in (USER, GROUP, SERVICE_ACCOUNT):
        if member.startswith(prefix):
            if not _EMAIL.match(member[len(prefix):]):
                raise MemberError(f"{member!r}: {prefix} needs an e-mail address")
            return prefix[:-1]
    if member.startswith(DOMAIN) and "." in member[len(DOMAIN):]:
        return "domain"
    raise MemberError(f"{member!r} is not an IAM member (user:, group:, serviceAccount:, domain:, allUsers, "
                      "allAuthenticatedUsers, principal://, principalSet://, deleted:, projectOwner: ...)")


def canonical(member: str) -> str:
    """E-mail addresses and domains compared as Google does, case-insensitively (lower case)."""
    for prefix in (USER, GROUP, SERVICE_ACCOUNT, DOMAIN):
        if member.startswith(prefix) or member.lower().startswith(prefix.lower()):
            return prefix + member[len(prefix):].lower()
    return member


def email_of(member: str) -> str:
    return member.split(":", 1)[1] if ":" in member and not member.startswith(("principal", "deleted")) else ""


def pool_of(member: str) -> tuple[str, str] | None:
    """(pool resource name, what follows it: ``subject/S``, ``attribute.K/V``, ``group/G``, ``*``)."""
    match = _POOL.match(member)
    return (match.group(1), match.group(2)) if match else None


def v2_to_member(principal: str) -> str:
    """A deny-policy (IAM v2) principal in the allow-policy member form it names.

    ``principalSet://goog/public:all`` stays as it is: it names every principal.
    """
    if principal.startswith("principal://goog/subject/"):
        return USER + principal.rsplit("/", 1)[1]
    if principal.startswith("principalSet://goog/group/"):
        return GROUP + principal.rsplit("/", 1)[1]
    if principal.startswith("principal://iam.googleapis.com/projects/-/serviceAccounts/"):
        return SERVICE_ACCOUNT + principal.rsplit("/", 1)[1]
    return principal


def normalize_identifier(identifier: str) -> str | None:
    """An identifier an alert or a log uses, as the member id to look up; None when not GCP's form.

    E-mail addresses and unique ids are aliases the index answers to by itself; the v2 principal
    forms and ``projects/P/serviceAccounts/EMAIL`` resource names become member strings.
    """
    text = identifier.strip()
    sa = _SA_RESOURCE.match(text)
    if sa:
        return SERVICE_ACCOUNT + sa.group(1)
    if text.startswith(("principal://goog/", "principalSet://goog/", "principal://iam.googleapis.com/projects/-/")):
        return v2_to_member(text)
    if text.startswith((USER, GROUP, SERVICE_ACCOUNT, DOMAIN, PRINCIPAL, PRINCIPAL_SET)) or text in (
            ALL_USERS, ALL_AUTHENTICATED):
        return text
    return None
