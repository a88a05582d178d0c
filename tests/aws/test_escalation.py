"""Every escalation method: one exploitable estate and one look-alike that a control blocks."""

from __future__ import annotations

from typing import Any

import pytest

from ciem.model import EdgeKind

from builders import (
    A, ROOT, account, allow, deny, doc, edges, group, group_arn, managed, organization, policy_arn, role, role_arn,
    run, service_trust, trusts, user, user_arn,
)
from ciem_aws.escalation.base import methods

ATTACKER = user_arn("attacker")
TARGET = role_arn("target")
ADMIN = doc(allow("*"))
REGION = "us-east-1"


def _estate(statements: list[dict], *, trust: dict | None = None, profile: bool = False, blocker: str = "",
            resources: dict | None = None, extra_roles=(), extra_users=(), groups=(), attacker_groups=(),
            policies=(), report=None, last_action: str = ""):
    """An account with the attacker (a user), a powerful target role and whatever the case adds.

    ``blocker`` adds one control: "boundary" (a boundary without ``last_action``), "scp" (an SCP
    denying it), "deny" (an identity-policy deny of it)."""
    boundary = None
    all_policies = list(policies)
    org = None
    if blocker == "boundary":
        boundary = policy_arn("boundary")
        all_policies.append(managed(boundary, doc(allow(None, not_actions=[last_action]))))
    elif blocker == "scp":
        org = organization({A: ROOT}, scps=[("p-block", doc(deny(last_action)), [A])])
    elif blocker == "deny":
        statements = [*statements, deny(last_action)]
    attacker = user("attacker", doc(*statements), boundary=boundary, groups=attacker_groups)
    target = role("target", trust or trusts({"AWS": role_arn("nobody")}), ADMIN, profile=profile)
    data = account(users=[attacker, *extra_users], roles=[target, *extra_roles], groups=groups,
                   policies=all_policies, resources=resources, credential_report=report)
    return run({A: data}, org)


def _escalations(result, method: str, target: str = TARGET, source: str = ATTACKER):
    found = edges(result, source, target, method)
    assert all(e.kind == EdgeKind.ESCALATE for e in found)
    return found


# --- PassRole to a new resource --------------------------------------------------------------------

