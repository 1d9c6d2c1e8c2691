"""Query understanding: does a search query show intent to find an irregular crossing, a smuggler or false papers?

A search query is analysed by the detector's own `TextAnalyser` (the same normalisation, language identification,
lexicons, indicators and places as posts), turned into hashed sparse features (words, word pairs, character
n-grams inside words, the analysis's tags, the roles and routes of places) and scored by two small logistic
layers: `intent` (seek_crossing vs benign) and `topic` (documents vs crossing, for the message to show).
Scoring one query is a few hundred hashed look-ups in plain Python, so it stays well under a millisecond.

`train_query_model()` fits both layers from examples the caller reads (`services/redirecting.py`); nothing here
touches files. The route a query names comes from places in the gazetteer and words listed in `data/redirect/`.
"""

from __future__ import annotations

import json
import math
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import regex

from crossingwatch.detect.fusion import Analysis
from crossingwatch.detect.indicators import Place

BITS = 18
MASK = (1 << BITS) - 1
MAX_QUERY_CHARS = 512  # a search box holds far less; longer input is cut before analysis, never rejected
_WORD = regex.compile(r"[\p{L}\p{N}]+")
_CHAR_NGRAMS = (3, 4, 5)
TAG_WEIGHT = 1.0


@dataclass(frozen=True, slots=True)
class Example:
    """One training example: its analysis, whether it seeks a crossing, its topic (if it does) and a weight."""

    analysis: Analysis
    seeking: bool
    topic: str | None = None  # "documents" | "crossing"
    weight: float = 1.0


def feature_keys(analysis: Analysis) -> set[str]:
    text = analysis.norm.text[:MAX_QUERY_CHARS]
    words = _WORD.findall(text)
    keys: set[str] = set()
    for w in words:
        keys.add("w:" + w)
        padded = f" {w} "
        for n in _CHAR_NGRAMS:
            keys.update("c:" + padded[i:i + n] for i in range(len(padded) - n + 1))
    keys.update(f"b:{a} {b}" for a, b in zip(words, words[1:], strict=False))
    keys.update("t:" + tag for tag in analysis.tags)
    for f in analysis.found:
        if isinstance(f.value, Place):
            keys.add(f"p:{f.value.role}:{f.value.route}")
    return keys


def feature_vector(analysis: Analysis) -> tuple[np.ndarray, np.ndarray]:
    """The hashed columns of a query's features and their values, scaled to unit length (so long posts weigh
    like queries). Tags and places (what the lexicons and gazetteer know) count `TAG_WEIGHT` times a word."""
    values: dict[int, float] = {}
    for k in feature_keys(analysis):
        col = zlib.crc32(k.encode("utf-8")) & MASK
        values[col] = max(values.get(col, 0.0), TAG_WEIGHT if k[0] in "tp" else 1.0)
    cols = np.fromiter(values, dtype=np.int64, count=len(values))
    vals = np.fromiter(values.values(), dtype=np.float64, count=len(values))
    norm = math.sqrt(float(vals @ vals)) if len(vals) else 1.0
    return cols, vals / norm


@dataclass
class QueryModel:
    intent: np.ndarray  # weights over the hashed columns
    intent_bias: float
    topic: np.ndarray  # positive: documents
    topic_bias: float
    threshold: float = 0.5
    info: dict[str, object] = field(default_factory=dict)

    def scores(self, analysis: Analysis) -> tuple[float, float]:
        """(probability the query seeks a crossing, probability that what it seeks is documents)."""
        cols, vals = feature_vector(analysis)
        if len(cols) == 0:
            return 0.0, 0.0
        z = float(self.intent[cols] @ vals) + self.intent_bias
        t = float(self.topic[cols] @ vals) + self.topic_bias
        return _sigmoid(z), _sigmoid(t)


FORMAT = "crossingwatch-query-model"
FORMAT_VERSION = 1


