"""The error tree. Every user-facing error names the record, the field and the fix.

    CrossingWatchError
    ├── ConfigError        a setting, plugin or data file is wrong (names the setting or file)
    │   └── OcrUnavailable     Tesseract is not installed (media/ocr.py)
    ├── InputError         an input record or file cannot be read (names file, line, field)
    │   └── ImageRejected      an image that cannot be opened safely, with the reason (media/images.py)
    ├── ModelError         a model directory is missing, corrupt or of an unknown version
    ├── OcrFailed          Tesseract failed or timed out on an image (media/ocr.py)
    ├── StoreError         the database cannot be opened, migrated or written
    │   ├── NotFound       a `get_` found nothing with that key
    │   └── Conflict       an `add_`/`create_` would duplicate something that must be unique (a bank's name)
    └── WorkflowError      a decision or status change the rules do not allow (core/workflow.py)
        ├── InvalidTransition  a referred item's status cannot move that way
        └── EditConflict       someone else changed the record since it was read (optimistic locking)
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


class Conflict(StoreError):
    pass