PASS_ROLE_CASES = [
    # (method, service the target role trusts, the other actions, blocker of the look-alike)
    ("iam:PassRole+lambda:CreateFunction+lambda:InvokeFunction", "lambda.amazonaws.com",
     ["lambda:CreateFunction", "lambda:InvokeFunction"], "passrole-resource"),
    ("iam:PassRole+lambda:CreateFunction+lambda:CreateEventSourceMapping", "lambda.amazonaws.com",
     ["lambda:CreateFunction", "lambda:CreateEventSourceMapping"], "passed-to-service"),
    ("iam:PassRole+lambda:CreateFunction+lambda:AddPermission", "lambda.amazonaws.com",
     ["lambda:CreateFunction", "lambda:AddPermission"], "boundary"),
    ("iam:PassRole+ec2:RunInstances", "ec2.amazonaws.com", ["ec2:RunInstances"], "no-instance-profile"),
    ("iam:PassRole+autoscaling:CreateLaunchConfiguration+autoscaling:CreateAutoScalingGroup", "ec2.amazonaws.com",
     ["autoscaling:CreateLaunchConfiguration", "autoscaling:CreateAutoScalingGroup"], "scp"),
    ("iam:PassRole+ec2:CreateLaunchTemplate+autoscaling:CreateAutoScalingGroup", "ec2.amazonaws.com",
     ["ec2:CreateLaunchTemplate", "autoscaling:CreateAutoScalingGroup"], "deny"),
    ("iam:PassRole+cloudformation:CreateStack", "cloudformation.amazonaws.com", ["cloudformation:CreateStack"],
     "no-trust"),
    ("iam:PassRole+cloudformation:CreateChangeSet+cloudformation:ExecuteChangeSet", "cloudformation.amazonaws.com",
     ["cloudformation:CreateChangeSet", "cloudformation:ExecuteChangeSet"], "boundary"),
    ("iam:PassRole+glue:CreateDevEndpoint", "glue.amazonaws.com", ["glue:CreateDevEndpoint"], "passed-to-service"),
    ("iam:PassRole+glue:CreateJob+glue:StartJobRun", "glue.amazonaws.com", ["glue:CreateJob", "glue:StartJobRun"], "scp"),
    ("iam:PassRole+glue:CreateJob+glue:CreateTrigger", "glue.amazonaws.com", ["glue:CreateJob", "glue:CreateTrigger"],
     "deny"),
    ("iam:PassRole+sagemaker:CreateNotebookInstance+sagemaker:CreatePresignedNotebookInstanceUrl",
     "sagemaker.amazonaws.com", ["sagemaker:CreateNotebookInstance", "sagemaker:CreatePresignedNotebookInstanceUrl"],
     "passrole-resource"),
    ("iam:PassRole+sagemaker:CreateTrainingJob", "sagemaker.amazonaws.com", ["sagemaker:CreateTrainingJob"], "no-trust"),
    ("iam:PassRole+sagemaker:CreateProcessingJob", "sagemaker.amazonaws.com", ["sagemaker:CreateProcessingJob"],
     "create-resource-scoped"),
    ("iam:PassRole+codebuild:CreateProject+codebuild:StartBuild", "codebuild.amazonaws.com",
     ["codebuild:CreateProject", "codebuild:StartBuild"], "boundary"),
    ("iam:PassRole+datapipeline:CreatePipeline+datapipeline:PutPipelineDefinition+datapipeline:ActivatePipeline",
     "datapipeline.amazonaws.com",
     ["datapipeline:CreatePipeline", "datapipeline:PutPipelineDefinition", "datapipeline:ActivatePipeline"], "scp"),
    ("iam:PassRole+ecs:RegisterTaskDefinition+ecs:RunTask", "ecs-tasks.amazonaws.com",
     ["ecs:RegisterTaskDefinition", "ecs:RunTask"], "passed-to-service"),
    ("iam:PassRole+ecs:RegisterTaskDefinition+ecs:StartTask", "ecs-tasks.amazonaws.com",
     ["ecs:RegisterTaskDefinition", "ecs:StartTask"], "deny"),
    ("iam:PassRole+ecs:RegisterTaskDefinition+ecs:CreateService", "ecs-tasks.amazonaws.com",
     ["ecs:RegisterTaskDefinition", "ecs:CreateService"], "passrole-resource"),
    ("iam:PassRole+states:CreateStateMachine+states:StartExecution", "states.amazonaws.com",
     ["states:CreateStateMachine", "states:StartExecution"], "trust-condition"),
    ("iam:PassRole+apprunner:CreateService", "tasks.apprunner.amazonaws.com", ["apprunner:CreateService"], "boundary"),
    ("iam:PassRole+ec2:RequestSpotInstances", "ec2.amazonaws.com", ["ec2:RequestSpotInstances"], "passed-to-service"),
    ("iam:PassRole+glue:CreateSession+glue:RunStatement", "glue.amazonaws.com", ["glue:CreateSession", "glue:RunStatement"],
     "no-trust"),
    ("iam:PassRole+codebuild:CreateProject+codebuild:StartBuildBatch", "codebuild.amazonaws.com",
     ["codebuild:CreateProject", "codebuild:StartBuildBatch"], "scp"),
    ("iam:PassRole+bedrock-agentcore:CreateCodeInterpreter+bedrock-agentcore:StartCodeInterpreterSession"
     "+bedrock-agentcore:InvokeCodeInterpreter", "bedrock-agentcore.amazonaws.com",
     ["bedrock-agentcore:CreateCodeInterpreter", "bedrock-agentcore:StartCodeInterpreterSession",
      "bedrock-agentcore:InvokeCodeInterpreter"], "deny"),
    ("iam:PassRole+batch:RegisterJobDefinition+batch:SubmitJob", "ecs-tasks.amazonaws.com",
     ["batch:RegisterJobDefinition", "batch:SubmitJob"], "passed-to-service"),
    ("iam:PassRole+codestar:CreateProject", "codestar.amazonaws.com", ["codestar:CreateProject"], "passrole-resource"),
]


# The iam:PassedToService value where it is not the service the role trusts.
PASSED_TO = {"tasks.apprunner.amazonaws.com": "apprunner.amazonaws.com"}
PASSED_TO_BY_METHOD = {"iam:PassRole+batch:RegisterJobDefinition+batch:SubmitJob": "batch.amazonaws.com"}


