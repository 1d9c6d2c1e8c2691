"""OCR on images rendered here: the right script and languages are found and the key words come out.

Tests that need Tesseract, one of its language packs or a font skip with the reason (CI installs them all).
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import unicodedata
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from crossingwatch.media.images import open_image, sha256_file
from crossingwatch.media.ocr import (
    SCRIPT_KEY,
    MemoryOcrCache,
    Ocr,
    OcrFailed,
    OcrResult,
    OcrUnavailable,
    line_height,
    normalise_text,
    prepare,
    script_letter_counts,
)

FONTS = {
    "sans": ["/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"],
    "ethiopic": ["/usr/share/fonts/truetype/abyssinica/AbyssinicaSIL-Regular.ttf",
                 "/usr/share/fonts/truetype/noto/NotoSansEthiopic-Regular.ttf",
                 "/usr/share/fonts/opentype/noto/NotoSansEthiopic-Regular.ttf"],
}
_ARABIC_VARIANTS = str.maketrans({"ي": "ی", "ى": "ی", "ك": "ک", "أ": "ا", "إ": "ا", "آ": "ا", "\u200c": None})


def font(kind: str, size: int) -> ImageFont.FreeTypeFont:
    path = next((p for p in FONTS[kind] if Path(p).is_file()), None)
    if path is None:
        pytest.skip(f"no {kind} font installed (Debian: fonts-dejavu-core, fonts-sil-abyssinica)")
    return ImageFont.truetype(path, size)


def words(text: str) -> set[str]:
    """Simple normalisation: case, accents, Arabic letter variants (Tesseract's ara writes ي where fas writes ی)."""
    text = unicodedata.normalize("NFKD", text.casefold().translate(_ARABIC_VARIANTS))
    return set(re.findall(r"\w+", "".join(ch for ch in text if unicodedata.category(ch) != "Mn")))


def assert_found(result: OcrResult, *expected: str) -> None:
    missing = [w for w in expected if not words(w) <= words(result.text)]
    assert not missing, f"{missing} not in OCR text {result.text!r} ({result.langs})"


def render(lines: list[str], kind: str = "sans", size: int = 30, rtl: bool = False, background: object = "white",
           colour: object = "black", pad: int = 24) -> Image.Image:
    """Lines of text, shaped (raqm) and right-aligned when right-to-left."""
    f = font(kind, size)
    width = int(max(f.getlength(line, direction="rtl" if rtl else None) for line in lines)) + 2 * pad
    image = Image.new("RGB", (width, int(size * 1.6) * len(lines) + 2 * pad), background)  # type: ignore[arg-type]
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((width - pad if rtl else pad, pad + i * int(size * 1.6)), line, font=f, fill=colour,  # type: ignore[arg-type]
                  anchor="ra" if rtl else "la", direction="rtl" if rtl else None)
    return image


def photo(lines: list[str], size: int = 34) -> Image.Image:
    """Text on a coloured, uneven, noisy background, slightly blurred: a phone photo of a poster."""
    clean = render(lines, size=size, colour=(60, 20, 10))
    w, h = clean.size
    rng = np.random.default_rng(3)
    shade = np.linspace(-50, 50, w)[None, :, None] + np.linspace(-30, 30, h)[:, None, None]
    background = np.clip(np.array([205, 180, 120]) + shade + rng.normal(0, 16, (h, w, 3)), 0, 255)
    ink = np.asarray(clean.convert("L")) < 128
    pixels = np.where(ink[..., None], np.asarray(clean), background).astype(np.uint8)
    return Image.fromarray(pixels).filter(ImageFilter.GaussianBlur(0.7))


def screenshot(lines: list[str]) -> Image.Image:
    """A dark-mode chat screenshot: header bar, a coloured bubble, small light text."""
    f, size = font("sans", 15), 15
    w, h = 420, 90 + int(size * 1.6) * len(lines)
    image = Image.new("RGB", (w, h), (18, 18, 18))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, w, 44), fill=(32, 44, 51))
    draw.text((12, 12), "Smuggling ads", font=font("sans", 16), fill="white")
    draw.rounded_rectangle((16, 56, w - 16, h - 8), 12, fill=(5, 97, 98))
    for i, line in enumerate(lines):
        draw.text((32, 66 + i * int(size * 1.6)), line, font=f, fill=(233, 237, 239))
    return image


