"""CodeBuild: a build runs the caller's buildspec as the project's service role."""

from __future__ import annotations

from ciem_aws.escalation.base import BISHOPFOX, PATHFINDING, EscalationMethod, PassRoleToNew, UseExisting

SERVICE = ("codebuild.amazonaws.com",)
PROJECT = "arn:aws:codebuild:*:{account}:project/*"

METHODS: tuple[EscalationMethod, ...] = (
    PassRoleToNew("iam:PassRole+codebuild:CreateProject+codebuild:StartBuild", SERVICE,
                  (("codebuild:CreateProject", PROJECT), ("codebuild:StartBuild", PROJECT)), BISHOPFOX),
    PassRoleToNew("iam:PassRole+codebuild:CreateProject+codebuild:StartBuildBatch", SERVICE,
                  (("codebuild:CreateProject", PROJECT), ("codebuild:StartBuildBatch", PROJECT)), PATHFINDING + "codebuild"),
    UseExisting("codebuild:StartBuild", "codebuild:project",
                (("codebuild:StartBuild", "{resource}"),), PATHFINDING + "codebuild"),
    UseExisting("codebuild:StartBuildBatch", "codebuild:project",
                (("codebuild:StartBuildBatch", "{resource}"),), PATHFINDING + "codebuild"),
    PassRoleToNew("iam:PassRole+codebuild:UpdateProject+codebuild:StartBuild", SERVICE,
                  (("codebuild:UpdateProject", "{resource}"), ("codebuild:StartBuild", "{resource}")), PATHFINDING + "codebuild",
                  existing="codebuild:project"),
    UseExisting("codebuild:UpdateProject+codebuild:StartBuild", "codebuild:project",
                (("codebuild:UpdateProject", "{resource}"), ("codebuild:StartBuild", "{resource}")),
                PATHFINDING + "codebuild"),
)
