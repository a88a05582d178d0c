"""The gRPC service through a real channel on a free loopback port."""

from __future__ import annotations

import json
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from ciem.client import Client
from ciem.config import parse_config
from ciem.errors import ConfigError, NotFoundError, QueryError, SourceError
from ciem.pipeline import IndexHolder, SourceSpec
from ciem.providers import new_manager
from ciem.service import Answers, CiemServer, SERVICE_NAMES, _Calls
from ciem.v1 import ciem_pb2 as pb
from ciem.v1 import ciem_pb2_grpc as pb_grpc

import core_builders
from estate_provider import EstateProvider


def write_export(path: Path, drop: tuple[str, ...] = ()) -> Path:
    path.write_text(json.dumps({"testcloud": {"drop": list(drop)}}))
    return path


def make_manager():
    return new_manager(load_entry_points=False, plugins=(EstateProvider(),))


@pytest.fixture
def export(tmp_path) -> Path:
    return write_export(tmp_path / "estate.json")


@pytest.fixture
def running(tmp_path, export):
    """A started server on a free port, its index not yet built; yields (server, client, holder)."""
    manager = make_manager()
    holder = IndexHolder(specs=[SourceSpec(path=export)], manager=manager)
    config = parse_config({"listen": "127.0.0.1:0", "audit_log": str(tmp_path / "audit.jsonl")}, tmp_path / "c.yaml")
    server = CiemServer(config, holder, manager)
    port = server.start()
    client = Client(f"127.0.0.1:{port}", timeout=30)
    yield server, client, holder, port
    client.close()
    server.stop(0)


def health_status(port: int, service: str) -> int:
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        return stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=10).status


def test_health_is_not_serving_until_an_index_exists_then_serving(running):
    server, client, holder, port = running
    for name in ("", *SERVICE_NAMES):
        assert health_status(port, name) == health_pb2.HealthCheckResponse.NOT_SERVING
    with pytest.raises(Exception) as raised:
        client.get_index_status(pb.GetIndexStatusRequest())
    assert "UNAVAILABLE" in str(raised.value) and "no index" in str(raised.value)
    status = client.refresh(pb.RefreshRequest()).status
    assert status.counts["identities"] == 5
    for name in ("", *SERVICE_NAMES):
        assert health_status(port, name) == health_pb2.HealthCheckResponse.SERVING


def test_reflection_lists_the_ciem_services(running):
    _, _, _, port = running
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = reflection_pb2_grpc.ServerReflectionStub(channel)
        responses = stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]))
        names = {s.name for r in responses for s in r.list_services_response.service}
    assert {"ciem.v1.AccessService", "ciem.v1.FindingsService", "ciem.v1.AdminService", "grpc.health.v1.Health"} <= names


def test_resolve_by_alias_and_by_provider_form(running):
    _, client, _, _ = running
    client.refresh(pb.RefreshRequest())
    by_alias = client.resolve_identity(pb.ResolveIdentityRequest(identifier="alice@example.com"))
    assert by_alias.id == "tc:alice" and by_alias.kind == pb.IDENTITY_KIND_USER and by_alias.human
    by_session = client.resolve_identity(pb.ResolveIdentityRequest(identifier="session:deployer/build-42"))
    assert by_session.id == "tc:deployer"
    with pytest.raises(NotFoundError, match="nobody"):
        client.resolve_identity(pb.ResolveIdentityRequest(identifier="nobody"))


