"""Cloud Scheduler: a job whose HTTP request carries a token of an account the source may act as."""

from __future__ import annotations

from ciem_gcp.escalation.base import RHINO_2, EscalationMethod, RunAsNew

METHODS: tuple[EscalationMethod, ...] = (
    RunAsNew("iam.serviceAccounts.actAs+cloudscheduler.jobs.create",
             ("cloudscheduler.jobs.create", "cloudscheduler.locations.list"), RHINO_2),
)
