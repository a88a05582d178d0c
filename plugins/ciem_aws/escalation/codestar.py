"""CodeStar: a new project's CloudFormation stack runs as the passed role.

AWS retired CodeStar in July 2024 (no new projects); the method stays for accounts whose policies
still grant it, as Rhino Security Labs documented it. ``codestar:CreateProjectFromTemplate`` was an
undocumented API that the IAM action catalog does not list, so no policy can be checked for it.
"""

from __future__ import annotations

from ciem_aws.escalation.base import RHINO, EscalationMethod, PassRoleToNew

METHODS: tuple[EscalationMethod, ...] = (
    PassRoleToNew("iam:PassRole+codestar:CreateProject", ("codestar.amazonaws.com",),
                  (("codestar:CreateProject", "arn:aws:codestar:*:{account}:project/*"),), RHINO),
)
