"""Training, evaluation and threshold choice: real training on a slice of the shipped corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import DATA, read_jsonl, run_cli, write_jsonl

import crossingwatch.detect.training as training
from crossingwatch.core import Assessment, Post
from crossingwatch.detect.features import FeatureConfig, Featuriser
from crossingwatch.detect.pipeline import TextAnalyser
from crossingwatch.resources import load_resources
from crossingwatch.services.evaluating import score
from crossingwatch.services.training import Example, augmented_copies, choose_thresholds, load_labelled


def ex(pid: str, label: str, tactics: tuple[str, ...] = (), lang: str = "en", kind: str | None = None) -> Example:
    return Example(Post(id=pid, text=pid), label, tactics, lang, kind)


def a(pid: str, label: str, tactics: tuple[str, ...] = (), advert: float = 0.0, seeking: float = 0.0,
      lang: str = "und") -> Assessment:
    return Assessment(pid, label, {"advert": advert, "seeking": seeking, "benign": 1 - advert - seeking}, tactics,
                      lang)


def test_score_counts_labels_tactics_languages_and_hard_negatives() -> None:
    gold = [ex("1", "advert", ("price", "contact")), ex("2", "advert", ("price",), "fr"),
            ex("3", "benign", kind="news"), ex("4", "benign", kind="other_benign"), ex("5", "seeking", ("contact",))]
    pred = [a("1", "advert", ("price",), lang="en"), a("2", "benign", lang="en"), a("3", "advert", ("price",)),
            a("4", "benign"), a("5", "seeking", ("contact", "price"), lang="en")]
    m = score(gold, pred)
    assert m["labels"]["advert"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    assert m["labels"]["seeking"]["f1"] == 1.0
    # tactics: gold {1:price,contact; 2:price; 5:contact}; predicted {1:price; 5:contact,price}; benign 3 counts as FP
    assert m["tactics"]["price"] == {"precision": 0.3333, "recall": 0.5, "f1": 0.4, "support": 2}
    assert m["benign_false_positive_rate"] == 0.5 and m["hard_negative_false_positive_rate"] == 1.0
    assert m["languages"]["fr"]["advert"]["recall"] == 0.0 and m["languages"]["en"]["advert"]["recall"] == 1.0
    assert m["confusion"]["benign"]["advert"] == 1 and m["confusion"]["advert"]["benign"] == 1
    assert m["language_id_accuracy"] == 0.4  # posts 1 and 5 right; 2 is French, 3 and 4 undetermined


def test_score_splits_false_positives_and_misses_by_length() -> None:
    def post(pid: str, words: int, label: str) -> Example:
        return Example(Post(id=pid, text=" ".join(["w"] * words)), label, (), "en", None)

    gold = [post("s1", 3, "benign"), post("s2", 8, "benign"), post("s3", 5, "advert"), post("m1", 20, "benign"),
            post("l1", 61, "advert"), post("l2", 90, "seeking"), post("l3", 70, "benign")]
    pred = [a("s1", "advert", advert=0.9), a("s2", "benign"), a("s3", "advert", advert=0.9), a("m1", "benign"),
            a("l1", "benign"), a("l2", "seeking", seeking=0.9), a("l3", "benign")]
    lengths = score(gold, pred)["lengths"]
    assert list(lengths) == ["1-8", "9-15", "16-30", "31-60", "61+"]
    assert lengths["1-8"] == {"n": 3, "benign": 2, "benign_flagged": 0.5, "adverts_and_seeking": 1, "missed": 0.0}
    assert lengths["16-30"]["benign_flagged"] == 0.0 and lengths["9-15"]["n"] == 0
    assert lengths["61+"] == {"n": 3, "benign": 1, "benign_flagged": 0.0, "adverts_and_seeking": 2, "missed": 0.5}


def test_thresholds_keep_benign_false_positives_within_the_limit() -> None:
    gold = [ex(str(i), "benign") for i in range(100)] + [ex("a", "advert")]
    pred = [a(str(i), "benign", advert=i / 111) for i in range(100)] + [a("a", "advert", advert=0.99)]
    t = choose_thresholds(gold, pred, max_benign_fpr=0.02)
    flagged = sum(1 for p in pred[:100] if p.scores["advert"] >= t["advert"])
    assert flagged <= 1 and t["advert"] > 0.85 and t["seeking"] == 0.5


def test_thresholds_maximise_f1_when_no_limit_is_given() -> None:
    # benign up to 0.619, adverts from 0.64: the best F1 separates them; 0.5 would flag a third of the benign
    gold = [ex(str(i), "benign") for i in range(30)] + [ex(f"a{i}", "advert") for i in range(10)]
    pred = [a(str(i), "benign", advert=0.3 + i * 0.011) for i in range(30)] + \
        [a(f"a{i}", "advert", advert=0.64 + i * 0.03) for i in range(10)]
    t = choose_thresholds(gold, pred)
    assert 0.619 < t["advert"] <= 0.64 and t["seeking"] == 0.5


def test_thresholds_stay_at_one_half_when_the_gain_is_within_noise() -> None:
    # Two benign posts at 0.52 among 500 adverts at 0.9: 0.53 is better by 0.002 of F1, less than the margin.
    gold = [ex(f"a{i}", "advert") for i in range(500)] + [ex("b1", "benign"), ex("b2", "benign")]
    pred = [a(f"a{i}", "advert", advert=0.9) for i in range(500)] + [a("b1", "advert", advert=0.52),
                                                                      a("b2", "advert", advert=0.52)]
    assert choose_thresholds(gold, pred) == {"advert": 0.5, "seeking": 0.5}
    # Forty of them: now the gain is real and the threshold moves above them.
    gold += [ex(f"c{i}", "benign") for i in range(38)]
    pred += [a(f"c{i}", "advert", advert=0.52) for i in range(38)]
    assert choose_thresholds(gold, pred)["advert"] == 0.53


def test_augmented_copies_are_marked_and_keep_labels() -> None:
    examples, _ = load_labelled([DATA / "corpus" / "en.jsonl"])
    copies = augmented_copies(examples[:50], seed=1, share=1.0)
    assert copies and all(c.augmented and c.post.id.endswith("~aug") for c in copies)
    originals = {e.post.id: e for e in examples}
    for c in copies:
        o = originals[c.post.id[:-4]]
        assert (c.label, c.tactics) == (o.label, o.tactics) and c.post.text != o.post.text


def test_train_then_eval_from_the_command_line(tmp_path: Path, model_dir: Path) -> None:
    rows = []
    for lang in ("en", "fr", "ar"):
        rows += read_jsonl(DATA / "corpus" / f"{lang}.jsonl")[:60]
    (tmp_path / "corpus").mkdir()
    data = write_jsonl(tmp_path / "corpus" / "train.jsonl", rows)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "text": "t", "label": "maybe"}\n', "utf-8")
    out = tmp_path / "model"
    r = run_cli("train", "--data", str(tmp_path / "corpus"), "--data", str(bad), "--out", str(out), model_dir=model_dir)
    assert r.returncode == 0, r.stderr.decode()
    assert "label" in r.stderr.decode() and "maybe" in r.stderr.decode()  # the bad record is named
    meta = json.loads((out / "model.json").read_text("utf-8"))
    assert meta["info"]["examples"] == 180 and meta["info"]["augmented"] > 0
    r = run_cli("eval", "--data", str(data), "--format", "json", "--model-dir", str(out), model_dir=model_dir)
    assert r.returncode == 0, r.stderr.decode()
    m = json.loads(r.stdout)
    assert set(m) >= {"labels", "tactics", "tactics_micro", "languages", "benign_false_positive_rate",
                      "hard_negative_false_positive_rate", "confusion"}
    assert m["n"] == 180 and m["labels"]["advert"]["f1"] > 0.8  # on its own training data
    r = run_cli("eval", "--data", str(data), "--model-dir", str(out), model_dir=model_dir)
    assert b"Confusion" in r.stdout and b"Tactics" in r.stdout


def test_benign_posts_weigh_more_than_class_balance_gives_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """Balanced class weights would weigh the largest label, benign, down; `LABEL_WEIGHTS` lifts it, so the same
    data gives benign posts a higher benign probability."""
    rows = read_jsonl(DATA / "corpus" / "en.jsonl")[:240]
    analyses = TextAnalyser(load_resources(DATA)).analyse_many([r["text"] for r in rows], [None] * len(rows),
                                                                ["en"] * len(rows))[0]
    labels, tactics = [r["label"] for r in rows], [r.get("tactics") or [] for r in rows]
    assert training.LABEL_WEIGHTS["benign"] > 1.0

    def benign_probability() -> float:
        model = training.fit_text_model(analyses, labels, tactics, ["en"] * len(rows),
                                        features=FeatureConfig(char_bits=14, word_bits=14))
        featuriser = Featuriser(model.features)
        X = featuriser.transform([a.norm.text for a in analyses], [a.tags for a in analyses])
        probs = model.labels.proba(X)[[i for i, lab in enumerate(labels) if lab == "benign"]]
        return float(probs[:, model.labels.classes.index("benign")].mean())

    weighted = benign_probability()
    monkeypatch.setattr(training, "LABEL_WEIGHTS", {})  # balanced
    assert weighted > benign_probability()


def test_log_count_ratio_scale_favours_columns_that_separate_the_classes() -> None:
    """A column seen only with the positive rows outweighs one seen everywhere; the scale reads presence, not the
    feature's value, and the same column counts the same whichever side is called positive."""
    import numpy as np
    import scipy.sparse as sp

    positive = np.array([True] * 6 + [False] * 6)
    only_positive = positive.astype(float)
    everywhere = np.ones(12)
    X = sp.csr_matrix(np.column_stack([only_positive, everywhere, np.zeros(12), everywhere]))
    scale = training.nb_scale(X, positive)
    assert scale[0] > 2 * scale[1]
    assert np.allclose(training.nb_scale(X * 3.0, positive), scale)
    assert np.allclose(training.nb_scale(X, ~positive), scale)