def needs(*langs: str) -> Ocr:
    if shutil.which("tesseract") is None:
        pytest.skip("tesseract is not installed (apt-get install tesseract-ocr)")
    ocr = Ocr(cache=MemoryOcrCache())
    missing = [lang for lang in langs if lang not in ocr.available_languages]
    if missing:
        pytest.skip(f"Tesseract language packs missing: {missing} (apt-get install tesseract-ocr-<lang>)")
    return ocr


def read(ocr: Ocr, image: Image.Image, tmp_path: Path, name: str = "image.png") -> OcrResult:
    """Through the file, as in production: save, open safely, hash, read."""
    path = tmp_path / name
    image.save(path)
    return ocr.read(open_image(path), sha256_file(path))


def test_english_poster(tmp_path: Path) -> None:
    ocr = needs("eng")
    result = read(ocr, render(["Boat to England this Thursday", "Price 1200 pounds, children free",
                               "WhatsApp +44 7700 900214"]), tmp_path)
    assert result.script == "Latin" and result.langs.startswith("eng")
    assert_found(result, "boat", "England", "Thursday", "children", "free", "WhatsApp", "900214")
    assert result.text.count("\n") == 2  # three lines stay three lines


def test_french_with_accents(tmp_path: Path) -> None:
    ocr = needs("eng", "fra")
    result = read(ocr, render(["Départ vers l'Angleterre jeudi soir", "Prix 1500 euros, enfants gratuits"]), tmp_path)
    assert result.script == "Latin" and "fra" in result.langs.split("+")
    assert_found(result, "départ", "Angleterre", "jeudi", "enfants", "gratuits")


def test_arabic_shaped_right_to_left(tmp_path: Path) -> None:
    ocr = needs("eng", "ara")
    result = read(ocr, render(["رحلة لبريطانيا يوم الخميس من دنكيرك", "الأطفال ببلاش، للتواصل واتساب"], rtl=True),
                  tmp_path)
    assert result.script == "Arabic" and "ara" in result.langs.split("+")
    assert_found(result, "لبريطانيا", "الخميس", "دنكيرك", "للتواصل")
    assert "\u200e" not in result.text and "\u200f" not in result.text


def test_persian(tmp_path: Path) -> None:
    ocr = needs("eng", "ara", "fas")
    result = read(ocr, render(["قایق به انگلستان این هفته حرکت می‌کند", "قیمت برای هر نفر دو هزار پوند"], rtl=True),
                  tmp_path)
    assert result.script == "Arabic" and "fas" in result.langs.split("+")
    assert_found(result, "انگلستان", "هفته", "قیمت", "پوند")


def test_amharic(tmp_path: Path) -> None:
    ocr = needs("eng", "ara", "amh")
    result = read(ocr, render(["ከሊቢያ ወደ ጣሊያን ጀልባ በዚህ ሳምንት ይነሳል", "ዋጋ 3500 ዶላር በዋትስአፕ ይደውሉ"], kind="ethiopic"),
                  tmp_path)
    assert result.script == "Ethiopic" and result.langs.startswith("amh")
    assert_found(result, "ጣሊያን", "ጀልባ", "ሳምንት", "3500", "ዶላር")


def test_photo_on_a_noisy_coloured_background(tmp_path: Path) -> None:
    ocr = needs("eng")
    result = read(ocr, photo(["Safe crossing to Italy every Monday", "Call Ibrahim, families welcome"]), tmp_path,
                  "photo.jpg")
    assert_found(result, "crossing", "Italy", "Monday", "Ibrahim", "families")


def test_dark_mode_chat_screenshot_with_small_text(tmp_path: Path) -> None:
    ocr = needs("eng")
    result = read(ocr, screenshot(["Lorry to London this week, 4000 pounds,", "pay when you arrive. Telegram only"]),
                  tmp_path)
    assert_found(result, "Lorry", "London", "week", "4000", "arrive", "Telegram")


