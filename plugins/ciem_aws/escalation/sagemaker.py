"""SageMaker: notebooks, training and processing jobs run the caller's code as a role."""

from __future__ import annotations

from ciem_aws.escalation.base import BISHOPFOX, PATHFINDING, RHINO, EscalationMethod, PassRoleToNew, UseExisting

SERVICE = ("sagemaker.amazonaws.com",)
NOTEBOOK = "arn:aws:sagemaker:*:{account}:notebook-instance/*"

METHODS: tuple[EscalationMethod, ...] = (
    PassRoleToNew("iam:PassRole+sagemaker:CreateNotebookInstance+sagemaker:CreatePresignedNotebookInstanceUrl", SERVICE,
                  (("sagemaker:CreateNotebookInstance", NOTEBOOK), ("sagemaker:CreatePresignedNotebookInstanceUrl", NOTEBOOK)),
                  RHINO),
    PassRoleToNew("iam:PassRole+sagemaker:CreateTrainingJob", SERVICE,
                  (("sagemaker:CreateTrainingJob", "arn:aws:sagemaker:*:{account}:training-job/*"),), BISHOPFOX),
    PassRoleToNew("iam:PassRole+sagemaker:CreateProcessingJob", SERVICE,
                  (("sagemaker:CreateProcessingJob", "arn:aws:sagemaker:*:{account}:processing-job/*"),), BISHOPFOX),
    UseExisting("sagemaker:CreatePresignedNotebookInstanceUrl", "sagemaker:notebook-instance",
                (("sagemaker:CreatePresignedNotebookInstanceUrl", "{resource}"),), RHINO),
    # A lifecycle configuration runs the caller's script as the notebook's role at its next start.
    UseExisting("sagemaker:CreateNotebookInstanceLifecycleConfig+sagemaker:UpdateNotebookInstance",
                "sagemaker:notebook-instance",
                (("sagemaker:CreateNotebookInstanceLifecycleConfig",
                  "arn:aws:sagemaker:*:{account}:notebook-instance-lifecycle-config/*"),
                 ("sagemaker:StopNotebookInstance", "{resource}"), ("sagemaker:UpdateNotebookInstance", "{resource}"),
                 ("sagemaker:StartNotebookInstance", "{resource}")), PATHFINDING + "sagemaker"),
)
