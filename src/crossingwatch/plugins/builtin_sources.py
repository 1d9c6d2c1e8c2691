"""The built-in input readers, registered like any plugin's (Telegram first: its sniff is the most specific)."""

from __future__ import annotations

from typing import Any

from crossingwatch.plugins.hookspecs import hookimpl
from crossingwatch.sources.csvfile import CsvReader
from crossingwatch.sources.jsonl import JsonLinesReader
from crossingwatch.sources.telegram import TelegramExportReader


@hookimpl
def register_sources() -> list[Any]:
    return [TelegramExportReader(), JsonLinesReader(), CsvReader()]
