"""The error tree. Every user-facing error names the record, the field and the fix.

    CrossingWatchError
    ├── ConfigError        a setting, plugin or data file is wrong (names the setting or file)
    ├── InputError         an input record or file cannot be read (names file, line, field)
    ├── ModelError         a model directory is missing, corrupt or of an unknown version
    ├── StoreError         the database cannot be opened, migrated or written
    │   └── NotFound       a `get_` found nothing with that key
"""

from __future__ import annotations


class CrossingWatchError(Exception):
    """Base of every error CrossingWatch raises on purpose."""


class ConfigError(CrossingWatchError):
    pass


class InputError(CrossingWatchError):
    def __init__(self, message: str, *, source: str = "", line: int = 0, field: str = "") -> None:
        super().__init__(message)
        self.source = source
        self.line = line
        self.field = field


class ModelError(CrossingWatchError):
    pass


class StoreError(CrossingWatchError):
    pass


class NotFound(StoreError):
    pass
