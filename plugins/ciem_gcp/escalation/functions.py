"""Cloud Functions: a new function running as an account (called directly, or made public through
its IAM policy), or an existing function's code replaced."""

from __future__ import annotations

from ciem_gcp.escalation.base import RHINO, EscalationMethod, RunAsNew, UseExisting

METHODS: tuple[EscalationMethod, ...] = (
    RunAsNew("iam.serviceAccounts.actAs+cloudfunctions.functions.create",
             ("cloudfunctions.functions.create", "cloudfunctions.functions.sourceCodeSet"), RHINO,
             alternatives=(("cloudfunctions.functions.call",), ("cloudfunctions.functions.setIamPolicy",))),
    UseExisting("iam.serviceAccounts.actAs+cloudfunctions.functions.update", "cloudfunctions.googleapis.com/CloudFunction",
                ("cloudfunctions.functions.update", "cloudfunctions.functions.sourceCodeSet"), RHINO, act_as=True),
    UseExisting("iam.serviceAccounts.actAs+cloudfunctions.functions.update (2nd gen)",
                "cloudfunctions.googleapis.com/Function",
                ("cloudfunctions.functions.update", "cloudfunctions.functions.sourceCodeSet"), RHINO, act_as=True),
)
