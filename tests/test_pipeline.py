"""Refreshes: build, persist, swap; a failed or killed refresh leaves the last good index serving."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from ciem.errors import InputError, SourceError
from ciem.pipeline import IndexHolder, SourceSpec, parse_input
from ciem.providers import new_manager
from ciem.store import load_index, prepare_state_dir

import core_builders
from estate_provider import EstateProvider


def write_export(path: Path, **content) -> Path:
    path.write_text(json.dumps({"testcloud": content}))
    return path


@pytest.fixture
def manager():
    return new_manager(load_entry_points=False, plugins=(EstateProvider(),))


def test_parse_input_accepts_provider_prefix_and_bare_paths(tmp_path):
    assert parse_input("aws:/data/export") == SourceSpec(provider="aws", path=Path("/data/export"))
    existing = write_export(tmp_path / "x.json")
    assert parse_input(str(existing)) == SourceSpec(path=existing)


def test_refresh_builds_persists_and_restart_serves_it(tmp_path, manager):
    export = write_export(tmp_path / "estate.json")
    holder = IndexHolder([SourceSpec(path=export)], manager, state_dir=tmp_path / "state")
    built = holder.refresh()
    assert holder.current is built and "tc:alice" in built.identities
    restarted = IndexHolder([SourceSpec(path=export)], manager, state_dir=tmp_path / "state")
    assert restarted.load_persisted()
    restarted.warming.join(10)  # reach's per-identity answers, worked out in the background
    assert not restarted.warming.is_alive()
    index = restarted.current
    assert set(index.identities) == set(built.identities)
    assert index.facts is not None  # precomputed facts travel with the index
    assert index.edge_count() == built.edge_count() and index.edges_from("tc:alice") == built.edges_from("tc:alice")
    assert index.shortest_paths_from("tc:alice", 5) == built.shortest_paths_from("tc:alice", 5)

    def grants(of):
        return [(g.number, g.identity, g.actions, g.resources, g.provenance, g.conditions, g.deny, g.potential)
                for identity in sorted(of.identities) for g in of.grants_of(identity) + of.denies_of(identity)]

    assert grants(index) == grants(built) and grants(index)
    loaded = [g.actions for identity in index.identities for g in index.grants_of(identity)]
    assert len({id(bits) for bits in loaded}) == len(set(loaded))  # equal action bitsets are one object again
    # The raw snapshots come back only when first read, as they were.
    assert [s.data for s in index.snapshots["testcloud"]] == [s.data for s in built.snapshots["testcloud"]]


def test_failed_refresh_keeps_the_last_good_index(tmp_path, manager):
    export = write_export(tmp_path / "estate.json")
    holder = IndexHolder([SourceSpec(path=export)], manager, state_dir=tmp_path / "state")
    good = holder.refresh()
    export.write_text('{"testcloud": ')  # truncated export
    with pytest.raises(InputError, match="line 1 column 15"):
        holder.refresh()
    assert holder.current is good
    assert holder.last_refresh.error
    assert load_index(tmp_path / "state").built_at == good.built_at


def test_unrecognised_export_is_a_clear_source_error(tmp_path, manager):
    stray = tmp_path / "notes.txt"
    stray.write_text("hello")
    with pytest.raises(SourceError, match="not an export any installed provider recognises"):
        IndexHolder([SourceSpec(path=stray)], manager).refresh()


def test_malformed_export_error_names_the_file(tmp_path, manager):
    export = tmp_path / "estate.json"
    export.write_text('{"other": "testcloud"}')
    holder = IndexHolder([SourceSpec(provider=core_builders.PROVIDER, path=export)], manager)
    with pytest.raises(InputError, match="estate.json: \\$.testcloud"):
        holder.refresh()
    assert holder.current is None


def test_state_dir_writable_by_others_is_refused(tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    os.chmod(state, 0o777)
    with pytest.raises(Exception, match="writable by others"):
        prepare_state_dir(state)


def test_killing_a_refresh_midway_leaves_the_last_good_index(tmp_path):
    """A separate process refreshes once, then starts a slow refresh and is killed during it."""
    export = write_export(tmp_path / "estate.json", drop=["bob"])
    state = tmp_path / "state"
    script = textwrap.dedent(
        f"""
        import json, sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from pathlib import Path
        from ciem.pipeline import IndexHolder, SourceSpec
        from ciem.providers import new_manager
        from estate_provider import EstateProvider
        export = Path({str(export)!r})
        holder = IndexHolder([SourceSpec(path=export)], new_manager(False, (EstateProvider(),)), Path({str(state)!r}))
        holder.refresh()
        export.write_text(json.dumps({{"testcloud": {{"slow": 60}}}}))
        print("first refresh done", flush=True)
        holder.refresh()
        """
    )
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().strip() == "first refresh done"
        time.sleep(0.5)  # well inside the second, slow refresh
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    restarted = load_index(state)
    assert restarted is not None
    assert "tc:bob" not in restarted.identities and "tc:alice" in restarted.identities
