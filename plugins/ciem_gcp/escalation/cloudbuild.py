"""Cloud Build: a build runs as the project's legacy Cloud Build account without actAs, or as a
user-specified account the source may act as."""

from __future__ import annotations

from ciem_gcp.escalation.base import RHINO, EscalationMethod, RunAsAgent, RunAsNew

METHODS: tuple[EscalationMethod, ...] = (
    RunAsAgent("cloudbuild.builds.create", ("cloudbuild.builds.create",), RHINO,
               agent="{number}@cloudbuild.gserviceaccount.com"),
    RunAsNew("iam.serviceAccounts.actAs+cloudbuild.builds.create", ("cloudbuild.builds.create",), RHINO),
)
