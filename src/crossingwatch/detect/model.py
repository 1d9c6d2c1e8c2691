"""The trained text model: linear layers over hashed features, saved as JSON + `.npz` (never pickle).

A model directory holds `model.json` (format, version, labels, tactics, feature configuration, temperature,
thresholds, training summary) and `weights.npz` (float32 arrays). `load_model()` refuses unknown formats.

The label scores blend two readings of a post (`TextModel.label_proba`): the *flat* layer, trained on every post,
and a *topic-scoped* pair: the chance that the post is about irregular migration at all (`topic`) times the label
probabilities of a layer trained only on such posts (`scoped`). A linear model sums its evidence, so "who has the
number of a good plumber, inbox me" scores like a smuggler's client; the scoped pair makes the label depend on the
topic *and* the form of the post. A model trained without `kind`s has no scoped pair and uses the flat layer alone.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.special import expit

from crossingwatch.core import LABELS, TACTICS
from crossingwatch.core.errors import ModelError
from crossingwatch.detect.features import FeatureConfig

FORMAT = "crossingwatch-text-model"
_ADVERT, _SEEKING, _BENIGN = (LABELS.index(label) for label in ("advert", "seeking", "benign"))
FORMAT_VERSION = 3  # 2: character n-grams weighed by the post's n-gram count; 3: the optional topic-scoped layers
READABLE_VERSIONS = (2, 3)


@dataclass
class LinearLayer:
    """`softmax(X·Wᵀ + b) / T` for classes, or independent sigmoids for `multilabel` layers."""

    classes: tuple[str, ...]
    coef: np.ndarray
    intercept: np.ndarray
    temperature: float = 1.0
    multilabel: bool = False

    _weights: np.ndarray | None = field(default=None, init=False, repr=False, compare=False)

    def decision(self, X: sp.spmatrix) -> np.ndarray:
        if self._weights is None:
            # (features × classes), contiguous: sparse rows times a dense matrix without a copy per call. Made on
            # first use: a model run through `TextModel.predict` keeps one stacked copy of its layers instead.
            self._weights = np.ascontiguousarray(self.coef.T)
        return np.asarray(X @ self._weights) + self.intercept

    def proba(self, X: sp.spmatrix) -> np.ndarray:
        return self.activate(self.decision(X))

    def activate(self, z: np.ndarray) -> np.ndarray:
        """Probabilities from this layer's decision values (`decision(X)`)."""
        z = z / self.temperature
        if self.multilabel:
            return expit(z)  # 1 / (1 + e^-z) without overflow when a long post drives z far below zero
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)


@dataclass
class TextModel:
    labels: LinearLayer
    tactics: LinearLayer
    languages: LinearLayer | None
    features: FeatureConfig = field(default_factory=FeatureConfig)
    thresholds: dict[str, float] = field(default_factory=lambda: {"advert": 0.5, "seeking": 0.5})
    info: dict[str, Any] = field(default_factory=dict)
    version: str = ""
    topic: LinearLayer | None = None  # one sigmoid: is the post about irregular migration at all?
    scoped: LinearLayer | None = None  # the labels, trained on posts about irregular migration only
    mix: float = 1.0  # the flat layer's share of the label scores; the scoped pair has the rest
    _stacked: np.ndarray | None = field(default=None, init=False, repr=False, compare=False)

    def label_proba(self, X: sp.spmatrix) -> np.ndarray:
        """Label probabilities: `mix * flat + (1 - mix) * topic * scoped` for advert and seeking, benign the rest."""
        return self.predict(X)[0]

    def predict(self, X: sp.spmatrix) -> tuple[np.ndarray, np.ndarray]:
        """Label and tactic probabilities, from one product of the features with every layer's weights."""
        layers = self._layers()
        scoped = len(layers) > 2
        if self._stacked is None or self._stacked.shape[1] != sum(len(layer.classes) for layer in layers):
            self.stack()
        z = np.asarray(X @ self._stacked)
        parts, start = [], 0
        for layer in layers:
            end = start + len(layer.classes)
            parts.append(layer.activate(z[:, start:end] + layer.intercept))
            start = end
        if not scoped:
            return parts[0], parts[1]
        flat, tactics, topic, on_topic = parts
        on_topic *= topic
        on_topic[:, _BENIGN] = 1.0 - on_topic[:, _ADVERT] - on_topic[:, _SEEKING]
        return self.mix * flat + (1.0 - self.mix) * on_topic, tactics

    def stack(self) -> None:
        """Put the weights of every layer `predict` uses side by side in one contiguous (features × classes) array,
        and make each layer's `coef` a view of it: one product per batch, and one copy of the weights in memory."""
        layers = self._layers()
        stacked = np.ascontiguousarray(np.hstack([layer.coef.T for layer in layers]), dtype=np.float32)
        start = 0
        for layer in layers:
            end = start + len(layer.classes)
            layer.coef, layer._weights = stacked[:, start:end].T, None
            start = end
        self._stacked = stacked

    def _layers(self) -> list[LinearLayer]:
        layers = [self.labels, self.tactics]
        if self.topic is not None and self.scoped is not None and self.mix < 1.0:
            layers += [self.topic, self.scoped]
        return layers

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        arrays = {
            "label_coef": self.labels.coef,
            "label_intercept": self.labels.intercept,
            "tactic_coef": self.tactics.coef,
            "tactic_intercept": self.tactics.intercept,
        }
        if self.topic is not None and self.scoped is not None:
            arrays["topic_coef"] = self.topic.coef
            arrays["topic_intercept"] = self.topic.intercept
            arrays["scoped_coef"] = self.scoped.coef
            arrays["scoped_intercept"] = self.scoped.intercept
        if self.languages is not None:
            arrays["lang_coef"] = self.languages.coef
            arrays["lang_intercept"] = self.languages.intercept
        # C order whatever the layers' (a stacked model's are views): the same weights give the same file and version
        arrays = {name: np.ascontiguousarray(array, dtype=np.float32) for name, array in arrays.items()}
        np.savez(directory / "weights.npz", **arrays)
        digest = hashlib.sha256((directory / "weights.npz").read_bytes()).hexdigest()[:12]
        self.version = self.version or digest
        meta = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "version": self.version,
            "weights_sha256_12": digest,
            "labels": list(self.labels.classes),
            "tactics": list(self.tactics.classes),
            "languages": list(self.languages.classes) if self.languages is not None else [],
            "temperature": self.labels.temperature,
            "label_mix": self.mix if self.topic is not None and self.scoped is not None else 1.0,
            "thresholds": self.thresholds,
            "features": {
                "char_bits": self.features.char_bits, "word_bits": self.features.word_bits,
                "char_ngrams": list(self.features.char_ngrams), "word_ngrams": list(self.features.word_ngrams),
                "max_chars": self.features.max_chars, "tag_bits": self.features.tag_bits,
            },
            "info": self.info,
        }
        (directory / "model.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", "utf-8")