def _pass_role_estate(method: str, service: str, actions: list[str], blocker: str = ""):
    passed_to = "cloudformation.amazonaws.com" if blocker == "passed-to-service" and service != "cloudformation.amazonaws.com" \
        else PASSED_TO_BY_METHOD.get(method) or PASSED_TO.get(service, service)
    passable = role_arn("other") if blocker == "passrole-resource" else TARGET
    statements = [allow(actions), allow("iam:PassRole", passable,
                                        condition={"StringEquals": {"iam:PassedToService": passed_to}})]
    if blocker == "create-resource-scoped":
        # The create action is allowed only on a resource of another account: nothing it may create here.
        statements = [allow(actions, "arn:aws:sagemaker:*:444444444444:*"), statements[1]]
    trust = service_trust(service)
    if blocker == "no-trust":
        trust = service_trust("ec2.amazonaws.com" if service != "ec2.amazonaws.com" else "lambda.amazonaws.com")
    elif blocker == "trust-condition":
        trust = trusts({"Service": service}, condition={"StringEquals": {"aws:SourceAccount": "444444444444"}})
    control = blocker if blocker in ("boundary", "scp", "deny") else ""
    return _estate(statements, trust=trust, profile=blocker != "no-instance-profile", blocker=control,
                   last_action=actions[-1])


@pytest.mark.parametrize("method, service, actions, blocker", PASS_ROLE_CASES, ids=[c[0] for c in PASS_ROLE_CASES])
def test_pass_role_to_new_resource(method, service, actions, blocker):
    [edge] = _escalations(_pass_role_estate(method, service, actions), method)
    assert edge.conditions == () and "iam:PassRole" in edge.permissions and edge.reference.startswith("https://")
    assert not _escalations(_pass_role_estate(method, service, actions, blocker), method), f"{blocker} should block {method}"


def test_ec2_without_instance_profile_is_possible_when_the_caller_can_make_one():
    actions = ["ec2:RunInstances", "iam:CreateInstanceProfile", "iam:AddRoleToInstanceProfile"]
    result = _estate([allow(actions), allow("iam:PassRole", TARGET)], trust=service_trust("ec2.amazonaws.com"))
    assert _escalations(result, "iam:PassRole+ec2:RunInstances")


def test_conditional_permission_makes_a_conditional_edge():
    mfa = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    result = _estate([allow(["lambda:CreateFunction", "lambda:InvokeFunction"], condition=mfa), allow("iam:PassRole", TARGET)],
                     trust=service_trust("lambda.amazonaws.com"))
    [edge] = _escalations(result, "iam:PassRole+lambda:CreateFunction+lambda:InvokeFunction")
    assert edge.conditions == ("aws:MultiFactorAuthPresent",)


def test_datapipeline_also_passes_emr_roles():
    to_pipeline = {"StringEquals": {"iam:PassedToService": "datapipeline.amazonaws.com"}}
    result = _estate([allow(["datapipeline:*"]), allow("iam:PassRole", TARGET, condition=to_pipeline)],
                     trust=service_trust("elasticmapreduce.amazonaws.com"))
    assert _escalations(result, "iam:PassRole+datapipeline:CreatePipeline+datapipeline:PutPipelineDefinition"
                                "+datapipeline:ActivatePipeline")


def test_emr_run_job_flow_needs_the_job_flow_role_and_a_passable_service_role():
    method = "iam:PassRole+elasticmapreduce:RunJobFlow"
    to_emr = {"StringEquals": {"iam:PassedToService": "elasticmapreduce.amazonaws.com"}}
    service_role = role("emr-service", service_trust("elasticmapreduce.amazonaws.com"))
    can_pass_both = [allow("elasticmapreduce:RunJobFlow"),
                     allow("iam:PassRole", [TARGET, role_arn("emr-service")], condition=to_emr)]
    result = _estate(can_pass_both, trust=service_trust("ec2.amazonaws.com"), profile=True, extra_roles=[service_role])
    [edge] = _escalations(result, method)
    assert edge.resources == (TARGET,)
    # The job flow role alone is not enough: the cluster needs a service role the caller may pass.
    only_target = [allow("elasticmapreduce:RunJobFlow"), allow("iam:PassRole", TARGET, condition=to_emr)]
    blocked = _estate(only_target, trust=service_trust("ec2.amazonaws.com"), profile=True, extra_roles=[service_role])
    assert not _escalations(blocked, method)


# --- existing resources that run as a role -----------------------------------------------------------

def _instance(state: str = "running", profile: str = "target") -> dict[str, Any]:
    instance = {"InstanceId": "i-1", "Placement": {"AvailabilityZone": "us-east-1a"}, "State": {"Name": state}}
    if profile:
        instance["IamInstanceProfile"] = {"Arn": f"arn:aws:iam::{A}:instance-profile/{profile}"}
    return {"Instances": [instance]}


SSM_ONLINE = {"ssm": {"InstanceInformationList": [{"InstanceId": "i-1", "PingStatus": "Online"}]}}


