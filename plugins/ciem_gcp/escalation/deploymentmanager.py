"""Deployment Manager: deployments run as the project's Google APIs service agent, no actAs needed."""

from __future__ import annotations

from ciem_gcp.escalation.base import RHINO, EscalationMethod, RunAsAgent

METHODS: tuple[EscalationMethod, ...] = (
    RunAsAgent("deploymentmanager.deployments.create", ("deploymentmanager.deployments.create",), RHINO,
               agent="{number}@cloudservices.gserviceaccount.com"),
)
