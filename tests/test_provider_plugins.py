"""The built-in providers as the plugin manager finds them through their entry points."""

from __future__ import annotations

import pytest

from ciem.errors import SourceError
from ciem.model import Snapshot
from ciem.providers import ProviderInfo, ProviderPlugin, default_manager, provider_infos


def test_every_built_in_provider_is_found_and_each_implementation_imports():
    manager = default_manager()
    assert {"aws", "azure", "gcp"} <= set(provider_infos(manager))
    plugins = [p for p in manager.get_plugins() if isinstance(p, ProviderPlugin)]
    assert {p.info.name for p in plugins} >= {"aws", "azure", "gcp"}
    for plugin in plugins:
        assert "resolve" in plugin.implementations, plugin.info.name
        for purpose in plugin.implementations:
            assert callable(plugin._implementation(purpose)), (plugin.info.name, purpose)


def test_a_purpose_a_provider_leaves_out_is_reported_as_unsupported(tmp_path):
    class FilesOnly(ProviderPlugin):
        info = ProviderInfo(name="filesonly", title="Files only")
        implementations = {"looks_like_export": "os.path:isdir"}

    plugin = FilesOnly()
    assert plugin.ciem_detect_export(tmp_path) == "filesonly"
    assert plugin.ciem_load_export("other", tmp_path, None) is None
    with pytest.raises(SourceError, match="filesonly: live collection is not supported"):
        plugin.ciem_collect("filesonly", {}, None)
    snapshot = Snapshot("filesonly", "x", None, {})
    with pytest.raises(SourceError, match="resolving snapshots is not supported"):
        plugin.ciem_resolve([snapshot])
    assert plugin.ciem_finding_rules() == ()


def test_per_snapshots_builds_once_per_list_of_snapshots_and_keeps_the_last_few():
    from datetime import datetime, timezone

    from ciem.model import Snapshot
    from ciem.providers import PerSnapshots

    built = []
    model_of = PerSnapshots(lambda snapshots: built.append(len(snapshots)) or object(), keep=2)
    now = datetime.now(timezone.utc)
    first, second, third = ([Snapshot("toy", f"s{n}", now, {})] for n in range(3))
    assert model_of(first) is model_of(list(first))  # the same snapshots in a new list: built once
    assert model_of(second) is not model_of(first)
    model_of(third)  # pushes out the oldest
    model_of(first)
    assert built == [1, 1, 1, 1]
