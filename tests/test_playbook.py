"""examples/playbook_enrich.py against a real server serving the AWS demo estate."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ciem.config import parse_config
from ciem.errors import InputError
from ciem.pipeline import IndexHolder
from ciem.providers import default_manager
from ciem.service import CiemServer

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
ALERTS = EXAMPLES / "alerts"
CI_BOT = "arn:aws:iam::333333333333:user/ci-bot"
OPS = "arn:aws:iam::222222222222:role/ops"


def _playbook():
    spec = importlib.util.spec_from_file_location("playbook_enrich", EXAMPLES / "playbook_enrich.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


playbook = _playbook()


@pytest.fixture(scope="module")
def server():
    """The demo configuration's AWS source and AWS activity, served on a free loopback port."""
    demo = yaml.safe_load((EXAMPLES / "demo-config.yaml").read_text())
    config = parse_config({
        "listen": "127.0.0.1:0",
        "sources": [s for s in demo["sources"] if s["provider"] == "aws"],
        "activity": [a for a in demo["activity"] if a["provider"] == "aws"],
    }, EXAMPLES / "demo-config.yaml")
    manager = default_manager()
    holder = IndexHolder(specs=config.sources, manager=manager, activity=config.activity)
    running = CiemServer(config, holder, manager)
    holder.refresh()
    port = running.start()
    yield f"127.0.0.1:{port}"
    running.stop(0)


def run(capsys, *argv) -> dict:
    assert playbook.main([*argv]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def test_guardduty_finding_gets_the_access_key_and_principal_enriched(capsys, server):
    alert_file = ALERTS / "guardduty-ci-bot.json"
    out = run(capsys, str(alert_file), "--server", server)
    original = json.loads(alert_file.read_text())
    assert {k: v for k, v in out.items() if k != "ciem"} == original  # the alert itself is unchanged
    assert list(out["ciem"]) == ["AKIAJDAQRAWULK55YCJJ", "AIDAS4HYYQPNHIN4XMXF4"]
    # The demo export lists no access key ids (it has no list-access-keys output): the key is unknown.
    assert "AKIAJDAQRAWULK55YCJJ" in out["ciem"]["AKIAJDAQRAWULK55YCJJ"]["error"]
    ci_bot = out["ciem"]["AIDAS4HYYQPNHIN4XMXF4"]
    assert ci_bot["identity"] == {"id": CI_BOT, "provider": "aws", "account": "333333333333", "name": "ci-bot",
                                  "kind": "IDENTITY_KIND_USER", "human": False}
    assert not ci_bot["admin_equivalent"]
    # ci-bot assumes ci-deploy, which assumes prod's ProdDeployer (examples/README.md).
    first_path = ci_bot["paths_to_admin"][0]
    assert first_path[0] == {"source": CI_BOT, "target": "arn:aws:iam::333333333333:role/ci-deploy",
                             "method": "sts:AssumeRole"}
    assert ci_bot["reachable_identities"] >= 2 and ci_bot["sensitive_resources"]
    assert ci_bot["last_used"] and 0 <= ci_bot["unused_share"] <= 1  # the demo's CloudTrail logs were read
    assert ci_bot["open_findings"], "the demo flags ci-bot's path to admin"
    scores = [f["score"] for f in ci_bot["open_findings"]]
    assert scores == sorted(scores, reverse=True)
    assert ci_bot["risk"]["score"] == scores[0] and ci_bot["risk"]["finding"] == ci_bot["open_findings"][0]["id"]
    assert set(ci_bot["risk"]["reasons"]) >= {"impact", "exploitability"}


def test_cloudtrail_event_session_arn_resolves_to_its_role_and_skips_the_session_key(capsys, server):
    out = run(capsys, str(ALERTS / "cloudtrail-ops-session.json"), "--server", server)
    session = "arn:aws:sts::222222222222:assumed-role/ops/harry"
    assert list(out["ciem"]) == [session]  # the ASIA session key is left out
    ops = out["ciem"][session]
    assert ops["identity"]["id"] == OPS and ops["identity"]["kind"] == "IDENTITY_KIND_ROLE"
    assert not ops["admin_equivalent"] and ops["reachable_identities"] >= 1
    assert ops["sensitive_resources"].get("critical", 0) >= 1 and ops["last_used"]
    assert {f["rule"] for f in ops["open_findings"]} >= {"unused-sensitive-access"}
    assert ops["risk"]["score"] == max(f["score"] for f in ops["open_findings"])
    assert out["detail"]["eventName"] == "SendCommand"


def test_generic_identifiers_from_stdin(server):
    alert = {"rule": "impossible travel", "identifiers": ["arn:aws:iam::111111111111:user/alice", "nobody"]}
    done = subprocess.run([sys.executable, str(EXAMPLES / "playbook_enrich.py"), "--server", server],
                          input=json.dumps(alert), capture_output=True, text=True, timeout=60, check=True)
    out = json.loads(done.stdout)
    alice = out["ciem"]["arn:aws:iam::111111111111:user/alice"]
    assert alice["admin_equivalent"] and alice["admin_reason"] and alice["paths_to_admin"] == []
    assert out["ciem"]["nobody"]["error"] and out["rule"] == "impossible travel"


@pytest.mark.parametrize("alert, where", [
    ([1, 2], "(top level)"),
    ({"identifiers": "alice"}, "identifiers"),
    ({"detail": {"userIdentity": {"arn": 7}}}, "detail.userIdentity.arn"),
])
def test_malformed_alerts_name_the_place(alert, where):
    with pytest.raises(InputError, match=re.escape(f"alert.json: {where}: expected")):
        playbook.identifiers(alert, "alert.json")


def test_not_json_is_an_error_naming_the_file_and_line(tmp_path, capsys, monkeypatch):
    bad = tmp_path / "alert.json"
    bad.write_text('{"identifiers": [\n')
    assert playbook.main([str(bad), "--server", "127.0.0.1:1"]) == 1
    assert f"{bad}: line 2, column 1: not JSON" in capsys.readouterr().err
