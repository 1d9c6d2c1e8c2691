"""The built-in signal types (PDQ, SHA-256, video MD5, phone, handle, URL), registered like anyone's."""

from __future__ import annotations

from typing import Any

from crossingwatch.plugins.hookspecs import hookimpl


@hookimpl
def register_signal_types() -> list[Any]:
    from crossingwatch.media.signals import BUILTIN_SIGNAL_TYPES

    return list(BUILTIN_SIGNAL_TYPES)
