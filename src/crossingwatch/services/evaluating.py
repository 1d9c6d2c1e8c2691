"""`evaluate`: precision, recall and F1 per label, tactic and language; false positives on hard negatives;
a confusion matrix. The same figures for any detector, so researchers compare like with like."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from crossingwatch.core import LABELS, TACTICS, Assessment
from crossingwatch.core.detectors import Detector
from crossingwatch.services.training import Example

PLAIN_BENIGN = {None, "", "other_benign", "plain", "benign"}
# Word-count bands for the by-length figures: a detector can lean on length (short posts flagged, long adverts
# missed) in ways the overall figures hide.
LENGTH_BANDS = ((1, 8), (9, 15), (16, 30), (31, 60), (61, None))


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "support": tp + fn}


def evaluate(detector: Detector, examples: Sequence[Example], batch: int = 500) -> dict[str, Any]:
    assessments: list[Assessment] = []
    for i in range(0, len(examples), batch):
        assessments.extend(detector.assess([e.post for e in examples[i:i + batch]]))
    return score(examples, assessments)


def score(examples: Sequence[Example], assessments: Sequence[Assessment]) -> dict[str, Any]:
    confusion = {g: dict.fromkeys(LABELS, 0) for g in LABELS}
    tactic_counts = {t: Counter() for t in TACTICS}
    by_lang: dict[str, Counter[str]] = defaultdict(Counter)
    by_length: dict[str, Counter[str]] = {_band_name(b): Counter() for b in LENGTH_BANDS}
    benign_total = benign_fp = hard_total = hard_fp = 0
    errors = []
    for ex, a in zip(examples, assessments, strict=True):
        confusion[ex.label][a.label] += 1
        gold_t = set(ex.tactics) if ex.label != "benign" else set()
        pred_t = set(a.tactics)
        for t in TACTICS:
            tactic_counts[t]["tp"] += t in gold_t and t in pred_t
            tactic_counts[t]["fp"] += t not in gold_t and t in pred_t
            tactic_counts[t]["fn"] += t in gold_t and t not in pred_t
        lang = by_lang[ex.lang]
        lang["n"] += 1
        for lab in ("advert", "seeking"):
            lang[f"{lab}_tp"] += ex.label == lab and a.label == lab
            lang[f"{lab}_fp"] += ex.label != lab and a.label == lab
            lang[f"{lab}_fn"] += ex.label == lab and a.label != lab
        band = by_length[_band(len(ex.post.text.split()))]
        band["n"] += 1
        if ex.label != "benign":
            band["flaggable"] += 1
            band["flaggable_missed"] += a.label == "benign"
        else:
            band["benign"] += 1
            band["benign_flagged"] += a.label != "benign"
            benign_total += 1
            benign_fp += a.label != "benign"
            if ex.kind not in PLAIN_BENIGN:
                hard_total += 1
                hard_fp += a.label != "benign"
        if ex.label != a.label:
            errors.append({"id": ex.post.id, "lang": ex.lang, "gold": ex.label, "predicted": a.label,
                           "scores": {k: round(v, 3) for k, v in a.scores.items()}})
    labels = {}
    for lab in LABELS:
        tp = confusion[lab][lab]
        fp = sum(confusion[g][lab] for g in LABELS if g != lab)
        fn = sum(confusion[lab][p] for p in LABELS if p != lab)
        labels[lab] = _prf(tp, fp, fn)
    tactics = {t: _prf(c["tp"], c["fp"], c["fn"]) for t, c in tactic_counts.items()}
    micro = _prf(*(sum(c[k] for c in tactic_counts.values()) for k in ("tp", "fp", "fn")))
    languages = {}
    for code, c in sorted(by_lang.items()):
        languages[code] = {"n": c["n"],
                           "advert": _prf(c["advert_tp"], c["advert_fp"], c["advert_fn"]),
                           "seeking": _prf(c["seeking_tp"], c["seeking_fp"], c["seeking_fn"])}
    return {
        "n": len(examples),
        "accuracy": round(sum(confusion[g][g] for g in LABELS) / max(1, len(examples)), 4),
        "language_id_accuracy": round(sum(e.lang == a.lang for e, a in zip(examples, assessments, strict=True))
                                      / max(1, len(examples)), 4),
        "labels": labels,
        "tactics": tactics,
        "tactics_micro": micro,
        "languages": languages,
        "lengths": {name: {"n": c["n"], "benign": c["benign"],
                           "benign_flagged": round(c["benign_flagged"] / c["benign"], 4) if c["benign"] else 0.0,
                           "adverts_and_seeking": c["flaggable"],
                           "missed": round(c["flaggable_missed"] / c["flaggable"], 4) if c["flaggable"] else 0.0}
                    for name, c in by_length.items()},
        "benign_false_positive_rate": round(benign_fp / benign_total, 4) if benign_total else 0.0,
        "hard_negative_false_positive_rate": round(hard_fp / hard_total, 4) if hard_total else 0.0,
        "hard_negatives": hard_total,
        "confusion": confusion,
        "errors": errors,
    }


def _band(words: int) -> str:
    """The name of the `LENGTH_BANDS` band a post of `words` words falls in (an empty post in the first)."""
    return _band_name(next(band for band in LENGTH_BANDS if band[1] is None or words <= band[1]))


def _band_name(band: tuple[int, int | None]) -> str:
    return f"{band[0]}+" if band[1] is None else f"{band[0]}-{band[1]}"