def test_a_cache_hit_runs_no_tesseract_and_gives_the_same_result(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    ocr = needs("eng")
    path = tmp_path / "ad.png"
    render(["Boat to Lampedusa tonight"]).save(path)
    image, sha = open_image(path), sha256_file(path)
    first = ocr.read(image, sha)
    assert ocr.cache.get(sha, SCRIPT_KEY) == "Latin" and ocr.cache.get(sha, first.langs) == first.text

    def no_subprocess(*args: object, **kwargs: object) -> None:
        raise AssertionError("Tesseract ran on a cache hit")

    monkeypatch.setattr(subprocess, "run", no_subprocess)
    runs = ocr.runs
    assert ocr.read(image, sha) == first and ocr.runs == runs


def test_an_image_without_text_costs_one_run(tmp_path: Path) -> None:
    ocr = needs("eng")
    ocr.available_languages  # noqa: B018 - listed first, so that only OCR runs are counted
    runs = ocr.runs
    result = read(ocr, Image.new("RGB", (300, 200), (90, 140, 200)), tmp_path)
    assert (result.text, result.script, ocr.runs - runs) == ("", "Unknown", 1)
    assert ocr.read(Image.new("RGB", (1, 1)), sha256_file(tmp_path / "image.png")) == result  # from the cache


def test_missing_tesseract_says_what_to_install() -> None:
    ocr = Ocr(tesseract="/nonexistent/bin/tesseract")
    with pytest.raises(OcrUnavailable, match="install tesseract-ocr"):
        ocr.read(Image.new("RGB", (10, 10)), "0" * 64)


def fake_tesseract(tmp_path: Path, body: str) -> str:
    path = tmp_path / "tesseract"
    path.write_text("#!/bin/sh\nif [ \"$1\" = --list-langs ]; then printf 'List of languages\\neng\\n'; exit 0; fi\n"
                    + body + "\n", "utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


@pytest.mark.skipif(os.name != "posix", reason="the stand-in Tesseract is a shell script")
def test_a_hanging_tesseract_is_stopped_and_named(tmp_path: Path) -> None:
    ocr = Ocr(tesseract=fake_tesseract(tmp_path, "exec sleep 10"), timeout_s=0.5)
    with pytest.raises(OcrFailed, match="abc123: Tesseract took longer than 0.5 s"):
        ocr.read(Image.new("RGB", (10, 10)), "abc123")


@pytest.mark.skipif(os.name != "posix", reason="the stand-in Tesseract is a shell script")
def test_a_failing_tesseract_is_an_error_with_its_message(tmp_path: Path) -> None:
    ocr = Ocr(tesseract=fake_tesseract(tmp_path, "echo 'Error in pixReadMem' >&2; exit 1"))
    with pytest.raises(OcrFailed, match="exited with 1: Error in pixReadMem"):
        ocr.read(Image.new("RGB", (10, 10)), "abc123")


def test_language_sets_use_only_installed_packs() -> None:
    ocr = Ocr()
    ocr.__dict__["available_languages"] = frozenset({"eng", "fra", "ara", "osd"})  # as if listed by Tesseract
    assert ocr.languages_for("Latin") == "eng+fra"
    assert ocr.languages_for("Arabic") == "ara"
    assert ocr.languages_for("Ethiopic") == "eng"  # no amh/tir: English rather than nothing
    assert ocr.languages_for("Cyrillic") == "eng"
    assert ocr.languages_for("Unknown") == "eng+ara"  # the probe set


def test_normalise_text_keeps_lines_and_drops_bidi_marks() -> None:
    raw = "  Boat   to\tUK  \n\n\n\n\u200eرحلة\u200f  ١٢٠٠ \n\x0c"
    assert normalise_text(raw) == "Boat to UK\n\nرحلة ١٢٠٠"


def test_script_letter_counts() -> None:
    assert script_letter_counts("Boat رحلة ጀልባ 1200") == {"Latin": 4, "Arabic": 4, "Ethiopic": 3}


def test_prepare_inverts_dark_images_and_enlarges_small_text() -> None:
    small = render(["tiny text on a dark screen"], size=11, background=(20, 20, 20), colour=(230, 230, 230))
    prepared = prepare(small)
    assert prepared.mode == "L" and prepared.width > 2 * small.width
    assert np.median(np.asarray(prepared)) > 128  # light background now
    big = render(["large headline"], size=60)
    assert prepare(big).size == big.size


def test_prepare_shrinks_what_would_take_tesseract_minutes(monkeypatch: pytest.MonkeyPatch) -> None:
    import crossingwatch.media.ocr as ocr_module

    monkeypatch.setattr(ocr_module, "MAX_OCR_PIXELS", 10_000)
    wall = render(["a scan of a whole wall of posters"], size=60)
    prepared = prepare(wall)
    assert prepared.width < wall.width and prepared.width * prepared.height <= 10_500
    assert line_height(np.full((50, 50), 255, dtype=np.uint8)) is None
