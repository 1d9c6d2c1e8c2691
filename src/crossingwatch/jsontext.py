"""JSON text for bulk output and stored columns: orjson (compact, UTF-8, several times faster than `json`), with the
standard library as the fallback for what orjson refuses (integers beyond 64 bits, lone surrogates), escaping
non-ASCII there so that a lone surrogate becomes `\\ud800`, valid JSON that any UTF-8 file or database takes."""

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
        return json.dumps(obj, separators=(",", ":"))
