"""Signal types: what a bank entry can hold, how it is normalised, hashed from a file and compared.

Built-ins (registered through the `register_signal_types` hook like anyone's): `pdq` (perceptual image hash, quality
kept), `sha256` (exact file hash), `video_md5` (exact, what HMA uses for video), and indicator types with
normalisation: `phone` (E.164), `handle` (platform + lowercase handle), `url` (canonicalised). Every type has a plain
`compare()`; fast indexes are checked against it (`crossingwatch.testing.check_signal_type`).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import numpy as np
import phonenumbers

PDQ_QUALITY_MIN = 50  # below this a PDQ hash says little about the picture: kept, never matched (as HMA does)
PDQ_THRESHOLD = 31  # the usual "confident match" distance


class SignalError(ValueError):
    """A value that is not a valid signal of its type; the message names the type and the problem."""


@dataclass(frozen=True, slots=True)
class Signal:
    type: str
    value: str
    quality: int | None = None  # PDQ only: 0..100

    @property
    def matchable(self) -> bool:
        return self.quality is None or self.quality >= PDQ_QUALITY_MIN

    def line(self) -> str:
        """`<type> <value>`, the `crossingwatch hash` output line."""
        return f"{self.type} {self.value}" + (f" quality={self.quality}" if self.quality is not None else "")


class SignalType(Protocol):
    name: ClassVar[str]
    media: ClassVar[bool]  # hashed from files (True) or an indicator taken from text (False)
    default_threshold: ClassVar[int]  # largest distance that counts as a match; 0 for exact types

    def validate(self, value: str) -> str:
        """The canonical form of `value`; `SignalError` if it is not one."""

    def compare(self, a: str, b: str) -> int:
        """Distance between two canonical values (exact types: 0 or 1)."""

    def hash_file(self, path: Path) -> Signal | None:
        """The signal of a file, or None when this type does not apply to it."""


class _Exact:
    media: ClassVar[bool] = True
    default_threshold: ClassVar[int] = 0

    def compare(self, a: str, b: str) -> int:
        return 0 if a == b else 1


def _hex(name: str, value: str, length: int) -> str:
    v = value.strip().lower()
    if len(v) != length or not re.fullmatch(r"[0-9a-f]+", v):
        raise SignalError(f"{name}: {value!r} is not {length} hexadecimal characters")
    return v


def _file_digest(path: Path, algorithm: str) -> str:
    digest = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class Sha256Signal(_Exact):
    name: ClassVar[str] = "sha256"

    def validate(self, value: str) -> str:
        return _hex(self.name, value, 64)

    def hash_file(self, path: Path) -> Signal | None:
        return Signal(self.name, _file_digest(path, "sha256"))


VIDEO_SUFFIXES = {".mp4", ".mov", ".m4v", ".webm", ".mkv", ".avi", ".3gp"}


class VideoMd5Signal(_Exact):
    name: ClassVar[str] = "video_md5"

    def validate(self, value: str) -> str:
        return _hex(self.name, value, 32)

    def hash_file(self, path: Path) -> Signal | None:
        if path.suffix.lower() not in VIDEO_SUFFIXES:
            return None
        return Signal(self.name, _file_digest(path, "md5"))


def pdq_hex(bits: np.ndarray) -> str:
    """PDQ's 256 bits as 64 hex characters, first bit most significant (python-threatexchange's form)."""
    return bytes(np.packbits(np.asarray(bits, dtype=np.uint8))).hex()


class PdqSignal:
    name: ClassVar[str] = "pdq"
    media: ClassVar[bool] = True
    default_threshold: ClassVar[int] = PDQ_THRESHOLD

    def validate(self, value: str) -> str:
        return _hex(self.name, value, 64)

    def compare(self, a: str, b: str) -> int:
        return int.bit_count(int(a, 16) ^ int(b, 16))

    def hash_file(self, path: Path) -> Signal | None:
        from crossingwatch.media.images import open_image

        if path.suffix.lower() in VIDEO_SUFFIXES:
            return None
        return self.hash_image(open_image(path))

    def hash_image(self, image: object) -> Signal:
        import pdqhash

        bits, quality = pdqhash.compute(np.asarray(image.convert("RGB")))  # type: ignore[attr-defined]
        return Signal(self.name, pdq_hex(bits), int(quality))


class PhoneSignal:
    name: ClassVar[str] = "phone"
    media: ClassVar[bool] = False
    default_threshold: ClassVar[int] = 0

    def validate(self, value: str) -> str:
        raw = value.strip()
        try:
            number = phonenumbers.parse(raw if raw.startswith("+") else "+" + raw.lstrip("0"), None)
        except phonenumbers.NumberParseException as exc:
            raise SignalError(f"phone: {value!r} is not a phone number with a country code ({exc})") from exc
        if not phonenumbers.is_possible_number(number):
            raise SignalError(f"phone: {value!r} is not a possible phone number")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    def compare(self, a: str, b: str) -> int:
        return 0 if a == b else 1

    def hash_file(self, path: Path) -> Signal | None:
        return None


class HandleSignal:
    """`platform:handle`, both lowercased, without the @ (a handle means nothing without its platform)."""

    name: ClassVar[str] = "handle"
    media: ClassVar[bool] = False
    default_threshold: ClassVar[int] = 0

    def validate(self, value: str) -> str:
        platform, sep, handle = value.strip().partition(":")
        handle = handle.strip().lstrip("@").lower()
        platform = platform.strip().lower()
        if not sep or not platform or not re.fullmatch(r"[a-z0-9_.\-]{1,64}", handle) or \
                not re.fullmatch(r"[a-z0-9_\-]{1,32}", platform):
            raise SignalError(f"handle: {value!r} is not 'platform:handle' (e.g. 'telegram:@boat_uk')")
        return f"{platform}:{handle}"

    def compare(self, a: str, b: str) -> int:
        return 0 if a == b else 1

    def hash_file(self, path: Path) -> Signal | None:
        return None


_TRACKING = re.compile(r"^(utm_\w+|fbclid|gclid|igshid|si|ref|ref_src|s|t)$")
_HOST_ALIASES = {"telegram.me": "t.me", "telegram.dog": "t.me", "m.facebook.com": "facebook.com",
                 "mobile.twitter.com": "x.com", "twitter.com": "x.com", "vm.tiktok.com": "tiktok.com",
                 "m.tiktok.com": "tiktok.com", "wa.me": "wa.me", "api.whatsapp.com": "wa.me"}


class UrlSignal:
    """Canonical URL: lowercase scheme and host, no `www.`/`m.`, default port, fragment or tracking parameters;
    remaining parameters sorted; trailing slash dropped; well-known aliases (telegram.me → t.me) folded."""

    name: ClassVar[str] = "url"
    media: ClassVar[bool] = False
    default_threshold: ClassVar[int] = 0

    def validate(self, value: str) -> str:
        raw = value.strip()
        if "://" not in raw:
            raw = "https://" + raw
        parts = urlsplit(raw)
        host = (parts.hostname or "").lower()
        if parts.scheme.lower() not in ("http", "https") or "." not in host:
            raise SignalError(f"url: {value!r} is not an http(s) address")
        host = host.removeprefix("www.")
        host = _HOST_ALIASES.get(host, host)
        port = f":{parts.port}" if parts.port and parts.port not in (80, 443) else ""
        query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                                 if not _TRACKING.match(k)))
        path = parts.path.rstrip("/")
        if host in ("t.me", "x.com", "instagram.com", "tiktok.com"):
            path = path.lower()  # account names there are case-insensitive
        return urlunsplit(("https", host + port, path, query, ""))

    def compare(self, a: str, b: str) -> int:
        return 0 if a == b else 1

    def hash_file(self, path: Path) -> Signal | None:
        return None


BUILTIN_SIGNAL_TYPES: tuple[SignalType, ...] = (PdqSignal(), Sha256Signal(), VideoMd5Signal(), PhoneSignal(),
                                                HandleSignal(), UrlSignal())
