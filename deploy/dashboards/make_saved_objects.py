"""Write ciem-saved-objects.ndjson: the OpenSearch Dashboards objects for ciem's indices.

Index patterns for the three indices, four visualisations and the "ciem: standing risk" dashboard.
Run it after changing the objects; tests check the committed file is its output and that every
field it names is mapped by the sink's index templates.

    python deploy/dashboards/make_saved_objects.py
"""

from __future__ import annotations

import json
from pathlib import Path

OUT = Path(__file__).with_name("ciem-saved-objects.ndjson")
OPEN = 'ciem.finding.status:("new" or "open")'


def index_pattern(name: str) -> dict:
    return {
        "id": name, "type": "index-pattern", "references": [],
        "migrationVersion": {"index-pattern": "7.6.0"},
        "attributes": {"title": f"{name}*", "timeFieldName": "@timestamp"},
    }


def _search_source(query: str = "") -> str:
    return json.dumps({
        "query": {"query": query, "language": "kuery"}, "filter": [],
        "indexRefName": "kibanaSavedObjectMeta.searchSourceJSON.index",
    })


def visualization(vis_id: str, title: str, pattern: str, vis_type: str, params: dict, aggs: list[dict],
                  query: str = "") -> dict:
    return {
        "id": vis_id, "type": "visualization",
        "migrationVersion": {"visualization": "7.10.0"},
        "references": [{"name": "kibanaSavedObjectMeta.searchSourceJSON.index", "type": "index-pattern", "id": pattern}],
        "attributes": {
            "title": title, "description": "", "version": 1, "uiStateJSON": "{}",
            "visState": json.dumps({"title": title, "type": vis_type, "params": params, "aggs": aggs}),
            "kibanaSavedObjectMeta": {"searchSourceJSON": _search_source(query)},
        },
    }


def _agg(agg_id: str, agg_type: str, schema: str, **params) -> dict:
    return {"id": agg_id, "enabled": True, "type": agg_type, "schema": schema, "params": params}


def _terms(agg_id: str, field: str, schema: str = "bucket", size: int = 50, order_by: str = "1", label: str = "") -> dict:
    return _agg(agg_id, "terms", schema, field=field, orderBy=order_by, order="desc", size=size,
                otherBucket=False, otherBucketLabel="Other", missingBucket=False, missingBucketLabel="Missing",
                customLabel=label)


TABLE = {"perPage": 25, "showPartialRows": False, "showMetricsAtAllLevels": False, "showTotal": False,
         "totalFunc": "sum", "percentageCol": "", "sort": {"columnIndex": None, "direction": None}}


def _xy(kind: str) -> dict:
    return {
        "type": kind, "addTooltip": True, "addLegend": True, "legendPosition": "right", "times": [],
        "addTimeMarker": False,
        "grid": {"categoryLines": False},
        "categoryAxes": [{"id": "CategoryAxis-1", "type": "category", "position": "bottom", "show": True,
                          "style": {}, "scale": {"type": "linear"}, "labels": {"show": True, "filter": True, "truncate": 100},
                          "title": {}}],
        "valueAxes": [{"id": "ValueAxis-1", "name": "LeftAxis-1", "type": "value", "position": "left", "show": True,
                       "style": {}, "scale": {"type": "linear", "mode": "normal"},
                       "labels": {"show": True, "rotate": 0, "filter": False, "truncate": 100}, "title": {"text": ""}}],
        "seriesParams": [{"show": True, "type": "histogram" if kind == "histogram" else "line",
                          "mode": "stacked" if kind == "histogram" else "normal",
                          "data": {"label": "value", "id": "1"}, "valueAxis": "ValueAxis-1",
                          "drawLinesBetweenPoints": True, "lineWidth": 2, "showCircles": True}],
    }


def objects() -> list[dict]:
    ranked = visualization(
        "ciem-ranked-identities", "ciem: ranked identities", "ciem-identities", "table", TABLE,
        [_agg("1", "max", "metric", field="user.risk.calculated_score_norm", customLabel="risk score"),
         _terms("2", "user.id", label="identity"),
         _terms("3", "user.name", size=1, label="name"),
         _terms("4", "cloud.account.id", size=1, label="account")],
        query="ciem.identity.score > 0",
    )
    by_rule = visualization(
        "ciem-findings-by-rule", "ciem: open findings by rule and severity", "ciem-findings", "histogram",
        _xy("histogram"),
        [_agg("1", "count", "metric"),
         _terms("2", "rule.id", schema="segment", size=30, label="rule"),
         _terms("3", "ciem.finding.severity", schema="group", size=5, label="severity")],
        query=OPEN,
    )
    open_count = visualization(
        "ciem-open-findings", "ciem: open findings", "ciem-findings", "metric",
        {"addTooltip": True, "addLegend": False, "type": "metric",
         "metric": {"percentageMode": False, "useRanges": False, "colorSchema": "Green to Red",
                    "metricColorMode": "None", "colorsRange": [{"from": 0, "to": 10000}],
                    "labels": {"show": True}, "invertColors": False,
                    "style": {"bgFill": "#000", "bgColor": False, "labelColor": False, "subText": "", "fontSize": 48}}},
        [_agg("1", "count", "metric", customLabel="open findings")],
        query=OPEN,
    )
    trend = visualization(
        "ciem-trend", "ciem: open findings across scans", "ciem-scans", "line", _xy("line"),
        [_agg("1", "max", "metric", field="ciem.scan.open", customLabel="open"),
         _agg("2", "max", "metric", field="ciem.scan.critical", customLabel="critical"),
         _agg("3", "max", "metric", field="ciem.scan.high", customLabel="high"),
         _agg("4", "date_histogram", "segment", field="@timestamp", interval="auto", min_doc_count=1,
              extended_bounds={}, customLabel="scan")],
    )
    visualizations = [open_count, ranked, by_rule, trend]
    layout = [(0, 0, 12, 8), (12, 0, 36, 16), (0, 16, 48, 15), (0, 31, 48, 12)]
    panels = [
        {"panelIndex": str(n), "gridData": {"x": x, "y": y, "w": w, "h": h, "i": str(n)}, "version": "7.10.2",
         "embeddableConfig": {}, "panelRefName": f"panel_{n}"}
        for n, (x, y, w, h) in enumerate(layout)
    ]
    dashboard = {
        "id": "ciem-standing-risk", "type": "dashboard", "migrationVersion": {"dashboard": "7.9.3"},
        "references": [{"name": f"panel_{n}", "type": "visualization", "id": v["id"]} for n, v in enumerate(visualizations)],
        "attributes": {
            "title": "ciem: standing risk", "hits": 0, "version": 1, "timeRestore": False,
            "description": "Ranked identities, open findings by rule and severity, and the trend across scans.",
            "panelsJSON": json.dumps(panels), "optionsJSON": json.dumps({"hidePanelTitles": False, "useMargins": True}),
            "kibanaSavedObjectMeta": {"searchSourceJSON": json.dumps({"query": {"query": "", "language": "kuery"}, "filter": []})},
        },
    }
    patterns = [index_pattern(name) for name in ("ciem-findings", "ciem-identities", "ciem-scans")]
    return patterns + visualizations + [dashboard]


def render() -> str:
    return "".join(json.dumps(item, sort_keys=True) + "\n" for item in objects())


if __name__ == "__main__":
    OUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUT}")
