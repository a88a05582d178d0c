"""Cloud Composer: an environment whose nodes (and DAGs) run as an account the source may act as."""

from __future__ import annotations

from ciem_gcp.escalation.base import RHINO_2, EscalationMethod, RunAsNew

METHODS: tuple[EscalationMethod, ...] = (
    RunAsNew("iam.serviceAccounts.actAs+composer.environments.create", ("composer.environments.create",), RHINO_2),
)
