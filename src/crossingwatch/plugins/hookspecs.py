"""Hook specifications. Each hook has a one-line docstring; `tests/test_docs.py` checks that."""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("crossingwatch")
hookimpl = pluggy.HookimplMarker("crossingwatch")


@hookspec
def register_detectors() -> list[Any]:  # type: ignore[empty-body]
    """Return `DetectorFactory` objects: a name and a callable building a Detector from a Runtime."""


@hookspec
def register_sources() -> list[Any]:  # type: ignore[empty-body]
    """Return `SourceReader` objects that recognise and read an input format."""


@hookspec
def track_event(event: Any) -> None:
    """Receive every audit `Event` (the default store writes them to the hash-chained audit log)."""


@hookspec
def register_signal_types() -> list[Any]:  # type: ignore[empty-body]
    """Return `SignalType` objects (a name, validate, compare, hash_file) that banks can hold and match."""