def _ecs_service(role: str, exec_enabled: bool = True) -> dict[str, Any]:
    definition = f"arn:aws:ecs:{REGION}:{A}:task-definition/td:1"
    return {"ecs": {"TaskDefinitions": [{"taskDefinitionArn": definition, "family": "td", "taskRoleArn": role}],
                    "Services": [{"serviceArn": f"arn:aws:ecs:{REGION}:{A}:service/c/svc", "serviceName": "svc",
                                  "clusterArn": f"arn:aws:ecs:{REGION}:{A}:cluster/c", "taskDefinition": definition,
                                  "enableExecuteCommand": exec_enabled, "runningCount": 1}]}}


RESOURCES = {
    "lambda": lambda role: {"lambda": {"Functions": [{"FunctionArn": f"arn:aws:lambda:{REGION}:{A}:function:fn",
                                                      "FunctionName": "fn", "Role": role, "Region": REGION}]}},
    "ec2": lambda role: {"ec2": _instance(), **SSM_ONLINE},
    "ec2-profiled": lambda role: {"ec2": _instance(profile="current"), **SSM_ONLINE},
    "ec2-profiled-unmanaged": lambda role: {"ec2": _instance(profile="current")},
    "ec2-bare": lambda role: {"ec2": _instance(profile=""), **SSM_ONLINE},
    "ecs-exec": _ecs_service,
    "ecs-exec-disabled": lambda role: _ecs_service(role, exec_enabled=False),
    "jobdef": lambda role: {"batch": {"JobDefinitions": [{
        "jobDefinitionArn": f"arn:aws:batch:{REGION}:{A}:job-definition/jd:1", "jobDefinitionName": "jd",
        "containerProperties": {"jobRoleArn": role} if role else {}}]}},
    "ec2-stopped": lambda role: {"ec2": _instance("stopped")},
    "ec2-unmanaged": lambda role: {"ec2": _instance()},
    "stack": lambda role: {"cloudformation": {"Stacks": [{"StackId": f"arn:aws:cloudformation:{REGION}:{A}:stack/st/1",
                                                          "StackName": "st", "RoleARN": role}]}},
    "project": lambda role: {"codebuild": {"Projects": [{"arn": f"arn:aws:codebuild:{REGION}:{A}:project/p", "name": "p",
                                                         "serviceRole": role}]}},
    "endpoint": lambda role: {"glue": {"DevEndpoints": [{"EndpointName": "e", "RoleArn": role, "Region": REGION}]}},
    "job": lambda role: {"glue": {"Jobs": [{"Name": "j", "Role": role, "Region": REGION}]}},
    "notebook": lambda role: {"sagemaker": {"NotebookInstances": [{
        "NotebookInstanceArn": f"arn:aws:sagemaker:{REGION}:{A}:notebook-instance/nb", "NotebookInstanceName": "nb",
        "RoleArn": role}]}},
    "taskdef": lambda role: {"ecs": {"TaskDefinitions": [{"taskDefinitionArn": f"arn:aws:ecs:{REGION}:{A}:task-definition/td:1",
                                                          "family": "td", "taskRoleArn": role}]}},
    "apprunner": lambda role: {"apprunner": {"Services": [{"ServiceArn": f"arn:aws:apprunner:{REGION}:{A}:service/svc/1",
                                                           "ServiceName": "svc", "InstanceConfiguration": {"InstanceRoleArn": role}}]}},
}

