"""Opening untrusted image files safely, and hashing files.

Everything that decodes an image from a file a user or a crawler handed us comes through `open_image`: it refuses
(with `ImageRejected`, naming the file and the reason) what would crash, hang or exhaust memory further on, and
returns a plain, fully loaded RGB image, so OCR and perceptual hashing never see a file, a mode or a frame they did
not expect. What does not belong here: OCR (`ocr.py`), perceptual hashes and matching indexes.
"""

from __future__ import annotations

import hashlib
import threading
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from crossingwatch.core.errors import InputError

__all__ = ["FORMATS", "MAX_PIXELS", "ImageRejected", "open_image", "sha256_file"]

MAX_PIXELS = 40_000_000
# What phones, chat apps and the web produce. Pillow can open far more (EPS even runs Ghostscript); an allow-list
# keeps rarely used, rarely fuzzed decoders away from untrusted files.
FORMATS = ("JPEG", "PNG", "GIF", "WEBP", "BMP", "TIFF", "AVIF")
# Modes with a lossless-enough route to RGB; anything else is refused rather than guessed at.
_DIRECT = {"1", "L", "P", "RGB", "RGBA", "RGBX", "RGBa", "LA", "PA", "CMYK", "YCbCr"}
# `warnings.catch_warnings` swaps process-wide state; one lock at least keeps our own callers from interleaving.
_WARNINGS_LOCK = threading.Lock()


class ImageRejected(InputError, ValueError):
    """An image file we will not decode; `reason` says why, in words a user can act on."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(f"{path}: image rejected: {reason}", source=str(path), field="image")
        self.path = str(path)
        self.reason = reason

    def __reduce__(self) -> tuple[type[ImageRejected], tuple[str, str]]:
        return (ImageRejected, (self.path, self.reason))  # survives the trip to and from worker processes


def open_image(path: Path, max_pixels: int = MAX_PIXELS) -> Image.Image:
    """Decode an untrusted image file into a loaded RGB image (first frame), or raise `ImageRejected`.

    The pixel count is checked from the header before any pixel is decoded. A missing or unreadable file raises
    the usual `OSError`: that is the caller's environment, not the file's content.
    """
    path = Path(path)
    with path.open("rb") as fp:
        if not fp.read(1):
            raise ImageRejected(path, "the file is empty (0 bytes)")
        fp.seek(0)
        try:
            with _WARNINGS_LOCK, warnings.catch_warnings():
                # Pillow's own bomb check warns above ~89 Mpx and raises above twice that; both are refusals here.
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                with Image.open(fp, formats=FORMATS) as im:
                    width, height = im.size
                    if width * height > max_pixels:
                        raise ImageRejected(path, f"{width}x{height} is {width * height:,} pixels, more than the limit "
                                                  f"of {max_pixels:,} (a decompression bomb, or far too big to OCR)")
                    im.seek(0)
                    im.load()
                    return _to_rgb(_upright(im), path)
        except ImageRejected:
            raise
        except Image.UnidentifiedImageError:
            raise ImageRejected(path, f"not an image in a supported format ({', '.join(FORMATS)})") from None
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
            raise ImageRejected(path, f"decompression bomb: {e}") from None
        except Exception as e:  # a hostile file can make a decoder raise almost anything; each is a refusal
            raise ImageRejected(path, f"corrupt or truncated image ({type(e).__name__}: {e})") from None


def _upright(im: Image.Image) -> Image.Image:
    """Apply the EXIF orientation (phone photos are often stored sideways); a broken EXIF block is not fatal."""
    try:
        return ImageOps.exif_transpose(im)
    except Exception:  # the pixels decoded fine; only the metadata is bad, so keep them as stored
        return im


def _to_rgb(im: Image.Image, path: Path) -> Image.Image:
    """RGB without surprises: transparency goes onto white (as a viewer shows it), high bit depths are scaled."""
    mode = im.mode
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        values = np.asarray(im, dtype=np.float64)
        top = 65535.0 if mode.startswith("I;16") or values.max(initial=0) > 255 else 255.0
        im = Image.fromarray(np.clip(values * (255.0 / top), 0, 255).astype(np.uint8), "L")
    elif mode not in _DIRECT:
        raise ImageRejected(path, f"unsupported pixel mode {mode!r}")
    if im.mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    if im.mode in ("RGBA", "LA", "PA", "RGBa"):
        rgba = im.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return im.convert("RGB")


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes, read in chunks: the exact-match key for media and the OCR cache key."""
    with Path(path).open("rb") as fp:
        return hashlib.file_digest(fp, "sha256").hexdigest()
