"""The plugin manager: built-in plugins first, then any installed `crossingwatch` entry points."""

from __future__ import annotations

import importlib

import pluggy

from crossingwatch.plugins import hookspecs

DEFAULT_PLUGINS: tuple[str, ...] = (
    "crossingwatch.plugins.builtin_detectors",
    "crossingwatch.plugins.builtin_sources",
    "crossingwatch.plugins.builtin_signals",
)


def get_plugin_manager(extra: tuple[object, ...] = (), load_entry_points: bool = True) -> pluggy.PluginManager:
    pm = pluggy.PluginManager("crossingwatch")
    pm.add_hookspecs(hookspecs)
    for name in DEFAULT_PLUGINS:
        pm.register(importlib.import_module(name), name=name)
    if load_entry_points:
        pm.load_setuptools_entrypoints("crossingwatch")
    for plugin in extra:
        pm.register(plugin)
    return pm
