"""Cloud Run: a new service (invoked, or made public) or job running as an account, or an existing
service redeployed with the source's image."""

from __future__ import annotations

from ciem_gcp.escalation.base import RHINO_2, EscalationMethod, RunAsNew, UseExisting

METHODS: tuple[EscalationMethod, ...] = (
    RunAsNew("iam.serviceAccounts.actAs+run.services.create", ("run.services.create",), RHINO_2,
             alternatives=(("run.routes.invoke",), ("run.services.setIamPolicy",))),
    RunAsNew("iam.serviceAccounts.actAs+run.jobs.create", ("run.jobs.create", "run.jobs.run"), RHINO_2),
    UseExisting("iam.serviceAccounts.actAs+run.services.update", "run.googleapis.com/Service",
                ("run.services.update",), RHINO_2, act_as=True),
)
