"""The built-in sink kinds, offered through the same hook a plugin's sinks use."""

from __future__ import annotations

from typing import Any, Mapping

from ciem.hookspec import hookimpl

KINDS = ("sqlite", "opensearch", "html")


@hookimpl
def ciem_make_sink(kind: str, options: Mapping[str, Any]):
    if kind == "sqlite":
        from ciem.sinks.sqlite import SqliteSink

        return SqliteSink.from_options(options)
    if kind == "opensearch":
        from ciem.sinks.opensearch import OpenSearchSink

        return OpenSearchSink.from_options(options)
    if kind == "html":
        from ciem.sinks.html import HtmlReportSink

        return HtmlReportSink.from_options(options)
    return None
