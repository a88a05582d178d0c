"""Compute Engine: a new instance running as an account, or an existing instance's metadata
(startup script, SSH keys) changed so the source runs code next to its account's token."""

from __future__ import annotations

from ciem_gcp.escalation.base import RHINO, EscalationMethod, RunAsNew, UseExisting

INSTANCE = "compute.googleapis.com/Instance"

METHODS: tuple[EscalationMethod, ...] = (
    RunAsNew("iam.serviceAccounts.actAs+compute.instances.create",
             ("compute.instances.create", "compute.disks.create", "compute.instances.setMetadata",
              "compute.instances.setServiceAccount", "compute.subnetworks.use", "compute.subnetworks.useExternalIp"),
             RHINO),
    UseExisting("compute.instances.setMetadata", INSTANCE, ("compute.instances.setMetadata",), RHINO),
    UseExisting("compute.projects.setCommonInstanceMetadata", INSTANCE,
                ("compute.projects.setCommonInstanceMetadata",), RHINO, on_project=True),
    UseExisting("compute.instances.setIamPolicy", INSTANCE, ("compute.instances.setIamPolicy",), RHINO),
    UseExisting("iam.serviceAccounts.actAs+compute.instances.setServiceAccount", INSTANCE,
                ("compute.instances.setServiceAccount", "compute.instances.stop", "compute.instances.start"), RHINO,
                act_as=True),
)
