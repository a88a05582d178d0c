"""The static HTML report, opened from a file in headless Chromium."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from ciem.sinks.html import HtmlReportSink, path_graph

from findings_estates import estate_scan

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium is not installed (Debian: apt-get install -y chromium)"
)


def _chromium(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--no-first-run", "--disable-extensions", *args],
        capture_output=True, text=True, timeout=120, check=True,
    )


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    sink = HtmlReportSink(folder / "report.html")
    scans = [estate_scan(0, extra_users=2), estate_scan(1, dev_trusted=False, extra_users=2), estate_scan(2, alice_mfa=True)]
    for scan in scans:
        sink.publish(scan)
    return folder / "report.html", sink.history.apply(scans[-1])


@needs_chromium
def test_report_opened_in_chromium_shows_the_ranked_identities(report):
    path, last = report
    dom = _chromium("--dump-dom", path.as_uri()).stdout
    # The inline script ran in the browser and counted the ranked rows.
    assert f'data-ready="{len(last.identities)}"' in dom
    rows = re.findall(r'<tr data-identity="([^"]+)">', dom)
    assert rows == [risk.identity for risk in last.identities]
    assert rows[0] == "tc:alice" and "tc:builder" in rows
    assert 'id="trend-chart"' in dom  # three scans: a trend
    assert dom.count('class="path-graph"') >= 2  # the escalation and the assume path, drawn
    assert "user-001 signs in with a password and no MFA" in dom.split('id="resolved"')[1]


@needs_chromium
def test_report_renders_to_a_screenshot(report, tmp_path):
    path, _ = report
    shot = tmp_path / "report.png"
    _chromium("--window-size=1400,2000", f"--screenshot={shot}", path.as_uri())
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000  # a page with content, not a blank one


def test_report_file_is_self_contained(report):
    path, _ = report
    page = path.read_text(encoding="utf-8")
    assert not re.search(r'(src|href)="(https?:)?//', page) and "<link" not in page
    assert "<style>" in page and "<script>" in page  # styles and script inline


def test_path_graph_lays_out_the_union_of_paths():
    scan = estate_scan(0)
    dev = next(f for f in scan.findings if f.subject == "tc:dev")
    svg = path_graph(dev.paths)
    assert svg.count('class="node"') == 2 and svg.count('class="edge"') == 1
    assert "<title>tc:boss</title>" in svg and path_graph(()) == ""
