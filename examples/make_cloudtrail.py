"""Write the CloudTrail sample of the Northwind demo estate (examples/aws-demo-cloudtrail/).

    .venv/bin/python examples/make_cloudtrail.py [OUT]

Every record is written out below, by hand, from the estate in make_demo.py: who did what, when, on
which resource. Ids (unique ids, access keys, event ids) derive from names, so a re-run reproduces
the files byte for byte. The logs run from 2026-08-01 to 2026-11-28; the tests read them with the
window ending 2026-11-28T02:00:00Z. Each identity's last event falls at the last-used time
the estate's credential report or RoleLastUsed gives it, so the logs and the export agree.

Files, in three of the formats ciem reads: one CloudTrail document per account and month, as
CloudTrail writes them to S3 (management and prod, ``.json``; prod's November gzipped as
``.json.gz``), and dev as JSON lines (``.jsonl``, one record per line).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import sys
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_demo import DEV, MANAGEMENT, PROD, REGION, fake_id  # noqa: E402

OUT = Path(__file__).resolve().parent / "aws-demo-cloudtrail"
GLOBAL_REGION = "us-east-1"  # IAM, STS global endpoint and Organizations events land here
REPORTS = "northwind-prod-reports"
PROD_ARTIFACTS = "northwind-prod-artifacts"
DEV_ARTIFACTS = "northwind-dev-artifacts"
PROD_DATA_KEY = f"arn:aws:kms:{REGION}:{PROD}:key/2f211e34-e247-4aac-a9a2-f8bca7c9803b"
ORDERS_KEY = f"arn:aws:kms:{REGION}:{PROD}:key/d508d60e-5329-42cb-a83c-8b86e085fe32"
ORDERS_SECRET = f"arn:aws:secretsmanager:{REGION}:{PROD}:secret:prod/orders/db-Xk29Qa"
ORDERS_QUEUE = f"arn:aws:sqs:{REGION}:{PROD}:orders-events"
CORE_STACK = f"arn:aws:cloudformation:{REGION}:{PROD}:stack/northwind-core/8c1d4e10-5f2a-11ee-9a3b-0a1b2c3d4e5f"
WEB_STACK = f"arn:aws:cloudformation:{REGION}:{DEV}:stack/northwind-web/41b7a0c0-6b2e-11ee-8c1d-0a9b8c7d6e5f"
WEB_REPOSITORY = f"arn:aws:ecr:{REGION}:{DEV}:repository/northwind-web"


def access_key(account: str, user: str) -> str:
    """The long-term key a machine user signs with (the credential report's access key 1)."""
    return fake_id("AKIA", account, "access-key", user, "1", length=16)


class Who:
    """A caller: an IAM user, or a session of a role (``session`` names it)."""

    def __init__(self, account: str, kind: str, name: str, path: str = "/", session: str = "", key: str = "",
                 source_account: str = "", invoked_by: str = ""):
        self.account, self.kind, self.name, self.path = account, kind, name, path
        self.session, self.key, self.invoked_by = session, key, invoked_by
        self.source_account = source_account or account

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{self.account}:{self.kind}{self.path}{self.name}"

    def session_key(self) -> str:
        return fake_id("ASIA", self.account, self.kind, self.name, self.session, length=16)

    def with_session(self, session: str, invoked_by: str = "") -> "Who":
        return Who(self.account, self.kind, self.name, self.path, session, self.key, self.source_account, invoked_by)

    def user_identity(self, when: str) -> dict[str, Any]:
        if self.kind == "user":
            identity = {
                "type": "IAMUser",
                "principalId": fake_id("AIDA", self.account, "user", self.name),
                "arn": self.arn,
                "accountId": self.account,
                "accessKeyId": self.key or self.session_key(),
                "userName": self.name,
            }
            if not self.key:  # a console session
                identity["sessionContext"] = {"attributes": {"creationDate": when, "mfaAuthenticated": "true"}}
            return identity
        role_id = fake_id("AROA", self.account, "role", self.name)
        identity = {
            "type": "AssumedRole",
            "principalId": f"{role_id}:{self.session}",
            "arn": f"arn:aws:sts::{self.account}:assumed-role/{self.name}/{self.session}",
            "accountId": self.account,
            "accessKeyId": self.session_key(),
            "sessionContext": {
                "sessionIssuer": {"type": "Role", "principalId": role_id, "arn": self.arn,
                                  "accountId": self.account, "userName": self.name},
                "attributes": {"creationDate": when, "mfaAuthenticated": "false"},
            },
        }
        if self.invoked_by:
            identity["invokedBy"] = self.invoked_by
        return identity


def user(account: str, name: str, key: str = "") -> Who:
    return Who(account, "user", name, key=key)


def role(account: str, name: str, session: str, path: str = "/", invoked_by: str = "") -> Who:
    return Who(account, "role", name, path, session, invoked_by=invoked_by)


EVENTS: list[dict[str, Any]] = []
# Operations CloudTrail logs as data events (a trail records them only when asked to).
DATA_EVENTS = frozenset({
    ("s3.amazonaws.com", "GetObject"), ("s3.amazonaws.com", "PutObject"), ("s3.amazonaws.com", "ListObjectsV2"),
    ("lambda.amazonaws.com", "Invoke"), ("sqs.amazonaws.com", "SendMessage"),
})


def event(when: str, who: Who, source: str, name: str, *, region: str = REGION, parameters: dict | None = None,
          resources: list[tuple[str, str]] = (), response: dict | None = None, error: str = "",
          read_only: bool = True, recipient: str = "") -> None:
    """Append one record; ``resources`` are (CloudTrail type, ARN) pairs."""
    record = {
        "eventVersion": "1.09",
        "userIdentity": who.user_identity(when),
        "eventTime": when,
        "eventSource": source,
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": who.invoked_by or "203.0.113.10",
        "userAgent": who.invoked_by or "aws-cli/2.17.0",
        "requestParameters": parameters,
        "responseElements": response,
        "requestID": str(uuid.UUID(bytes=hashlib.sha256(f"req/{len(EVENTS)}".encode()).digest()[:16])),
        "eventID": str(uuid.UUID(bytes=hashlib.sha256(f"event/{len(EVENTS)}".encode()).digest()[:16])),
        "readOnly": read_only,
        "eventType": "AwsApiCall",
        "managementEvent": (source, name) not in DATA_EVENTS,
        "recipientAccountId": recipient or who.account,
        "eventCategory": "Data" if (source, name) in DATA_EVENTS else "Management",
    }
    if error:
        record["errorCode"] = error
        record["errorMessage"] = f"User: {record['userIdentity']['arn']} is not authorized to perform this operation"
    if resources:
        record["resources"] = [{"accountId": arn.split(":")[4] or who.account, "type": kind, "ARN": arn}
                               for kind, arn in resources]
    EVENTS.append(record)


def assume(when: str, caller: Who, target: Who, **parameters: Any) -> Who:
    """An sts:AssumeRole by ``caller`` into ``target``; returns the session it opens."""
    event(when, caller, "sts.amazonaws.com", "AssumeRole", region=GLOBAL_REGION,
          parameters={"roleArn": target.arn, "roleSessionName": target.session, **parameters},
          response={"credentials": {"accessKeyId": target.session_key(), "expiration": when,
                                    "sessionToken": "IQoJb3JpZ2luX2VjEXAMPLE"},
                    "assumedRoleUser": {"assumedRoleId": f"{fake_id('AROA', target.account, 'role', target.name)}:{target.session}",
                                        "arn": f"arn:aws:sts::{target.account}:assumed-role/{target.name}/{target.session}"}},
          resources=[("AWS::IAM::Role", target.arn)], recipient=target.account)
    return target


def s3_object(when: str, who: Who, name: str, bucket: str, key: str, **extra: Any) -> None:
    arn = f"arn:aws:s3:::{bucket}"
    event(when, who, "s3.amazonaws.com", name, parameters={"bucketName": bucket, "key": key},
          resources=[("AWS::S3::Object", f"{arn}/{key}"), ("AWS::S3::Bucket", arn)],
          read_only=name.startswith("Get"), **extra)


def s3_list(when: str, who: Who, bucket: str, prefix: str) -> None:
    event(when, who, "s3.amazonaws.com", "ListObjectsV2", parameters={"bucketName": bucket, "prefix": prefix, "list-type": "2"},
          resources=[("AWS::S3::Bucket", f"arn:aws:s3:::{bucket}")])


# ---------------------------------------------------------------------------------------- management


def management_activity() -> None:
    alice, bob = user(MANAGEMENT, "alice"), user(MANAGEMENT, "bob")
    event("2026-10-02T09:14:00Z", alice, "iam.amazonaws.com", "GetAccountSummary", region=GLOBAL_REGION)
    event("2026-11-27T16:41:09Z", alice, "iam.amazonaws.com", "ListUsers", region=GLOBAL_REGION)
    alice_in_prod = assume("2026-11-02T13:58:00Z", alice, role(PROD, "OrganizationAccountAccessRole", "alice"))
    event("2026-11-02T14:00:00Z", alice_in_prod, "iam.amazonaws.com", "ListRoles", region=GLOBAL_REGION)
    alice_in_dev = assume("2026-10-12T08:58:00Z", alice, role(DEV, "OrganizationAccountAccessRole", "alice"))
    event("2026-10-12T09:00:00Z", alice_in_dev, "iam.amazonaws.com", "ListRoles", region=GLOBAL_REGION)
    alice_dev_admin = assume("2026-11-21T09:58:00Z", alice, role(DEV, "DevAdmin", "alice"))
    event("2026-11-21T10:00:00Z", alice_dev_admin, "iam.amazonaws.com", "ListPolicies", region=GLOBAL_REGION)

    for account in (PROD, DEV):
        audit = assume("2026-11-26T10:02:44Z", bob, role(account, "NorthwindAudit", "bob"), externalId="nw-audit-7f3a91")
        event("2026-11-27T03:00:00Z", audit, "iam.amazonaws.com", "GetAccountAuthorizationDetails", region=GLOBAL_REGION)

    event("2026-11-20T22:17:31Z", user(MANAGEMENT, "carol"), "monitoring.amazonaws.com", "GetMetricData")
    event("2026-11-25T09:30:12Z", user(MANAGEMENT, "frank"), "support.amazonaws.com", "DescribeCases", region=GLOBAL_REGION)
    event("2026-11-27T08:00:00Z", role(MANAGEMENT, "OrgAdmin", "alice@northwind.example"),
          "organizations.amazonaws.com", "DescribeOrganization", region=GLOBAL_REGION)


# ---------------------------------------------------------------------------------------------- prod


def prod_activity() -> None:
    gina = user(PROD, "gina")
    event("2026-11-24T11:11:11Z", gina, "support.amazonaws.com", "DescribeCases", region=GLOBAL_REGION)
    # Denied by the SCP ProtectIAMInProd: a denied call is no use of a permission.
    event("2026-11-24T11:15:00Z", gina, "iam.amazonaws.com", "AttachUserPolicy", region=GLOBAL_REGION,
          parameters={"userName": "gina", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
          error="AccessDenied", read_only=False)

    harry = user(PROD, "harry")
    ops = assume("2026-11-19T03:10:00Z", harry, role(PROD, "ops", "harry"))
    event("2026-11-19T03:12:00Z", ops, "ssm.amazonaws.com", "SendCommand", read_only=False,
          parameters={"documentName": "AWS-RunShellScript", "instanceIds": ["i-0a1b2c3d4e5f60001"]},
          resources=[("AWS::EC2::Instance", f"arn:aws:ec2:{REGION}:{PROD}:instance/i-0a1b2c3d4e5f60001"),
                     ("AWS::SSM::Document", f"arn:aws:ssm:{REGION}::document/AWS-RunShellScript")])
    assume("2026-11-27T21:05:00Z", harry, role(PROD, "ops", "harry-2"))

    batch = role(PROD, "legacy-batch-admin", "i-0a1b2c3d4e5f60001")
    event("2026-11-27T21:58:00Z", batch, "ec2.amazonaws.com", "DescribeInstances")
    s3_object("2026-11-27T22:00:00Z", batch, "PutObject", PROD_ARTIFACTS, "batch/2026-11-27.tar.gz")

    reporting = role(PROD, "reporting-instance", "i-0a1b2c3d4e5f60002")
    for day in ("2026-09-05", "2026-10-05", "2026-11-27"):
        month = day[:7].replace("-", "/")
        s3_list(f"{day}T05:59:00Z", reporting, REPORTS, f"{month}/")
        s3_object(f"{day}T05:59:30Z", reporting, "GetObject", REPORTS, f"{month}/summary.csv")
        event(f"{day}T06:00:00Z", reporting.with_session("i-0a1b2c3d4e5f60002", invoked_by="s3.amazonaws.com"),
              "kms.amazonaws.com", "Decrypt", parameters={"encryptionAlgorithm": "SYMMETRIC_DEFAULT"},
              resources=[("AWS::KMS::Key", PROD_DATA_KEY)])

    orders = role(PROD, "orders-api-lambda", "orders-api", path="/service-role/")
    event("2026-11-28T01:58:00Z", orders, "logs.amazonaws.com", "CreateLogStream", read_only=False,
          parameters={"logGroupName": "/aws/lambda/orders-api", "logStreamName": "2026/11/28/[$LATEST]0f1e2d"})
    event("2026-11-28T01:58:10Z", orders, "logs.amazonaws.com", "PutLogEvents", read_only=False,
          parameters={"logGroupName": "/aws/lambda/orders-api", "logStreamName": "2026/11/28/[$LATEST]0f1e2d"})
    event("2026-11-28T01:58:20Z", orders, "secretsmanager.amazonaws.com", "GetSecretValue",
          parameters={"secretId": ORDERS_SECRET})
    event("2026-11-28T01:58:21Z", orders.with_session("orders-api", invoked_by="secretsmanager.amazonaws.com"),
          "kms.amazonaws.com", "Decrypt", parameters={"encryptionContext": {"SecretARN": ORDERS_SECRET}},
          resources=[("AWS::KMS::Key", ORDERS_KEY)])
    event("2026-11-28T01:59:00Z", orders, "sqs.amazonaws.com", "SendMessage", read_only=False,
          parameters={"queueUrl": f"https://sqs.{REGION}.amazonaws.com/{PROD}/orders-events"},
          resources=[("AWS::SQS::Queue", ORDERS_QUEUE)])

    vendor = role(PROD, "VendorMonitoring", "vendor-poller")
    event("2026-11-27T23:50:00Z", vendor, "monitoring.amazonaws.com", "ListMetrics")
    event("2026-11-27T23:55:00Z", vendor, "monitoring.amazonaws.com", "GetMetricData")


# ----------------------------------------------------------------------------------------------- dev


def dev_activity() -> None:
    ci_bot = user(DEV, "ci-bot", key=access_key(DEV, "ci-bot"))
    deploys = [("2026-08-01", "17:05:00"), ("2026-09-14", "17:05:00"), ("2026-10-20", "17:05:00"), ("2026-11-27", "17:11:00")]
    for number, (day, at) in enumerate(deploys, start=1):
        deploy = assume(f"{day}T{at}Z", ci_bot, role(DEV, "ci-deploy", f"deploy-{number}"))
        s3_object(f"{day}T17:11:10Z", deploy, "PutObject", DEV_ARTIFACTS, f"web/build-{number}.zip")
        event(f"{day}T17:11:20Z", deploy, "cloudformation.amazonaws.com", "UpdateStack", read_only=False,
              parameters={"stackName": WEB_STACK, "templateURL": f"https://{DEV_ARTIFACTS}.s3.amazonaws.com/web/stack.yml"})
        event(f"{day}T17:11:25Z", deploy, "cloudformation.amazonaws.com", "DescribeStacks",
              parameters={"stackName": WEB_STACK})
        if number == 1:  # before the 90-day window: the policy's self-management was last used in August
            event(f"{day}T17:11:28Z", deploy, "iam.amazonaws.com", "GetPolicyVersion", region=GLOBAL_REGION,
                  parameters={"policyArn": f"arn:aws:iam::{DEV}:policy/ci-deploy-policy", "versionId": "v2"})
        if number == len(deploys):
            promote = assume(f"{day}T17:11:30Z", deploy, role(PROD, "ProdDeployer", "promote-4"))
            s3_object(f"{day}T17:11:50Z", promote, "GetObject", PROD_ARTIFACTS, "web/build-4.zip")
            event("2026-11-27T17:12:00Z", promote, "cloudformation.amazonaws.com", "UpdateStack", read_only=False,
                  parameters={"stackName": CORE_STACK})
            cfn = role(PROD, "cfn-exec", "AWSCloudFormation", invoked_by="cloudformation.amazonaws.com")
            event("2026-11-27T17:13:00Z", cfn, "lambda.amazonaws.com", "UpdateFunctionConfiguration20150331v2",
                  read_only=False, parameters={"functionName": f"arn:aws:lambda:{REGION}:{PROD}:function:orders-api"},
                  resources=[("AWS::Lambda::Function", f"arn:aws:lambda:{REGION}:{PROD}:function:orders-api")])

    dana = user(DEV, "dana")
    scratch = f"arn:aws:lambda:{REGION}:{DEV}:function:scratch"
    # Denied by the SCP RestrictRegions.
    event("2026-11-27T14:50:00Z", dana, "lambda.amazonaws.com", "CreateFunction20150331", region="us-east-1",
          parameters={"functionName": "scratch"}, error="AccessDenied", read_only=False)
    event("2026-11-27T14:55:00Z", dana, "lambda.amazonaws.com", "CreateFunction20150331", read_only=False,
          parameters={"functionName": "scratch", "role": f"arn:aws:iam::{DEV}:role/service-role/lambda-basic"},
          response={"functionArn": scratch})
    event("2026-11-27T15:00:00Z", dana, "lambda.amazonaws.com", "Invoke", read_only=False,
          parameters={"functionName": scratch}, resources=[("AWS::Lambda::Function", scratch)])
    s3_object("2026-11-20T10:00:00Z", dana, "GetObject", REPORTS, "2026/11/summary.csv", recipient=PROD)

    event("2026-11-27T14:00:00Z", user(DEV, "ed"), "lambda.amazonaws.com", "ListFunctions20150331")
    event("2026-11-26T17:00:00Z", user(DEV, "fay"), "lambda.amazonaws.com", "GetFunction20150331v2",
          parameters={"functionName": "thumbnailer"},
          resources=[("AWS::Lambda::Function", f"arn:aws:lambda:{REGION}:{DEV}:function:thumbnailer")])
    event("2026-11-27T11:00:00Z", user(DEV, "gus"), "lambda.amazonaws.com", "ListFunctions20150331")
    event("2026-11-27T18:30:00Z", user(DEV, "ivan"), "iam.amazonaws.com", "GetRole", region=GLOBAL_REGION,
          parameters={"roleName": "DevAdmin"}, resources=[("AWS::IAM::Role", f"arn:aws:iam::{DEV}:role/DevAdmin")])

    # Lambda assumes the function's role as a service (a record of no identity of the estate).
    basic = role(DEV, "lambda-basic", "thumbnailer", path="/service-role/")
    EVENTS.append({
        "eventVersion": "1.09", "eventTime": "2026-11-27T18:59:50Z", "eventSource": "sts.amazonaws.com",
        "eventName": "AssumeRole", "awsRegion": REGION, "eventType": "AwsApiCall",
        "userIdentity": {"type": "AWSService", "invokedBy": "lambda.amazonaws.com"},
        "requestParameters": {"roleArn": basic.arn, "roleSessionName": basic.session},
        "responseElements": {"credentials": {"accessKeyId": basic.session_key(), "expiration": "2026-11-28T06:59:50Z"}},
        "eventID": str(uuid.UUID(bytes=hashlib.sha256(b"event/lambda-assume").digest()[:16])),
        "recipientAccountId": DEV,
    })
    for name in ("CreateLogStream", "PutLogEvents"):
        event("2026-11-27T19:00:00Z", basic, "logs.amazonaws.com", name, read_only=False,
              parameters={"logGroupName": "/aws/lambda/thumbnailer", "logStreamName": "2026/11/27/[$LATEST]a1b2"})

    build = role(DEV, "dev-build", "AWSCodeBuild-7d1c0b2e", path="/service-role/")
    for name in ("CreateLogStream", "PutLogEvents"):
        event("2026-11-27T15:50:00Z", build, "logs.amazonaws.com", name, read_only=False,
              parameters={"logGroupName": "/aws/codebuild/northwind-web-build"})
    s3_object("2026-11-27T15:51:00Z", build, "GetObject", DEV_ARTIFACTS, "web/source.zip")
    event("2026-11-27T15:55:00Z", build, "ecr.amazonaws.com", "GetAuthorizationToken")
    for name in ("BatchCheckLayerAvailability", "InitiateLayerUpload", "UploadLayerPart", "CompleteLayerUpload", "PutImage"):
        event("2026-11-27T15:58:00Z", build, "ecr.amazonaws.com", name, read_only=name.startswith("Batch"),
              parameters={"repositoryName": "northwind-web"}, resources=[("", WEB_REPOSITORY)])
    s3_object("2026-11-27T16:00:00Z", build, "PutObject", DEV_ARTIFACTS, "web/build-4.zip")

    web = role(DEV, "dev-web", "i-0d1e2f3a4b5c60003")
    s3_object("2026-11-28T00:30:00Z", web, "GetObject", DEV_ARTIFACTS, "web/build-4.zip")
    event("2026-11-28T01:00:00Z", web, "ssm.amazonaws.com", "UpdateInstanceInformation", read_only=False,
          parameters={"instanceId": "i-0d1e2f3a4b5c60003"})


def generate(out: Path) -> None:
    """Write the sample to ``out``, replacing what was there."""
    EVENTS.clear()
    management_activity()
    prod_activity()
    dev_activity()
    if out.exists():
        shutil.rmtree(out)
    files: dict[Path, list[dict]] = {}
    for record in sorted(EVENTS, key=lambda r: (r["eventTime"], r["eventID"])):
        account = record["recipientAccountId"]
        month = record["eventTime"][:7].replace("-", "")
        if account == DEV:
            name = f"{account}_CloudTrail_{month}.jsonl"
        else:
            name = f"{account}_CloudTrail_{month}.json"
        files.setdefault(out / "AWSLogs" / account / name, []).append(record)
    for path, records in sorted(files.items()):
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".jsonl":
            path.write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in records))
            continue
        text = json.dumps({"Records": records}, indent=1, sort_keys=True) + "\n"
        if path.name == f"{PROD}_CloudTrail_202611.json":
            path.with_suffix(".json.gz").write_bytes(gzip.compress(text.encode(), mtime=0))
        else:
            path.write_text(text)


def main(argv: list[str]) -> int:
    generate(Path(argv[1]) if len(argv) > 1 else OUT)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
