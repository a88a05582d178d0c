"""A third-party provider, installed only through its own ``ciem.providers`` entry point, is found by
the plugin manager and answers the core's hooks and queries like a built-in one."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from ciem import pipeline, queries
from ciem.errors import InputError
from ciem.providers import new_manager, provider_infos

HERE = Path(__file__).resolve().parent
EXPORT = HERE / "toycloud-export.json"
ANN, BOT, DEPLOYER, ROOT_OPS = (f"toycloud://acme/{name}" for name in ("ann", "build-bot", "deployer", "root-ops"))
REPORTS = "toycloud://acme/bucket/reports"


def _forget_toycloud() -> None:
    for name in [name for name in sys.modules if name == "ciem_toycloud" or name.startswith("ciem_toycloud.")]:
        del sys.modules[name]


@pytest.fixture
def toycloud_installed(tmp_path, monkeypatch):
    """Install ciem_toycloud as pip would: a dist-info whose entry_points.txt names the plugin module."""
    site = tmp_path / "site-packages"
    shutil.copytree(HERE / "ciem_toycloud", site / "ciem_toycloud")
    dist_info = site / "ciem_toycloud-0.1.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: ciem_toycloud\nVersion: 0.1\n")
    (dist_info / "entry_points.txt").write_text("[ciem.providers]\ntoycloud = ciem_toycloud.plugin\n")
    _forget_toycloud()
    monkeypatch.syspath_prepend(str(site))
    yield site
    _forget_toycloud()


@pytest.fixture
def manager(toycloud_installed):
    return new_manager()


def test_not_discovered_without_its_distribution():
    assert "toycloud" not in provider_infos(new_manager())


def test_discovered_through_its_entry_point(manager, toycloud_installed):
    infos = provider_infos(manager)
    assert infos["toycloud"].title == "Toy Cloud"
    assert "aws" in infos  # the built-in provider is found the same way, alongside it
    plugin = manager.get_plugin("toycloud")
    assert Path(plugin.__file__).is_relative_to(toycloud_installed)


def test_detects_only_its_own_export(manager, demo_estate):
    assert manager.hook.ciem_detect_export(path=EXPORT) == "toycloud"
    assert manager.hook.ciem_detect_export(path=EXPORT.parent) == "toycloud"
    assert manager.hook.ciem_detect_export(path=demo_estate) == "aws"


def test_export_loads_and_resolves_through_the_hooks(manager):
    snapshot = manager.hook.ciem_load_export(provider="toycloud", path=EXPORT, progress=lambda *args: None)
    assert snapshot.provider == "toycloud" and snapshot.data["tenant"] == "acme"
    resolution = manager.hook.ciem_resolve(snapshots=[snapshot])
    assert resolution.provider == "toycloud"
    assert {identity.id for identity in resolution.identities} == {ANN, BOT, DEPLOYER, ROOT_OPS}
    assert [(edge.source, edge.target, edge.kind.value) for edge in resolution.edges] == [(BOT, DEPLOYER, "impersonate")]
    assert resolution.admin == {ROOT_OPS: "role owner on every resource"}
    publisher = next(grant for grant in resolution.grants if grant.identity == DEPLOYER)
    assert resolution.catalog.names(resolution.catalog.bits_of(publisher.actions)) == [
        "storage.objects.list", "storage.objects.read", "storage.objects.write", "compute.instances.deploy",
    ]


def test_malformed_export_names_the_file_and_place(manager, tmp_path):
    data = json.loads(EXPORT.read_text())
    data["grants"][1]["role"] = "superuser"
    broken = tmp_path / "toycloud-export.json"
    broken.write_text(json.dumps(data))
    with pytest.raises(InputError) as raised:
        manager.hook.ciem_load_export(provider="toycloud", path=broken, progress=lambda *args: None)
    assert raised.value.path == str(broken) and raised.value.where == "$.grants[1].role"
    assert "superuser" in str(raised.value)


@pytest.fixture
def index(manager):
    return pipeline.build_from_inputs([str(EXPORT)], manager)


def test_reach_follows_impersonation(index):
    result = queries.reach(index, BOT, resource_prefix="toycloud://acme/bucket/")
    by_resource = {entry.resource: entry for entry in result.entries}
    assert set(by_resource) == {REPORTS, "toycloud://acme/bucket/site"}
    reports = by_resource[REPORTS]
    assert reports.via == DEPLOYER and [edge.target for edge in reports.path] == [DEPLOYER]
    assert {action.name for action in reports.actions} == {
        "storage.objects.list", "storage.objects.read", "storage.objects.write", "compute.instances.deploy",
    }
    assert queries.reach(index, ANN, resource_prefix="toycloud://acme/bucket/site").entries == ()


def test_who_can_lists_holders_and_who_becomes_them(index, manager):
    result = queries.who_can(index, REPORTS, action_filter=queries.ActionFilter(actions=("storage.objects.read",)))
    paths = {entry.identity.id: [edge.target for edge in entry.path] for entry in result.entries}
    assert paths == {ANN: [], DEPLOYER: [], BOT: [DEPLOYER], ROOT_OPS: []}
    writers = queries.who_can(index, REPORTS, action_filter=queries.ActionFilter(actions=("storage.objects.write",)))
    assert {entry.identity.id for entry in writers.entries} == {DEPLOYER, BOT, ROOT_OPS}
    assert queries.resolve_identity(index, "ANN@acme.example", manager).id == ANN