def test_the_scale_is_folded_into_the_saved_weights() -> None:
    """The regression is fitted on scaled features; the saved layer must give the same decisions on the raw features
    that the model will be run on."""
    import numpy as np
    import scipy.sparse as sp
    from sklearn.linear_model import LogisticRegression

    rows = read_jsonl(DATA / "corpus" / "fr.jsonl")[:150]
    analyses = TextAnalyser(load_resources(DATA)).analyse_many([r["text"] for r in rows], [None] * len(rows),
                                                                ["fr"] * len(rows))[0]
    labels, tactics = [r["label"] for r in rows], [r.get("tactics") or [] for r in rows]
    config = FeatureConfig(char_bits=12, word_bits=12)
    model = training.fit_text_model(analyses, labels, tactics, ["fr"] * len(rows), features=config, C=4.0)
    X = Featuriser(config).transform([a.norm.text for a in analyses], [a.tags for a in analyses])
    y = np.array([model.labels.classes.index(lab) for lab in labels])
    scale = np.max([training.nb_scale(X, y == i) for i in range(3)], axis=0)
    weights = training._label_weights(y)
    fitted = LogisticRegression(C=4.0, max_iter=3000, class_weight=weights).fit(X @ sp.diags(scale), y)
    assert np.allclose(model.labels.decision(X), fitted.decision_function(X @ sp.diags(scale)), atol=1e-3)
    flagged = y != model.labels.classes.index("benign")
    t = np.array([("contact" in ts) for ts, f in zip(tactics, flagged, strict=True) if f], dtype=int)
    tactic_scale = training.nb_scale(X[flagged], t == 1)
    scaled = X[flagged] @ sp.diags(tactic_scale)
    tactic = LogisticRegression(C=4.0, max_iter=2000, class_weight="balanced").fit(scaled, t)
    column = model.tactics.classes.index("contact")
    assert np.allclose(model.tactics.decision(X[flagged])[:, column],
                       tactic.decision_function(scaled), atol=1e-3)


