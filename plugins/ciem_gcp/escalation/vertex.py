"""Vertex AI: a custom training job or a Workbench (notebooks) instance running as an account the
source may act as."""

from __future__ import annotations

from ciem_gcp.escalation.base import EscalationMethod, RunAsNew

VERTEX = "https://cloud.google.com/vertex-ai/docs/general/custom-service-account"

METHODS: tuple[EscalationMethod, ...] = (
    RunAsNew("iam.serviceAccounts.actAs+aiplatform.customJobs.create", ("aiplatform.customJobs.create",), VERTEX),
    RunAsNew("iam.serviceAccounts.actAs+notebooks.instances.create", ("notebooks.instances.create",), VERTEX),
)
