"""Opening untrusted image files: every bad file is an `ImageRejected` naming file and reason, never a crash."""

from __future__ import annotations

import hashlib
import io
import pickle
import struct
import tempfile
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from crossingwatch.core.errors import InputError
from crossingwatch.media.images import MAX_PIXELS, ImageRejected, open_image, sha256_file


def save(image: Image.Image, path: Path, fmt: str, **params: object) -> Path:
    image.save(path, fmt, **params)
    return path


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims `width` x `height` and holds almost nothing: the shape of a decompression bomb."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
            + chunk(b"IEND", b""))


def rejected(path: Path, reason_part: str, **kwargs: int) -> ImageRejected:
    with pytest.raises(ImageRejected) as info:
        open_image(path, **kwargs)
    error = info.value
    assert str(path) in str(error) and reason_part in error.reason, str(error)
    return error


def test_a_plain_png_comes_back_loaded_rgb_and_detached_from_its_file(tmp_path: Path) -> None:
    path = save(Image.new("RGB", (30, 20), (10, 200, 30)), tmp_path / "ok.png", "PNG")
    image = open_image(path)
    path.unlink()  # fully loaded: the pixels do not need the file any more
    assert (image.mode, image.size, image.getpixel((5, 5))) == ("RGB", (30, 20), (10, 200, 30))


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    error = rejected(path, "empty")
    assert isinstance(error, ValueError) and isinstance(error, InputError) and error.source == str(path)
    copy = pickle.loads(pickle.dumps(error))  # raised in a worker process, reported in the parent
    assert (str(copy), copy.reason, copy.path) == (str(error), error.reason, error.path)


def test_text_file_named_jpg(tmp_path: Path) -> None:
    path = tmp_path / "note.jpg"
    path.write_text("meet at the port at 9, bring cash\n", "utf-8")
    rejected(path, "not an image")


def test_format_outside_the_allow_list(tmp_path: Path) -> None:
    rejected(save(Image.new("RGB", (8, 8)), tmp_path / "x.ppm", "PPM"), "supported format")


def test_truncated_jpeg(tmp_path: Path) -> None:
    noise = np.random.default_rng(1).integers(0, 255, (200, 200, 3), dtype=np.uint8)
    whole = io.BytesIO()
    Image.fromarray(noise).save(whole, "JPEG", quality=90)
    path = tmp_path / "cut.jpg"
    path.write_bytes(whole.getvalue()[: len(whole.getvalue()) // 2])
    rejected(path, "truncated")


@pytest.mark.parametrize("side", [7_000, 10_000, 50_000])  # above our limit; above Pillow's warning; above its error
def test_decompression_bomb_is_refused_from_the_header_without_a_warning(tmp_path: Path, side: int) -> None:
    path = tmp_path / "bomb.png"
    path.write_bytes(png_header_only(side, side))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # as in production, where warnings are not errors
        rejected(path, "decompression bomb")
    assert not caught, [str(w.message) for w in caught]


def test_the_pixel_limit_is_the_callers(tmp_path: Path) -> None:
    path = save(Image.new("RGB", (100, 100)), tmp_path / "small.png", "PNG")
    rejected(path, "10,000 pixels", max_pixels=9_999)  # 100x100 is 10,000
    assert open_image(path, max_pixels=10_000).size == (100, 100)
    assert MAX_PIXELS == 40_000_000


def test_animated_gif_gives_its_first_frame(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (16, 16), colour) for colour in [(255, 0, 0), (0, 255, 0), (0, 0, 255)]]
    path = tmp_path / "anim.gif"
    frames[0].save(path, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    image = open_image(path)
    assert image.mode == "RGB" and image.getpixel((8, 8)) == (255, 0, 0)


def test_sixteen_bit_greyscale_is_scaled_not_clipped(tmp_path: Path) -> None:
    pixels = np.array([[0, 32896, 65535]], dtype=np.uint16)  # 32896 = 128 * 257
    path = save(Image.fromarray(pixels), tmp_path / "deep.png", "PNG")
    with Image.open(path) as stored:
        assert stored.mode.startswith("I;16")
    image = open_image(path)
    assert [image.getpixel((x, 0)) for x in range(3)] == [(0, 0, 0), (128, 128, 128), (255, 255, 255)]


def test_cmyk_jpeg_becomes_rgb(tmp_path: Path) -> None:
    path = save(Image.new("CMYK", (20, 20), (0, 255, 255, 0)), tmp_path / "print.jpg", "JPEG", quality=95)
    red, green, blue = open_image(path).getpixel((10, 10))
    assert red > 200 and green < 60 and blue < 60


def test_palette_and_alpha_go_onto_white(tmp_path: Path) -> None:
    palette = Image.new("P", (10, 10), 1)
    palette.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    palette.putpixel((0, 0), 0)
    png = save(palette, tmp_path / "pal.png", "PNG", transparency=0)
    image = open_image(png)
    assert image.getpixel((0, 0)) == (255, 255, 255) and image.getpixel((5, 5)) == (255, 0, 0)
    clear = save(Image.new("RGBA", (10, 10), (0, 0, 0, 0)), tmp_path / "clear.webp", "WEBP", lossless=True)
    assert open_image(clear).getpixel((5, 5)) == (255, 255, 255)  # not black: black text would vanish on it


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to view": how phones store portrait photos
    path = save(Image.new("RGB", (40, 20)), tmp_path / "phone.jpg", "JPEG", exif=exif)
    assert open_image(path).size == (20, 40)


def test_unsupported_pixel_mode(tmp_path: Path) -> None:
    rejected(save(Image.new("LAB", (8, 8)), tmp_path / "lab.tiff", "TIFF"), "mode 'LAB'")


def test_a_missing_file_is_an_os_error_not_a_rejection(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        open_image(tmp_path / "nowhere.png")


def test_sha256_file(tmp_path: Path) -> None:
    path = tmp_path / "blob.bin"
    path.write_bytes(b"x" * 200_000)
    assert sha256_file(path) == hashlib.sha256(b"x" * 200_000).hexdigest()


def _seed_files() -> list[bytes]:
    out = []
    for fmt in ("PNG", "JPEG", "GIF", "WEBP", "BMP", "TIFF"):
        buffer = io.BytesIO()
        Image.new("RGB", (24, 16), (40, 90, 200)).save(buffer, fmt)
        out.append(buffer.getvalue())
    return out


@settings(max_examples=150, deadline=None)
@given(seed=st.sampled_from(_seed_files()), data=st.data())
def test_damaged_files_are_rejected_or_opened_never_crash(seed: bytes, data: st.DataObject) -> None:
    blob = bytearray(seed)
    for _ in range(data.draw(st.integers(1, 8))):
        blob[data.draw(st.integers(0, len(blob) - 1))] = data.draw(st.integers(0, 255))
    blob = blob[: data.draw(st.integers(1, len(blob)))]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.img"
        path.write_bytes(bytes(blob))
        try:
            image = open_image(path)
        except ImageRejected:
            return
        assert image.mode == "RGB" and image.width * image.height <= MAX_PIXELS
