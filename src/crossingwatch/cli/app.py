"""The Typer application, shared options and error handling."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from crossingwatch.core.errors import CrossingWatchError, InputError
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


def read_text_file(path: Path) -> str:
    """A UTF-8 file the user named, or an error that names it."""
    try:
        return path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read: {exc}", source=str(path)) from exc


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
