"""`crossingwatch train` and `crossingwatch eval`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from crossingwatch.cli.app import DbOption, ModelOption, app, err, runtime_for
from crossingwatch.core.errors import InputError
from crossingwatch.services.evaluating import evaluate
from crossingwatch.services.training import Example, load_labelled, review_split, train_model


def _files(paths: list[str]) -> list[str]:
    """Files as given; a folder stands for every *.jsonl file in it."""
    out: list[str] = []
    for p in paths:
        out += sorted(str(f) for f in Path(p).glob("*.jsonl")) if Path(p).is_dir() else [p]
    return out


def _load(paths: list[str]):  # type: ignore[no-untyped-def]
    paths = _files(paths)
    examples, rejects = load_labelled(paths)
    for r in rejects[:20]:
        err.print(f"[yellow]skipped[/] {r.message()}", highlight=False)
    if rejects:
        err.print(f"{len(rejects)} labelled record(s) could not be used", highlight=False)
    if not examples:
        raise InputError(f"no usable labelled posts in {', '.join(paths)}")
    return examples


@app.command()
def train(
    out: Annotated[str, typer.Option("--out", help="Folder to write model.json and weights.npz to.")],
    data: Annotated[list[str] | None, typer.Option(
        "--data", help="Labelled JSON Lines (post + label + tactics), or a folder of them; repeat for more.")] = None,
    from_reviews: Annotated[bool, typer.Option(
        "--from-reviews", help="Add the reviewers' decisions in the database as examples; a held-back fifth of them "
                               "measures the current model and the new one.")] = False,
    db: DbOption = None,
    augment_share: Annotated[float, typer.Option(help="Share of posts that get an evasive augmented copy.")] = 0.6,
    seed: Annotated[int, typer.Option(help="Random seed (augmentation, calibration split).")] = 13,
    cv_folds: Annotated[int, typer.Option(
        help="Choose label thresholds on this many held-out folds first (0: no).")] = 0,
    max_benign_fpr: Annotated[float | None, typer.Option(
        help="With --cv-folds: the share of held-out benign posts the thresholds may flag at most (default: no "
             "limit; thresholds maximise F1).")] = None,
) -> None:
    """Train the text model from labelled posts (e.g. data/corpus/*.jsonl, or your own data), and from the unit's
    own review decisions with --from-reviews."""
    runtime = runtime_for(db)
    if not data and not from_reviews:
        raise InputError("give --data FILE (or a folder), --from-reviews, or both", field="data")
    examples = _load(data) if data else []
    given = len(examples)
    held: list[Example] = []
    before = None
    if from_reviews:
        from crossingwatch.services.reviewing import reviewed_examples

        reviewed, held = review_split(reviewed_examples(runtime.store()), seed=seed)
        if not reviewed:
            raise InputError("the database has no decided cases to learn from (`crossingwatch cases decide`)",
                             field="from_reviews")
        examples = examples + reviewed
        if held:
            before = evaluate(runtime.detector("text"), held)
    model = train_model(examples, runtime.resources, Path(out), augment_share=augment_share, seed=seed,
                        extra_info={"data": [Path(p).name for p in _files(data or [])],
                                    "reviewed_examples": len(examples) - given},
                        cv_folds=cv_folds,
                        max_benign_fpr=max_benign_fpr)
    info = model.info
    if "cv" in info:
        err.print(f"cross-validated ({cv_folds} folds): thresholds {info['cv_thresholds']}; {info['cv']}",
                  highlight=False)
    err.print(f"trained model {model.version} on {info['examples']} posts (+{info['augmented']} augmented) in "
              f"{len(info['languages'])} languages; saved to {out}", highlight=False)
    if from_reviews and held and before is not None:
        after = evaluate(runtime_for(db, out).detector("text"), held)
        for name, m in (("before (current model)", before), ("after (new model)", after)):
            err.print(f"{name} on {len(held)} held-back reviewed posts: accuracy {m['accuracy']}, advert F1 "
                      f"{m['labels']['advert']['f1']}, benign false-positive rate {m['benign_false_positive_rate']}",
                      highlight=False)


@app.command("eval")
def eval_(
    data: Annotated[list[str], typer.Option("--data", help="Labelled JSON Lines to measure on.")],
    format: Annotated[str, typer.Option("--format", help="table or json")] = "table",
    model_dir: ModelOption = None,
) -> None:
    """Measure the detector: P/R/F1 per label, tactic and language, false-positive rates, confusion matrix."""
    runtime = runtime_for(model_dir=model_dir)
    metrics = evaluate(runtime.detector("text"), _load(data))
    if format == "json":
        print(json.dumps(metrics, ensure_ascii=False, indent=2))
        return
    if format != "table":
        raise typer.BadParameter("use table or json", param_hint="--format")
    out = Console()
    out.print(_table(f"Labels (n={metrics['n']}, accuracy {metrics['accuracy']:.3f})", "label", metrics["labels"]))
    out.print(_table(f"Tactics (micro F1 {metrics['tactics_micro']['f1']:.3f})", "tactic", metrics["tactics"]))
    t = Table(title="Languages")
    for c in ("lang", "n", "advert P", "advert R", "seeking P", "seeking R"):
        t.add_column(c)
    for code, m in metrics["languages"].items():
        t.add_row(code, str(m["n"]), f"{m['advert']['precision']:.2f}", f"{m['advert']['recall']:.2f}",
                  f"{m['seeking']['precision']:.2f}", f"{m['seeking']['recall']:.2f}")
    out.print(t)
    t = Table(title="By length (words)")
    for c in ("words", "n", "benign", "benign flagged", "adverts+seeking", "missed"):
        t.add_column(c)
    for band, m in metrics["lengths"].items():
        t.add_row(band, str(m["n"]), str(m["benign"]), f"{m['benign_flagged']:.3f}", str(m["adverts_and_seeking"]),
                  f"{m['missed']:.3f}")
    out.print(t)
    out.print(f"false-positive rate: benign {metrics['benign_false_positive_rate']:.3f}, hard negatives "
              f"{metrics['hard_negative_false_positive_rate']:.3f} (n={metrics['hard_negatives']}); "
              f"language identified correctly: {metrics['language_id_accuracy']:.3f}")
    t = Table(title="Confusion (rows gold, columns predicted)")
    t.add_column("")
    for c in metrics["confusion"]:
        t.add_column(c)
    for gold, row in metrics["confusion"].items():
        t.add_row(gold, *(str(v) for v in row.values()))
    out.print(t)


def _table(title: str, name: str, rows: dict[str, dict[str, float]]) -> Table:
    t = Table(title=title)
    for c in (name, "precision", "recall", "F1", "support"):
        t.add_column(c)
    for key, m in rows.items():
        t.add_row(key, f"{m['precision']:.3f}", f"{m['recall']:.3f}", f"{m['f1']:.3f}", str(m["support"]))
    return t
