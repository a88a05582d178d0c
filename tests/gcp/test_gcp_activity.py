"""Cloud Audit Logs into usage records, identifier normalisation, the right-sized custom role."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from ciem.errors import ConfigError, InputError
from ciem.model import UsageRecord

from ciem_gcp.activity import parse_activity
from ciem_gcp.members import normalize_identifier
from ciem_gcp.rightsize import render_role

from gcp_builders import GcpEstate

EMAIL = "job@app.iam.gserviceaccount.com"


def entry(checks, **auth):
    return {"timestamp": "2026-11-02T10:00:00.123Z", "protoPayload": {
        "serviceName": "storage.googleapis.com", "methodName": "storage.objects.get",
        "authenticationInfo": auth or {"principalEmail": EMAIL},
        "authorizationInfo": checks}}


def read(tmp_path: Path, *entries, array: bool = False) -> list[UsageRecord]:
    file = tmp_path / ("logs.json" if array else "logs.jsonl")
    file.write_text(json.dumps(list(entries)) if array else "".join(json.dumps(e) + "\n" for e in entries))
    return list(parse_activity({"path": str(tmp_path)}, lambda *a: None))


def test_granted_permissions_become_records_denied_ones_do_not(tmp_path):
    records = read(tmp_path, entry([{"permission": "storage.objects.get", "resource": "projects/_/buckets/b/objects/o",
                                     "granted": True},
                                    {"permission": "storage.objects.delete", "granted": False}]))
    assert [(r.identity, r.action, r.resource) for r in records] == [
        (EMAIL, "storage.objects.get", "projects/_/buckets/b/objects/o")]
    assert records[0].first_seen.isoformat() == "2026-11-02T10:00:00.123000+00:00"


def test_subject_is_preferred_and_the_delegating_account_is_the_caller(tmp_path):
    records = read(tmp_path, entry([{"permission": "storage.objects.get", "granted": True}],
                                   principalEmail=EMAIL, principalSubject=f"serviceAccount:{EMAIL}",
                                   serviceAccountDelegationInfo=[{"principalSubject": "user:ana@example.com"}]),
                   array=True)
    assert (records[0].identity, records[0].caller) == (f"serviceAccount:{EMAIL}", "user:ana@example.com")


def test_entries_without_authorization_info_are_service_level(tmp_path):
    raw = entry([])
    raw["protoPayload"].pop("authorizationInfo")
    assert [r.action for r in read(tmp_path, raw, {"textPayload": "not an audit log"})] == ["storage.*"]


def test_bad_lines_and_sources_are_named(tmp_path):
    (tmp_path / "bad.jsonl").write_text(json.dumps(entry([])) + "\n{oops\n")
    with pytest.raises(InputError, match="line 2"):
        list(parse_activity({"path": str(tmp_path)}, lambda *a: None))
    with pytest.raises(ConfigError):
        parse_activity({"kind": "audit-logs"}, lambda *a: None)
    with pytest.raises(ConfigError):
        parse_activity({"kind": "cloudtrail", "path": "x"}, lambda *a: None)


@pytest.mark.parametrize("given, expected", [
    ("projects/app/serviceAccounts/job@app.iam.gserviceaccount.com", f"serviceAccount:{EMAIL}"),
    ("//iam.googleapis.com/projects/app/serviceAccounts/job@app.iam.gserviceaccount.com", f"serviceAccount:{EMAIL}"),
    ("principal://iam.googleapis.com/projects/-/serviceAccounts/job@app.iam.gserviceaccount.com", f"serviceAccount:{EMAIL}"),
    ("principal://goog/subject/ana@example.com", "user:ana@example.com"),
    ("principalSet://goog/group/ops@example.com", "group:ops@example.com"),
    ("user:ana@example.com", "user:ana@example.com"),
    ("arn:aws:iam::1:user/x", None),
    ("ana@example.com", None),  # e-mail addresses are aliases the index answers to itself
])
def test_identifiers_normalise_to_member_strings(given, expected):
    assert normalize_identifier(given) == expected


def test_right_sized_role_holds_what_was_used_and_names_the_rest():
    e = GcpEstate()
    e.role("roles/r", "storage.objects.get", "storage.objects.list")
    used = [UsageRecord("u", "storage.objects.get", *[datetime(2026, 11, 1)] * 2,
                        resource="projects/_/buckets/b/objects/o"),
            UsageRecord("u", "made.up.permission", *[datetime(2026, 11, 1)] * 2)]
    rendered = render_role("serviceAccount:job@app.iam.gserviceaccount.com", used, [e.snapshot()])
    role = json.loads(rendered.document)
    assert role["includedPermissions"] == ["storage.objects.get"] and role["roleId"] == "rightsized_job"
    assert any("made.up.permission" in w for w in rendered.warnings)
    assert any("projects/_/buckets/b/objects/o" in w for w in rendered.warnings)
    empty = render_role("user:x@example.com", [], [e.snapshot()])
    assert json.loads(empty.document)["includedPermissions"] == [] and "needs no role" in empty.warnings[0]


def test_logging_api_is_read_page_by_page_with_the_audit_filter():
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    entries = [entry([{"permission": f"storage.objects.p{n}", "granted": True}]) for n in range(5)]
    bodies = []

    class Logging(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            bodies.append(body)
            start = int(body.get("pageToken", "0"))
            answer = {"entries": entries[start:start + body["pageSize"]]}
            if start + body["pageSize"] < len(entries):
                answer["nextPageToken"] = str(start + body["pageSize"])
            payload = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *_args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Logging)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        records = list(parse_activity({"resource_names": ["organizations/1"], "since": "2026-11-01T00:00:00Z",
                                       "page_size": 2, "anonymous": True,
                                       "api_endpoint": f"http://127.0.0.1:{server.server_address[1]}"},
                                      lambda *a: None))
    finally:
        server.shutdown()
        server.server_close()
    assert [r.action for r in records] == [f"storage.objects.p{n}" for n in range(5)]
    assert len(bodies) == 3 and bodies[0]["resourceNames"] == ["organizations/1"]
    assert bodies[0]["filter"] == 'logName:"cloudaudit.googleapis.com" AND timestamp>="2026-11-01T00:00:00Z"'