def test_reach_streams_identity_reachable_identities_and_entries_with_paths(running):
    _, client, _, _ = running
    client.refresh(pb.RefreshRequest())
    messages = list(client.reach(pb.ReachRequest(identity="KEY-ALICE", max_hops=2)))
    assert messages[0].WhichOneof("item") == "identity" and messages[0].identity.id == "tc:alice"
    reachable = {m.reachable_identity.identity: m.reachable_identity.path for m in messages
                 if m.WhichOneof("item") == "reachable_identity"}
    assert set(reachable) == {"tc:ci", "tc:deployer"}
    assert [(e.source, e.target) for e in reachable["tc:deployer"].edges] == [("tc:alice", "tc:ci"), ("tc:ci", "tc:deployer")]
    entries = [m.entry for m in messages if m.WhichOneof("item") == "entry"]
    deployer = [e for e in entries if e.via == "tc:deployer"]
    assert deployer and deployer[0].resource == "*" and len(deployer[0].path.edges) == 2
    assert deployer[0].path.edges[0].kind == pb.EDGE_KIND_ASSUME
    ci = [e for e in entries if e.via == "tc:ci"]
    assert ci[0].conditional and ci[0].conditions == ["net:SourceIp"]
    # Zero hops: alice holds no grant of her own.
    direct = list(client.reach(pb.ReachRequest(identity="tc:alice", max_hops=0)))
    assert [m.WhichOneof("item") for m in direct] == ["identity"]


def test_reach_filters_by_access_level_and_lists_sensitive_resources(running):
    _, client, _, _ = running
    client.refresh(pb.RefreshRequest())
    messages = list(client.reach(pb.ReachRequest(identity="tc:eve", max_hops=0, min_sensitivity=pb.SENSITIVITY_HIGH,
                                                 access_levels=["Write"])))
    entries = [m.entry for m in messages if m.WhichOneof("item") == "entry"]
    assert [e.resource for e in entries] == ["store:acct-1/payroll"]
    actions = {a.name: a.conditional for a in entries[0].actions}
    # Delete is denied outright; Put is denied only on weekends, so it is conditional.
    assert actions == {"store:Put": True}
    assert entries[0].sensitivity == pb.SENSITIVITY_CRITICAL


def test_who_can_includes_identities_that_become_a_holder(running):
    _, client, _, _ = running
    client.refresh(pb.RefreshRequest())
    messages = list(client.who_can(pb.WhoCanRequest(resource="store:acct-1/payroll", actions=["store:Get"])))
    assert messages[0].header.resource_known
    entries = {m.entry.identity.id: m.entry for m in messages[1:]}
    assert set(entries) == {"tc:eve", "tc:deployer", "tc:ci", "tc:alice"}
    assert entries["tc:alice"].holder == "tc:deployer"
    assert [e.target for e in entries["tc:alice"].path.edges] == ["tc:ci", "tc:deployer"]
    assert "tc:bob" not in entries


def test_explain_and_enrich(running):
    _, client, _, _ = running
    client.refresh(pb.RefreshRequest())
    request = pb.ExplainRequest(identity="tc:eve", action="store:Delete", resource="store:acct-1/public")
    decision = client.explain(request)
    assert decision.decision == "explicitDeny" and decision.identity.id == "tc:eve"
    request = pb.ExplainRequest(identity="tc:ci", action="store:Get", resource="store:acct-1/logs/2026")
    assert client.explain(request).missing_context == ["net:SourceIp"]
    request.context.update({"net:SourceIp": "10.0.0.1"})
    assert client.explain(request).decision == "allowed"
    with pytest.raises(QueryError, match="unknown action"):
        client.explain(pb.ExplainRequest(identity="tc:ci", action="store:Nope", resource="x"))
    summaries = client.enrich(pb.EnrichRequest(identifiers=["KEY-ALICE", "tc:deployer", "ghost"])).summaries
    assert [s.identifier for s in summaries] == ["KEY-ALICE", "tc:deployer", "ghost"]
    alice, deployer, ghost = summaries
    assert not alice.admin_equivalent and [e.target for e in alice.paths_to_admin[0].edges] == ["tc:ci", "tc:deployer"]
    assert alice.sensitive_resources["critical"] == 1
    assert deployer.admin_equivalent and not deployer.paths_to_admin
    assert ghost.error and not ghost.HasField("identity")


