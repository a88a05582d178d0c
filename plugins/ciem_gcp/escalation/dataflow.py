"""Dataflow: a job whose workers run as an account the source may act as."""

from __future__ import annotations

from ciem_gcp.escalation.base import RHINO_2, EscalationMethod, RunAsNew

METHODS: tuple[EscalationMethod, ...] = (
    RunAsNew("iam.serviceAccounts.actAs+dataflow.jobs.create", ("dataflow.jobs.create",), RHINO_2),
)
