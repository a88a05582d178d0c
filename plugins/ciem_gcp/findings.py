"""GCP-specific finding rules, contributed through the ``ciem_finding_rules`` hook.

* Service accounts with user-managed keys: a key is a long-lived credential that works from
  anywhere until it is deleted; Google's best practice is to avoid them (workload identity
  federation, attached accounts, impersonation).
* Separation-of-duties defaults in Google's permission names (the core's toxic-combination rule).
"""

from __future__ import annotations

from typing import Iterable

from ciem.findings.config import ToxicCombination
from ciem.findings.context import ScanContext, attribute_list
from ciem.findings.model import Hit
from ciem.findings.rules import ToxicCombinationRule
from ciem.findings.rules.common import identity_impact

from ciem_gcp import PROVIDER

KEYS_REFERENCE = "https://cloud.google.com/iam/docs/best-practices-for-managing-service-account-keys"
COMPUTE_THAT_RUNS_AN_ACCOUNT = (
    "compute.instances.create", "cloudfunctions.functions.create", "run.services.create", "run.jobs.create",
    "cloudbuild.builds.create", "cloudscheduler.jobs.create", "dataflow.jobs.create",
    "composer.environments.create", "dataproc.clusters.create", "container.clusters.create",
    "aiplatform.customJobs.create", "notebooks.instances.create",
)

DEFAULT_COMBINATIONS = (
    ToxicCombination(
        id="gcp-act-as-and-create-compute",
        title="can act as service accounts and create compute that runs as them",
        rationale="Attaching a service account to a new VM, function, service or job runs code with "
                  "that account's permissions: the identity holds whatever any account it may act as holds.",
        all_of=(("iam.serviceAccounts.actAs",), COMPUTE_THAT_RUNS_AN_ACCOUNT),
    ),
    ToxicCombination(
        id="gcp-deny-policy-and-iam-policy",
        title="can change deny policies and allow policies",
        rationale="Deny policies are the guardrail over allow policies; one identity that can lift a "
                  "deny and grant what it stopped is not limited by either.",
        all_of=(("iam.denypolicies.update", "iam.denypolicies.delete"),
                ("resourcemanager.organizations.setIamPolicy", "resourcemanager.folders.setIamPolicy",
                 "resourcemanager.projects.setIamPolicy")),
    ),
)


class UserManagedKeysRule:
    id = "gcp-user-managed-service-account-keys"
    title = "Service account with user-managed keys"
    rationale = (
        "A service-account key is a long-lived credential that authenticates from anywhere until it "
        "is deleted; attached accounts, impersonation and workload identity federation need none."
    )

    def evaluate(self, ctx: ScanContext) -> Iterable[Hit]:
        for identity in ctx.acting_identities():
            keys = attribute_list(identity, "user_managed_keys") if identity.provider == PROVIDER else []
            if not keys:
                continue
            impact, impact_reason = identity_impact(ctx, identity)
            usage, usage_reason = ctx.identity_usage(identity)
            yield Hit(
                subject=identity.id, title=f"{identity.name} has {len(keys)} user-managed key{'s' if len(keys) > 1 else ''}",
                impact=impact, impact_reason=impact_reason,
                exploitability=0.8, exploitability_reason="a leaked key file is enough, from anywhere",
                usage=usage, key={"keys": sorted(str(k.get("id", "")) for k in keys)},
                details={"keys": list(keys), "reference": KEYS_REFERENCE, "usage_evidence": usage_reason},
                exposure=0.8, exposure_reason="long-lived key",
            )


def finding_rules() -> list:
    return [UserManagedKeysRule(),
            *(ToxicCombinationRule(combination, source=PROVIDER) for combination in DEFAULT_COMBINATIONS)]