def test_error_codes(running, tmp_path):
    server, client, holder, _ = running
    client.refresh(pb.RefreshRequest())
    with pytest.raises(QueryError, match="max_hops"):
        list(client.reach(pb.ReachRequest(identity="tc:alice", max_hops=99)))
    with pytest.raises(QueryError, match="access level"):
        list(client.who_can(pb.WhoCanRequest(resource="x", access_levels=["Sideways"])))
    with pytest.raises(QueryError, match="at least one"):
        client.enrich(pb.EnrichRequest())
    broken = tmp_path / "broken.json"
    broken.write_text('{"other": 1}')
    holder.specs = [SourceSpec(provider=core_builders.PROVIDER, path=broken)]
    with pytest.raises(SourceError, match=r"broken.json: \$.testcloud"):
        client.refresh(pb.RefreshRequest())
    # The last good index keeps serving.
    assert client.get_index_status(pb.GetIndexStatusRequest()).counts["identities"] == 5


def test_unexpected_errors_are_internal_without_details(running, monkeypatch):
    _, client, holder, _ = running
    client.refresh(pb.RefreshRequest())
    monkeypatch.setattr("ciem.queries.status", lambda index: (_ for _ in ()).throw(RuntimeError("secret detail")))
    with pytest.raises(Exception) as raised:
        client.get_index_status(pb.GetIndexStatusRequest())
    assert "INTERNAL" in str(raised.value) and "secret detail" not in str(raised.value)


def test_audit_log_records_who_what_and_count(running, tmp_path):
    _, client, _, _ = running
    client.refresh(pb.RefreshRequest())
    client.enrich(pb.EnrichRequest(identifiers=["tc:bob", "tc:eve"]))
    with pytest.raises(NotFoundError):
        client.resolve_identity(pb.ResolveIdentityRequest(identifier="nobody"))
    records = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    enrich = next(r for r in records if r["method"] == "Enrich")
    assert enrich["count"] == 2 and enrich["result"] == "OK" and enrich["request"]["identifiers"] == ["tc:bob", "tc:eve"]
    assert enrich["who"] == "anonymous" and enrich["peer"]
    assert any(r["method"] == "ResolveIdentity" and r["result"] == "NOT_FOUND" for r in records)


class _PastDeadline:
    """A servicer context whose deadline has passed."""

    def __init__(self):
        self.aborted = None

    def time_remaining(self):
        return 0.0

    def is_active(self):
        return True

    def abort(self, code, details):
        self.aborted = (code, details)
        raise grpc.RpcError(details)


def test_streams_stop_with_deadline_exceeded_once_the_deadline_passes(export):
    manager = make_manager()
    holder = IndexHolder(specs=[SourceSpec(path=export)], manager=manager)
    holder.refresh()
    calls = _Calls(Answers(holder, manager), audit=None)
    context = _PastDeadline()
    with pytest.raises(grpc.RpcError):
        list(calls.stream("Reach", pb.ReachRequest(identity="tc:alice"), context, calls.answers.reach))
    assert context.aborted[0] == grpc.StatusCode.DEADLINE_EXCEEDED


@pytest.mark.parametrize("listen", ["0.0.0.0:0", "[::]:0", "192.0.2.10:0"])
def test_refuses_non_loopback_without_tls_and_auth(tmp_path, listen):
    config = parse_config({"listen": listen}, tmp_path / "ciem.yaml")
    holder = IndexHolder(specs=[], manager=make_manager())
    with pytest.raises(ConfigError, match=r"ciem.yaml: listen: refusing .* without tls and auth"):
        CiemServer(config, holder, make_manager())


def test_non_loopback_allowed_by_the_explicit_insecure_override(tmp_path, caplog):
    config = parse_config({"listen": "0.0.0.0:0", "insecure_allow_remote_without_tls_and_auth": True})
    server = CiemServer(config, IndexHolder(specs=[], manager=make_manager()), make_manager())
    try:
        assert server.start() > 0
        assert "INSECURE" in caplog.text
    finally:
        server.stop(0)


# -- TLS, mutual TLS and bearer tokens ----------------------------------------------------------------


