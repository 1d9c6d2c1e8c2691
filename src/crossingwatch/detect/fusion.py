"""Fusion and explanation: from model probabilities, lexicon hits and indicators to an `Assessment`.

A tactic is reported only with evidence (a span of the original text), and only on posts labelled `advert` or
`seeking`: a news story that quotes a smuggler's price has no tactics.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from crossingwatch.core import LABELS, TACTICS, Assessment, Evidence, Indicators, Price
from crossingwatch.detect.indicators import Found, Place
from crossingwatch.detect.lexicon import Hit
from crossingwatch.detect.normalise import Normalised
from crossingwatch.detect.payments import find_payments

DEPARTURE_ROLES = {"departure", "transit", "border"}
Explain = Callable[[str], "tuple[int, int] | None"]
STRONG_TERM = 0.8  # a lexicon term this specific needs no help from the tactic model
TACTIC_GATE = 0.35  # the tactic model's probability that lets a weaker term through
MODEL_ONLY = 0.7  # the tactic model's probability at which its own strongest words become the evidence


@dataclass(frozen=True, slots=True)
class Analysis:
    """What the pipeline found in one post before the model ran."""

    norm: Normalised
    lang: str
    hits: list[Hit]
    found: list[Found]
    tags: list[str]


def choose_label(scores: Mapping[str, float], thresholds: Mapping[str, float]) -> str:
    """The highest-scoring non-benign label that clears its threshold, else `benign`."""
    qualified = [lab for lab in LABELS if lab != "benign" and scores.get(lab, 0.0) >= thresholds.get(lab, 0.5)]
    return max(qualified, key=lambda lab: scores[lab]) if qualified else "benign"


def indicators_of(analysis: Analysis) -> Indicators:
    phones: list[str] = []
    handles: list[str] = []
    links: list[str] = []
    prices: list[Price] = []
    places: list[str] = []
    for f in analysis.found:
        if f.kind == "phone" and f.value not in phones:
            phones.append(str(f.value))
        elif f.kind == "handle" and f.value not in handles:
            handles.append(str(f.value))
        elif f.kind == "link":
            link = analysis.norm.original_text(f.start, f.end).strip()
            if link not in links:
                links.append(link)
        elif f.kind == "price" and isinstance(f.value, Price) and f.value not in prices:
            prices.append(f.value)
        elif f.kind == "place" and isinstance(f.value, Place) and f.value.name not in places:
            places.append(f.value.name)
    # Payments are read here, not among `found`: base58 needs the original's letter case, and they are not model
    # features (the trained model never saw them) nor evidence of a tactic.
    payments = tuple(str(f.value) for f in find_payments(analysis.norm))
    return Indicators(tuple(phones), tuple(handles), tuple(links), tuple(prices), tuple(places), payments)


def candidate_spans(analysis: Analysis, tactic_probs: Mapping[str, float],
                    explain: Explain | None = None) -> dict[str, list[tuple[int, int]]]:
    """Normalised spans that support each tactic the post shows."""
    spans: dict[str, list[tuple[int, int]]] = {t: [] for t in TACTICS}
    certain: set[str] = set()
    for f in analysis.found:
        if f.kind in ("phone", "handle", "link"):
            spans["contact"].append((f.start, f.end))
            certain.add("contact")
        elif f.kind == "price":
            spans["price"].append((f.start, f.end))
            certain.add("price")
        elif f.kind == "place" and isinstance(f.value, Place) and f.value.role in DEPARTURE_ROLES:
            spans["departure"].append((f.start, f.end))
            certain.add("departure")
    for hit in analysis.hits:
        tactic = hit.term.tactic
        if tactic not in spans:
            continue
        if tactic == "price" and "price" not in certain:
            continue  # "how much?" is not a price: a price needs an amount
        if hit.term.weight >= STRONG_TERM or tactic_probs.get(tactic, 0.0) >= TACTIC_GATE or tactic in certain:
            spans[tactic].append((hit.start, hit.end))
    if explain is not None:
        for tactic in ("group_discount", "child_free", "false_documents", "safe_passage_claim", "payment_guarantee"):
            if not spans[tactic] and tactic_probs.get(tactic, 0.0) >= MODEL_ONLY:
                span = explain(tactic)
                if span is not None:
                    spans[tactic].append(span)
    return {t: s for t, s in spans.items() if s}


def fuse(
    post_id: str,
    analysis: Analysis,
    scores: Mapping[str, float],
    tactic_probs: Mapping[str, float],
    thresholds: Mapping[str, float],
    detector: str,
    matches: Sequence[dict[str, object]] = (),
    explain: Explain | None = None,
) -> Assessment:
    label = choose_label(scores, thresholds)
    evidence: list[Evidence] = []
    tactics: list[str] = []
    if label != "benign":
        norm = analysis.norm
        for tactic, spans in candidate_spans(analysis, tactic_probs, explain).items():
            tactics.append(tactic)
            seen: set[tuple[int, int]] = set()
            for start, end in sorted(_merge(spans)):
                a, b = norm.span(start, end)
                text = norm.original[a:b]
                if (a, b) in seen or not text.strip():
                    continue
                seen.add((a, b))
                evidence.append(Evidence(tactic, a, b, text))
        evidence.sort(key=lambda e: (e.start, e.end, e.tactic))
        tactics = [t for t in TACTICS if t in tactics and any(e.tactic == t for e in evidence)]
    return Assessment(
        post_id=post_id,
        label=label,
        scores={k: float(scores.get(k, 0.0)) for k in LABELS},
        tactics=tuple(tactics),
        lang=analysis.lang,
        evidence=tuple(evidence),
        indicators=indicators_of(analysis),
        matches=tuple(matches),
        detector=detector,
    )


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out
