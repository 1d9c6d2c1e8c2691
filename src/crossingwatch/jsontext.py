"""JSON text for bulk output and stored columns: orjson (compact, UTF-8, several times faster than `json`), with the
standard library as the fallback for what orjson refuses (integers beyond 64 bits, lone surrogates)."""

from __future__ import annotations

import json
from typing import Any

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS


def dumps(obj: Any) -> str:
    """Compact JSON with non-ASCII characters as they are."""
    try:
        return orjson.dumps(obj, option=_OPTIONS).decode("utf-8")
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