def _pki(folder: Path) -> dict[str, Path]:
    """A CA, a server certificate for localhost / 127.0.0.1 and a client certificate, as PEM files."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    files: dict[str, Path] = {}

    def issue(name, key, issuer_name, issuer_key, *, ca=False, san=None):
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(issuer_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if san:
            builder = builder.add_extension(x509.SubjectAlternativeName(san), critical=False)
        return builder.sign(issuer_key, hashes.SHA256())

    def save(label, cert, key):
        files[label] = folder / f"{label}.pem"
        files[label].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        files[f"{label}-key"] = folder / f"{label}-key.pem"
        files[f"{label}-key"].write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test ca")])
    save("ca", issue("test ca", ca_key, ca_name, ca_key, ca=True), ca_key)
    server_key = ec.generate_private_key(ec.SECP256R1())
    san = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    save("server", issue("localhost", server_key, ca_name, ca_key, san=san), server_key)
    client_key = ec.generate_private_key(ec.SECP256R1())
    save("client", issue("playbook", client_key, ca_name, ca_key), client_key)
    return files


TOKEN = "correct horse battery staple"


@pytest.fixture
def secured(tmp_path, export):
    """A server with TLS, mutual TLS and bearer tokens; yields (port, pki files, audit log path)."""
    from ciem.security import token_hash

    pki = _pki(tmp_path)
    (tmp_path / "tokens").write_text(
        f"# soar\nsoar-playbook {token_hash(TOKEN)}\n"
        f"team-1 {token_hash('team one')} providers=testcloud accounts=acct-1  # their account\n"
        f"team-2 {token_hash('team two')} accounts=acct-2\n"
    )
    manager = make_manager()
    holder = IndexHolder(specs=[SourceSpec(path=export)], manager=manager)
    config = parse_config({
        "listen": "127.0.0.1:0",
        "tls": {"cert": str(pki["server"]), "key": str(pki["server-key"]), "client_ca": str(pki["ca"])},
        "auth": {"tokens_file": "tokens"},
        "audit_log": "audit.jsonl",
    }, tmp_path / "ciem.yaml")
    server = CiemServer(config, holder, manager)
    holder.refresh()
    port = server.start()
    yield port, pki, tmp_path / "audit.jsonl"
    server.stop(0)


def test_tls_client_certificate_and_token_are_all_required(secured):
    from ciem.client import ServerError

    port, pki, audit = secured
    target = f"localhost:{port}"
    full = dict(ca=pki["ca"], cert=pki["client"], key=pki["client-key"], timeout=10)
    with Client(target, token=TOKEN, **full) as client:
        assert client.resolve_identity(pb.ResolveIdentityRequest(identifier="tc:bob")).id == "tc:bob"
    for token in (None, "wrong token"):
        with Client(target, token=token, **full) as client, pytest.raises(ServerError, match="UNAUTHENTICATED"):
            client.resolve_identity(pb.ResolveIdentityRequest(identifier="tc:bob"))
    # A streaming call is refused the same way.
    with Client(target, **full) as client, pytest.raises(ServerError, match="UNAUTHENTICATED"):
        list(client.reach(pb.ReachRequest(identity="tc:bob")))
    # Without a client certificate the TLS handshake fails (mutual TLS).
    with Client(target, token=TOKEN, ca=pki["ca"], timeout=5) as client, pytest.raises(ServerError, match="UNAVAILABLE"):
        client.resolve_identity(pb.ResolveIdentityRequest(identifier="tc:bob"))
    # Plain text is not spoken at all.
    with Client(target, token=TOKEN, timeout=5) as client, pytest.raises(ServerError, match="UNAVAILABLE"):
        client.resolve_identity(pb.ResolveIdentityRequest(identifier="tc:bob"))
    records = [json.loads(line) for line in audit.read_text().splitlines()]
    assert [r["who"] for r in records] == ["soar-playbook"]


def test_health_answers_without_a_token(secured):
    port, pki, _ = secured
    credentials = grpc.ssl_channel_credentials(pki["ca"].read_bytes(), pki["client-key"].read_bytes(),
                                               pki["client"].read_bytes())
    with grpc.secure_channel(f"localhost:{port}", credentials) as channel:
        response = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=""), timeout=10)
    assert response.status == health_pb2.HealthCheckResponse.SERVING


def test_remote_listen_is_allowed_with_tls_and_auth(tmp_path):
    from ciem.security import token_hash

    pki = _pki(tmp_path)
    (tmp_path / "tokens").write_text(f"ops {token_hash('x')}\n")
    config = parse_config({"listen": "0.0.0.0:0", "tls": {"cert": str(pki["server"]), "key": str(pki["server-key"])},
                           "auth": {"tokens_file": "tokens"}}, tmp_path / "ciem.yaml")
    server = CiemServer(config, IndexHolder(specs=[], manager=make_manager()), make_manager())
    assert server.port > 0
    server.stop(0)


@pytest.mark.parametrize(
    "text, message",
    [
        ("ops not-a-hash\n", r"tokens: line 1: expected 'NAME SHA256_HEX"),
        (f"ops {'0' * 64} regions=eu\n", r"tokens: line 1: 'regions=eu': expected providers="),
        (f"ops {'0' * 64} accounts=1 accounts=2\n", r"tokens: line 1: 'accounts=2': expected .* each at most once"),
        ("# only a comment\n", r"tokens: no tokens"),
        (f"a {'0' * 64}\nb {'0' * 64}\n", r"tokens: line 2: the same token hash is listed twice"),
    ],
)
def test_tokens_file_errors_name_the_line(tmp_path, text, message):
    from ciem.security import TokenAuth

    (tmp_path / "tokens").write_text(text)
    with pytest.raises(ConfigError, match=message):
        TokenAuth.from_file(tmp_path / "tokens")


def test_serve_stops_gracefully_on_sigterm(tmp_path, export):
    import os
    import re
    import signal
    import subprocess
    import sys
    import time

    config = tmp_path / "ciem.yaml"
    config.write_text(f"listen: 127.0.0.1:0\nstate_dir: state\nsources:\n  - files: {export.name}\n")
    script = ("import sys; from ciem.cli import main; from test_service import make_manager; "
              f"sys.exit(main(['--log-level', 'info', 'serve', '--config', {str(config)!r}], manager=make_manager()))")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent)}
    process = subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE, text=True, env=env)
    try:
        port = None
        for line in process.stderr:
            found = re.search(r"ciem listening on .* \(port (\d+)\)", line)
            if found:
                port = int(found.group(1))
                break
        assert port, "the server did not report its port"
        deadline = time.monotonic() + 30
        while health_status(port, "") != health_pb2.HealthCheckResponse.SERVING:
            assert time.monotonic() < deadline, "the first refresh did not finish"
            time.sleep(0.1)
        assert (tmp_path / "state" / "index.pickle").exists()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()


def test_scoped_tokens_ask_only_about_their_scope(secured):
    from ciem.client import ServerError

    port, pki, audit = secured
    tls = dict(ca=pki["ca"], cert=pki["client"], key=pki["client-key"], timeout=10)
    with Client(f"localhost:{port}", token="team one", **tls) as team1, \
            Client(f"localhost:{port}", token="team two", **tls) as team2:
        assert team1.resolve_identity(pb.ResolveIdentityRequest(identifier="KEY-ALICE")).id == "tc:alice"
        who = list(team1.who_can(pb.WhoCanRequest(resource="store:acct-1/payroll")))
        assert who[0].header.account == "acct-1" and len(who) > 1
        for call in (
            lambda: team2.resolve_identity(pb.ResolveIdentityRequest(identifier="KEY-ALICE")),
            lambda: list(team2.reach(pb.ReachRequest(identity="tc:alice"))),
            lambda: list(team2.who_can(pb.WhoCanRequest(resource="store:acct-1/payroll"))),
            lambda: team2.explain(pb.ExplainRequest(identity="tc:eve", action="store:Get", resource="x")),
        ):
            with pytest.raises(ServerError, match="PERMISSION_DENIED: .*outside the scope of token 'team-2'"):
                call()
        with pytest.raises(ServerError, match="PERMISSION_DENIED: 'store:elsewhere' is not a resource the index holds"):
            list(team1.who_can(pb.WhoCanRequest(resource="store:elsewhere")))
        summaries = team2.enrich(pb.EnrichRequest(identifiers=["tc:bob", "ghost"])).summaries
        assert "outside the scope" in summaries[0].error and not summaries[0].HasField("identity")
        assert "no identity known" in summaries[1].error
        with pytest.raises(ServerError, match="PERMISSION_DENIED: Refresh needs an unscoped token"):
            team1.refresh(pb.RefreshRequest())
        assert team1.list_findings(pb.ListFindingsRequest()).total_size == 3
        assert team2.list_findings(pb.ListFindingsRequest()).total_size == 0
    records = [json.loads(line) for line in audit.read_text().splitlines()]
    assert {r["who"] for r in records} == {"team-1", "team-2"}
    assert any(r["who"] == "team-2" and r["result"] == "PERMISSION_DENIED" for r in records)


def test_a_persisted_index_is_served_at_start(tmp_path, export):
    manager = make_manager()
    IndexHolder(specs=[SourceSpec(path=export)], manager=manager, state_dir=tmp_path / "state").refresh()
    holder = IndexHolder(specs=[SourceSpec(path=export)], manager=manager, state_dir=tmp_path / "state")
    server = CiemServer(parse_config({"listen": "127.0.0.1:0"}), holder, manager)
    assert holder.load_persisted()
    port = server.start()
    try:
        assert health_status(port, "ciem.v1.AccessService") == health_pb2.HealthCheckResponse.SERVING
    finally:
        server.stop(0)


# -- findings -----------------------------------------------------------------------------------------


def test_list_findings_pages_filters_and_follows_the_lifecycle(running, export):
    _, client, _, _ = running
    with pytest.raises(Exception, match="UNAVAILABLE: no findings yet"):
        client.list_findings(pb.ListFindingsRequest())
    client.refresh(pb.RefreshRequest())
    everything = client.list_findings(pb.ListFindingsRequest())
    assert everything.total_size == 3 and not everything.next_page_token
    assert [(f.rule, f.subject) for f in everything.findings] == [
        ("admin-equivalent", "tc:deployer"), ("admin-equivalent", "tc:alice"), ("admin-equivalent", "tc:ci")]
    scores = [f.score.value for f in everything.findings]
    assert scores == sorted(scores, reverse=True)
    alice = everything.findings[1]
    assert alice.status == pb.FINDING_STATUS_NEW and alice.human and alice.account == "acct-1"
    assert [e.target for e in alice.paths[0].edges] == ["tc:ci", "tc:deployer"]
    first = client.list_findings(pb.ListFindingsRequest(page_size=2))
    assert len(first.findings) == 2 and first.total_size == 3 and first.next_page_token
    second = client.list_findings(pb.ListFindingsRequest(page_size=2, page_token=first.next_page_token))
    assert [f.id for f in [*first.findings, *second.findings]] == [f.id for f in everything.findings]
    assert not second.next_page_token
    with pytest.raises(QueryError, match="other filters"):
        client.list_findings(pb.ListFindingsRequest(page_token=first.next_page_token, subjects=["tc:ci"]))
    with pytest.raises(QueryError, match="not a token this server issued"):
        client.list_findings(pb.ListFindingsRequest(page_token="bm90IGpzb24"))
    with pytest.raises(QueryError, match="unknown severity 'severe'"):
        client.list_findings(pb.ListFindingsRequest(min_severity="severe"))
    assert client.list_findings(pb.ListFindingsRequest(min_severity="critical")).total_size == 0
    assert [f.subject for f in client.list_findings(pb.ListFindingsRequest(subjects=["tc:ci"])).findings] == ["tc:ci"]
    # The same risks in the next scan are open; once gone they are resolved.
    client.refresh(pb.RefreshRequest())
    assert {f.status for f in client.list_findings(pb.ListFindingsRequest()).findings} == {pb.FINDING_STATUS_OPEN}
    write_export(export, drop=("deployer",))
    client.refresh(pb.RefreshRequest())
    assert client.list_findings(pb.ListFindingsRequest()).total_size == 0
    resolved = client.list_findings(pb.ListFindingsRequest(statuses=[pb.FINDING_STATUS_RESOLVED]))
    assert resolved.total_size == 3 and all(f.HasField("resolved_at") for f in resolved.findings)
    with pytest.raises(QueryError, match="earlier scan"):
        client.list_findings(pb.ListFindingsRequest(page_size=2, page_token=first.next_page_token))


def test_findings_go_to_the_default_sinks_in_the_state_dir(tmp_path, export):
    manager = make_manager()
    config = parse_config({"listen": "127.0.0.1:0", "state_dir": "state"}, tmp_path / "ciem.yaml")
    holder = IndexHolder(specs=[SourceSpec(path=export)], manager=manager, state_dir=config.state_dir)
    server = CiemServer(config, holder, manager)
    try:
        holder.refresh()
        assert server.feed.latest is not None and len(server.feed.latest.findings) == 3
    finally:
        server.stop(0)
    from ciem.sinks.sqlite import FindingsStore

    store = FindingsStore(tmp_path / "state" / "findings.sqlite", create=False)
    assert {f.subject for f in store.findings()} == {"tc:deployer", "tc:alice", "tc:ci"}
    store.close()
    assert "tc:deployer" in (tmp_path / "state" / "report.html").read_text()


def test_a_bad_sink_is_a_config_error_naming_the_file(tmp_path):
    config = parse_config({"listen": "127.0.0.1:0", "sinks": [{"kind": "carrier-pigeon"}]}, tmp_path / "ciem.yaml")
    with pytest.raises(ConfigError, match=r"ciem.yaml: sinks\[0\].kind: no installed plugin makes 'carrier-pigeon'"):
        CiemServer(config, IndexHolder(specs=[], manager=make_manager()), make_manager())


# -- limits -----------------------------------------------------------------------------------------

HOG, FAIR = "hog token", "fair token"


@pytest.fixture
def limited(tmp_path, export):
    """A server with two tokens and small limits; yields a function giving a stub per token."""
    from ciem.security import token_hash

    (tmp_path / "tokens").write_text(f"hog {token_hash(HOG)}\nfair {token_hash(FAIR)}\n")
    manager = make_manager()
    holder = IndexHolder(specs=[SourceSpec(path=export)], manager=manager)
    config = parse_config({
        "listen": "127.0.0.1:0", "auth": {"tokens_file": "tokens"}, "audit_log": "audit.jsonl", "workers": 6,
        "limits": {"max_results": 2, "max_hops": 3, "max_identifiers_per_enrich": 3, "max_concurrent_per_client": 2,
                   "default_deadline_seconds": 0.5},
    }, tmp_path / "ciem.yaml")
    server = CiemServer(config, holder, manager)
    holder.refresh()
    port = server.start()
    channels = []

    def stub(token: str):
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        channels.append(channel)
        return pb_grpc.AccessServiceStub(channel), (("authorization", f"Bearer {token}"),)

    stub.port = port
    yield stub
    for channel in channels:
        channel.close()
    server.stop(0)


def test_request_limits_are_invalid_argument_naming_the_limit(limited):
    access, metadata = limited(FAIR)
    with pytest.raises(grpc.RpcError) as raised:
        access.Enrich(pb.EnrichRequest(identifiers=["tc:alice", "tc:bob", "tc:ci", "tc:eve"]), metadata=metadata,
                      timeout=10)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "at most 3 identifiers" in raised.value.details() and "max_identifiers_per_enrich" in raised.value.details()
    assert len(access.Enrich(pb.EnrichRequest(identifiers=["tc:alice", "tc:bob", "tc:ci"]), metadata=metadata,
                             timeout=10).summaries) == 3
    with pytest.raises(grpc.RpcError) as raised:
        list(access.WhoCan(pb.WhoCanRequest(resource="x", max_hops=4), metadata=metadata, timeout=10))
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "limits.max_hops" in raised.value.details()


def test_answers_stop_at_max_results(limited, tmp_path):
    access, metadata = limited(FAIR)
    received = []
    with pytest.raises(grpc.RpcError) as raised:
        for message in access.Reach(pb.ReachRequest(identity="tc:alice", max_hops=3), metadata=metadata, timeout=10):
            received.append(message)
    assert raised.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED and "limits.max_results" in raised.value.details()
    assert len(received) == 2 and received[0].identity.id == "tc:alice"
    # An answer of exactly max_results messages is complete: bob and his one grant.
    messages = list(access.Reach(pb.ReachRequest(identity="tc:bob", max_hops=3), metadata=metadata, timeout=10))
    assert len(messages) == 2 and messages[0].identity.id == "tc:bob" and messages[1].HasField("entry")
    records = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert any(r["method"] == "Reach" and r["result"] == "RESOURCE_EXHAUSTED" and r["count"] == 2 for r in records)
    # A findings page holds at most max_results findings; the next page token continues the listing.
    with grpc.insecure_channel(f"127.0.0.1:{limited.port}") as channel:
        findings = pb_grpc.FindingsServiceStub(channel)
        first = findings.ListFindings(pb.ListFindingsRequest(page_size=50), metadata=metadata, timeout=10)
        assert len(first.findings) == 2 and first.total_size == 3 and first.next_page_token
        rest = findings.ListFindings(pb.ListFindingsRequest(page_size=50, page_token=first.next_page_token),
                                     metadata=metadata, timeout=10)
    assert len(rest.findings) == 1 and not rest.next_page_token


def test_a_client_over_its_concurrency_limit_is_refused_at_once_while_others_are_served(limited, monkeypatch):
    import threading
    import time

    from ciem import queries

    entered, release = threading.Semaphore(0), threading.Event()
    enrich = queries.enrich

    def slow_enrich(index, identifiers, manager):
        if "slow" in identifiers:
            entered.release()
            release.wait(20)
        return enrich(index, [i for i in identifiers if i != "slow"], manager)

    monkeypatch.setattr(queries, "enrich", slow_enrich)
    hog, hog_metadata = limited(HOG)
    fair, fair_metadata = limited(FAIR)
    held = [hog.Enrich.future(pb.EnrichRequest(identifiers=["slow"]), metadata=hog_metadata, timeout=30)
            for _ in range(2)]
    try:
        for _ in held:
            assert entered.acquire(timeout=10)
        started = time.monotonic()
        with pytest.raises(grpc.RpcError) as raised:
            hog.Enrich(pb.EnrichRequest(identifiers=["tc:bob"]), metadata=hog_metadata, timeout=10)
        assert raised.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "'hog'" in raised.value.details() and "max_concurrent_per_client" in raised.value.details()
        assert time.monotonic() - started < 2  # refused, not queued behind the held calls
        with pytest.raises(grpc.RpcError) as raised:  # streams count too
            list(hog.Reach(pb.ReachRequest(identity="tc:bob"), metadata=hog_metadata, timeout=10))
        assert raised.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert fair.Enrich(pb.EnrichRequest(identifiers=["tc:bob"]), metadata=fair_metadata,
                           timeout=10).summaries[0].identity.id == "tc:bob"
    finally:
        release.set()
    assert all(call.result().summaries == [] for call in held)
    assert hog.Enrich(pb.EnrichRequest(identifiers=["tc:bob"]), metadata=hog_metadata, timeout=10).summaries


def test_the_default_deadline_applies_when_the_client_sets_none(limited, monkeypatch):
    import time

    from ciem import queries

    enrich = queries.enrich

    def late_enrich(index, identifiers, manager):
        time.sleep(0.7)  # the answer is ready after the 0.5-second default deadline
        return enrich(index, identifiers, manager)

    monkeypatch.setattr(queries, "enrich", late_enrich)
    access, metadata = limited(FAIR)
    with pytest.raises(grpc.RpcError) as raised:
        access.Enrich(pb.EnrichRequest(identifiers=["tc:bob"]), metadata=metadata)
    assert raised.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert access.Enrich(pb.EnrichRequest(identifiers=["tc:bob"]), metadata=metadata, timeout=5).summaries
