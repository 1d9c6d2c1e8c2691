"""Readers of input files. Each yields `Item`s: a Post, or a Reject with its reason, in input order."""

from crossingwatch.sources.base import Item, Limits, SourceReader, read_inputs

__all__ = ["Item", "Limits", "SourceReader", "read_inputs"]
