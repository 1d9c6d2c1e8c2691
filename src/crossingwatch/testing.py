"""Public conformance kit: checks any Detector (ours or a plugin's) and any store keeps the contracts.

    from crossingwatch.testing import check_detector
    check_detector(MyDetector())

Each check raises AssertionError with a message naming what broke.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from crossingwatch.core import LABELS, TACTICS, Assessment, Author, Post, Reject
from crossingwatch.core.detectors import Detector

TRICKY_TEXTS: tuple[str, ...] = (
    "",
    "🚤🇬🇧👶💯📞",
    "Boat to UK Thursday from Dunkirk, 1200£, kids free, WhatsApp +44 7700 900123",
    "Ferry Dover–Calais, families save 20%. Book at the port.",
    "قارب الى ايطاليا من زوارة ١٥٠٠ يورو الأطفال مجاناً",
    "w h a t s a p p + 4 4 7 7 0 0 9 0 0 1 2 3 \u200b\u202e b0at",
    "\x00\x07 control \ud800 lone surrogate",
    "x" * 20000,
)


def check_assessment(post: Post, a: Assessment) -> None:
    assert isinstance(a, Assessment), f"{post.id}: expected an Assessment, got {type(a).__name__}"
    assert a.post_id == post.id, f"{post.id}: assessment is for {a.post_id!r}"
    assert a.label in LABELS, f"{post.id}: unknown label {a.label!r}"
    assert set(a.scores) == set(LABELS), f"{post.id}: scores must have exactly {LABELS}"
    for k, v in a.scores.items():
        assert 0.0 <= v <= 1.0 and not math.isnan(v), f"{post.id}: score {k}={v} outside [0, 1]"
    assert abs(sum(a.scores.values()) - 1.0) < 1e-3, f"{post.id}: scores sum to {sum(a.scores.values())}"
    assert set(a.tactics) <= set(TACTICS), f"{post.id}: unknown tactics {set(a.tactics) - set(TACTICS)}"
    if a.label == "benign":
        assert not a.tactics, f"{post.id}: a benign post has no tactics, got {a.tactics}"
    for e in a.evidence:
        assert e.tactic in a.tactics, f"{post.id}: evidence for {e.tactic} which is not among the tactics"
        if e.source == "text":
            assert 0 <= e.start < e.end <= len(post.text), f"{post.id}: span {e.start}:{e.end} out of range"
            assert post.text[e.start:e.end] == e.text, f"{post.id}: text[{e.start}:{e.end}] != {e.text!r}"
    for t in a.tactics:
        assert any(e.tactic == t for e in a.evidence), f"{post.id}: tactic {t} has no evidence"
    pred = a.to_prediction()
    required = {"id", "label", "scores", "tactics", "lang", "evidence", "indicators", "matches"}
    optional = {"media_text", "media_signals"}  # present only when a post's media gave something
    assert required <= set(pred) <= required | optional, f"{post.id}: prediction keys {sorted(pred)}"
    indicators = {"phones", "handles", "links", "prices", "places"}
    assert indicators <= set(pred["indicators"]) <= indicators | {"payments"}, \
        f"{post.id}: indicator keys {sorted(pred['indicators'])}"


def check_detector(detector: Detector, posts: Sequence[Post] | None = None) -> None:
    """A detector has a name and version, answers one assessment per post in order, and keeps the contracts."""
    assert isinstance(getattr(type(detector), "name", None), str) and type(detector).name, "Detector.name missing"
    assert isinstance(detector.version, str) and detector.version, "Detector.version must be a non-empty string"
    if posts is None:
        posts = [Post(id=f"t{i}", text=t, platform="test", author=Author(handle="@x"))
                 for i, t in enumerate(TRICKY_TEXTS)]
    assert detector.assess([]) == [], "assess([]) must return []"
    result = detector.assess(list(posts))
    assert len(result) == len(posts), f"{len(posts)} posts in, {len(result)} assessments out"
    for post, a in zip(posts, result, strict=True):
        check_assessment(post, a)
    again = detector.assess(list(posts))
    assert [a.to_prediction() for a in again] == [a.to_prediction() for a in result], "assess is not deterministic"


def check_reject(r: Reject) -> None:
    assert r.source and r.field and r.reason, f"a reject must name source, field and reason: {r}"
    assert r.action in ("rejected", "kept"), f"unknown reject action {r.action!r}"


def check_signal_type(signal_type: Any, valid: Sequence[str], invalid: Sequence[str] = ()) -> None:
    """A signal type keeps the contract: a name, canonical values that stay canonical, a symmetric `compare()`
    that is 0 for equal values, clear `SignalError`s for bad ones, and no claim on a file it cannot hash."""
    from crossingwatch.media.signals import SignalError

    assert isinstance(getattr(signal_type, "name", None), str) and signal_type.name, "a signal type needs a name"
    assert isinstance(signal_type.default_threshold, int) and signal_type.default_threshold >= 0
    canonical = [signal_type.validate(v) for v in valid]
    for c in canonical:
        assert signal_type.validate(c) == c, f"{signal_type.name}: validate() is not idempotent on {c!r}"
        assert signal_type.compare(c, c) == 0, f"{signal_type.name}: compare(x, x) must be 0"
    for a in canonical:
        for b in canonical:
            assert signal_type.compare(a, b) == signal_type.compare(b, a), f"{signal_type.name}: compare() asymmetric"
    for bad in invalid:
        try:
            signal_type.validate(bad)
        except SignalError as exc:
            assert signal_type.name in str(exc), f"{signal_type.name}: the error for {bad!r} must name the type"
        else:
            raise AssertionError(f"{signal_type.name}: {bad!r} was accepted")


__all__ = ["TRICKY_TEXTS", "check_assessment", "check_detector", "check_reject", "check_signal_type"]
