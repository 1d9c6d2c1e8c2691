"""The trained text model: linear layers over hashed features, saved as JSON + `.npz` (never pickle).

A model directory holds `model.json` (format, version, labels, tactics, feature configuration, temperature,
thresholds, training summary) and `weights.npz` (float32 arrays). `load_model()` refuses unknown formats.
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
FORMAT_VERSION = 2  # 2: character n-grams weighed by the post's n-gram count (features.char_ngram_block)


@dataclass
class LinearLayer:
    """`softmax(X·Wᵀ + b) / T` for classes, or independent sigmoids for `multilabel` layers."""

    classes: tuple[str, ...]
    coef: np.ndarray
    intercept: np.ndarray
    temperature: float = 1.0
    multilabel: bool = False

    def __post_init__(self) -> None:
        # (features × classes), contiguous: sparse rows times a dense matrix without a copy per call.
        self._weights = np.ascontiguousarray(self.coef.T)

    def decision(self, X: sp.spmatrix) -> np.ndarray:
        return np.asarray(X @ self._weights) + self.intercept

    def proba(self, X: sp.spmatrix) -> np.ndarray:
        z = self.decision(X) / self.temperature
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

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        arrays = {
            "label_coef": self.labels.coef.astype(np.float32),
            "label_intercept": self.labels.intercept.astype(np.float32),
            "tactic_coef": self.tactics.coef.astype(np.float32),
            "tactic_intercept": self.tactics.intercept.astype(np.float32),
        }
        if self.languages is not None:
            arrays["lang_coef"] = self.languages.coef.astype(np.float32)
            arrays["lang_intercept"] = self.languages.intercept.astype(np.float32)
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
    if meta.get("format") != FORMAT or meta.get("format_version") != FORMAT_VERSION:
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
    return TextModel(
        labels=LinearLayer(LABELS, arrays["label_coef"], arrays["label_intercept"], float(meta["temperature"])),
        tactics=LinearLayer(TACTICS, arrays["tactic_coef"], arrays["tactic_intercept"], multilabel=True),
        languages=languages,
        features=features,
        thresholds={k: float(v) for k, v in meta["thresholds"].items()},
        info=meta.get("info", {}),
        version=meta["version"],
    )
