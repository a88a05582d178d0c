"""How the CLI prints answers: rich tables for people, JSON for scripts, progress bars on stderr.

Everything here reads ciem.v1 messages, so an answer prints the same whether a server sent it or the
CLI computed it in-process.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable

from google.protobuf import json_format
from google.protobuf.message import Message
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from ciem.v1 import ciem_pb2 as pb


def as_dict(message: Message) -> dict[str, Any]:
    """A message as JSON-ready data: field names as in the .proto, every field present."""
    return json_format.MessageToDict(
        message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
    )


def print_json(data: Any, console: Console) -> None:
    console.out(json.dumps(data, indent=2, sort_keys=True), highlight=False)


# -- gathering streams ------------------------------------------------------------------------------


@dataclass
class ReachAnswer:
    identity: pb.Identity = field(default_factory=pb.Identity)
    reachable: list[pb.ReachableIdentity] = field(default_factory=list)
    entries: list[pb.ReachEntry] = field(default_factory=list)

    @classmethod
    def gather(cls, messages: Iterable[pb.ReachResponse]) -> "ReachAnswer":
        answer = cls()
        for message in messages:
            item = message.WhichOneof("item")
            if item == "identity":
                answer.identity = message.identity
            elif item == "reachable_identity":
                answer.reachable.append(message.reachable_identity)
            elif item == "entry":
                answer.entries.append(message.entry)
        return answer

    def to_json(self) -> dict[str, Any]:
        return {
            "identity": as_dict(self.identity),
            "reachable_identities": [as_dict(r) for r in self.reachable],
            "entries": [as_dict(e) for e in self.entries],
        }


@dataclass
class WhoCanAnswer:
    header: pb.WhoCanHeader = field(default_factory=pb.WhoCanHeader)
    entries: list[pb.WhoCanEntry] = field(default_factory=list)

    @classmethod
    def gather(cls, messages: Iterable[pb.WhoCanResponse]) -> "WhoCanAnswer":
        answer = cls()
        for message in messages:
            if message.WhichOneof("item") == "header":
                answer.header = message.header
            elif message.WhichOneof("item") == "entry":
                answer.entries.append(message.entry)
        return answer

    def to_json(self) -> dict[str, Any]:
        return {**as_dict(self.header), "entries": [as_dict(e) for e in self.entries]}


# -- pieces -----------------------------------------------------------------------------------------


def _enum_name(enum_type, value: int, prefix: str) -> str:
    return enum_type.Name(value).removeprefix(prefix).lower()


def path_text(path: pb.Path) -> Text:
    """``(self)`` for an empty path, else each hop as ``-kind[method]-> target``."""
    if not path.edges:
        return Text("(self)", style="dim")
    text = Text()
    for number, edge in enumerate(path.edges):
        if number:
            text.append("\n")
        kind = _enum_name(pb.EdgeKind, edge.kind, "EDGE_KIND_")
        text.append(f"-{kind}[{edge.method}]", style="cyan")
        if edge.conditions:
            text.append(f" if {', '.join(edge.conditions)}", style="yellow")
        text.append(f"-> {edge.target}")
    return text


MAX_LISTED_ACTIONS = 8


def actions_text(actions: Iterable[pb.Action]) -> Text:
    """Action names, conditional ones in yellow with a ``?``; beyond MAX_LISTED_ACTIONS, counts per
    service and access level instead (``--format json`` lists every action)."""
    actions = list(actions)
    text = Text()
    if len(actions) <= MAX_LISTED_ACTIONS:
        for number, action in enumerate(actions):
            if number:
                text.append(", ")
            text.append(action.name + "?" if action.conditional else action.name,
                        style="yellow" if action.conditional else "")
        return text
    by_service: dict[str, list[pb.Action]] = {}
    for action in actions:
        by_service.setdefault(action.service, []).append(action)
    for number, (service, group) in enumerate(sorted(by_service.items())):
        if number:
            text.append("\n")
        levels = Counter(action.access_level for action in group)
        conditional = sum(action.conditional for action in group)
        text.append(f"{service}: {len(group)} actions", style="bold")
        text.append(" (" + ", ".join(f"{level} {count}" for level, count in sorted(levels.items())) + ")")
        if conditional:
            text.append(" all conditional" if conditional == len(group) else f" {conditional} conditional",
                        style="yellow")
    return text


def _sensitivity(value: int) -> str:
    name = _enum_name(pb.Sensitivity, value, "SENSITIVITY_")
    return "" if name == "none" else name


def identity_table(identity: pb.Identity, title: str = "Identity") -> Table:
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    table.add_row("id", identity.id)
    table.add_row("provider", identity.provider)
    table.add_row("kind", _enum_name(pb.IdentityKind, identity.kind, "IDENTITY_KIND_"))
    table.add_row("name", identity.name)
    table.add_row("account", identity.account)
    table.add_row("human", "yes" if identity.human else "no")
    if identity.aliases:
        table.add_row("aliases", ", ".join(identity.aliases))
    for key, value in sorted(identity.tags.items()):
        table.add_row(f"tag {key}", value)
    for key, value in sorted(json_format.MessageToDict(identity.attributes).items()):
        table.add_row(key, json.dumps(value) if not isinstance(value, str) else value)
    return table


# -- answers ----------------------------------------------------------------------------------------


def print_identity(identity: pb.Identity, console: Console) -> None:
    console.print(identity_table(identity))


def print_reach(answer: ReachAnswer, console: Console) -> None:
    console.print(Text.assemble("Reach of ", (answer.identity.id, "bold")))
    if answer.reachable:
        table = Table(title="Identities it can become", title_justify="left")
        table.add_column("identity", overflow="fold")
        table.add_column("hops", justify="right")
        table.add_column("path", overflow="fold")
        for reachable in answer.reachable:
            table.add_row(reachable.identity, str(len(reachable.path.edges)), path_text(reachable.path))
        console.print(table)
    table = Table(title=f"Access ({len(answer.entries)} entries; ? = conditional)", title_justify="left")
    table.add_column("via", overflow="fold")
    table.add_column("resource", overflow="fold")
    table.add_column("sensitivity")
    table.add_column("actions", overflow="fold")
    table.add_column("conditions", overflow="fold")
    for entry in answer.entries:
        hops = len(entry.path.edges)
        via = entry.via if not hops else f"{entry.via} ({hops} hop{'s' if hops > 1 else ''})"
        table.add_row(via, entry.resource, _sensitivity(entry.sensitivity), actions_text(entry.actions),
                      ", ".join(entry.conditions))
    console.print(table)


def print_who_can(answer: WhoCanAnswer, console: Console) -> None:
    known = "" if answer.header.resource_known else " (not a resource the index holds; matched by pattern)"
    console.print(Text.assemble("Who can act on ", (answer.header.resource, "bold"), known))
    table = Table(title=f"{len(answer.entries)} identities; ? = conditional", title_justify="left")
    table.add_column("identity", overflow="fold")
    table.add_column("kind")
    table.add_column("path", overflow="fold")
    table.add_column("actions", overflow="fold")
    table.add_column("conditions", overflow="fold")
    for entry in answer.entries:
        table.add_row(entry.identity.id, _enum_name(pb.IdentityKind, entry.identity.kind, "IDENTITY_KIND_"),
                      path_text(entry.path), actions_text(entry.actions), ", ".join(entry.conditions))
    console.print(table)


_DECISION_STYLE = {"allowed": "bold green", "explicitDeny": "bold red", "implicitDeny": "red", "conditional": "bold yellow"}


def print_decision(decision: pb.Decision, console: Console) -> None:
    console.print(Text.assemble(
        "Decision for ", (decision.identity.id, "bold"), ": ",
        (decision.decision, _DECISION_STYLE.get(decision.decision, "bold")),
    ))
    table = Table(title="Layers", title_justify="left")
    table.add_column("layer")
    table.add_column("verdict")
    table.add_column("statements", overflow="fold")
    table.add_column("detail", overflow="fold")
    for layer in decision.layers:
        table.add_row(layer.layer, layer.verdict, "\n".join(layer.statements), layer.detail)
    console.print(table)
    if decision.missing_context:
        console.print(f"Missing request context: {', '.join(decision.missing_context)}", style="yellow")


def print_enrich(response: pb.EnrichResponse, console: Console) -> None:
    table = Table(title="Identity summaries", title_justify="left")
    table.add_column("identifier", overflow="fold")
    table.add_column("identity", overflow="fold")
    table.add_column("admin")
    table.add_column("path to admin", overflow="fold")
    table.add_column("can become", justify="right")
    table.add_column("sensitive resources")
    table.add_column("last used")
    table.add_column("unused", justify="right")
    for summary in response.summaries:
        if summary.error:
            table.add_row(summary.identifier, Text(summary.error, style="red"), "", "", "", "", "", "")
            continue
        admin = Text("yes: " + summary.admin_reason, style="bold red") if summary.admin_equivalent else Text("no")
        to_admin = path_text(summary.paths_to_admin[0]) if summary.paths_to_admin else Text("")
        sensitive = ", ".join(f"{n} {name}" for name, n in sorted(summary.sensitive_resources.items()))
        last_used = summary.last_used.ToDatetime().date().isoformat() if summary.HasField("last_used") else ""
        share = f"{summary.unused_share:.0%}" if summary.HasField("unused_share") else ""
        table.add_row(summary.identifier, summary.identity.id, admin, to_admin, str(summary.reachable_identities),
                      sensitive, last_used, share)
    console.print(table)


_LIST_LIMIT = 30


def _some(names: Iterable[str], limit: int = _LIST_LIMIT) -> str:
    """Up to ``limit`` names, and how many more (``--format json`` lists them all)."""
    names = list(names)
    shown = ", ".join(names[:limit])
    return shown + (f" ... and {len(names) - limit} more" if len(names) > limit else "")


def _when(message: Message, name: str) -> str:
    return getattr(message, name).ToDatetime().isoformat() + "Z" if message.HasField(name) else "never (as far as known)"


def print_unused(report: pb.UnusedAccess, console: Console) -> None:
    since = report.since.ToDatetime().date().isoformat()
    console.print(Text.assemble(
        "Unused access of ", (report.identity.id, "bold"), f" in the {report.window_days} days since {since}: ",
        (f"{report.granted_count - report.used_count} of {report.granted_count} held actions unused "
         f"({report.unused_share:.0%})", "bold"),
    ))
    console.print(Text.assemble("Last used: ", _when(report, "last_used"),
                                ("  (unused for the whole window)", "bold red") if report.identity_unused else ""))
    table = Table(show_header=False)
    table.add_column("what")
    table.add_column("which", overflow="fold")
    table.add_row("unused services", _some(report.unused_services))
    table.add_row(Text("unused high-privilege", style="red"), _some(report.unused_high_privilege))
    table.add_row("unused actions", _some(report.unused_actions))
    if report.not_judged_services:
        table.add_row("not judged", _some(report.not_judged_services))
    if report.unused_credentials:
        table.add_row("unused credentials", ", ".join(
            f"{c.id} ({'active' if c.active else 'inactive'}, last used {_when(c, 'last_used')})"
            for c in report.unused_credentials))
    console.print(table)
    for warning in report.warnings:
        console.print(f"warning: {warning}", style="yellow", highlight=False)


def print_rightsize(response: pb.RightSizeResponse, console: Console) -> None:
    since = response.since.ToDatetime().date().isoformat()
    console.print(Text.assemble("Right-sized policy for ", (response.identity.id, "bold"),
                                f" ({response.format}, from the {response.window_days} days since {since}):"))
    console.out(response.document, highlight=False)
    for warning in response.warnings:
        console.print(f"warning: {warning}", style="yellow", highlight=False)
    table = Table(title="What each current grant loses", title_justify="left")
    table.add_column("grant", overflow="fold")
    table.add_column("removed", overflow="fold")
    table.add_column("kept", overflow="fold")
    for change in response.changes:
        removed = Text(f"{len(change.removed)}: {_some(change.removed, 5)}" if change.removed else "nothing",
                       style="red" if change.removed else "")
        table.add_row(change.source, removed, _some(change.kept, 5))
    console.print(table)
    if response.left_out:
        console.print(f"used but granted by no current policy, left out: {_some(response.left_out)}", style="yellow")


def print_status(status: pb.IndexStatus, console: Console) -> None:
    console.print(Text.assemble("Index built at ", (status.built_at.ToDatetime().isoformat() + "Z", "bold")))
    counts = Table(title="Counts", title_justify="left", show_header=False)
    counts.add_column("what")
    counts.add_column("count", justify="right")
    for name, count in sorted(status.counts.items()):
        counts.add_row(name, str(count))
    console.print(counts)
    sources = Table(title="Sources", title_justify="left")
    for column in ("provider", "source", "collected at", "gaps"):
        sources.add_column(column, overflow="fold")
    for source in status.sources:
        sources.add_row(source.provider, source.source, source.collected_at.ToDatetime().isoformat() + "Z",
                        str(source.gap_count))
    console.print(sources)
    if status.gaps:
        by_kind = Counter((gap.provider, gap.operation) for gap in status.gaps)
        gaps = Table(title="Coverage gaps: answers may miss access through these", title_justify="left")
        for column in ("provider", "operation", "count", "first example"):
            gaps.add_column(column, overflow="fold")
        for (provider, operation), count in sorted(by_kind.items()):
            example = next(g for g in status.gaps if (g.provider, g.operation) == (provider, operation))
            gaps.add_row(provider, operation, str(count), f"{example.scope}: {example.reason}")
        console.print(gaps)
        console.print("Every gap: --format json", style="dim")


# -- progress ---------------------------------------------------------------------------------------


class ProgressBars:
    """A :data:`ciem.hookspec.Progress` callback drawing one rich bar per task, on stderr.

    Use as a context manager; with ``enabled=False`` (not a terminal, or JSON output) it draws nothing.
    """

    def __init__(self, console: Console, enabled: bool = True):
        self._progress = Progress(
            SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), console=console, transient=True, disable=not enabled,
        )
        self._tasks: dict[str, Any] = {}

    def __enter__(self) -> "ProgressBars":
        self._progress.start()
        return self

    def __exit__(self, *exc) -> None:
        self._progress.stop()

    def __call__(self, what: str, done: int, total: int | None) -> None:
        task = self._tasks.get(what)
        if task is None:
            task = self._tasks[what] = self._progress.add_task(what, total=total)
        self._progress.update(task, completed=done, total=total)
