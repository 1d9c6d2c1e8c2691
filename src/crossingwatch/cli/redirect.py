"""`crossingwatch redirect`: check search queries, one or a file of them, and measure on labelled queries."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from crossingwatch.cli.app import ModelOption, app, err, runtime_for
from crossingwatch.core.errors import InputError
from crossingwatch.services import redirecting


@app.command("redirect")
def redirect_cmd(
    query: Annotated[str | None, typer.Argument(help="A search query to check.")] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="The searcher's language, if known (ISO 639).")] = None,
    queries: Annotated[Path | None, typer.Option("--queries", help="A JSON Lines file of {\"id\", \"query\", "
                                                 "\"lang\"} records.")] = None,
    output: Annotated[str, typer.Option("--output", "-o", help="Where answers go, one JSON line per query "
                                        "(- for standard output).")] = "-",
    evaluate: Annotated[bool, typer.Option("--eval", help="The records carry \"intent\" (seek_crossing | benign): "
                                           "print accuracy and benign queries redirected, by language.")] = False,
    train: Annotated[bool, typer.Option("--train", help="Train the query model from data/ and save it in the "
                                        "model folder (`make model` does this).")] = False,
    model_dir: ModelOption = None,
) -> None:
    """Whether a search seeks an irregular crossing, a smuggler or false papers, and the safety message to show.

    With QUERY, prints the answer (message included) as JSON. With --queries FILE, writes one answer per record
    ({"id", "redirect", "lang", "message_id", "reason", …}) to --output; with --eval, measures them instead.
    Nothing is stored, and the query text is never written anywhere but your own output.
    """
    runtime = runtime_for(model_dir=model_dir)
    analyser = runtime.detector("text").analyser  # type: ignore[attr-defined]
    if train:
        model = redirecting.train_redirect_model(Path(runtime.settings.data_dir), analyser,
                                                 Path(runtime.settings.model_dir))
        err.print(f"query model trained on {model.info.get('examples')} examples, saved in "
                  f"{runtime.settings.model_dir}", highlight=False)
        return
    if (query is None) == (queries is None):
        raise InputError("give either a QUERY or --queries FILE (or --train)", field="query")
    redirector = redirecting.load_redirector(Path(runtime.settings.data_dir), analyser,
                                             Path(runtime.settings.model_dir))
    if query is not None:
        typer.echo(json.dumps(redirector.decide(query, lang).to_dict(), ensure_ascii=False, indent=2))
        return
    assert queries is not None
    if not queries.is_file():
        raise InputError(f"{queries}: no such file", source=str(queries))
    records = list(redirecting.read_jsonl(queries))
    answers = list(redirecting.redirect_records(records, redirector, source=str(queries)))
    if evaluate:
        for number, r in records:
            if r.get("intent") not in ("seek_crossing", "benign"):
                raise InputError(f"{queries}:{number}: field 'intent' must be seek_crossing or benign for --eval",
                                 source=str(queries), line=number, field="intent")
        figures = redirecting.evaluate([(r, out) for (_, r), (out, _) in zip(records, answers, strict=True)])
        typer.echo(json.dumps(figures, ensure_ascii=False, indent=2))
        return
    out = sys.stdout if output == "-" else open(output, "w", encoding="utf-8")  # noqa: SIM115
    try:
        for answer, _ in answers:
            out.write(json.dumps(answer, ensure_ascii=False) + "\n")
    finally:
        if out is not sys.stdout:
            out.close()
    redirected = sum(a["redirect"] for a, _ in answers)
    err.print(f"{len(answers)} queries, {redirected} redirected", highlight=False)
