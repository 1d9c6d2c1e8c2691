"""`build_runtime(settings)`: wires settings, plugins, resources, the detector and the store. It only wires."""

from __future__ import annotations

import gc
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pluggy

from crossingwatch.core import Event
from crossingwatch.core.detectors import Detector
from crossingwatch.core.errors import ConfigError
from crossingwatch.detect.pipeline import Resources
from crossingwatch.plugins import get_plugin_manager
from crossingwatch.resources import load_resources
from crossingwatch.settings import Settings
from crossingwatch.sources import SourceReader
from crossingwatch.store.sql import SqlStore, open_store


@dataclass
class Runtime:
    settings: Settings
    plugins: pluggy.PluginManager
    _stores: dict[str, SqlStore] = field(default_factory=dict)

    @cached_property
    def resources(self) -> Resources:
        return load_resources(Path(self.settings.data_dir))

    def detector(self, name: str = "text") -> Detector:
        factories = {f.name: f for group in self.plugins.hook.register_detectors() for f in group}
        if name not in factories:
            raise ConfigError(f"unknown detector {name!r}; installed: {', '.join(sorted(factories))}")
        return factories[name].build(self)

    def signal_types(self) -> dict[str, Any]:
        """The installed signal types by name (`SignalType` objects)."""
        types = {t.name: t for group in self.plugins.hook.register_signal_types() for t in group}
        return dict(sorted(types.items()))

    def index_dir(self) -> Path:
        if self.settings.index_dir:
            return Path(self.settings.index_dir)
        db = str(self.settings.db)
        return Path(db + ".index") if "://" not in db else Path("crossingwatch-index")

    def evidence_dir(self) -> Path:
        if self.settings.evidence_dir:
            return Path(self.settings.evidence_dir)
        db = str(self.settings.db)
        return Path(db + ".evidence") if "://" not in db else Path("crossingwatch-evidence")

    def sources(self) -> list[SourceReader]:
        return [reader for group in self.plugins.hook.register_sources() for reader in group]

    def store(self) -> SqlStore:
        db = str(self.settings.db)
        if db not in self._stores:
            self._stores[db] = open_store(db)
        return self._stores[db]

    def track(self, event: Event) -> None:
        self.plugins.hook.track_event(event=event)
        self.store().append(event)

    def close(self) -> None:
        for store in self._stores.values():
            store.close()
        self._stores.clear()


def settle_for_bulk_work() -> None:
    """After the model and lexicons are loaded: move them out of the garbage collector's way and collect less
    often. A scan allocates millions of short-lived objects; with the defaults, full collections keep re-walking the
    long-lived model data (about a tenth of a scan's time)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


def build_runtime(settings: Settings, extra_plugins: tuple[Any, ...] = ()) -> Runtime:
    return Runtime(settings, get_plugin_manager(extra_plugins))
