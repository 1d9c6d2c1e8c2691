"""The `Detector` plugin interface: anything that turns posts into assessments.

Our own text detector and any third-party one register through the `register_detectors` hook and are checked
by `crossingwatch.testing.check_detector`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Protocol, runtime_checkable

from crossingwatch.core.assessment import Assessment
from crossingwatch.core.posts import Post


@runtime_checkable
class Detector(Protocol):
    name: ClassVar[str]

    @property
    def version(self) -> str:
        """A string that changes whenever the detector's output may change (model, lexicons, code)."""
        ...

    def assess(self, posts: Sequence[Post]) -> list[Assessment]:
        """One assessment per post, in order."""
        ...
