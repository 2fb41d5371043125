"""datacheck.plugin: references, discovery and its failures, the CLI's use of it."""

from __future__ import annotations

from collections.abc import Iterator
from importlib.metadata import EntryPoint

import pytest

import datacheck.plugin as seam
from datacheck.cli import main
from datacheck.plugin import Command, Plugin, PluginError, discover_plugins, load_reference

GOOD = Plugin(
    name="good",
    api_version=seam.PLUGIN_API_VERSION,
    beam_stages={"Stage": "datacheck.plugin:Plugin"},
)
FUTURE = Plugin(name="future", api_version=seam.PLUGIN_API_VERSION + 1)
CLASH = Plugin(
    name="clash",
    api_version=seam.PLUGIN_API_VERSION,
    commands=(Command(name="stats", help="x", register="no.such:module"),),
)
NOT_A_PLUGIN = "a string"


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[EntryPoint]]:
    entries: list[EntryPoint] = []
    monkeypatch.setattr(
        seam, "entry_points", lambda group: [e for e in entries if group == seam.ENTRY_POINT_GROUP]
    )
    discover_plugins.cache_clear()
    yield entries
    discover_plugins.cache_clear()


def _entry(name: str, attribute: str) -> EntryPoint:
    return EntryPoint(name, f"tests.unit.test_plugin:{attribute}", seam.ENTRY_POINT_GROUP)


def test_load_reference_imports_the_named_object() -> None:
    assert load_reference("datacheck.plugin:Plugin") is Plugin


@pytest.mark.parametrize(
    ("reference", "says"),
    [
        ("datacheck.plugin", "not a reference"),
        ("no_such_module_xyz:thing", "cannot import no_such_module_xyz"),
        ("datacheck.plugin:NoSuchThing", "has no attribute 'NoSuchThing'"),
    ],
)
def test_a_bad_reference_is_one_clear_error(reference: str, says: str) -> None:
    with pytest.raises(PluginError, match=says):
        load_reference(reference)


def test_discovery_keeps_good_plugins_and_reports_the_others(registered: list[EntryPoint]) -> None:
    registered += [
        _entry("good", "GOOD"),
        _entry("future", "FUTURE"),
        _entry("odd", "NOT_A_PLUGIN"),
        _entry("gone", "MISSING"),
    ]
    plugins, failures = discover_plugins()
    assert [p.name for p in plugins] == ["good"]
    reasons = {f.name: f.reason for f in failures}
    assert sorted(reasons) == ["future", "gone", "odd"]
    assert "written for plugin API 2" in reasons["future"]
    assert "is a str, not a datacheck Plugin" in reasons["odd"]
    assert "MISSING" in reasons["gone"]


def test_a_beam_stage_loads_on_use() -> None:
    assert GOOD.beam_stage("Stage") is Plugin
    with pytest.raises(PluginError, match="no Beam stage 'Other'"):
        GOOD.beam_stage("Other")


def test_a_plugin_cannot_take_a_core_command(
    registered: list[EntryPoint], capsys: pytest.CaptureFixture[str]
) -> None:
    registered.append(_entry("clash", "CLASH"))
    assert main(["plugins"]) == 0
    assert "command 'stats' is already taken" in capsys.readouterr().err
