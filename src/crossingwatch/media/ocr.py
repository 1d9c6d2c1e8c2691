"""Text in images, read by Tesseract: find the script, choose its languages, read, cache by image hash.

Tesseract runs as a subprocess, one call per step with the image as PNG on stdin: a crash or a hang in it cannot
take the caller down (and `timeout_s` ends a hang), and no binding has to match the installed version. It runs with
one OpenMP thread: on small images Tesseract's threads cost far more than they save (3-7x slower measured on two
cores), and callers get their parallelism from processes anyway.

What does not belong here: opening untrusted files (`images.py`), perceptual hashing, storing results (a store
implements `OcrCache`).
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Protocol

import numpy as np
from PIL import Image, ImageFilter, ImageOps

from crossingwatch.core.errors import ConfigError, CrossingWatchError

__all__ = ["SCRIPT_KEY", "SCRIPT_LANGUAGES", "UNKNOWN", "MemoryOcrCache", "Ocr", "OcrCache", "OcrFailed", "OcrResult",
           "OcrUnavailable", "flatten_background", "line_height", "normalise_text", "prepare", "script_letter_counts"]

# Script -> the Tesseract language packs to read it with; only installed ones are used. Tesseract leans on the first
# pack, so the order is measured (benchmarks/ocr.py): with fas first, Persian, Pashto and Urdu letters (پ گ ټ ے) are
# not flattened into Arabic ones and Arabic does not suffer; with eng, kmr and vie first, Latin diacritics survive.
SCRIPT_LANGUAGES: dict[str, tuple[str, ...]] = {
    "Latin": ("eng", "kmr", "vie", "tur", "sqi", "fra", "spa"),
    "Arabic": ("fas", "pus", "urd", "ara"),
    "Ethiopic": ("amh", "tir"),
}
UNKNOWN = "Unknown"
# The detected script is cached next to the texts, under this pseudo language set (real sets are ISO 639-2 codes).
SCRIPT_KEY = "script"
# Tesseract reads best with lines of text about this tall (pixels, ascender to descender); see benchmarks/ocr.py.
TARGET_LINE_HEIGHT = 40
MAX_UPSCALE = 4.0
MAX_OCR_PIXELS = 16_000_000
_BIDI_MARKS = re.compile("[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")
_SPACES = re.compile(r"[^\S\n]+")


class OcrUnavailable(ConfigError, RuntimeError):
    """Tesseract, or every language pack, is missing; the message says what to install."""


class OcrFailed(CrossingWatchError, RuntimeError):
    """Tesseract ran but failed or timed out on one image; the message names the image."""


@dataclass(frozen=True)
class OcrResult:
    text: str
    langs: str  # the Tesseract language set used, e.g. "fas+pus+urd+ara"
    script: str  # "Latin", "Arabic", "Ethiopic", or "Unknown" (no letters of those found)


class OcrCache(Protocol):
    """Where OCR text is kept by (image SHA-256, language set); a hit spares a Tesseract run."""

    def get(self, sha256: str, langs: str) -> str | None: ...

    def put(self, sha256: str, langs: str, text: str) -> None: ...


class MemoryOcrCache:
    """The in-process `OcrCache`: for tests, benchmarks and one-off runs."""

    def __init__(self) -> None:
        self._texts: dict[tuple[str, str], str] = {}

    def get(self, sha256: str, langs: str) -> str | None:
        return self._texts.get((sha256, langs))

    def put(self, sha256: str, langs: str, text: str) -> None:
        self._texts[(sha256, langs)] = text

    def __len__(self) -> int:
        return len(self._texts)


class Ocr:
    """Reads text from images with the languages of the script it finds in them."""

    def __init__(self, tesseract: str = "tesseract", cache: OcrCache | None = None, timeout_s: float = 30) -> None:
        self.tesseract = tesseract
        self.cache: OcrCache = cache if cache is not None else MemoryOcrCache()
        self.timeout_s = timeout_s
        self.runs = 0  # Tesseract processes started, for tests and benchmarks

    @cached_property
    def available_languages(self) -> frozenset[str]:
        """Installed language packs (`tesseract --list-langs`), read once; raises `OcrUnavailable` if none."""
        try:
            out = self._run(["--list-langs"], b"", "--list-langs").decode("utf-8", "replace")
        except OcrFailed as e:
            raise OcrUnavailable(f"Tesseract ({self.tesseract}) cannot list its languages ({e}): reinstall "
                                 "tesseract-ocr and its language packs") from None
        langs = frozenset(line.strip() for line in out.splitlines()[1:] if line.strip())
        if not langs - {"osd"}:
            raise OcrUnavailable(f"Tesseract ({self.tesseract}) has no language data: install tesseract-ocr-eng "
                                 "and the packs for the scripts you need (ara, fas, urd, pus, amh, tir ...)")
        return langs

    def languages_for(self, script: str) -> str:
        """The installed language set for a script: its own packs, else English, else whatever is installed."""
        installed = self.available_languages
        if script == UNKNOWN:
            wanted: Sequence[str] = self._probe_languages()
        else:
            wanted = [lang for lang in SCRIPT_LANGUAGES.get(script, ()) if lang in installed]
        if not wanted:
            wanted = ["eng"] if "eng" in installed else sorted(installed - {"osd"})[:1]
        return "+".join(wanted)

    def read(self, image: Image.Image, sha256: str) -> OcrResult:
        """OCR `image` (whose file has this SHA-256). Each step is answered from the cache when it can be, so a
        second read of the same file starts no Tesseract and does not even prepare the image."""
        script = self.cache.get(sha256, SCRIPT_KEY)
        langs = self.languages_for(script) if script is not None else ""
        text = self.cache.get(sha256, langs) if langs else None
        if script is None or text is None:
            png = _png(prepare(image))
            if script is None:
                script = self._detect_script(png, sha256)
                langs = self.languages_for(script)
                text = self.cache.get(sha256, langs)  # the probe leaves its text there when it found no script
            if text is None:
                text = self._ocr(png, langs, sha256)
                self.cache.put(sha256, langs, text)
        return OcrResult(text=text, langs=langs, script=script)

    def _detect_script(self, png: bytes, sha256: str) -> str:
        """Read once with one pack per script and see which script's letters came out; cache the answer.

        Not Tesseract's OSD (`--psm 0`): osd.traineddata has no Ethiopic at all, and on the 90 benchmark images
        (benchmarks/ocr.py --n 30) it named the wrong script for 32, Amharic coming back as Latin or Cyrillic with
        confidence up to 10, where this probe was wrong on 1 (a tie between Latin and Arabic letters).
        """
        probe = "+".join(self._probe_languages())
        text = self._ocr(png, probe, sha256)
        counts = script_letter_counts(text)
        script = max(counts, key=counts.__getitem__) if any(counts.values()) else UNKNOWN
        if script == UNKNOWN:  # nothing to reread (often an image without text): the probe's answer is the answer
            self.cache.put(sha256, probe, text)
        self.cache.put(sha256, SCRIPT_KEY, script)
        return script

    def _probe_languages(self) -> list[str]:
        installed = self.available_languages
        firsts = [next((lang for lang in langs if lang in installed), None) for langs in SCRIPT_LANGUAGES.values()]
        return [lang for lang in firsts if lang] or sorted(installed - {"osd"})[:1]

    def _ocr(self, png: bytes, langs: str, sha256: str) -> str:
        out = self._run(["stdin", "stdout", "-l", langs, "--psm", "3", "--dpi", "300"], png, sha256)
        return normalise_text(out.decode("utf-8", "replace"))

    def _run(self, args: list[str], stdin: bytes, what: str) -> bytes:
        env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
        self.runs += 1
        try:
            done = subprocess.run([self.tesseract, *args], input=stdin, capture_output=True, env=env,
                                  timeout=self.timeout_s, check=False)
        except (FileNotFoundError, PermissionError) as e:
            raise OcrUnavailable(f"cannot run Tesseract ({self.tesseract}: {e.strerror}): install tesseract-ocr "
                                 "(apt-get install tesseract-ocr tesseract-ocr-eng tesseract-ocr-ara ...)") from None
        except subprocess.TimeoutExpired:
            raise OcrFailed(f"image {what}: Tesseract took longer than {self.timeout_s:g} s and was stopped") from None
        if done.returncode != 0:
            tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no message"]
            raise OcrFailed(f"image {what}: Tesseract exited with {done.returncode}: {tail[0]}")
        return done.stdout


def prepare(image: Image.Image) -> Image.Image:
    """Greyscale, dark text on light, lines scaled to the height Tesseract reads best, background flattened.

    Measured with benchmarks/ocr.py: word accuracy 0.81 for plain Tesseract on the file (even told the right
    languages), 0.90 after this; on photos 0.64 -> 0.90. Inverting dark mode and flattening the background matter
    most (chat bubbles and unevenly lit photos fall apart under Tesseract's one global threshold); upscaling
    matters for small text (screenshots shrunk to 60%: 0.46 -> 0.83). Not binarised here: Tesseract's own Sauvola,
    and ours, scored the same but made it drop whole Persian lines.
    """
    grey = ImageOps.grayscale(image)
    pixels = np.asarray(grey)
    if np.median(pixels) < 110:  # dark mode screenshots and night photos: Tesseract expects dark text
        grey = ImageOps.invert(grey)
        pixels = 255 - pixels
    height = line_height(pixels)
    scale = min(max(1.0, TARGET_LINE_HEIGHT / height if height else 1.0), MAX_UPSCALE)
    scale = min(scale, (MAX_OCR_PIXELS / pixels.size) ** 0.5)  # huge scans shrink: Tesseract would run for minutes
    if scale > 1.15 or scale < 1:
        grey = grey.resize((round(grey.width * scale), round(grey.height * scale)), Image.Resampling.LANCZOS)
    return ImageOps.autocontrast(flatten_background(grey), cutoff=1)


def flatten_background(grey: Image.Image, cell: int = 16) -> Image.Image:
    """Divide by the local background (the brightest pixels nearby, estimated on a coarse grid): gradients,
    shadows and coloured bubbles turn white, while text keeps the grey edges Tesseract's recogniser uses."""
    small = grey.resize((max(1, grey.width // cell), max(1, grey.height // cell)), Image.Resampling.BOX)
    background = np.asarray(small.filter(ImageFilter.MaxFilter(5)).resize(grey.size, Image.Resampling.BILINEAR),
                            dtype=np.float32)
    flat = np.asarray(grey, dtype=np.float32) * 255 / np.maximum(background, 1)
    return Image.fromarray(np.clip(flat, 0, 255).astype(np.uint8))


def line_height(pixels: np.ndarray) -> float | None:
    """Median height of the bands of rows that hold ink, a cheap stand-in for the height of a text line."""
    threshold = _otsu(pixels)
    ink_rows = (pixels < threshold).sum(axis=1) >= max(2, pixels.shape[1] // 500)
    edges = np.flatnonzero(np.diff(np.concatenate(([0], ink_rows.view(np.int8), [0]))))
    runs = edges[1::2] - edges[::2]
    runs = runs[runs >= 4]
    if runs.size == 0 or runs.size == 1 and runs[0] > 0.8 * pixels.shape[0]:
        return None  # no text found, or ink everywhere (a busy photo): leave the size alone
    return float(np.median(runs))


def _otsu(pixels: np.ndarray) -> int:
    hist = np.bincount(pixels.ravel(), minlength=256).astype(np.float64)
    weight = np.cumsum(hist)
    mean = np.cumsum(hist * np.arange(256))
    total, total_mean = weight[-1], mean[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (total_mean * weight - mean * total) ** 2 / (weight * (total - weight))
    between = np.nan_to_num(between[:-1], nan=-1.0)
    return int(np.argmax(between)) + 1 if between.max() > 0 else 128  # one grey level only: no ink anywhere


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=1)  # Tesseract decodes it at once; spend no time compressing
    return buffer.getvalue()


def normalise_text(text: str) -> str:
    """One space between words, lines kept, at most one blank line between blocks, no bidi marks or form feeds.

    Tesseract wraps left-to-right runs inside right-to-left lines in LRM/RLM marks; they would split tokens.
    """
    text = _BIDI_MARKS.sub("", text.replace("\f", "\n"))
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def script_letter_counts(text: str) -> dict[str, int]:
    """How many letters of each script we pick languages for appear in `text`."""
    counts = dict.fromkeys(SCRIPT_LANGUAGES, 0)
    for ch in text:
        if not ch.isalpha():
            continue
        name = unicodedata.name(ch, "").split(" ", 1)[0]
        if name in ("LATIN", "ARABIC", "ETHIOPIC"):
            counts[name.title()] += 1
    return counts