EXISTING_CASES = [
    # (method, actions, resources, blocker: a RESOURCES key (a look-alike resource), "no-role", a control, or "scoped")
    ("lambda:UpdateFunctionCode", ["lambda:UpdateFunctionCode"], "lambda", "no-role"),
    ("lambda:UpdateFunctionConfiguration", ["lambda:UpdateFunctionConfiguration"], "lambda", "scoped"),
    ("ec2:ModifyInstanceAttribute+ec2:StopInstances+ec2:StartInstances",
     ["ec2:ModifyInstanceAttribute", "ec2:StopInstances", "ec2:StartInstances"], "ec2", "deny"),
    ("ec2-instance-connect:SendSSHPublicKey", ["ec2-instance-connect:SendSSHPublicKey"], "ec2", "ec2-stopped"),
    ("ssm:SendCommand", ["ssm:SendCommand"], "ec2", "ec2-unmanaged"),
    ("ssm:StartSession", ["ssm:StartSession"], "ec2", "scp"),
    ("cloudformation:UpdateStack", ["cloudformation:UpdateStack"], "stack", "no-role"),
    ("cloudformation:CreateChangeSet+cloudformation:ExecuteChangeSet@existing-stack",
     ["cloudformation:CreateChangeSet", "cloudformation:ExecuteChangeSet"], "stack", "boundary"),
    ("glue:UpdateDevEndpoint", ["glue:UpdateDevEndpoint"], "endpoint", "scoped"),
    ("iam:PassRole+glue:UpdateJob+glue:StartJobRun", ["glue:UpdateJob", "glue:StartJobRun", "iam:PassRole"], "job",
     "passrole-resource"),
    ("sagemaker:CreatePresignedNotebookInstanceUrl", ["sagemaker:CreatePresignedNotebookInstanceUrl"], "notebook", "deny"),
    ("codebuild:StartBuild", ["codebuild:StartBuild"], "project", "scoped"),
    ("codebuild:StartBuildBatch", ["codebuild:StartBuildBatch"], "project", "no-role"),
    ("codebuild:UpdateProject+codebuild:StartBuild", ["codebuild:UpdateProject", "codebuild:StartBuild"], "project", "scp"),
    ("iam:PassRole+ecs:RunTask@existing-task-definition", ["ecs:RunTask", "iam:PassRole"], "taskdef", "passrole-resource"),
    ("apprunner:UpdateService", ["apprunner:UpdateService"], "apprunner", "boundary"),
    ("sagemaker:CreateNotebookInstanceLifecycleConfig+sagemaker:UpdateNotebookInstance",
     ["sagemaker:CreateNotebookInstanceLifecycleConfig", "sagemaker:StopNotebookInstance", "sagemaker:UpdateNotebookInstance",
      "sagemaker:StartNotebookInstance"], "notebook", "no-role"),
    ("ecs:ExecuteCommand", ["ecs:ExecuteCommand"], "ecs-exec", "ecs-exec-disabled"),
    ("batch:SubmitJob@existing-job-definition", ["batch:SubmitJob"], "jobdef", "scoped"),
]


def _existing_estate(actions: list[str], kind: str, blocker: str = ""):
    role = "" if blocker == "no-role" else TARGET
    resources = RESOURCES[blocker if blocker in RESOURCES else kind](role)
    non_pass = [a for a in actions if a != "iam:PassRole"]
    scope = "arn:aws:*:*:*:*/other*" if blocker == "scoped" else "*"
    statements = [allow(non_pass, scope)]
    if "iam:PassRole" in actions:
        statements.append(allow("iam:PassRole", role_arn("other") if blocker == "passrole-resource" else TARGET))
    control = blocker if blocker in ("boundary", "scp", "deny") else ""
    return _estate(statements, profile=True, resources=resources, blocker=control, last_action=non_pass[-1])


@pytest.mark.parametrize("method, actions, kind, blocker", EXISTING_CASES, ids=[c[0] for c in EXISTING_CASES])
def test_use_existing_resource(method, actions, kind, blocker):
    [edge] = _escalations(_existing_estate(actions, kind), method)
    assert len(edge.resources) == 2 and edge.resources[1] == TARGET
    assert not _escalations(_existing_estate(actions, kind, blocker), method), f"{blocker} should block {method}"


# --- switching an existing resource to another role ---------------------------------------------------

RESOURCES["service"] = lambda role: {"ecs": {"Services": [{"serviceArn": f"arn:aws:ecs:{REGION}:{A}:service/c/svc",
                                                            "serviceName": "svc", "taskDefinition": "td:1"}]}}

SWITCH_CASES = [
    # (method, service the target role trusts, actions, existing resource, blocker of the look-alike)
    ("iam:PassRole+lambda:UpdateFunctionConfiguration", "lambda.amazonaws.com", ["lambda:UpdateFunctionConfiguration"],
     "lambda", "no-resource"),
    ("iam:PassRole+cloudformation:UpdateStack", "cloudformation.amazonaws.com", ["cloudformation:UpdateStack"], "stack",
     "scoped"),
    ("iam:PassRole+codebuild:UpdateProject+codebuild:StartBuild", "codebuild.amazonaws.com",
     ["codebuild:UpdateProject", "codebuild:StartBuild"], "project", "passrole-resource"),
    ("iam:PassRole+ecs:RegisterTaskDefinition+ecs:UpdateService", "ecs-tasks.amazonaws.com",
     ["ecs:RegisterTaskDefinition", "ecs:UpdateService"], "service", "deny"),
    ("iam:PassRole+apprunner:UpdateService", "tasks.apprunner.amazonaws.com", ["apprunner:UpdateService"], "apprunner",
     "passed-to-service"),
    # An instance with no profile takes one; the look-alike already has one (it must be replaced instead).
    ("iam:PassRole+ec2:AssociateIamInstanceProfile", "ec2.amazonaws.com",
     ["ec2:AssociateIamInstanceProfile", "ssm:StartSession"], "ec2-bare", "ec2-profiled"),
    # The look-alike instance is not SSM-managed: the caller cannot run code on it.
    ("iam:PassRole+ec2:ReplaceIamInstanceProfileAssociation", "ec2.amazonaws.com",
     ["ec2:ReplaceIamInstanceProfileAssociation", "ssm:SendCommand"], "ec2-profiled", "ec2-profiled-unmanaged"),
]


