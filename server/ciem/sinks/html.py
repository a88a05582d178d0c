"""A static HTML report of standing risk, one self-contained file that opens in a browser.

Ranked identities, findings by rule and severity, escalation and trust paths drawn as graphs (inline
SVG), and the trend across scans (kept in a JSON history beside the report). No server, no network:
styles and the one small script are inline.
"""

from __future__ import annotations

import html
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any, Iterable, Mapping

from ciem.findings.history import JsonHistory, trend_point, write_atomically
from ciem.findings.model import Finding, Scan
from ciem.model import Edge
from ciem.sinks.options import Options

SEVERITY_ORDER = ("critical", "high", "medium", "low", "info")
SEVERITY_COLOUR = {"critical": "#8b0000", "high": "#d9480f", "medium": "#e8a317", "low": "#2b8a3e", "info": "#868e96"}


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _short(identifier: str) -> str:
    """A readable node label: the last path or colon segment of an id."""
    tail = identifier.rsplit("/", 1)[-1]
    return tail.rsplit(":", 1)[-1] if tail == identifier else tail


def _sev(severity: str) -> str:
    return f'<span class="sev {_e(severity)}">{_e(severity)}</span>'


# -- graphs -----------------------------------------------------------------------------------------

_NODE_W, _NODE_H, _COL_GAP, _ROW_GAP, _PAD = 190, 30, 200, 26, 10