def save_query_model(model: QueryModel, directory: Path, fingerprint: str) -> None:
    """`query_model.json` + `query_weights.npz` (no pickle); `fingerprint` names the data it was trained from."""
    directory.mkdir(parents=True, exist_ok=True)
    np.savez(directory / "query_weights.npz", intent=model.intent.astype(np.float32),
             topic=model.topic.astype(np.float32))
    meta = {"format": FORMAT, "format_version": FORMAT_VERSION, "bits": BITS, "fingerprint": fingerprint,
            "intent_bias": model.intent_bias, "topic_bias": model.topic_bias, "threshold": model.threshold,
            "info": model.info}
    (directory / "query_model.json").write_text(json.dumps(meta, indent=2) + "\n", "utf-8")


def load_query_model(directory: Path) -> tuple[QueryModel, str] | None:
    """The saved model and its data fingerprint, or None when there is none (or it is from another format)."""
    meta_path, weights_path = directory / "query_model.json", directory / "query_weights.npz"
    if not meta_path.is_file() or not weights_path.is_file():
        return None
    meta = json.loads(meta_path.read_text("utf-8"))
    if meta.get("format") != FORMAT or meta.get("format_version") != FORMAT_VERSION or meta.get("bits") != BITS:
        return None
    with np.load(weights_path, allow_pickle=False) as w:
        intent, topic = w["intent"], w["topic"]
    if intent.shape != (MASK + 1,) or topic.shape != (MASK + 1,):
        return None
    model = QueryModel(intent, float(meta["intent_bias"]), topic, float(meta["topic_bias"]),
                       float(meta["threshold"]), dict(meta.get("info", {})))
    return model, str(meta["fingerprint"])


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def _matrix(analyses: Sequence[Analysis]) -> object:
    import scipy.sparse as sp

    indptr, cols, data = [0], [], []
    for a in analyses:
        c, v = feature_vector(a)
        cols.extend(c.tolist())
        data.extend(v.tolist())
        indptr.append(len(cols))
    return sp.csr_matrix((np.array(data, dtype=np.float64), np.array(cols, dtype=np.int64),
                          np.array(indptr, dtype=np.int64)), shape=(len(analyses), MASK + 1))


def _fit(analyses: Sequence[Analysis], y: Sequence[int], weights: Sequence[float],
         c: float) -> tuple[np.ndarray, float]:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, solver="liblinear", class_weight="balanced", max_iter=200)
    model.fit(_matrix(analyses), np.array(y), sample_weight=np.array(weights))
    return model.coef_[0].astype(np.float32), float(model.intercept_[0])


def train_query_model(examples: Sequence[Example], threshold: float = 0.5, c: float = 8.0) -> QueryModel:
    """Both layers from labelled examples; the topic layer only from examples that seek something."""
    if not any(e.seeking for e in examples) or all(e.seeking for e in examples):
        raise ValueError("training queries need both intents (seek_crossing and benign)")
    intent, bias = _fit([e.analysis for e in examples], [int(e.seeking) for e in examples],
                        [e.weight for e in examples], c)
    topical = [e for e in examples if e.seeking and e.topic]
    if len({e.topic for e in topical}) == 2:
        topic, tbias = _fit([e.analysis for e in topical], [int(e.topic == "documents") for e in topical],
                            [e.weight for e in topical], c)
    else:  # no documents examples: every query is about crossing
        topic, tbias = np.zeros(MASK + 1, dtype=np.float32), -10.0
    return QueryModel(intent, bias, topic, tbias, threshold,
                      {"examples": len(examples), "seeking": sum(e.seeking for e in examples)})


def route_of(analysis: Analysis, country_routes: Mapping[str, str], route_words: Mapping[str, Iterable[str]]) -> str:
    """The route a query names: a word listed for a route, else a place on one (a departure or border place
    outweighs a destination country, since "Libya to Italy" is the Central Med whatever the destination)."""
    words = set(_WORD.findall(analysis.norm.text[:MAX_QUERY_CHARS]))
    text = f" {analysis.norm.text[:MAX_QUERY_CHARS]} "
    for route, listed in route_words.items():
        for w in listed:
            if (w in words) if " " not in w else (f" {w} " in text):
                return route
    by_role: dict[str, str] = {}
    for f in analysis.found:
        if isinstance(f.value, Place):
            place = f.value
            route = place.route if place.route in country_routes.values() else country_routes.get(place.country, "")
            if route:
                by_role.setdefault("destination" if place.role == "destination" else "origin", route)
    return by_role.get("origin") or by_role.get("destination") or ""
