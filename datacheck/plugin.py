"""The plugin seam: how a package adds commands, Beam stages and service routes to datacheck.

A plugin is any installed distribution that registers a :class:`Plugin` value in the
entry-point group ``datacheck.plugins``::

    # the plugin's pyproject.toml
    [project.entry-points."datacheck.plugins"]
    labeling = "datacheck_labeling.plugin:PLUGIN"

    # datacheck_labeling/plugin.py: light, imports nothing heavy
    PLUGIN = Plugin(
        name="labeling",
        api_version=1,
        commands=(Command(name="label", help="apply labeling functions",
                          register="datacheck_labeling._cli:register"),),
        beam_stages={"ApplyLFs": "datacheck_labeling.beam:ApplyLFs"},
    )

Everything a plugin contributes is named by a *reference*, ``"module:attribute"``, and imported
only when used: ``datacheck --help`` reads the entry points and the commands' one-line help,
and imports a command's module only when that command runs, so a plugin built on torch costs
the other commands nothing. A plugin that fails to load is reported by name
(:func:`discover_plugins` returns it among the failures) and the other commands keep working.
The core imports no plugin by name.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from types import MappingProxyType
from typing import Any

from datacheck.errors import DatacheckError

__all__ = [
    "ENTRY_POINT_GROUP",
    "PLUGIN_API_VERSION",
    "Command",
    "Plugin",
    "PluginError",
    "PluginFailure",
    "discover_plugins",
    "lazy_exports",
    "load_reference",
]

#: the entry-point group plugins register their :class:`Plugin` value in
ENTRY_POINT_GROUP = "datacheck.plugins"
#: the plugin API this datacheck provides; a plugin written for another is refused
PLUGIN_API_VERSION = 1


class PluginError(DatacheckError, ImportError):
    """A plugin, or something it names, cannot be loaded or is not what it should be."""


def load_reference(reference: str) -> Any:
    """The object a ``"package.module:attribute"`` reference names, imported now.

    Raises:
        PluginError: The reference is malformed, its module cannot be imported, or it has
            no such attribute; the message names the reference.
    """
    module_name, sep, attribute = reference.partition(":")
    if not sep or not module_name or not attribute:
        raise PluginError(f"{reference!r}: not a reference; write it as 'package.module:name'")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise PluginError(f"{reference}: cannot import {module_name}: {exc}") from exc
    target: Any = module
    for part in attribute.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise PluginError(
                f"{reference}: {module_name} has no attribute {attribute!r}"
            ) from None
    return target


@dataclass(frozen=True, slots=True, kw_only=True)
class Command:
    """A ``datacheck`` subcommand contributed by a plugin."""

    #: the subcommand's name, as typed after ``datacheck``
    name: str
    #: one line for ``datacheck --help``
    help: str
    #: ``"module:function"``; ``function(subparsers)`` adds the command's parser with this
    #: name and ``set_defaults(run=...)``, a function of the parsed arguments returning the
    #: exit code (0 fine, 1 a finding, 2 a bad request). Imported only when the command runs.
    register: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Plugin:
    """What a plugin adds to datacheck; the value its entry point names.

    Every contribution is a ``"module:attribute"`` reference, imported on use
    (:func:`load_reference`), so registering a plugin imports only the module that holds this
    value.
    """

    #: the plugin's name (its extra's name for datacheck's own plugins: ``labeling``)
    name: str
    #: the :data:`PLUGIN_API_VERSION` it was written for
    api_version: int
    #: subcommands of ``datacheck``
    commands: tuple[Command, ...] = ()
    #: Beam stages by name: ``"module:PTransformClass"``
    beam_stages: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    #: service routes: ``"module:function"`` references; each function returns the
    #: Starlette routes the plugin adds to ``datacheck serve``
    service_routes: tuple[str, ...] = ()
    #: the OpenAPI 3 description of those routes: ``"module:attribute"`` references, each a
    #: mapping ``{"paths": {path: path item}, "components": {"schemas": {...}}}`` that
    #: ``datacheck serve`` merges into its ``/openapi.json`` (every response documented)
    service_openapi: tuple[str, ...] = ()
    #: options of ``datacheck serve``: ``"module:function"`` references, each called with an
    #: ``argparse`` argument group of that command to add the plugin's flags (keep the module
    #: light: ``datacheck serve --help`` imports it); the parsed values reach the plugin's
    #: routes by ``dest`` in ``ServiceConfig.plugin_options``
    #: (``request.app.state.config.plugin_options``)
    service_options: tuple[str, ...] = ()
    #: pipeline stage kinds by name: ``"module:attribute"`` (reserved for pipeline files)
    stage_kinds: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def beam_stage(self, name: str) -> Any:
        """The Beam stage ``name``, imported now.

        Raises:
            PluginError: The plugin has no such stage, or it cannot be imported.
        """
        reference = self.beam_stages.get(name)
        if reference is None:
            known = ", ".join(sorted(self.beam_stages)) or "none"
            raise PluginError(f"plugin {self.name!r} has no Beam stage {name!r} (stages: {known})")
        return load_reference(reference)


@dataclass(frozen=True, slots=True, kw_only=True)
class PluginFailure:
    """A registered plugin that could not be used, and why."""

    #: the entry point's name
    name: str
    #: the entry point's value, ``"module:attribute"``
    reference: str
    #: one line: what went wrong
    reason: str


def _load(entry: EntryPoint) -> Plugin:
    try:
        value = entry.load()
    except Exception as exc:  # a broken plugin must not take the command down
        raise PluginError(f"cannot import {entry.value}: {type(exc).__name__}: {exc}") from exc
    if not isinstance(value, Plugin):
        raise PluginError(f"{entry.value} is a {type(value).__name__}, not a datacheck Plugin")
    if value.api_version != PLUGIN_API_VERSION:
        raise PluginError(
            f"written for plugin API {value.api_version}; this datacheck provides "
            f"{PLUGIN_API_VERSION}: install a matching version of the plugin"
        )
    return value


@cache
def discover_plugins() -> tuple[tuple[Plugin, ...], tuple[PluginFailure, ...]]:
    """The installed plugins, and those that failed to load, each sorted by name.

    Reads the ``datacheck.plugins`` entry points and imports the module each one names (only
    that module: a plugin's commands, stages and routes load on use). A plugin whose module
    raises, whose value is not a :class:`Plugin`, or that was written for another plugin API
    is returned as a :class:`PluginFailure` instead; nothing is raised. The answer is cached
    for the life of the process.
    """
    plugins: list[Plugin] = []
    failures: list[PluginFailure] = []
    for entry in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        try:
            plugins.append(_load(entry))
        except PluginError as exc:
            failures.append(PluginFailure(name=entry.name, reference=entry.value, reason=str(exc)))
    return tuple(plugins), tuple(failures)


def lazy_exports(
    package: str, where: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A package's PEP 562 ``__getattr__`` and ``__dir__`` that import each exported name from
    its module on first use, so importing the package (or its light ``plugin`` module, which
    ``datacheck --help`` does) costs nothing heavy::

        __getattr__, __dir__ = lazy_exports(__name__, {"train": "my_plugin._train"})

    ``where`` maps each exported name to the module that defines it. A name once loaded is
    kept in the package's namespace, so later uses do not come back here.
    """

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *where})

    return __getattr__, __dir__
