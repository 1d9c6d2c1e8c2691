"""The `crossingwatch` command line (Typer + Rich). One module per noun; a command's docstring is its --help."""

from crossingwatch.cli.app import app, main

__all__ = ["app", "main"]
