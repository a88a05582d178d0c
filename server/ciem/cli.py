"""The ``ciem`` command line.

Query verbs mirror the API's calls and answer either from a running server (``--server HOST:PORT``)
or in-process from exports (``--input PATH``, repeatable) or a configuration file (``--config FILE``);
both print the same answer. Tables by default, ``--format json`` for scripts.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import Any, Callable, Sequence, TypeVar

import pluggy
import yaml
from rich.console import Console

from ciem import render
from ciem.client import Client
from ciem.config import Config, load_config
from ciem.errors import CiemError, ConfigError, QueryError, SourceError
from ciem.findings.cli import add_cli as add_findings_cli
from ciem.pipeline import IndexHolder, parse_input
from ciem.providers import default_manager, provider_infos
from ciem.queries import DEFAULT_MAX_HOPS
from ciem.service import Answers, serve
from ciem.v1 import ciem_pb2 as pb

T = TypeVar("T")

SERVER_ENV = "CIEM_SERVER"
TOKEN_ENV = "CIEM_TOKEN"


def main(argv: Sequence[str] | None = None, manager: pluggy.PluginManager | None = None) -> int:
    """Run the CLI; returns the exit status (0 success, 1 an error ciem reports, 2 bad usage)."""
    manager = manager or default_manager()
    parser = build_parser(manager)
    args = parser.parse_args(argv)
    level = args.log_level or ("info" if args.verb == "serve" else "warning")
    logging.basicConfig(level=getattr(logging, level.upper()), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args.manager = manager
    args.console = Console(soft_wrap=getattr(args, "format", "table") == "json")
    args.err = Console(stderr=True)
    try:
        return args.func(args) or 0
    except CiemError as error:
        args.err.print(f"ciem: error: {error}", style="red", highlight=False, markup=False, soft_wrap=True)
        return 1
    except KeyboardInterrupt:
        return 130


def build_parser(manager: pluggy.PluginManager) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ciem", description="Cloud infrastructure entitlement management.")
    parser.add_argument("--log-level", choices=("debug", "info", "warning", "error"),
                        help="log verbosity on stderr (default: info for serve, warning otherwise)")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    answer_from = argparse.ArgumentParser(add_help=False)
    group = answer_from.add_argument_group("where answers come from (one of)")
    group.add_argument("--server", metavar="HOST:PORT",
                       help=f"ask a running ciem server (default: ${SERVER_ENV}, unless --input or --config)")
    group.add_argument("--input", metavar="[PROVIDER:]PATH", action="append", default=[],
                       help="answer in-process from an export (repeatable; provider detected when left out)")
    group.add_argument("--config", metavar="FILE", type=Path,
                       help="answer in-process from a configuration file's persisted index or its sources")
    remote = answer_from.add_argument_group("server connection")
    remote.add_argument("--token-file", type=Path, help=f"file holding a bearer token (default: ${TOKEN_ENV})")
    remote.add_argument("--ca", type=Path, help="PEM CA certificate of the server (enables TLS)")
    remote.add_argument("--cert", type=Path, help="PEM client certificate (mutual TLS)")
    remote.add_argument("--key", type=Path, help="PEM client key (mutual TLS)")
    remote.add_argument("--timeout", type=float, help="seconds a call may take")
    answer_from.add_argument("--format", choices=("table", "json"), default="table")

    serve_verb = verbs.add_parser("serve", help="run the gRPC service")
    serve_verb.add_argument("--config", metavar="FILE", type=Path, required=True)
    serve_verb.set_defaults(func=cmd_serve)

    status = verbs.add_parser("status", parents=[answer_from], help="when and from what the index was built")
    status.set_defaults(func=cmd_status)

    resolve = verbs.add_parser("resolve", parents=[answer_from], help="the identity an identifier names")
    resolve.add_argument("identifier")
    resolve.set_defaults(func=cmd_resolve)

    action_filters = argparse.ArgumentParser(add_help=False)
    action_filters.add_argument("--max-hops", type=int, default=DEFAULT_MAX_HOPS,
                                help=f"edges to follow between identities (default {DEFAULT_MAX_HOPS})")
    action_filters.add_argument("--service", action="append", default=[], help="only actions of SERVICE (repeatable)")
    action_filters.add_argument("--action", action="append", default=[], help="only actions matching A (repeatable)")
    action_filters.add_argument("--access-level", action="append", default=[],
                                help="only actions of this access level: List, Read, Write, "
                                     "'Permissions management', Tagging (repeatable)")

    reach = verbs.add_parser("reach", parents=[answer_from, action_filters],
                             help="what an identity can reach, directly and through identities it can become")
    reach.add_argument("identity")
    reach.add_argument("--resource-prefix", default="", help="list known resources whose id starts with P")
    reach.add_argument("--min-sensitivity", choices=("low", "high", "critical"),
                       help="list known resources at least this sensitive")
    reach.set_defaults(func=cmd_reach)

    who_can = verbs.add_parser("who-can", parents=[answer_from, action_filters],
                               help="who can act on a resource, and by which path")
    who_can.add_argument("resource")
    who_can.set_defaults(func=cmd_who_can)

    explain = verbs.add_parser("explain", parents=[answer_from],
                               help="evaluate one request with every policy layer's verdict")
    explain.add_argument("identity")
    explain.add_argument("action")
    explain.add_argument("resource")
    explain.add_argument("--context", metavar="KEY=VALUE", action="append", default=[],
                         help="a request-context value (repeat a key for several values)")
    explain.set_defaults(func=cmd_explain)

    enrich = verbs.add_parser("enrich", parents=[answer_from], help="alert summaries for identifiers")
    enrich.add_argument("identifiers", nargs="+", metavar="IDENTIFIER")
    enrich.set_defaults(func=cmd_enrich)

    unused = verbs.add_parser("unused", parents=[answer_from],
                              help="what an identity holds but did not use in a window of its activity logs")
    unused.add_argument("identity", help="identity id or any identifier ResolveIdentity accepts")
    unused.add_argument("--window-days", type=int, default=0, help="days of activity to judge by (default 90)")
    unused.set_defaults(func=cmd_unused)

    rightsize = verbs.add_parser("rightsize", parents=[answer_from],
                                 help="a least-privilege policy from what an identity used")
    rightsize.add_argument("identity", help="identity id or any identifier ResolveIdentity accepts")
    rightsize.add_argument("--window-days", type=int, default=0, help="days of activity to grant from (default 90)")
    rightsize.set_defaults(func=cmd_rightsize)

    refresh = verbs.add_parser("refresh", parents=[answer_from],
                               help="rebuild the index (on the server, or the configuration's persisted one)")
    refresh.set_defaults(func=cmd_refresh)

    collect = verbs.add_parser("collect", help="collect live and write the provider's export layout")
    collect.add_argument("provider")
    collect.add_argument("--out", type=Path, required=True, metavar="DIR")
    collect.add_argument("--option", metavar="KEY=VALUE", action="append", default=[],
                         help="a collection option (VALUE is read as YAML: 3, true, [a, b]); repeatable")
    collect.set_defaults(func=cmd_collect)

    add_findings_cli(verbs)
    manager.hook.ciem_cli_commands(subparsers=verbs)
    return parser


# -- where answers come from ------------------------------------------------------------------------


def ask(args: argparse.Namespace, question: Callable[[Answers | Client], T]) -> T:
    """``question`` asked of the server's client, or in-process of an index built from ``--input`` or
    ``--config``; progress bars (stderr) are shown while the index is built and the answer computed,
    and gone before the answer is printed."""
    server = args.server or (None if args.input or args.config else os.environ.get(SERVER_ENV))
    chosen = [name for name, value in (("--server", server), ("--input", args.input), ("--config", args.config))
              if value]
    if len(chosen) != 1:
        raise QueryError(f"give exactly one of --server, --input or --config (got {', '.join(chosen) or 'none'})")
    if server:
        token = _token(args.token_file)
        with Client(server, token=token, ca=args.ca, cert=args.cert, key=args.key, timeout=args.timeout) as client:
            return question(client)
    with render.ProgressBars(args.err, enabled=args.err.is_terminal) as progress:
        if args.input:
            holder = IndexHolder(specs=[parse_input(text) for text in args.input], manager=args.manager,
                                 progress=progress)
        else:
            config = load_config(args.config)
            holder = IndexHolder(specs=config.sources, manager=args.manager, state_dir=config.state_dir,
                                 activity=config.activity, progress=progress)
        # `refresh` builds the index itself; --config serves its persisted index when there is one.
        if args.verb != "refresh" and not holder.load_persisted():
            holder.refresh()
        return question(Answers(holder, args.manager))


def _token(path: Path | None) -> str | None:
    if path is None:
        return os.environ.get(TOKEN_ENV) or None
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise SourceError(f"{path}: cannot read the token file: {exc.strerror or exc}") from None


def _show(args: argparse.Namespace, data: Any, table: Callable[[Any, Console], None]) -> int:
    if args.format == "json":
        render.print_json(data.to_json() if hasattr(data, "to_json") else render.as_dict(data), args.console)
    else:
        table(data, args.console)
    return 0


# -- verbs ------------------------------------------------------------------------------------------


def cmd_serve(args: argparse.Namespace) -> int:
    config: Config = load_config(args.config)
    if not config.sources:
        raise ConfigError(f"{args.config}: sources: the service needs at least one source")
    installed = provider_infos(args.manager)
    for number, spec in enumerate(config.sources):
        if spec.provider and spec.provider not in installed:
            raise ConfigError(f"{args.config}: sources[{number}].provider: no installed provider "
                              f"{spec.provider!r} (installed: {', '.join(sorted(installed)) or 'none'})")
    serve(config, args.manager)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    return _show(args, ask(args, lambda source: source.get_index_status(pb.GetIndexStatusRequest())),
                 render.print_status)


def cmd_resolve(args: argparse.Namespace) -> int:
    request = pb.ResolveIdentityRequest(identifier=args.identifier)
    return _show(args, ask(args, lambda source: source.resolve_identity(request)), render.print_identity)


def cmd_reach(args: argparse.Namespace) -> int:
    request = pb.ReachRequest(
        identity=args.identity,
        max_hops=args.max_hops,
        services=args.service,
        actions=args.action,
        access_levels=args.access_level,
        resource_prefix=args.resource_prefix,
        min_sensitivity=pb.Sensitivity.Value(f"SENSITIVITY_{(args.min_sensitivity or 'none').upper()}"),
    )
    answer = ask(args, lambda source: render.ReachAnswer.gather(source.reach(request)))
    return _show(args, answer, render.print_reach)


def cmd_who_can(args: argparse.Namespace) -> int:
    request = pb.WhoCanRequest(
        resource=args.resource,
        max_hops=args.max_hops,
        services=args.service,
        actions=args.action,
        access_levels=args.access_level,
    )
    answer = ask(args, lambda source: render.WhoCanAnswer.gather(source.who_can(request)))
    return _show(args, answer, render.print_who_can)


def cmd_explain(args: argparse.Namespace) -> int:
    request = pb.ExplainRequest(identity=args.identity, action=args.action, resource=args.resource)
    request.context.update(_context(args.context))
    return _show(args, ask(args, lambda source: source.explain(request)), render.print_decision)


def _context(pairs: Sequence[str]) -> dict[str, str | list[str]]:
    """``KEY=VALUE`` pairs; a key given more than once becomes a list of its values."""
    values: dict[str, list[str]] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise QueryError(f"--context {pair!r}: expected KEY=VALUE")
        values.setdefault(key, []).append(value)
    return {key: found[0] if len(found) == 1 else found for key, found in values.items()}


def cmd_enrich(args: argparse.Namespace) -> int:
    request = pb.EnrichRequest(identifiers=args.identifiers)
    return _show(args, ask(args, lambda source: source.enrich(request)), render.print_enrich)


def cmd_unused(args: argparse.Namespace) -> int:
    request = pb.GetUnusedAccessRequest(identity=args.identity, window_days=args.window_days)
    return _show(args, ask(args, lambda source: source.get_unused_access(request)), render.print_unused)


def cmd_rightsize(args: argparse.Namespace) -> int:
    request = pb.RightSizeRequest(identity=args.identity, window_days=args.window_days)
    return _show(args, ask(args, lambda source: source.right_size(request)), render.print_rightsize)


def cmd_refresh(args: argparse.Namespace) -> int:
    response = ask(args, lambda source: source.refresh(pb.RefreshRequest()))
    return _show(args, response.status, render.print_status)


def cmd_collect(args: argparse.Namespace) -> int:
    options = _options(args.option)
    manager = args.manager
    with render.ProgressBars(args.err, enabled=args.err.is_terminal) as progress:
        snapshot = manager.hook.ciem_collect(provider=args.provider, options=options, progress=progress)
    if snapshot is None:
        known = ", ".join(sorted(provider_infos(manager))) or "none"
        raise SourceError(f"no installed provider {args.provider!r} collects live (installed: {known})")
    if not manager.hook.ciem_write_export(snapshot=snapshot, out=args.out):
        raise SourceError(f"provider {args.provider!r} cannot write its export layout")
    args.console.print(f"wrote {args.out} ({len(snapshot.gaps)} coverage gaps)", highlight=False)
    return 0


def _options(pairs: Sequence[str]) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise QueryError(f"--option {pair!r}: expected KEY=VALUE")
        try:
            options[key] = yaml.safe_load(value) if value else ""
        except yaml.YAMLError as exc:
            raise QueryError(f"--option {pair!r}: the value is not valid YAML: {exc}") from None
    return options


if __name__ == "__main__":
    sys.exit(main())
