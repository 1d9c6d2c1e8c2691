"""Redirect as use cases: decide whether a search seeks a crossing and pick the safety message to show.

`load_redirector(data_dir, analyser)` reads the reviewed messages (`data/redirect/`), the hand-written training
queries (`data/queries/`) and, weighted lower, the detector's labelled posts (`data/corpus/`), and trains the query
model (`detect/queries.py`) once per process. `redirect_query(text, lang)` answers one query;
`redirect_records()` a file of them (the `crossingwatch redirect --queries` format) and `evaluate()` measures
labelled ones. No query text is kept anywhere: answers carry the lexicon cues that fired, never the query.
Counting what was shown, click events and statistics live in `services/redirect_metrics.py`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import re
import threading
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crossingwatch.core.errors import ConfigError, InputError
from crossingwatch.core.redirect import Catalogue, Message, parse_messages, parse_resources
from crossingwatch.detect.augment import augment
from crossingwatch.detect.language import TARGETS
from crossingwatch.detect.pipeline import TextAnalyser
from crossingwatch.detect.queries import (
    MAX_QUERY_CHARS,
    Example,
    QueryModel,
    load_query_model,
    route_of,
    save_query_model,
    train_query_model,
)

CORPUS_WEIGHT = 0.3  # posts teach vocabulary in every language, but they are not queries
AUGMENTED_WEIGHT = 0.5
BENIGN_WEIGHT = 1.5  # a benign search redirected costs more trust than a missed one (cross-validated on our queries)
CORPUS_CHARS = 300  # the head of a post is the part that looks like a query
_LANG = re.compile(r"^[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")


@dataclass(frozen=True, slots=True)
class Redirect:
    redirect: bool
    lang: str
    score: float
    topic: str | None = None
    route: str | None = None
    message: Message | None = None
    reason: str = ""

    def to_dict(self, with_message: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {"redirect": self.redirect, "lang": self.lang, "score": round(self.score, 4),
                               "topic": self.topic, "route": self.route,
                               "message_id": self.message.id if self.message else None, "reason": self.reason}
        if with_message:
            out["message"] = self.message.to_dict() if self.message else None
        return out


class Redirector:
    def __init__(self, analyser: TextAnalyser, model: QueryModel, catalogue: Catalogue,
                 country_routes: Mapping[str, str], route_words: Mapping[str, list[str]]) -> None:
        self.analyser = analyser
        self.model = model
        self.catalogue = catalogue
        self.country_routes = dict(country_routes)
        fold = analyser.normaliser.fold
        self.route_words = {r: [fold(w) for w in ws] for r, ws in route_words.items()}

    def decide(self, text: str, lang: str | None = None) -> Redirect:
        if not isinstance(text, str):
            raise InputError("the query must be a string", field="query")
        hint = _language(lang)
        text = text[:MAX_QUERY_CHARS]
        if not text.strip():
            return Redirect(False, hint or "und", 0.0, reason="empty query")
        analysis = self.analyser.analyse(text, lang=hint if hint in TARGETS else None)
        lang_out = hint or analysis.lang
        score, documents = self.model.scores(analysis)
        cues = sorted({f"{h.term.tactic}:{h.term.pattern}" for h in analysis.hits})[:6]
        reason = f"p={score:.2f}" + (f"; cues: {', '.join(cues)}" if cues else "")
        if score < self.model.threshold:
            return Redirect(False, lang_out, score, reason=reason)
        topic = "documents" if documents >= 0.5 else "crossing"
        route = route_of(analysis, self.country_routes, self.route_words) or None
        message = self.catalogue.choose(lang_out, route or "", topic)
        return Redirect(True, lang_out, score, topic, route, message, reason)

    def message_for(self, lang: str, route: str | None, topic: str) -> Message:
        return self.catalogue.choose(lang, route or "", topic)


def _language(lang: str | None) -> str | None:
    if lang is None or not lang.strip():
        return None
    if not _LANG.match(lang.strip()):
        # The value is not repeated: an error a platform shows its user must not reflect what was typed.
        raise InputError("lang is not a language code (ISO 639, e.g. 'en', 'ckb')", field="lang")
    return lang.strip().split("-")[0].split("_")[0].lower()


# Loading ---------------------------------------------------------------------------------------------------
def _toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from exc


def load_catalogue(folder: Path) -> tuple[Catalogue, dict[str, str], dict[str, list[str]], float]:
    """The messages, the route of each destination country, the words that name each route, and the threshold."""
    if not (folder / "resources.toml").is_file():
        raise ConfigError(f"{folder}: no resources.toml; the safety messages live in data/redirect/")
    resources = parse_resources(_toml(folder / "resources.toml").get("resources", []), str(folder / "resources.toml"))
    messages: dict[str, list[Message]] = {}
    for path in sorted(folder.glob("messages/*.toml")):
        parsed = parse_messages(_toml(path), resources, str(path))
        messages[parsed[0].lang] = parsed
    routes = _toml(folder / "routes.toml")
    country_routes = {c: r for r, spec in routes.get("routes", {}).items() for c in spec.get("countries", [])}
    route_words = {r: list(spec.get("words", [])) for r, spec in routes.get("routes", {}).items()}
    catalogue = Catalogue(messages)
    catalogue.choose("en")  # fails now, naming the file, if English has no general message
    return catalogue, country_routes, route_words, float(routes.get("threshold", 0.5))


def read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if line.strip():
            try:
                record = json.loads(line)
            except ValueError as exc:
                raise InputError(f"{path}:{number}: not JSON: {exc}", source=str(path), line=number) from exc
            if not isinstance(record, dict):
                raise InputError(f"{path}:{number}: not a JSON object", source=str(path), line=number)
            yield number, record


def training_examples(data_dir: Path, analyser: TextAnalyser, seed: int = 7) -> list[Example]:
    rng = random.Random(seed)
    examples: list[Example] = []
    files = sorted((data_dir / "queries").glob("*.jsonl"))
    if not files:
        raise ConfigError(f"{data_dir / 'queries'}: no training queries (*.jsonl)")
    for path in files:
        for number, r in read_jsonl(path):
            intent, query = r.get("intent"), r.get("query")
            if intent not in ("seek_crossing", "benign") or not isinstance(query, str) or not query.strip():
                raise ConfigError(f"{path}:{number}: fields 'query' (text) and 'intent' (seek_crossing | benign) "
                                  "are required")
            seeking, topic = intent == "seek_crossing", r.get("topic")
            weight = 1.0 if seeking else BENIGN_WEIGHT
            examples.append(Example(analyser.analyse(query, lang=r.get("lang")), seeking, topic, weight))
            variant, _ = augment(query, rng)
            if variant != query:
                examples.append(Example(analyser.analyse(variant, lang=r.get("lang")), seeking, topic,
                                        AUGMENTED_WEIGHT * weight))
    for path in sorted((data_dir / "corpus").glob("*.jsonl")):
        for _, r in read_jsonl(path):
            if isinstance(r.get("text"), str) and r.get("label") in ("advert", "seeking", "benign"):
                seeking = r["label"] != "benign"
                documents = r.get("kind") == "documents" or "false_documents" in (r.get("tactics") or [])
                examples.append(Example(analyser.analyse(r["text"][:CORPUS_CHARS], lang=r.get("lang")), seeking,
                                        ("documents" if documents else "crossing") if seeking else None,
                                        CORPUS_WEIGHT))
    return examples


_cache: dict[tuple[str, str, int], Redirector] = {}
_lock = threading.Lock()
log = logging.getLogger(__name__)


def data_fingerprint(data_dir: Path) -> str:
    """What the query model learns from: the training queries, the corpus, the threshold and the lexicons (which
    the analyser turns into features). A saved model with another fingerprint is stale."""
    digest = hashlib.sha256()
    files = [*sorted((data_dir / "queries").glob("*.jsonl")), *sorted((data_dir / "corpus").glob("*.jsonl")),
             data_dir / "redirect" / "routes.toml", *sorted((data_dir / "lexicons").glob("*.tsv"))]
    for path in files:
        if path.is_file():
            digest.update(path.name.encode("utf-8") + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def train_redirect_model(data_dir: Path, analyser: TextAnalyser, out: Path) -> QueryModel:
    """Train the query model from the shipped data and save it under `out` (`make model` does this)."""
    _, _, _, threshold = load_catalogue(Path(data_dir) / "redirect")
    model = train_query_model(training_examples(Path(data_dir), analyser), threshold)
    save_query_model(model, Path(out), data_fingerprint(Path(data_dir)))
    return model


def load_redirector(data_dir: Path, analyser: TextAnalyser, model_dir: Path | None = None) -> Redirector:
    """The redirector, once per process: the model saved in `model_dir` when it was trained from the data there
    is now, else one trained here from `data_dir` (seconds; `make model` saves one)."""
    key = (str(Path(data_dir).resolve()), str(model_dir), id(analyser))
    with _lock:
        if key not in _cache:
            catalogue, country_routes, route_words, threshold = load_catalogue(Path(data_dir) / "redirect")
            saved = load_query_model(Path(model_dir)) if model_dir is not None else None
            if saved is not None and saved[1] == data_fingerprint(Path(data_dir)):
                model = saved[0]
            else:
                log.warning("no up-to-date query model in %s: training one from %s (run `make model` to save it)",
                            model_dir, data_dir)
                model = train_query_model(training_examples(Path(data_dir), analyser), threshold)
            _cache[key] = Redirector(analyser, model, catalogue, country_routes, route_words)
        return _cache[key]


def redirect_query(text: str, lang: str | None = None, *, redirector: Redirector | None = None) -> Redirect:
    """Whether `text` (a search query) seeks a crossing, a smuggler or false papers, and the message to show.
    Without `redirector`, one is built from the default settings (and kept)."""
    if redirector is None:
        from crossingwatch.runtime import build_runtime
        from crossingwatch.settings import load_settings

        runtime = build_runtime(load_settings())
        redirector = load_redirector(Path(runtime.settings.data_dir), runtime.detector("text").analyser,  # type: ignore[attr-defined]
                                     Path(runtime.settings.model_dir))
    return redirector.decide(text, lang)


def redirect_records(records: Iterable[tuple[int, dict[str, Any]]], redirector: Redirector,
                     source: str = "") -> Iterator[tuple[dict[str, Any], Redirect]]:
    """`{"id", "query", "lang"}` records in, `{"id", "redirect", "lang", "message_id", "reason", …}` out."""
    for number, r in records:
        query = r.get("query")
        if not isinstance(query, str):
            raise InputError(f"{source}:{number}: field 'query' must be a string", source=source, line=number,
                             field="query")
        if "id" not in r:
            raise InputError(f"{source}:{number}: field 'id' is missing", source=source, line=number, field="id")
        try:
            decision = redirector.decide(query, r.get("lang"))
        except InputError as exc:
            raise InputError(f"{source}:{number}: {exc}", source=source, line=number, field=exc.field) from exc
        yield {"id": r["id"], **decision.to_dict(with_message=False)}, decision


def evaluate(labelled: Iterable[tuple[dict[str, Any], dict[str, Any]]]) -> dict[str, Any]:
    """Accuracy, benign queries redirected and seeking queries missed, overall and by language."""
    rows = [(r.get("lang") or out["lang"], r["intent"] == "seek_crossing", bool(out["redirect"]))
            for r, out in labelled]
    if not rows:
        raise InputError("no labelled queries (records need 'intent': seek_crossing | benign)", field="intent")

    def figures(sub: list[tuple[str, bool, bool]]) -> dict[str, Any]:
        benign = [p for _, t, p in sub if not t]
        seeking = [p for _, t, p in sub if t]
        return {"n": len(sub), "accuracy": round(sum(t == p for _, t, p in sub) / len(sub), 4),
                "benign_redirected": round(sum(benign) / len(benign), 4) if benign else None,
                "seeking_missed": round(sum(not p for p in seeking) / len(seeking), 4) if seeking else None}

    return {**figures(rows), "by_lang": {lang: figures([x for x in rows if x[0] == lang])
                                         for lang in sorted({x[0] for x in rows})}}
