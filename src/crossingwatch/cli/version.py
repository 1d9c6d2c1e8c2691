"""`crossingwatch version`."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console

import crossingwatch
from crossingwatch.cli.app import ModelOption, app, runtime_for


@app.command()
def version(model_dir: ModelOption = None) -> None:
    """Print the versions of the package, the model and the lexicons."""
    runtime = runtime_for(model_dir=model_dir)
    meta_path = Path(runtime.settings.model_dir) / "model.json"
    model = "none (train one: make model)"
    if meta_path.is_file():
        meta = json.loads(meta_path.read_text("utf-8"))
        model = f"{meta['version']} (trained {meta.get('info', {}).get('trained_at', '?')}, " \
                f"{meta.get('info', {}).get('examples', '?')} examples)"
    res = runtime.resources
    langs = sorted({t.lang for t in res.terms})
    out = Console()
    out.print(f"crossingwatch {crossingwatch.__version__}", highlight=False)
    out.print(f"model {model}", highlight=False)
    out.print(f"lexicons {res.version} ({len(res.terms)} terms in {len(langs)} files: {', '.join(langs)}; "
              f"{len(res.places)} place names)", highlight=False)
