"""The YAML configuration: every documented key, and errors that name the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from ciem.config import (
    DEFAULT_LISTEN,
    LIMIT_KEYS,
    TOP_LEVEL_KEYS,
    Limits,
    check_bind_safety,
    is_loopback,
    load_config,
    parse_config,
    parse_listen,
)
from ciem.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, text: str, name: str = "ciem.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_example_config_loads_and_documents_every_key():
    config = load_config(ROOT / "config" / "example.yaml")
    assert config.listen == "127.0.0.1:50051"
    assert config.refresh_interval == 6 * 3600
    assert config.sources[0].provider == "aws"
    assert config.sources[0].path == (ROOT / "config" / "../examples/aws-demo")
    assert config.state_dir == ROOT / "config" / "state"
    text = (ROOT / "config" / "example.yaml").read_text()
    for key in TOP_LEVEL_KEYS:
        assert f"\n{key}:" in text or f"\n# {key}:" in text, f"{key} is not documented in config/example.yaml"
    for key in LIMIT_KEYS:
        assert f"\n  {key}:" in text, f"limits.{key} is not documented in config/example.yaml"
    for key in ("cert:", "key:", "client_ca:", "tokens_file:", "files:", "live:"):
        assert key in text


def test_defaults_and_relative_paths(tmp_path):
    export = tmp_path / "exports" / "prod"
    export.mkdir(parents=True)
    config = load_config(write(tmp_path, "sources:\n  - files: exports/prod\nstate_dir: st\n"))
    assert config.listen == DEFAULT_LISTEN
    assert config.refresh_interval is None
    assert config.sources[0].path == export and config.sources[0].provider == ""
    assert config.state_dir == tmp_path / "st"
    assert load_config(write(tmp_path, "", "empty.yaml")).sources == ()


@pytest.mark.parametrize(
    "value, seconds",
    [("90s", 90), ("15m", 900), ("6h", 21600), ("1d", 86400), (3600, 3600), ("0", None), (0, None), ("1.5h", 5400)],
)
def test_refresh_interval_forms(value, seconds):
    assert parse_config({"refresh_interval": value}).refresh_interval == seconds


def test_limits_defaults_and_overrides():
    assert parse_config({}).limits == Limits()
    limits = parse_config({"workers": 16, "limits": {"max_results": 50, "max_concurrent_per_client": 8,
                                                     "default_deadline_seconds": 2.5}}).limits
    assert (limits.max_results, limits.max_concurrent_per_client, limits.default_deadline_seconds) == (50, 8, 2.5)
    assert limits.max_hops == Limits().max_hops and limits.max_message_bytes == Limits().max_message_bytes


def test_live_source_keeps_its_options():
    config = parse_config({"sources": [{"provider": "aws", "live": {"profile": "audit", "regions": ["us-east-1"]}}]})
    assert config.sources[0].live == {"profile": "audit", "regions": ["us-east-1"]}
    assert config.sources[0].path is None


def test_activity_findings_and_sinks(tmp_path):
    config = parse_config({
        "activity": [{"provider": "aws", "kind": "cloudtrail", "paths": ["trail/a", "/var/trail/b"]},
                     {"provider": "aws", "kind": "access-advisor", "profile": "audit"}],
        "findings": {"max_hops": 3, "disabled_rules": ["unused-identity"]},
        "sinks": [{"kind": "sqlite", "path": "state/findings.sqlite"}, {"kind": "opensearch", "url": "https://os:9200"}],
    }, tmp_path / "ciem.yaml")
    assert config.activity[0].provider == "aws"
    assert config.activity[0].source == {"kind": "cloudtrail", "paths": [str(tmp_path / "trail/a"), "/var/trail/b"]}
    assert config.activity[1].source == {"kind": "access-advisor", "profile": "audit"}
    assert config.findings.max_hops == 3 and config.findings.disabled_rules == ("unused-identity",)
    assert config.sinks == ({"kind": "sqlite", "path": str(tmp_path / "state/findings.sqlite")},
                            {"kind": "opensearch", "url": "https://os:9200"})
    assert parse_config({}).sinks is None  # the defaults
    assert parse_config({"sinks": []}).sinks == ()  # none at all


@pytest.mark.parametrize(
    "text, message",
    [
        ("activity: [{kind: cloudtrail}]\n", r"ciem.yaml: activity\[0\].provider: expected a non-empty string"),
        ("activity: [{provider: aws, paths: a}]\n", r"ciem.yaml: activity\[0\].paths: expected a list"),
        ("sinks: [{path: x}]\n", r"ciem.yaml: sinks\[0\].kind: expected a non-empty string"),
        ("findings: {max_hops: 0}\n", r"ciem.yaml: findings.max_hops: expected a positive integer"),
        ("findings: {colour: red}\n", r"ciem.yaml: findings.colour: unknown key"),
        ("listen: [1, 2]\n", r"ciem.yaml: listen: expected a non-empty string"),
        ("listen: localhost\n", r"ciem.yaml: listen: 'localhost' is not HOST:PORT"),
        ("listen: 127.0.0.1:70000\n", r"ciem.yaml: listen: port 70000 is out of range"),
        ("refresh_interval: soon\n", r"ciem.yaml: refresh_interval: expected a duration"),
        ("refresh_interval: 10s\n", r"ciem.yaml: refresh_interval: '10s' is shorter than the minimum"),
        ("sources: {provider: aws}\n", r"ciem.yaml: sources: expected a list"),
        ("sources:\n  - provider: aws\n", r"ciem.yaml: sources\[0\]: give exactly one of files"),
        ("sources:\n  - {provider: aws, files: nowhere}\n", r"ciem.yaml: sources\[0\].files: .*nowhere: no such file"),
        ("sources:\n  - {live: {}}\n", r"ciem.yaml: sources\[0\].provider: expected a non-empty string"),
        ("sources:\n  - {provider: aws, live: [1]}\n", r"ciem.yaml: sources\[0\].live: expected a mapping"),
        ("sources:\n  - {provider: aws, live: {}, colour: red}\n", r"ciem.yaml: sources\[0\].colour: unknown key"),
        ("tls: {cert: a.pem}\n", r"ciem.yaml: tls.key: required when tls is set"),
        ("tls: {cert: a.pem, key: b.pem}\n", r"ciem.yaml: tls.cert: .*a.pem: no such file"),
        ("auth: {}\n", r"ciem.yaml: auth.tokens_file: required"),
        ("workers: 0\n", r"ciem.yaml: workers: expected a positive integer"),
        ("insecure_allow_remote_without_tls_and_auth: yes please\n", r"ciem.yaml: insecure_allow_remote_without_tls_and_auth: expected true or false"),
        ("lisen: 127.0.0.1:1\n", r"ciem.yaml: lisen: unknown key"),
        ("limits: 5\n", r"ciem.yaml: limits: expected a mapping"),
        ("limits: {max_result: 5}\n", r"ciem.yaml: limits.max_result: unknown key"),
        ("limits: {max_results: 0}\n", r"ciem.yaml: limits.max_results: expected a positive integer"),
        ("limits: {max_hops: 17}\n", r"ciem.yaml: limits.max_hops: at most 16"),
        ("limits: {max_identifiers_per_enrich: 1.5}\n", r"ciem.yaml: limits.max_identifiers_per_enrich: expected a positive"),
        ("workers: 4\nlimits: {max_concurrent_per_client: 4}\n",
         r"ciem.yaml: limits.max_concurrent_per_client: must be below workers \(4\)"),
        ("limits: {default_deadline_seconds: 0}\n", r"ciem.yaml: limits.default_deadline_seconds: expected a number"),
        ("max_message_bytes: 1024\n", r"ciem.yaml: max_message_bytes: unknown key"),
        ("- just a list\n", r"ciem.yaml: \(top level\): expected a mapping"),
        ("listen: [unclosed\n", r"ciem.yaml: not valid YAML \(line 2, column 1\)"),
    ],
)
def test_errors_name_the_file_and_key(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message):
        load_config(write(tmp_path, text))


def test_unreadable_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match=r"missing.yaml: cannot read"):
        load_config(tmp_path / "missing.yaml")


@pytest.mark.parametrize(
    "listen, host, port",
    [("127.0.0.1:50051", "127.0.0.1", 50051), ("[::1]:9", "::1", 9), ("ciem.internal:443", "ciem.internal", 443)],
)
def test_parse_listen(listen, host, port):
    assert parse_listen(listen) == (host, port)


@pytest.mark.parametrize(
    "host, loopback",
    [("127.0.0.1", True), ("127.8.0.1", True), ("::1", True), ("localhost", True),
     ("0.0.0.0", False), ("::", False), ("10.0.0.5", False), ("ciem.internal", False)],
)
def test_is_loopback(host, loopback):
    assert is_loopback(host) is loopback


def test_bind_safety(tmp_path):
    (tmp_path / "c.pem").write_text("x")
    (tmp_path / "k.pem").write_text("x")
    (tmp_path / "tokens").write_text("x")
    tls = {"cert": "c.pem", "key": "k.pem"}
    auth = {"tokens_file": "tokens"}
    path = tmp_path / "ciem.yaml"
    assert check_bind_safety(parse_config({"listen": "127.0.0.1:1"}, path)) is None
    with pytest.raises(ConfigError, match="without auth"):
        check_bind_safety(parse_config({"listen": "0.0.0.0:1", "tls": tls}, path))
    with pytest.raises(ConfigError, match="without tls;"):
        check_bind_safety(parse_config({"listen": "0.0.0.0:1", "auth": auth}, path))
    assert check_bind_safety(parse_config({"listen": "0.0.0.0:1", "tls": tls, "auth": auth}, path)) is None
    warning = check_bind_safety(parse_config({"listen": "0.0.0.0:1", "insecure_allow_remote_without_tls_and_auth": True}, path))
    assert warning.startswith("INSECURE") and "without tls and auth" in warning
