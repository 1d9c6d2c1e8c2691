"""The Typer application, shared options and error handling."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console

from crossingwatch.core.errors import CrossingWatchError
from crossingwatch.runtime import Runtime, build_runtime
from crossingwatch.settings import load_settings

app = typer.Typer(
    name="crossingwatch",
    help="Find, refer for takedown and counter online content that advertises migrant smuggling.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)

DbOption = Annotated[str | None, typer.Option(
    "--db", help="Database: a SQLite path or an SQLAlchemy URL. Default: $CROSSINGWATCH_DB, else ./crossingwatch.db.")]
ModelOption = Annotated[str | None, typer.Option(
    "--model-dir", help="Trained model folder. Default: $CROSSINGWATCH_MODEL_DIR, else data/models/default.")]


def runtime_for(db: str | None = None, model_dir: str | None = None) -> Runtime:
    return build_runtime(load_settings().replace(db=db, model_dir=model_dir))


def main() -> None:
    # importing a command module registers its commands
    from crossingwatch.cli import banks, networks, redirect, scan, serving, training, version, workflow  # noqa: F401

    try:
        app()
    except CrossingWatchError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(1)
    except KeyboardInterrupt:
        err.print("[yellow]interrupted[/]: everything committed so far is stored; rerun the same command to resume")
        sys.exit(130)
