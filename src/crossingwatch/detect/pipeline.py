"""The text detector: the pipeline's stages wired together behind the `Detector` interface."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from crossingwatch.core import LABELS, TACTICS, Assessment, Post
from crossingwatch.detect.features import Featuriser, language_features
from crossingwatch.detect.fusion import Analysis, fuse
from crossingwatch.detect.indicators import IndicatorExtractor, Place
from crossingwatch.detect.language import FastText, LanguageIdentifier
from crossingwatch.detect.lexicon import Lexicon, Term
from crossingwatch.detect.model import TextModel
from crossingwatch.detect.normalise import Normaliser

MESSENGERS = ("whatsapp", "telegram", "signal", "viber", "imo", "messenger", "instagram", "snapchat", "tiktok",
              "inbox", "passport", "passports", "visa", "visas", "boat", "boats", "lorry", "truck", "guaranteed",
              "guarantee", "safe", "free", "kids", "children", "price", "euro", "euros", "pounds", "dollars")


@dataclass(frozen=True)
class Resources:
    """The reviewable data the pipeline runs on, already read from `data/` by `crossingwatch.resources`."""

    emoji: Mapping[str, str] = field(default_factory=dict)
    terms: Sequence[Term] = ()
    currencies: Mapping[str, str] = field(default_factory=dict)
    multipliers: Mapping[str, float] = field(default_factory=dict)
    places: Sequence[tuple[str, Place]] = ()
    version: str = "none"


class TextAnalyser:
    """Normalise, identify the language, find lexicon hits and indicators, and derive the model's tags."""

    def __init__(self, resources: Resources, fasttext: FastText | None = None,
                 corpus_lang: TextModel | None = None) -> None:
        vocabulary = set(MESSENGERS) | set(resources.emoji.values())
        for term in resources.terms:
            if not term.pattern.startswith("re:"):
                vocabulary.update(w for w in term.pattern.rstrip("*").split() if w.isalpha())
        vocabulary.update(alias for alias, _ in resources.places if alias.isascii() and alias.isalpha())
        self.resources = resources
        self.normaliser = Normaliser(resources.emoji, vocabulary)
        self.lexicon = Lexicon(resources.terms, self.normaliser)
        self.extractor = IndicatorExtractor(self.normaliser, resources.currencies, resources.multipliers,
                                            resources.places)
        lang_layer = corpus_lang.languages if corpus_lang is not None else None

        def corpus(text: str) -> Mapping[str, float]:
            assert lang_layer is not None
            probs = lang_layer.proba(language_features([text]))[0]
            return dict(zip(lang_layer.classes, (float(p) for p in probs), strict=True))

        self.languages = LanguageIdentifier(fasttext, corpus if lang_layer is not None else None)

    def analyse(self, text: str, lang_hint: str | None = None, lang: str | None = None) -> Analysis:
        """`lang_hint` is used only when the text has no letters; `lang` (known, e.g. in training) skips the guess."""
        norm = self.normaliser.normalise(text)
        if lang is None:
            lang = self.languages.identify(norm.text) if norm.text.strip() else "und"
            if lang == "und" and lang_hint:
                lang = lang_hint
        hits = self.lexicon.find(norm.text)
        found = self.extractor.extract(norm.text, lang)
        tags: list[str] = []
        for hit in hits:
            tags.append(f"__lex_{hit.term.tactic}")
            if hit.term.weight >= 0.8:
                tags.append(f"__lexstrong_{hit.term.tactic}")
        for f in found:
            tags.append(f"__ind_{f.kind}")
            if f.kind == "place" and isinstance(f.value, Place):
                tags.append(f"__place_{f.value.role}")
        return Analysis(norm, lang, hits, found, tags)


class TextDetector:
    """The built-in detector: `TextAnalyser` + a trained `TextModel` + fusion."""

    name: ClassVar[str] = "text"

    def __init__(self, resources: Resources, model: TextModel, fasttext: FastText | None = None) -> None:
        self.model = model
        self.analyser = TextAnalyser(resources, fasttext, model)
        self.featuriser = Featuriser(model.features)

    @property
    def version(self) -> str:
        return f"text-{self.model.version}+lex-{self.analyser.resources.version}"

    def analyse(self, posts: Sequence[Post]) -> list[Analysis]:
        return [self.analyser.analyse(p.text, p.lang_hint) for p in posts]

    def assess(self, posts: Sequence[Post]) -> list[Assessment]:
        if not posts:
            return []
        analyses = self.analyse(posts)
        label_probs, tactic_probs = self.predict(analyses)
        name = f"{self.name}:{self.version}"
        return [
            fuse(post.id, analysis, dict(zip(LABELS, map(float, lp), strict=True)),
                 dict(zip(TACTICS, map(float, tp), strict=True)), self.model.thresholds, name)
            for post, analysis, lp, tp in zip(posts, analyses, label_probs, tactic_probs, strict=True)
        ]

    def predict(self, analyses: Sequence[Analysis]) -> tuple[np.ndarray, np.ndarray]:
        X = self.featuriser.transform([a.norm.text for a in analyses], [a.tags for a in analyses])
        return self.model.labels.proba(X), self.model.tactics.proba(X)