def path_graph(paths: Iterable[tuple[Edge, ...]]) -> str:
    """The union of ``paths`` as a left-to-right layered graph in SVG: a node's column is its
    distance from the start along the paths; conditional edges are dashed."""
    columns: dict[str, int] = {}
    edges: dict[tuple[str, str, str], Edge] = {}
    for path in paths:
        if not path:
            continue
        columns.setdefault(path[0].source, 0)
        for hop, edge in enumerate(path, 1):
            columns[edge.target] = min(columns.get(edge.target, hop), hop)
            edges[(edge.source, edge.target, edge.method)] = edge
    if not edges:
        return ""
    rows: dict[int, list[str]] = {}
    for node, column in columns.items():
        rows.setdefault(column, []).append(node)
    position = {node: (column, row) for column, nodes in rows.items() for row, node in enumerate(nodes)}
    width = _PAD * 2 + (max(rows) + 1) * _NODE_W + max(rows) * _COL_GAP
    height = _PAD * 2 + max(len(nodes) for nodes in rows.values()) * (_NODE_H + _ROW_GAP)

    def xy(node: str) -> tuple[int, int]:
        column, row = position[node]
        return _PAD + column * (_NODE_W + _COL_GAP), _PAD + row * (_NODE_H + _ROW_GAP)

    parts = [
        f'<svg class="path-graph" role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#495057"/></marker></defs>',
    ]
    for (source, target, method), edge in edges.items():
        (x1, y1), (x2, y2) = xy(source), xy(target)
        start = (x1 + _NODE_W, y1 + _NODE_H // 2)
        end = (x2, y2 + _NODE_H // 2) if x2 > x1 else (x2 + _NODE_W // 2, y2 + (0 if y2 > y1 else _NODE_H))
        dash = ' stroke-dasharray="5 3"' if edge.conditions else ""
        title = f"{edge.kind.value} via {method}" + (f" if {', '.join(edge.conditions)}" if edge.conditions else "")
        parts.append(
            f'<g class="edge"><title>{_e(title)}</title><line x1="{start[0]}" y1="{start[1]}" x2="{end[0]}" y2="{end[1]}" '
            f'stroke="#495057" stroke-width="1.5"{dash} marker-end="url(#arrow)"/>'
            # The label sits two thirds of the way along, where edges fanning out of one node have parted.
            f'<text x="{(start[0] + 2 * end[0]) // 3}" y="{(start[1] + 2 * end[1]) // 3 - 4}" text-anchor="middle" '
            f'fill="#495057">{_e(method[:30])}</text></g>'
        )
    for node in columns:
        x, y = xy(node)
        parts.append(
            f'<g class="node"><title>{_e(node)}</title><rect x="{x}" y="{y}" width="{_NODE_W}" height="{_NODE_H}" rx="4" '
            f'fill="#e7f5ff" stroke="#1c7ed6"/><text x="{x + _NODE_W // 2}" y="{y + 19}" text-anchor="middle">'
            f"{_e(_short(node)[:28])}</text></g>"
        )
    parts.append("</svg>")
    return "".join(parts)


def trend_chart(points: list[Mapping[str, Any]]) -> str:
    """Open findings per severity across scans, as stacked lines in SVG."""
    if len(points) < 2:
        return '<p class="muted">The trend appears from the second scan on.</p>'
    width, height, pad = 720, 220, 36
    peak = max(max(p["open"] for p in points), 1)
    step = (width - 2 * pad) / (len(points) - 1)

    def y(value: float) -> float:
        return height - pad - (height - 2 * pad) * value / peak

    parts = [f'<svg id="trend-chart" role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
             f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" stroke="#adb5bd"/>',
             f'<text x="4" y="{pad}">{peak}</text><text x="4" y="{height - pad}">0</text>']
    series = [("open", "#1c2833", lambda p: p["open"])] + [
        (name, SEVERITY_COLOUR[name], (lambda p, n=name: p["severity"].get(n, 0))) for name in SEVERITY_ORDER
    ]
    for name, colour, value in series:
        if not any(value(p) for p in points):
            continue
        coordinates = " ".join(f"{pad + i * step:.1f},{y(value(p)):.1f}" for i, p in enumerate(points))
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{coordinates}"><title>{name}</title></polyline>')
    for i, point in enumerate(points):
        parts.append(f'<text x="{pad + i * step:.1f}" y="{height - 12}" text-anchor="middle">{_e(point["at"][:10])}</text>')
    parts.append("</svg>")
    legend = " ".join(f'<span class="badge" style="border-color:{c}">{n}</span>'
                      for n, c in [("open", "#1c2833")] + [(n, SEVERITY_COLOUR[n]) for n in SEVERITY_ORDER])
    return "".join(parts) + f"<p>{legend}</p>"


# -- sections ---------------------------------------------------------------------------------------


def _finding_block(finding: Finding) -> str:
    details = "".join(
        f"<tr><th>{_e(key)}</th><td>{_e(', '.join(map(str, value)) if isinstance(value, list) else value)}</td></tr>"
        for key, value in finding.details.items()
    )
    graph = path_graph(finding.paths)
    return (
        f'<details class="finding" data-rule="{_e(finding.rule)}"><summary>{_sev(finding.score.severity)} '
        f"<b>{finding.score.value}</b> {_e(finding.title)} <span class=\"muted\">{_e(finding.status.value)}, "
        f"usage {_e(finding.usage.value)}</span></summary>"
        f'<p class="explain">{_e(finding.score.explanation)}</p>'
        f"<table>{details}<tr><th>subject</th><td>{_e(finding.subject)}</td></tr>"
        f"<tr><th>first seen</th><td>{_e(finding.first_seen.isoformat() if finding.first_seen else '')}</td></tr>"
        f"<tr><th>finding id</th><td>{_e(finding.id)}</td></tr></table>{graph}</details>"
    )


def render(scan: Scan, trend: list[Mapping[str, Any]], title: str = "ciem: standing identity risk") -> str:
    """The report for a scan whose history has been applied."""
    template = Template((resources.files("ciem.sinks") / "report.html").read_text(encoding="utf-8"))
    by_id = {finding.id: finding for finding in scan.findings}
    severities = {name: 0 for name in SEVERITY_ORDER}
    for finding in scan.findings:
        severities[finding.score.severity] += 1
    cards = [f'<div class="card"><b>{len(scan.findings)}</b>open findings</div>',
             f'<div class="card"><b>{len(scan.identities)}</b>identities at risk</div>',
             f'<div class="card"><b>{sum(1 for f in scan.findings if f.status.value == "new")}</b>new</div>',
             f'<div class="card"><b>{len(scan.resolved)}</b>resolved</div>']
    cards += [f'<div class="card">{_sev(name)}<b>{count}</b></div>' for name, count in severities.items() if count]
    identity_rows = []
    for rank, risk in enumerate(scan.identities, 1):
        badges = ("<span class=\"badge\">human</span>" if risk.human else "") + (
            "<span class=\"badge\">admin</span>" if risk.admin else "")
        worst = by_id.get(risk.findings[0]) if risk.findings else None
        identity_rows.append(
            f'<tr data-identity="{_e(risk.identity)}"><td class="num">{rank}</td><td class="num">'
            f'<span class="bar" style="width:{risk.score}px"></span>{risk.score}</td><td>{_sev(risk.severity)}</td>'
            f'<td title="{_e(risk.identity)}">{_e(risk.name)}{badges}</td><td>{_e(risk.account)}</td>'
            f'<td class="num">{len(risk.findings)}</td><td>{_e(risk.explanation)}'
            f'{"<br><span class=muted>" + _e(worst.title) + "</span>" if worst else ""}</td></tr>'
        )
    rules = {rule.id: rule for rule in scan.rules}
    counts: dict[str, dict[str, int]] = {}
    for finding in scan.findings:
        counts.setdefault(finding.rule, {name: 0 for name in SEVERITY_ORDER})[finding.score.severity] += 1
    matrix = ["<thead><tr><th>Rule</th>" + "".join(f'<th class="num">{_sev(n)}</th>' for n in SEVERITY_ORDER)
              + '<th class="num">Total</th></tr></thead><tbody>']
    for rule_id, row in sorted(counts.items(), key=lambda item: [-item[1][n] for n in SEVERITY_ORDER]):
        rule = rules.get(rule_id)
        matrix.append(
            f'<tr><td title="{_e(rule.rationale if rule else "")}"><b>{_e(rule_id)}</b><br>'
            f'<span class="muted">{_e(rule.title if rule else "")}</span></td>'
            + "".join(f'<td class="num">{row[n] or ""}</td>' for n in SEVERITY_ORDER)
            + f'<td class="num">{sum(row.values())}</td></tr>'
        )
    matrix.append("</tbody>")
    findings_html = "".join(_finding_block(finding) for finding in scan.findings) or '<p class="muted">No findings.</p>'
    resolved_html = "".join(
        f"<p>{_sev(f.score.severity)} {_e(f.title)} <span class=\"muted\">first seen "
        f"{_e(f.first_seen.date().isoformat() if f.first_seen else '')}</span></p>"
        for f in scan.resolved
    ) or '<p class="muted">Nothing was resolved since the previous scan.</p>'
    notes = "".join(f"<li>{_e(note)}</li>" for note in scan.notes)
    return template.substitute(
        title=_e(title), scan_id=_e(scan.id), scan_time=_e(scan.at.isoformat()),
        built_time=_e(scan.index_built_at.isoformat()), cards="".join(cards),
        notes=f'<ul class="notes">{notes}</ul>' if notes else "",
        identity_rows="".join(identity_rows), matrix="".join(matrix), trend=trend_chart(trend),
        findings=findings_html, resolved=resolved_html,
    )


class HtmlReportSink:
    """``kind: html``; options ``path`` (the report file), ``history`` (default: beside it,
    ``<name>.history.json``) and ``title``."""

    def __init__(self, path: Path, history: Path | None = None, title: str = "ciem: standing identity risk"):
        self.path = Path(path)
        self.history = JsonHistory(history or self.path.with_name(self.path.name + ".history.json"))
        self.title = title

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> "HtmlReportSink":
        read = Options(options, "html", {"path", "history", "title"})
        return cls(read.path("path"), read.optional_path("history"), read.string("title", "ciem: standing identity risk"))

    def publish(self, scan: Scan) -> None:
        scan = self.history.apply(scan)
        page = render(scan, self.history.trend + [trend_point(scan)], self.title)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(self.path, page.encode("utf-8"))
        self.history.commit(scan)

    def close(self) -> None:
        """Nothing is held open between scans."""