def _switch_estate(service: str, actions: list[str], kind: str, blocker: str = ""):
    scope = "arn:aws:*:*:*:*/other*" if blocker == "scoped" else "*"
    passed_to = "glue.amazonaws.com" if blocker == "passed-to-service" else PASSED_TO.get(service, service)
    passable = role_arn("other") if blocker == "passrole-resource" else TARGET
    statements = [allow(actions, scope), allow("iam:PassRole", passable,
                                               condition={"StringEquals": {"iam:PassedToService": passed_to}})]
    resources = {} if blocker == "no-resource" else RESOURCES[blocker if blocker in RESOURCES else kind](role_arn("current"))
    return _estate(statements, trust=service_trust(service), resources=resources, profile=True,
                   blocker=blocker if blocker in ("boundary", "scp", "deny") else "", last_action=actions[-1])


@pytest.mark.parametrize("method, service, actions, kind, blocker", SWITCH_CASES, ids=[c[0] for c in SWITCH_CASES])
def test_switch_existing_resource_to_a_passed_role(method, service, actions, kind, blocker):
    [edge] = _escalations(_switch_estate(service, actions, kind), method)
    assert edge.resources[0] == TARGET and len(edge.resources) == 2
    assert not _escalations(_switch_estate(service, actions, kind, blocker), method), f"{blocker} should block {method}"


def test_a_profile_swap_reaches_an_unmanaged_instance_through_its_user_data():
    method = "iam:PassRole+ec2:ReplaceIamInstanceProfileAssociation"
    user_data = ["ec2:ModifyInstanceAttribute", "ec2:StopInstances", "ec2:StartInstances"]
    swap = ["ec2:ReplaceIamInstanceProfileAssociation", *user_data]
    assert _escalations(_switch_estate("ec2.amazonaws.com", swap, "ec2-profiled-unmanaged"), method)
    # Without stopping it, new user data never runs.
    no_stop = [a for a in swap if a != "ec2:StopInstances"]
    assert not _escalations(_switch_estate("ec2.amazonaws.com", no_stop, "ec2-profiled-unmanaged"), method)


def test_ecs_exec_needs_a_running_task():
    resources = _ecs_service(TARGET)
    resources["ecs"]["Services"][0]["runningCount"] = 0
    assert not _escalations(_estate([allow("ecs:ExecuteCommand")], resources=resources), "ecs:ExecuteCommand")
    # ExecuteCommand is authorized on the cluster and on the task: allowed on another cluster's tasks only, no edge.
    other = f"arn:aws:ecs:{REGION}:{A}:task/other/*"
    blocked = _estate([allow("ecs:ExecuteCommand", [f"arn:aws:ecs:{REGION}:{A}:cluster/c", other])],
                      resources=_ecs_service(TARGET))
    assert not _escalations(blocked, "ecs:ExecuteCommand")


# --- IAM -------------------------------------------------------------------------------------------

def _report(user_name: str, **fields: str) -> list[dict[str, str]]:
    return [{"user": user_name, "arn": user_arn(user_name), **fields}]


def test_create_access_key_and_the_two_key_limit():
    victim = user("victim", ADMIN)
    result = _estate([allow("iam:CreateAccessKey", user_arn("victim"))], extra_users=[victim])
    assert _escalations(result, "iam:CreateAccessKey", user_arn("victim"))
    full = _report("victim", access_key_1_active="true", access_key_2_active="true")
    blocked = _estate([allow("iam:CreateAccessKey", user_arn("victim"))], extra_users=[victim], report=full)
    assert not _escalations(blocked, "iam:CreateAccessKey", user_arn("victim"))
    with_delete = _estate([allow(["iam:CreateAccessKey", "iam:DeleteAccessKey"], user_arn("victim"))],
                          extra_users=[victim], report=full)
    assert _escalations(with_delete, "iam:CreateAccessKey", user_arn("victim"))


