"""Plugins: pluggy hook specifications and the manager. Built-ins register through the same hooks."""

from crossingwatch.plugins.hookspecs import hookimpl, hookspec
from crossingwatch.plugins.manager import DEFAULT_PLUGINS, get_plugin_manager

__all__ = ["DEFAULT_PLUGINS", "get_plugin_manager", "hookimpl", "hookspec"]
