"""The ``ciem`` CLI: the same answer from a server and from files, tables and JSON, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ciem.cli import main
from ciem.config import parse_config
from ciem.hookspec import hookimpl
from ciem.pipeline import IndexHolder, SourceSpec
from ciem.providers import default_manager, new_manager
from ciem.service import CiemServer

import core_builders
from test_service import TOKEN, make_manager, secured, write_export  # noqa: F401 (secured is a fixture)


@pytest.fixture
def export(tmp_path):
    return write_export(tmp_path / "estate.json")


@pytest.fixture
def server(tmp_path, export):
    manager = make_manager()
    holder = IndexHolder(specs=[SourceSpec(path=export)], manager=manager)
    holder.refresh()
    running = CiemServer(parse_config({"listen": "127.0.0.1:0"}, tmp_path / "c.yaml"), holder, manager)
    port = running.start()
    yield f"127.0.0.1:{port}"
    running.stop(0)


def run(capsys, *argv) -> tuple[int, str, str]:
    status = main(list(argv), manager=make_manager())
    out, err = capsys.readouterr()
    return status, out, err


def run_json(capsys, *argv):
    status, out, err = run(capsys, *argv, "--format", "json")
    assert status == 0, err
    return json.loads(out)


QUERIES = [
    ("resolve", "alice@example.com"),
    ("reach", "KEY-ALICE", "--max-hops", "2"),
    ("reach", "tc:eve", "--max-hops", "0", "--access-level", "Write", "--min-sensitivity", "high"),
    ("reach", "tc:alice", "--resource-prefix", "store:acct-1/", "--service", "store"),
    ("who-can", "store:acct-1/payroll", "--action", "store:Get"),
    ("explain", "tc:ci", "store:Get", "store:acct-1/logs/2026", "--context", "net:SourceIp=10.0.0.1"),
    ("enrich", "KEY-ALICE", "tc:deployer", "ghost"),
]


@pytest.mark.parametrize("query", QUERIES, ids=[" ".join(q[:2]) for q in QUERIES])
def test_server_and_input_give_the_same_json(capsys, server, export, query):
    remote = run_json(capsys, *query, "--server", server)
    local = run_json(capsys, *query, "--input", str(export))
    assert remote == local
    assert remote  # a real answer, not an empty document


def test_reach_json_carries_paths(capsys, export):
    answer = run_json(capsys, "reach", "KEY-ALICE", "--input", str(export))
    assert answer["identity"]["id"] == "tc:alice"
    deployer = next(e for e in answer["entries"] if e["via"] == "tc:deployer")
    assert [(e["source"], e["target"], e["kind"]) for e in deployer["path"]["edges"]] == [
        ("tc:alice", "tc:ci", "EDGE_KIND_ASSUME"), ("tc:ci", "tc:deployer", "EDGE_KIND_ASSUME")]


def test_explain_context_repeated_key_becomes_a_list(capsys, export):
    decision = run_json(capsys, "explain", "tc:ci", "store:Get", "store:acct-1/logs/2026", "--input", str(export))
    assert decision["decision"] == "conditional" and decision["missing_context"] == ["net:SourceIp"]


def test_tables_by_default(capsys, server, export, monkeypatch):
    monkeypatch.setenv("COLUMNS", "250")
    status, out, _ = run(capsys, "who-can", "store:acct-1/payroll", "--action", "store:Get", "--server", server)
    assert status == 0
    assert "Who can act on store:acct-1/payroll" in out and "tc:alice" in out and "tc:deployer" in out
    status, out, _ = run(capsys, "status", "--input", str(export))
    assert status == 0 and "identities" in out and str(export.name) in out
    status, out, _ = run(capsys, "enrich", "tc:deployer", "ghost", "--input", str(export))
    assert "allowed * on *" in out and "no identity known as 'ghost'" in out


def test_status_and_refresh_against_a_server(capsys, server):
    status = run_json(capsys, "status", "--server", server)
    assert status["counts"]["identities"] == "5"  # int64 is a string in proto JSON
    refreshed = run_json(capsys, "refresh", "--server", server)
    assert refreshed["built_at"] >= status["built_at"]


def test_config_mode_persists_and_reuses_the_index(capsys, tmp_path, export):
    config = tmp_path / "ciem.yaml"
    config.write_text(f"state_dir: state\nsources:\n  - files: {export.name}\n")
    first = run_json(capsys, "status", "--config", str(config))
    assert (tmp_path / "state" / "index.pickle").exists()
    again = run_json(capsys, "status", "--config", str(config))
    assert again["built_at"] == first["built_at"]  # served from the persisted index
    rebuilt = run_json(capsys, "refresh", "--config", str(config))
    assert rebuilt["built_at"] > first["built_at"]


@pytest.mark.parametrize(
    "argv, message",
    [
        (("resolve", "nobody"), "ciem: error: no identity known as 'nobody'"),
        (("reach", "tc:alice", "--max-hops", "40"), "max_hops must be between 0 and 16"),
        (("explain", "tc:ci", "store:Get", "x", "--context", "novalue"), "--context 'novalue': expected KEY=VALUE"),
    ],
)
def test_errors_exit_1_with_the_same_message_either_way(capsys, server, export, argv, message):
    for where in (("--server", server), ("--input", str(export))):
        status, out, err = run(capsys, *argv, *where)
        assert status == 1 and message in err and not out


def test_exactly_one_answer_source_is_required(capsys, export, monkeypatch):
    monkeypatch.delenv("CIEM_SERVER", raising=False)
    status, _, err = run(capsys, "status")
    assert status == 1 and "give exactly one of --server, --input or --config" in err
    status, _, err = run(capsys, "status", "--input", str(export), "--server", "127.0.0.1:1")
    assert status == 1 and "got --server, --input" in err
    monkeypatch.setenv("CIEM_SERVER", "127.0.0.1:1")  # the environment's server yields to --input
    assert run(capsys, "status", "--input", str(export))[0] == 0


def test_server_from_the_environment(capsys, server, monkeypatch):
    monkeypatch.setenv("CIEM_SERVER", server)
    assert run_json(capsys, "resolve", "KEY-ALICE")["id"] == "tc:alice"


def test_malformed_input_names_the_file(capsys, tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"other": 1}')
    status, _, err = run(capsys, "status", "--input", f"testcloud:{broken}")
    assert status == 1 and "broken.json: $.testcloud: not a testcloud export" in err


def test_serve_refuses_a_remote_listen_without_tls_and_auth(capsys, tmp_path, export):
    config = tmp_path / "ciem.yaml"
    config.write_text(f"listen: 0.0.0.0:0\nsources:\n  - files: {export.name}\n")
    status, _, err = run(capsys, "serve", "--config", str(config))
    assert status == 1 and "refusing to listen on non-loopback address 0.0.0.0:0" in err


class CollectingProvider:
    """Collects a snapshot echoing its options and writes it as one JSON file."""

    @hookimpl
    def ciem_collect(self, provider, options, progress):
        if provider != core_builders.PROVIDER:
            return None
        progress("collecting", 1, 1)
        snapshot = core_builders.snapshot("live")
        snapshot.data = {"options": dict(options)}
        return snapshot

    @hookimpl
    def ciem_write_export(self, snapshot, out):
        if snapshot.provider != core_builders.PROVIDER:
            return None
        out.mkdir(parents=True, exist_ok=True)
        (out / "export.json").write_text(json.dumps({"testcloud": snapshot.data}))
        return True


def test_collect_passes_options_and_writes_the_export(capsys, tmp_path):
    manager = new_manager(load_entry_points=False, plugins=(CollectingProvider(),))
    out = tmp_path / "export"
    argv = ["collect", "testcloud", "--out", str(out), "--option", "regions=[eu-west-1, us-east-1]",
            "--option", "depth=3", "--option", "profile=audit"]
    assert main(argv, manager=manager) == 0
    written = json.loads((out / "export.json").read_text())
    assert written == {"testcloud": {"options": {"regions": ["eu-west-1", "us-east-1"], "depth": 3, "profile": "audit"}}}
    assert f"wrote {out}" in capsys.readouterr().out
    assert main(["collect", "othercloud", "--out", str(out)], manager=manager) == 1
    assert "no installed provider 'othercloud' collects live" in capsys.readouterr().err


def test_plugin_verbs_are_added(capsys):
    class VerbProvider:
        @hookimpl
        def ciem_cli_commands(self, subparsers):
            verb = subparsers.add_parser("hello")
            verb.add_argument("name")
            verb.set_defaults(func=lambda args: print(f"hello {args.name}") or 7)

    assert main(["hello", "world"], manager=new_manager(load_entry_points=False, plugins=(VerbProvider(),))) == 7
    assert capsys.readouterr().out == "hello world\n"


def test_tls_and_token_options(capsys, secured, tmp_path, monkeypatch):
    port, pki, _ = secured
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    tls = ["--ca", str(pki["ca"]), "--cert", str(pki["client"]), "--key", str(pki["client-key"])]
    answer = run_json(capsys, "resolve", "tc:bob", "--server", f"localhost:{port}", *tls, "--token-file", str(token_file))
    assert answer["id"] == "tc:bob"
    monkeypatch.setenv("CIEM_TOKEN", TOKEN)
    assert run_json(capsys, "resolve", "tc:bob", "--server", f"localhost:{port}", *tls)["id"] == "tc:bob"
    monkeypatch.delenv("CIEM_TOKEN")
    status, _, err = run(capsys, "resolve", "tc:bob", "--server", f"localhost:{port}", *tls)
    assert status == 1 and "UNAUTHENTICATED: a valid bearer token is required" in err


DEMO = Path(__file__).resolve().parent.parent / "examples" / "aws-demo"


@pytest.mark.skipif(not DEMO.is_dir(), reason="the demo estate is not present")
def test_demo_estate_same_answer_from_server_and_files(capsys, tmp_path):
    """End to end with the AWS provider: harry reaches legacy-batch-admin through ops and SSM."""
    manager = default_manager()
    holder = IndexHolder(specs=[SourceSpec(provider="aws", path=DEMO)], manager=manager)
    holder.refresh()
    running = CiemServer(parse_config({"listen": "127.0.0.1:0"}), holder, manager)
    port = running.start()
    harry = "arn:aws:iam::222222222222:user/harry"
    try:
        argv = ("reach", harry, "--max-hops", "2", "--format", "json")
        remote = main([*argv, "--server", f"127.0.0.1:{port}"], manager=manager), capsys.readouterr().out
        local = main([*argv, "--input", f"aws:{DEMO}"], manager=manager), capsys.readouterr().out
    finally:
        running.stop(0)
    assert remote == local and remote[0] == 0
    answer = json.loads(remote[1])
    paths = {r["identity"]: [e["method"] for e in r["path"]["edges"]] for r in answer["reachable_identities"]}
    assert paths["arn:aws:iam::222222222222:role/legacy-batch-admin"] == ["sts:AssumeRole", "ssm:SendCommand"]


def test_serve_checks_sources_before_starting(capsys, tmp_path, export):
    config = tmp_path / "ciem.yaml"
    config.write_text("listen: 127.0.0.1:0\n")
    status, _, err = run(capsys, "serve", "--config", str(config))
    assert status == 1 and "ciem.yaml: sources: the service needs at least one source" in err
    config.write_text(f"sources:\n  - {{provider: othercloud, files: {export.name}}}\n")
    status, _, err = run(capsys, "serve", "--config", str(config))
    assert status == 1 and "sources[0].provider: no installed provider 'othercloud' (installed: testcloud)" in err