def load_model(directory: Path) -> TextModel:
    meta_path, weights_path = directory / "model.json", directory / "weights.npz"
    if not meta_path.is_file() or not weights_path.is_file():
        raise ModelError(
            f"no model in {directory}: expected model.json and weights.npz; "
            "train one with `crossingwatch train --out DIR` (or `make model`)"
        )
    try:
        meta = json.loads(meta_path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"{meta_path}: cannot read model metadata: {exc}") from exc
    if meta.get("format") != FORMAT or meta.get("format_version") not in READABLE_VERSIONS:
        raise ModelError(f"{meta_path}: field 'format': expected {FORMAT} v{FORMAT_VERSION}, "
                         f"got {meta.get('format')} v{meta.get('format_version')}")
    if tuple(meta["labels"]) != LABELS or tuple(meta["tactics"]) != TACTICS:
        raise ModelError(f"{meta_path}: fields 'labels'/'tactics' do not match this version of CrossingWatch")
    try:
        with np.load(weights_path, allow_pickle=False) as w:
            arrays = {k: w[k] for k in w.files}
    except (OSError, ValueError) as exc:
        raise ModelError(f"{weights_path}: cannot read weights: {exc}") from exc
    f = meta["features"]
    features = FeatureConfig(f["char_bits"], f["word_bits"], tuple(f["char_ngrams"]), tuple(f["word_ngrams"]),
                             f["max_chars"], f["tag_bits"])
    if arrays["label_coef"].shape != (len(LABELS), features.n_features):
        raise ModelError(f"{weights_path}: label weights have shape {arrays['label_coef'].shape}, "
                         f"expected {(len(LABELS), features.n_features)}")
    languages = None
    if "lang_coef" in arrays and meta.get("languages"):
        languages = LinearLayer(tuple(meta["languages"]), arrays["lang_coef"], arrays["lang_intercept"])
    topic = scoped = None
    if "topic_coef" in arrays and "scoped_coef" in arrays:
        for name, rows in (("topic_coef", 1), ("scoped_coef", len(LABELS))):
            if arrays[name].shape != (rows, features.n_features):
                raise ModelError(f"{weights_path}: {name} has shape {arrays[name].shape}, "
                                 f"expected {(rows, features.n_features)}")
        topic = LinearLayer(("on_topic",), arrays["topic_coef"], arrays["topic_intercept"], multilabel=True)
        scoped = LinearLayer(LABELS, arrays["scoped_coef"], arrays["scoped_intercept"])
    model = TextModel(
        labels=LinearLayer(LABELS, arrays["label_coef"], arrays["label_intercept"], float(meta["temperature"])),
        tactics=LinearLayer(TACTICS, arrays["tactic_coef"], arrays["tactic_intercept"], multilabel=True),
        languages=languages,
        features=features,
        thresholds={k: float(v) for k, v in meta["thresholds"].items()},
        info=meta.get("info", {}),
        version=meta["version"],
        topic=topic,
        scoped=scoped,
        mix=float(meta.get("label_mix", 1.0)),
    )
    model.stack()  # the arrays read from the file are let go: the layers' weights live in the stacked copy
    return model
