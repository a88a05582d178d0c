"""Hook specifications: the whole contract between the ciem core and a provider or sink plugin.

A plugin is a module (or object) with functions named like the hooks below and decorated with
``ciem.hookimpl``; it is found through the ``ciem.providers`` entry-point group::

    [project.entry-points."ciem.providers"]
    mycloud = "ciem_mycloud.plugin"          # a module of hook functions, or
    mycloud = "ciem_mycloud.plugin:plugin"   # an object whose methods are hook implementations

Hooks marked *first result* are asked of every plugin until one returns something other than
``None``: a provider answers only for its own ``provider`` name and returns ``None`` otherwise. The
other hooks collect one answer from each plugin. The built-in AWS, Azure and GCP providers use these
hooks and nothing else, through :class:`ciem.providers.ProviderPlugin`, a base class that implements
each provider hook once and lets a subclass declare which of its modules does each part.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Mapping

import pluggy

if TYPE_CHECKING:
    from ciem.findings import FindingRule, FindingsSink
    from ciem.model import (
        Decision,
        EvaluationRequest,
        RenderedPolicy,
        Resolution,
        Snapshot,
        UsageRecord,
    )
    from ciem.providers import ProviderInfo

PROJECT = "ciem"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

# Called by providers during long collection and loading: (what, done, total or None).
Progress = Callable[[str, int, "int | None"], None]


@hookspec
def ciem_provider_info() -> "ProviderInfo":
    """Describe the provider this plugin implements.

    Called once when the plugin manager starts and whenever the CLI or the API lists providers.

    :returns: a :class:`ciem.providers.ProviderInfo` naming the provider (the ``provider`` string
        every other hook is called with), the source kinds it reads and the identifier forms it
        resolves. A plugin that only adds sinks or rules does not implement this hook.
    """


@hookspec(firstresult=True)
def ciem_collect(provider: str, options: Mapping[str, Any], progress: Progress) -> "Snapshot | None":
    """Collect a snapshot live from the cloud's APIs.

    Called at every refresh for each configured live source, and by ``ciem collect``.

    :param provider: the provider name the source is configured for.
    :param options: the source's settings from the configuration file (credentials profile,
        accounts, roles to assume, regions ...), as the provider documents them.
    :param progress: to report progress on long calls.
    :returns: the snapshot, or ``None`` if ``provider`` is not this plugin's. Calls the cloud denied
        are listed in ``Snapshot.gaps``, not raised.
    :raises ciem.errors.SourceError: when the source cannot be read at all (no credentials).
    """


@hookspec(firstresult=True)
def ciem_load_export(provider: str, path: Path, progress: Progress) -> "Snapshot | None":
    """Load a snapshot from files the cloud's own CLI exported (or ``ciem collect --out`` wrote).

    Called at every refresh for each configured file source, and by every CLI verb given
    ``--input``.

    :param path: a file or a folder in the layout the provider documents.
    :returns: the snapshot, or ``None`` if ``provider`` is not this plugin's.
    :raises ciem.errors.InputError: naming the file and the place in it, when the export is
        malformed or holds a policy the cloud would reject.
    """


@hookspec(firstresult=True)
def ciem_detect_export(path: Path) -> "str | None":
    """Recognise an export without being told its provider.

    Called by ``--input PATH`` when no provider is named.

    :returns: this plugin's provider name if ``path`` looks like its export, else ``None``.
    """


@hookspec(firstresult=True)
def ciem_write_export(snapshot: "Snapshot", out: Path) -> "bool | None":
    """Write a snapshot in the provider's documented export layout (``ciem collect --out``).

    :returns: ``True`` once written, or ``None`` if the snapshot is not this plugin's.
    """


@hookspec(firstresult=True)
def ciem_resolve(snapshots: "list[Snapshot]") -> "Resolution | None":
    """Resolve snapshots into effective grants, identity edges and admin-equivalence.

    Called once per refresh with all of one provider's snapshots together (they may describe several
    accounts of one organization, whose trust crosses between them).

    :param snapshots: every snapshot of this provider collected in the refresh; all share one
        ``provider``.
    :returns: a :class:`ciem.model.Resolution`, or ``None`` if the snapshots are not this plugin's.
        Grants must already reflect every policy layer of the cloud; what depends on unknown request
        context is returned as conditional, never dropped and never granted outright.
    """


@hookspec(firstresult=True)
def ciem_explain(
    snapshots: "list[Snapshot]", request: "EvaluationRequest"
) -> "Decision | None":
    """Evaluate one request with the cloud's full semantics and every layer's verdict.

    Called by the Explain RPC and ``ciem explain`` for an identity of this provider.

    :returns: a :class:`ciem.model.Decision`, or ``None`` if the identity is not this provider's.
    :raises ciem.errors.QueryError: for an action or resource the provider rejects.
    """


@hookspec(firstresult=True)
def ciem_normalize_identifier(identifier: str) -> "str | None":
    """Turn an identifier as an alert names it into the canonical identity id or alias to look up.

    Called by the Resolve and Enrich RPCs before the index's alias table is consulted. Example: an
    AWS assumed-role session ARN becomes its role's ARN.

    :returns: the id to look up, or ``None`` if the identifier is not in this provider's forms.
    :raises ciem.errors.QueryError: when the identifier is in this provider's form but malformed.
    """


@hookspec(firstresult=True)
def ciem_parse_activity(
    provider: str, source: Mapping[str, Any], progress: Progress
) -> "Iterator[UsageRecord] | None":
    """Read activity logs into usage records, streaming.

    Called at refresh for each configured activity source.

    :param source: the activity source's settings (a path, a bucket, a window ...).
    :returns: an iterator of records (memory must not grow with log size), or ``None`` if the
        source is not this provider's.
    """


@hookspec(firstresult=True)
def ciem_render_policy(
    provider: str,
    identity: str,
    used: "Iterable[UsageRecord]",
    snapshots: "list[Snapshot]",
) -> "RenderedPolicy | None":
    """Render a least-privilege policy granting what ``identity`` used, in the provider's format.

    Called by ``ciem rightsize`` and the RightSize RPC.

    :returns: the policy, or ``None`` if ``provider`` is not this plugin's.
    """


@hookspec
def ciem_finding_rules() -> "Iterable[FindingRule]":
    """Contribute risk rules beyond the core's own.

    Called once when findings are first computed.

    :returns: rules, each with a stable id and a documented rationale.
    """


@hookspec(firstresult=True)
def ciem_make_sink(kind: str, options: Mapping[str, Any]) -> "FindingsSink | None":
    """Create a findings sink of ``kind`` (``sqlite``, ``opensearch``, ``html`` ...).

    Called once per configured sink when the service starts.

    :returns: a sink whose ``publish(scan)`` receives every scan's findings, or ``None`` if this
        plugin does not make sinks of ``kind``.
    """


@hookspec
def ciem_cli_commands(subparsers: Any) -> None:
    """Add provider-specific CLI verbs (for example ``ciem aws simulate``).

    Called once when the ``ciem`` command line is built.

    :param subparsers: the ``argparse`` sub-parsers object of the top-level ``ciem`` parser. A verb
        sets ``func`` with ``set_defaults(func=...)``; ``func(args)`` returns the exit status.
    """
