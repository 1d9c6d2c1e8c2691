"""The pure domain of CrossingWatch (standard library only; see README.md in this folder)."""

from crossingwatch.core.assessment import (
    LABELS,
    TACTICS,
    Assessment,
    Evidence,
    Indicators,
    Price,
)
from crossingwatch.core.detectors import Detector
from crossingwatch.core.errors import (
    ConfigError,
    Conflict,
    CrossingWatchError,
    InputError,
    ModelError,
    NotFound,
    StoreError,
)
from crossingwatch.core.events import Event
from crossingwatch.core.posts import Author, Media, Post, Reject

__all__ = [
    "LABELS",
    "TACTICS",
    "Assessment",
    "Author",
    "ConfigError",
    "CrossingWatchError",
    "Detector",
    "Event",
    "Evidence",
    "Indicators",
    "InputError",
    "Media",
    "ModelError",
    "Conflict",
    "NotFound",
    "Post",
    "Price",
    "Reject",
    "StoreError",
]
