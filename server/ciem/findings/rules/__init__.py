"""The core's finding rules, all on the cloud-neutral model. Providers add their own through the
``ciem_finding_rules`` hook."""

from __future__ import annotations

from ciem.findings.rules.access import (
    AdminEquivalentRule,
    HumanStandingAdminRule,
    PrivilegeEscalationRule,
    ToxicCombinationRule,
    UnusedPrivilegedAccessRule,
)
from ciem.findings.rules.credentials import (
    ConsoleWithoutMfaRule,
    OldAccessKeyRule,
    UnusedAccessKeyRule,
    UnusedIdentityRule,
)
from ciem.findings.rules.resources import UnusedSensitiveAccessRule
from ciem.findings.rules.trust import (
    BroadExternalTrustRule,
    PublicAccessRule,
    TrustOutsideOrganizationRule,
    UnusedTrustRule,
)


def core_rules() -> list:
    """One instance of every core rule (toxic combinations come from configuration and providers)."""
    return [
        AdminEquivalentRule(),
        PrivilegeEscalationRule(),
        HumanStandingAdminRule(),
        UnusedPrivilegedAccessRule(),
        UnusedIdentityRule(),
        UnusedAccessKeyRule(),
        OldAccessKeyRule(),
        ConsoleWithoutMfaRule(),
        BroadExternalTrustRule(),
        TrustOutsideOrganizationRule(),
        UnusedTrustRule(),
        PublicAccessRule(),
        UnusedSensitiveAccessRule(),
    ]


__all__ = ["core_rules", "ToxicCombinationRule"]