def test_the_scoped_labels_weigh_the_topic_and_survive_a_save(tmp_path: Path) -> None:
    """Trained with kinds, the model has a topic layer (about irregular migration or not) that tells everyday benign
    posts from the rest, and label scores that blend the flat layer with the topic times the labels trained on posts
    on that topic. Saved and loaded, the model gives the same scores; trained without kinds, it has only the flat
    layer, and a model saved before the scoped layers still loads."""
    import numpy as np

    from crossingwatch.detect.model import load_model

    rows = read_jsonl(DATA / "corpus" / "en.jsonl")
    analyses = TextAnalyser(load_resources(DATA)).analyse_many([r["text"] for r in rows], [None] * len(rows),
                                                                ["en"] * len(rows))[0]
    labels, tactics = [r["label"] for r in rows], [r.get("tactics") or [] for r in rows]
    config = FeatureConfig(char_bits=14, word_bits=14)
    model = training.fit_text_model(analyses, labels, tactics, ["en"] * len(rows), features=config,
                                    kinds=[r.get("kind") for r in rows])
    assert model.topic is not None and model.scoped is not None and model.mix == training.LABEL_MIX
    X = Featuriser(config).transform([a.norm.text for a in analyses], [a.tags for a in analyses])
    off = [i for i, r in enumerate(rows) if r["label"] == "benign" and r.get("kind") not in training.ON_TOPIC_KINDS]
    on = [i for i in range(len(rows)) if i not in set(off)]
    topic = model.topic.proba(X)[:, 0]
    assert topic[off].mean() < 0.3 and topic[on].mean() > 0.7

    mixed, flat, scoped = model.label_proba(X), model.labels.proba(X), model.scoped.proba(X)
    assert np.allclose(mixed.sum(axis=1), 1.0)
    advert = model.labels.classes.index("advert")
    assert np.allclose(mixed[:, advert], model.mix * flat[:, advert] + (1 - model.mix) * topic * scoped[:, advert],
                       atol=1e-6)
    assert not np.allclose(mixed, flat, atol=1e-3)

    model.save(tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    assert loaded.mix == model.mix and np.allclose(loaded.label_proba(X), mixed, atol=1e-5)
    # the loaded layers' weights are views of the one stacked copy, and saved again they make the same file
    assert all(np.shares_memory(layer.coef, loaded._stacked)
               for layer in (loaded.labels, loaded.tactics, loaded.topic, loaded.scoped))
    loaded.save(tmp_path / "again")
    assert (tmp_path / "again" / "weights.npz").read_bytes() == (tmp_path / "m" / "weights.npz").read_bytes()

    plain = training.fit_text_model(analyses, labels, tactics, ["en"] * len(rows), features=config)
    assert plain.topic is None and np.array_equal(plain.label_proba(X), plain.labels.proba(X))
    # benign posts without a kind (reviewers' decisions) say nothing about the topic: no scoped pair from them
    unknown = [None if r["label"] == "benign" else r.get("kind") for r in rows]
    assert training.fit_text_model(analyses, labels, tactics, ["en"] * len(rows), features=config,
                                   kinds=unknown).topic is None
    plain.save(tmp_path / "plain")
    meta = json.loads((tmp_path / "plain" / "model.json").read_text("utf-8"))
    assert meta["label_mix"] == 1.0
    meta["format_version"] = 2  # a model saved before the scoped layers loads as it was
    (tmp_path / "plain" / "model.json").write_text(json.dumps(meta), "utf-8")
    assert load_model(tmp_path / "plain").topic is None
