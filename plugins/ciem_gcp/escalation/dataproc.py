"""Dataproc: a cluster whose VMs run as an account the source may act as."""

from __future__ import annotations

from ciem_gcp.escalation.base import RHINO_2, EscalationMethod, RunAsNew

METHODS: tuple[EscalationMethod, ...] = (
    RunAsNew("iam.serviceAccounts.actAs+dataproc.clusters.create", ("dataproc.clusters.create",), RHINO_2),
)
