"""Google Kubernetes Engine: a cluster (or node pool) whose nodes run as an account the source may
act as; any pod scheduled there can read the node's token from the metadata server."""

from __future__ import annotations

from ciem_gcp.escalation.base import EscalationMethod, RunAsNew

GKE = "https://cloud.google.com/kubernetes-engine/docs/how-to/hardening-your-cluster#use_least_privilege_sa"

METHODS: tuple[EscalationMethod, ...] = (
    RunAsNew("iam.serviceAccounts.actAs+container.clusters.create", ("container.clusters.create",), GKE),
)
