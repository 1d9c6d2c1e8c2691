"""The built-in text detector, registered through the same hook as any third-party detector."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crossingwatch.core.detectors import Detector
from crossingwatch.plugins.hookspecs import hookimpl

if TYPE_CHECKING:
    from crossingwatch.runtime import Runtime


@dataclass(frozen=True)
class DetectorFactory:
    name: str
    build: Callable[[Runtime], Detector]
    description: str = ""


def build_text_detector(runtime: Runtime) -> Detector:
    from crossingwatch.detect.language import load_fasttext
    from crossingwatch.detect.model import load_model
    from crossingwatch.detect.pipeline import TextDetector

    model = load_model(Path(runtime.settings.model_dir))
    fasttext = load_fasttext() if runtime.settings.langid_fasttext else None
    return TextDetector(runtime.resources, model, fasttext)


@hookimpl
def register_detectors() -> list[Any]:
    return [DetectorFactory("text", build_text_detector,
                            "Normalisation, lexicons, indicators and a trained linear model (15 languages).")]