@pytest.mark.parametrize("method, password", [("iam:CreateLoginProfile", "false"), ("iam:UpdateLoginProfile", "true")])
def test_login_profile_matches_whether_the_user_has_a_password(method, password):
    victim = user("victim", ADMIN)
    result = _estate([allow(method)], extra_users=[victim], report=_report("victim", password_enabled=password))
    assert _escalations(result, method, user_arn("victim"))
    other = "true" if password == "false" else "false"
    blocked = _estate([allow(method)], extra_users=[victim], report=_report("victim", password_enabled=other))
    assert not _escalations(blocked, method, user_arn("victim"))


def test_update_assume_role_policy_then_assume():
    method = "iam:UpdateAssumeRolePolicy+sts:AssumeRole"
    assert _escalations(_estate([allow("iam:UpdateAssumeRolePolicy")]), method)
    # Assuming the role is still subject to the caller's SCPs.
    blocked = _estate([allow("iam:UpdateAssumeRolePolicy")], blocker="scp", last_action="sts:AssumeRole")
    assert not _escalations(blocked, method)
    linked = role("AWSServiceRoleForX", service_trust("x.amazonaws.com"), ADMIN, path="/aws-service-role/x.amazonaws.com/")
    result = _estate([allow("iam:UpdateAssumeRolePolicy")], extra_roles=[linked])
    assert not _escalations(result, method, linked["Arn"])


def test_add_user_to_group():
    admins = group("admins", ADMIN)
    result = _estate([allow("iam:AddUserToGroup", group_arn("admins"))], groups=[admins])
    assert _escalations(result, "iam:AddUserToGroup", group_arn("admins"))
    blocked = _estate([allow("iam:AddUserToGroup", group_arn("readers"))], groups=[admins])
    assert not _escalations(blocked, "iam:AddUserToGroup", group_arn("admins"))


# --- rewriting one's own permissions: admin-equivalence ------------------------------------------------

def _admin(result, principal: str = ATTACKER) -> str | None:
    return result.admin.get(principal)


def test_put_user_policy_on_oneself_and_the_boundary_that_caps_it():
    assert "iam:PutUserPolicy" in _admin(_estate([allow("iam:PutUserPolicy", ATTACKER)]))
    # On another user only: nothing for the attacker.
    assert _admin(_estate([allow("iam:PutUserPolicy", user_arn("someone"))])) is None
    capped = _estate([allow("iam:PutUserPolicy", ATTACKER)], blocker="boundary", last_action="s3:GetObject")
    assert _admin(capped) is None
    escaping = _estate([allow(["iam:PutUserPolicy", "iam:DeleteUserPermissionsBoundary"], ATTACKER)], blocker="boundary",
                       last_action="s3:GetObject")
    assert "iam:PutUserPolicy" in _admin(escaping)
    # An SCP denying the write leaves nothing to escalate with (PMapper issue #94).
    assert _admin(_estate([allow("iam:PutUserPolicy", ATTACKER)], blocker="scp", last_action="iam:PutUserPolicy")) is None


def test_attach_user_policy_respects_the_policy_arn_condition():
    only_readonly = {"ArnEquals": {"iam:PolicyARN": "arn:aws:iam::aws:policy/ReadOnlyAccess"}}
    assert "iam:AttachUserPolicy" in _admin(_estate([allow("iam:AttachUserPolicy", ATTACKER)]))
    assert _admin(_estate([allow("iam:AttachUserPolicy", ATTACKER, condition=only_readonly)])) is None


@pytest.mark.parametrize("action", ["iam:PutGroupPolicy", "iam:AttachGroupPolicy"])
def test_group_policy_on_a_group_one_is_in(action):
    devs = group("devs")
    assert action in _admin(_estate([allow(action, group_arn("devs"))], groups=[devs], attacker_groups=["devs"]))
    assert _admin(_estate([allow(action, group_arn("devs"))], groups=[devs])) is None


@pytest.mark.parametrize("action", ["iam:PutRolePolicy", "iam:AttachRolePolicy"])
def test_role_policy_on_itself_or_on_a_role_one_can_assume(action):
    mine = role("mine", trusts({"AWS": ATTACKER}))
    result = _estate([allow(action, role_arn("mine"))], extra_roles=[mine])
    assert action in _admin(result)
    # A role that rewrites its own policy.
    self_writer = role("writer", trusts({"AWS": A}), doc(allow(action, role_arn("writer"))))
    assert action in _admin(_estate([], extra_roles=[self_writer]), role_arn("writer"))
    # Only with MFA: conditional, so not admin-equivalent.
    mfa = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    assert _admin(_estate([allow(action, role_arn("mine"), condition=mfa)], extra_roles=[mine])) is None
    # A role it cannot assume gives it nothing.
    other = role("other", trusts({"AWS": role_arn("nobody")}))
    assert _admin(_estate([allow(action, role_arn("other"))], extra_roles=[other])) is None


