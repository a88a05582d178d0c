"""Data Pipeline: a pipeline's shell activities run on EC2 or EMR with the passed role."""

from __future__ import annotations

from ciem_aws.escalation.base import RHINO, EscalationMethod, PassRoleToNew

METHODS: tuple[EscalationMethod, ...] = (
    PassRoleToNew("iam:PassRole+datapipeline:CreatePipeline+datapipeline:PutPipelineDefinition+datapipeline:ActivatePipeline",
                  ("datapipeline.amazonaws.com", "elasticmapreduce.amazonaws.com"),
                  (("datapipeline:CreatePipeline", "*"), ("datapipeline:PutPipelineDefinition", "*"),
                   ("datapipeline:ActivatePipeline", "*")), RHINO,
                  passed_to="datapipeline.amazonaws.com"),  # both kinds of role are passed to Data Pipeline
)
