"""Posts with media: hash each image or video, match the hashes against the banks, read the text in images (OCR,
cached by SHA-256) and assess it with the same detector as the post's text.

`MediaAwareDetector` wraps a text detector and is a detector itself, so `scan_posts` needs no change. A post's
result is the stronger of its text's and its images' assessments, with evidence from images marked
`source: "image:N"`; a match in a `flag` bank makes the post an advert (a re-upload) even when its text is clean; a
match in a `benign` bank (a known news photo) sets that image's OCR aside. Every image's hashes stay in the assessment
(`media_signals`), matched or not, so networks can link posts through near-copies that no bank holds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from crossingwatch.core import TACTICS, Assessment, Indicators, Post, Reject
from crossingwatch.core.detectors import Detector
from crossingwatch.media.signals import VIDEO_SUFFIXES, Signal, SignalType
from crossingwatch.services.banking import Match, Matcher
from crossingwatch.store.protocols import OcrTextStore

REUPLOAD_SCORE = 0.99


class StoreOcrCache:
    """The OCR cache kept in the store (so every scan, on any machine sharing the database, reads an image once)."""

    def __init__(self, store: OcrTextStore) -> None:
        self._store = store

    def get(self, sha256: str, langs: str) -> str | None:
        return self._store.find_ocr_text(sha256, langs)

    def put(self, sha256: str, langs: str, text: str) -> None:
        self._store.add_ocr_text(sha256, langs, text)


@dataclass
class _MediaResult:
    index: int
    signals: list[Signal]
    ocr_text: str = ""


class MediaAwareDetector:
    name = "text+media"

    def __init__(self, text: Detector, signal_types: Sequence[SignalType], matcher: Matcher | None,
                 ocr: Any | None, on_problem: Callable[[Reject], None] = lambda r: None) -> None:
        self.text = text
        self._types = [t for t in signal_types if t.media]
        self._matcher = matcher
        self._ocr = ocr
        self._on_problem = on_problem

    @property
    def version(self) -> str:
        return f"{self.text.version}+media"

    def assess(self, posts: Sequence[Post]) -> list[Assessment]:
        base = self.text.assess(posts)
        media = {i: self._media(p) for i, p in enumerate(posts) if p.media}
        if not media:
            return base
        ocr_posts, owners = [], []
        for i, results in media.items():
            for r in results:
                if r.ocr_text.strip():
                    ocr_posts.append(Post(id=f"{posts[i].id}#image:{r.index}", platform=posts[i].platform,
                                          text=r.ocr_text, lang_hint=posts[i].lang_hint))
                    owners.append((i, r.index))
        ocr_assessed = dict(zip(owners, self.text.assess(ocr_posts), strict=True)) if ocr_posts else {}
        out = list(base)
        for i, results in media.items():
            matches = self._matches(results)
            cleared = {m.media for m in matches if m.kind == "benign"}
            images = [(n, a) for (owner, n), a in ocr_assessed.items() if owner == i and n not in cleared]
            combined = _combine(base[i], images, [m for m in matches if m.kind == "flag" and m.media not in cleared],
                                matches)
            read = tuple((f"image:{r.index}", r.ocr_text) for r in results if r.ocr_text.strip())
            # Every hash, matched or not: networks link posts whose images are near-copies though in no bank.
            hashes = tuple((f"image:{r.index}", s.type, s.value, s.quality) for r in results for s in r.signals)
            out[i] = replace(combined, media_text=read, media_signals=hashes)
        return out

    def _media(self, post: Post) -> list[_MediaResult]:
        from crossingwatch.media.images import ImageRejected, open_image, sha256_file
        from crossingwatch.media.ocr import OcrFailed

        results = []
        for n, m in enumerate(post.media):
            if not m.path:
                continue
            path = Path(m.path)
            where = f"media[{n}].path"
            try:
                if not path.is_file():
                    raise ImageRejected(path, "no such file")
                signals = [s for t in self._types if t.name != "pdq" for s in [t.hash_file(path)] if s is not None]
                result = _MediaResult(n, signals)
                if m.type in ("image", "photo", "") and path.suffix.lower() not in VIDEO_SUFFIXES:
                    image = open_image(path)
                    pdq = next((t for t in self._types if t.name == "pdq"), None)
                    if pdq is not None:
                        result.signals.append(pdq.hash_image(image))  # type: ignore[attr-defined]
                    if self._ocr is not None:
                        sha = next((s.value for s in signals if s.type == "sha256"), None) or sha256_file(path)
                        result.ocr_text = self._ocr.read(image, sha).text
                results.append(result)
            except (ImageRejected, OcrFailed, OSError) as exc:
                self._on_problem(Reject("media", 0, where,
                                        f"image not used ({exc}); the post is assessed on its text", None, post.id,
                                        "kept"))
        return results

    def _matches(self, results: list[_MediaResult]) -> list[Match]:
        if self._matcher is None:
            return []
        return self._matcher.match([(r.index, s) for r in results for s in r.signals])


def _flag_score(a: Assessment) -> float:
    return max(a.scores.get("advert", 0.0), a.scores.get("seeking", 0.0)) if a.label != "benign" else 0.0


def _combine(text: Assessment, images: list[tuple[int, Assessment]], flags: list[Match],
             matches: list[Match]) -> Assessment:
    lead = max([text] + [a for _, a in images], key=_flag_score)
    label, scores = lead.label, dict(lead.scores)
    evidence = list(text.evidence) if text.label != "benign" else []
    tactics = set(text.tactics) if text.label != "benign" else set()
    for n, a in images:
        if a.label == "benign":
            continue
        tactics.update(a.tactics)
        evidence += [replace(e, source=f"image:{n}") for e in a.evidence]
    if flags and label == "benign":
        label = "advert"
    if flags:
        scores["advert"] = max(scores.get("advert", 0.0), REUPLOAD_SCORE)
        scores["benign"] = min(scores.get("benign", 1.0), 1.0 - REUPLOAD_SCORE)
        scores["seeking"] = min(scores.get("seeking", 0.0), 1.0 - scores["advert"])
    indicators = _merge_indicators([text.indicators] + [a.indicators for _, a in images])
    return Assessment(text.post_id, label, scores, tuple(t for t in TACTICS if t in tactics), text.lang,
                      tuple(sorted(evidence, key=lambda e: (e.source != "text", e.source, e.start, e.end))),
                      indicators, tuple(m.to_dict() for m in matches), text.detector)


def _merge_indicators(parts: list[Indicators]) -> Indicators:
    def union(values: list[Any]) -> tuple[Any, ...]:
        return tuple(dict.fromkeys(values))

    return Indicators(union([x for p in parts for x in p.phones]), union([x for p in parts for x in p.handles]),
                      union([x for p in parts for x in p.links]), union([x for p in parts for x in p.prices]),
                      union([x for p in parts for x in p.places]), union([x for p in parts for x in p.payments]))


