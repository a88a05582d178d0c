"""The embedded SQLite sink: findings and their history across scans, and ``ciem findings``."""

from __future__ import annotations

import json
import sqlite3

import pytest

from ciem.errors import InputError
from ciem.findings.model import Status
from ciem.providers import new_manager
from ciem.sinks import default_sink_configs, make_sinks
from ciem.sinks.sqlite import FindingsStore

from findings_estates import estate_scan


@pytest.fixture
def sink(tmp_path):
    (made,) = make_sinks(new_manager(load_entry_points=False), [{"kind": "sqlite", "path": str(tmp_path / "f.sqlite")}])
    yield made
    made.close()


def test_a_second_scan_marks_fixed_risks_resolved_with_the_time(sink):
    first, second = estate_scan(0), estate_scan(1, dev_trusted=False)
    sink.publish(first)
    sink.publish(second)
    store = sink.store
    resolved = store.findings(["resolved"])
    assert [(f.subject, f.rule) for f in resolved] == [("tc:dev", "admin-equivalent")]
    assert resolved[0].resolved_at == second.at and resolved[0].first_seen == first.at
    still = store.findings()
    assert {f.status for f in still} == {Status.OPEN}
    assert all(f.first_seen == first.at and f.last_seen == second.at for f in still)
    assert len(still) == len(first.findings) - 1
    events = store.events(resolved[0].id)
    assert [(status, at) for _, at, status, _ in events] == [
        ("new", first.at.isoformat()), ("resolved", second.at.isoformat())
    ]


def test_a_risk_that_returns_is_new_again_and_ranked_reads(sink):
    sink.publish(estate_scan(0))
    sink.publish(estate_scan(1, dev_trusted=False))
    third = estate_scan(2)
    sink.publish(third)
    store = sink.store
    dev = next(f for f in store.findings() if f.subject == "tc:dev")
    assert dev.status is Status.NEW and dev.first_seen == third.at
    scores = [f.score.value for f in store.findings()]
    assert scores == sorted(scores, reverse=True)
    assert [r.identity for r in store.identities()] == [r.identity for r in third.identities]
    trend = [s.trend for s in store.scans()]
    assert [(t["open"], t["new"], t["resolved"]) for t in trend] == [(8, 8, 0), (7, 0, 1), (8, 1, 0)]
    assert store.findings(min_score=70, rule="admin-equivalent")
    assert not store.findings(min_score=101)


def test_publishing_the_same_scan_twice_changes_nothing(sink):
    scan = estate_scan(0)
    sink.publish(scan)
    sink.publish(scan)
    assert len(sink.store.scans()) == 1 and {f.status for f in sink.store.findings()} == {Status.NEW}


def test_store_survives_reopening_and_refuses_foreign_files(tmp_path):
    path = tmp_path / "f.sqlite"
    store = FindingsStore(path)
    store.record(estate_scan(0))
    store.close()
    reopened = FindingsStore(path, create=False)
    assert len(reopened.findings()) == 8
    reopened.close()
    with pytest.raises(InputError, match="no findings database here yet"):
        FindingsStore(tmp_path / "missing.sqlite", create=False)
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not a database at all, just some bytes" * 20)
    with pytest.raises(InputError, match="not a findings database"):
        FindingsStore(junk)
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as db:
        db.executescript("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL); INSERT INTO meta VALUES ('schema', '99');")
    with pytest.raises(InputError, match="schema 99"):
        FindingsStore(other)


def test_default_sinks_and_the_findings_verb(tmp_path, capsys):
    import argparse

    from rich.console import Console

    from ciem.findings.cli import add_cli

    manager = new_manager(load_entry_points=False)
    sinks = make_sinks(manager, default_sink_configs(tmp_path))
    for scan in (estate_scan(0), estate_scan(1, dev_trusted=False)):
        for sink in sinks:
            sink.publish(scan)
    for sink in sinks:
        sink.close()
    assert (tmp_path / "report.html").is_file()

    parser = argparse.ArgumentParser()
    add_cli(parser.add_subparsers(dest="verb"))

    def run(*argv):
        args = parser.parse_args(["findings", "--db", str(tmp_path / "findings.sqlite"), *argv])
        args.console = Console(width=400, soft_wrap=True)
        assert args.func(args) == 0
        return capsys.readouterr().out

    resolved = json.loads(run("--status", "resolved", "--format", "json"))
    assert [(f["subject"], f["status"]) for f in resolved] == [("tc:dev", "resolved")]
    table = run()
    assert "alice is admin-equivalent" in table and "tc:dev" not in table
    ranked = json.loads(run("--identities", "--format", "json"))
    assert ranked[0]["name"] == "alice" and ranked[0]["score"] >= ranked[-1]["score"]



def test_ciem_scan_on_the_aws_demo_estate_writes_ranked_findings_and_the_report(tmp_path, capsys):
    from pathlib import Path

    from ciem.cli import main

    demo = Path(__file__).resolve().parents[1] / "examples" / "aws-demo"
    assert main(["scan", "--input", str(demo), "--state-dir", str(tmp_path)]) == 0
    assert "findings over" in capsys.readouterr().out
    store = FindingsStore(tmp_path / "findings.sqlite", create=False)
    findings = store.findings()
    rules = {f.rule for f in findings}
    assert {"admin-equivalent", "privilege-escalation-path", "console-without-mfa",
            "aws-third-party-trust-without-external-id"} <= rules
    vendor = next(f for f in findings if f.rule == "aws-third-party-trust-without-external-id")
    assert vendor.subject == "arn:aws:iam::222222222222:role/VendorMonitoring"
    assert any(f.rule == "console-without-mfa" and f.subject_name == "frank" for f in findings)
    ranked = store.identities()
    assert ranked and [r.score for r in ranked] == sorted((r.score for r in ranked), reverse=True)
    store.close()
    assert "Ranked identities" in (tmp_path / "report.html").read_text()
