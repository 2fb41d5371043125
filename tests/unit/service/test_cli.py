"""``datacheck serve``: its options become a ServiceConfig; a public address is warned about."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import datacheck.service
from datacheck.cli import main
from datacheck.service import ServiceConfig, is_loopback


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[tuple[ServiceConfig, dict[str, Any]]]:
    calls: list[tuple[ServiceConfig, dict[str, Any]]] = []
    monkeypatch.setattr(datacheck.service, "serve", lambda config, **kw: calls.append((config, kw)))
    return calls


def test_the_options_become_the_config(
    tmp_path: Path, served: list[tuple[ServiceConfig, dict[str, Any]]]
) -> None:
    token = tmp_path / "token"
    token.write_text("abc\n")
    code = main(
        [
            "serve",
            "--store",
            str(tmp_path / "s"),
            "--port",
            "9",
            "--token-file",
            str(token),
            "--max-rows",
            "5",
            "--window-seconds",
            "60",
            "--compatibility",
            "FULL",
        ]
    )
    assert code == 0
    ((config, kw),) = served
    assert (config.token, config.max_rows, config.window_seconds) == ("abc", 5, 60)
    assert config.default_compatibility == "FULL"
    assert (kw["host"], kw["port"]) == ("127.0.0.1", 9)


def test_a_public_address_is_warned_about(
    tmp_path: Path,
    served: list[tuple[ServiceConfig, dict[str, Any]]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["serve", "--store", str(tmp_path), "--host", "0.0.0.0"]) == 0
    err = capsys.readouterr().err
    assert "not a loopback address" in err
    assert "--token-file" in err


def test_a_missing_token_file_is_one_error_line(
    tmp_path: Path, served: list[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve", "--store", str(tmp_path), "--token-file", str(tmp_path / "no")]) == 2
    assert capsys.readouterr().err.startswith("datacheck: error: ")
    assert served == []


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("10.0.0.1", False),
        ("example.com", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_serve_freezes_what_start_up_made(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A full collection that walks every start-up object (torch, the models) stalls requests
    # for ~100 ms; `serve` moves them out of the collector's reach before it takes requests.
    import gc

    import uvicorn

    from datacheck.service._server import serve

    frozen_when_run: list[int] = []
    monkeypatch.setattr(
        uvicorn.Server,
        "run",
        lambda self, sockets=None: frozen_when_run.append(gc.get_freeze_count()),
    )
    gc.unfreeze()
    try:
        serve(ServiceConfig(store=tmp_path, profile_in_process=False), port=0)
    finally:
        gc.unfreeze()
    assert frozen_when_run and frozen_when_run[0] > 1000


def _add_ratio(group: Any) -> None:
    group.add_argument("--ratio", type=float, default=0.5)


def _broken_options(group: Any) -> None:
    raise RuntimeError("no such module")


def test_a_plugins_serve_options_reach_the_config(
    tmp_path: Path,
    served: list[tuple[ServiceConfig, dict[str, Any]]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import datacheck.plugin
    from datacheck.plugin import Plugin

    plugins = (
        Plugin(name="ratio", api_version=1, service_options=("r:register",)),
        Plugin(name="broken", api_version=1, service_options=("b:register",)),
    )
    references = {"r:register": _add_ratio, "b:register": _broken_options}
    monkeypatch.setattr(datacheck.plugin, "discover_plugins", lambda: (plugins, ()))
    monkeypatch.setattr(datacheck.plugin, "load_reference", references.__getitem__)
    assert main(["serve", "--store", str(tmp_path), "--ratio", "0.25"]) == 0
    assert main(["serve", "--store", str(tmp_path)]) == 0
    assert [dict(config.plugin_options) for config, _ in served] == [
        {"ratio": 0.25},
        {"ratio": 0.5},
    ]
    # a plugin whose options cannot be added is named, and the others still work
    assert "plugin 'broken': serve options b:register not added: no such module" in (
        capsys.readouterr().err
    )