def test_create_policy_version_of_a_customer_policy_that_applies_to_oneself():
    mine = policy_arn("mine")
    devs = group("devs", managed=[mine])  # the policy applies to the attacker through this group
    result = _estate([allow("iam:CreatePolicyVersion", mine)], policies=[managed(mine, doc(allow("s3:ListAllMyBuckets")))],
                     groups=[devs], attacker_groups=["devs"])
    assert "iam:CreatePolicyVersion" in _admin(result)
    unattached = _estate([allow("iam:CreatePolicyVersion", mine)], policies=[managed(mine, doc(allow("s3:ListAllMyBuckets")))],
                         groups=[devs])
    assert _admin(unattached) is None


def test_set_default_policy_version_needs_a_powerful_older_version():
    mine = policy_arn("mine")
    devs = group("devs", managed=[mine])
    powerful = managed(mine, doc(allow("s3:ListAllMyBuckets")), ADMIN)
    harmless = managed(mine, doc(allow("s3:ListAllMyBuckets")), doc(allow("s3:GetObject")))
    result = _estate([allow("iam:SetDefaultPolicyVersion", mine)], policies=[powerful], groups=[devs], attacker_groups=["devs"])
    assert "iam:SetDefaultPolicyVersion" in _admin(result)
    blocked = _estate([allow("iam:SetDefaultPolicyVersion", mine)], policies=[harmless], groups=[devs], attacker_groups=["devs"])
    assert _admin(blocked) is None


def test_create_role_and_attach_admin():
    actions = ["iam:CreateRole", "iam:AttachRolePolicy"]
    assert "create a role" in _admin(_estate([allow(actions)]))
    must_set_boundary = {"StringEquals": {"iam:PermissionsBoundary": policy_arn("boundary")}}
    assert _admin(_estate([allow("iam:CreateRole", condition=must_set_boundary), allow("iam:AttachRolePolicy")])) is None


# --- admin-equivalence: all-powerful ------------------------------------------------------------------

def test_all_powerful_within_the_scp_ceiling_and_with_conditional_denies():
    org = organization({A: ROOT}, scps=[("p-stay", doc(deny("organizations:LeaveOrganization")), [ROOT])])
    mfa_deny = deny("*", condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}})
    result = run({A: account(users=[user("admin", ADMIN), user("mfa", doc(allow("*"), mfa_deny)),
                                    user("almost", doc(allow(None, not_actions=["iam:*"])))])}, org)
    assert "every action" in result.admin[user_arn("admin")]
    assert "aws:MultiFactorAuthPresent" in result.admin[user_arn("mfa")]
    assert user_arn("almost") not in result.admin
    assert result.admin[f"arn:aws:iam::{A}:root"].startswith("account root user")


def test_all_powerful_sources_get_one_edge_per_target():
    result = _estate([allow("*")], trust=service_trust("lambda.amazonaws.com"))
    to_target = edges(result, ATTACKER, TARGET)
    assert [e.method for e in to_target] == ["iam:UpdateAssumeRolePolicy+sts:AssumeRole"]


def test_every_method_has_an_id_reference_permissions_and_a_test():
    ids = [m.id for m in methods()]
    assert len(ids) == len(set(ids))
    tested = {c[0] for c in PASS_ROLE_CASES} | {c[0] for c in EXISTING_CASES} | {c[0] for c in SWITCH_CASES} | {
        "iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile", "iam:UpdateAssumeRolePolicy+sts:AssumeRole",
        "iam:AddUserToGroup", "iam:PutUserPolicy", "iam:AttachUserPolicy", "iam:PutGroupPolicy", "iam:AttachGroupPolicy",
        "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion",
        "iam:CreateRole+iam:AttachRolePolicy+sts:AssumeRole", "iam:PassRole+elasticmapreduce:RunJobFlow"}
    assert set(ids) == tested
    for method in methods():
        assert method.reference.startswith("https://") and method.permissions


def test_the_documented_table_lists_every_method(repo_root):
    table = (repo_root / "docs" / "aws-escalation.md").read_text()
    missing = [m.id for m in methods() if f"| `{m.id}` |" not in table]
    assert not missing, f"docs/aws-escalation.md lacks {missing}"
