"""Graphs out: JSON (nodes and edges), GraphML and GEXF 1.3 (both open in Gephi), written as a stream so a graph
with a million edges needs no more memory than its nodes and edges.

A node is `{"id", "kind", "label", ...attributes}`; an edge is `{"source", "target", "kind"}`. Attribute values
are strings, numbers or None (left out). Nothing here reads the store: the services hand the graph in.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any, TextIO
from xml.sax.saxutils import escape, quoteattr

FORMATS = ("json", "graphml", "gexf")
_RESERVED = ("id", "label")


def _attribute_names(nodes: Sequence[dict[str, Any]]) -> list[str]:
    return sorted({k for n in nodes for k in n if k not in _RESERVED})


def _type(values: Iterable[Any]) -> str:
    kinds = {type(v) for v in values if v is not None}
    if kinds == {bool}:
        return "boolean"
    if kinds and kinds <= {int, bool}:
        return "long"
    if kinds and kinds <= {int, float}:
        return "double"
    return "string"


def write_graph(nodes: Sequence[dict[str, Any]], edges: Iterable[dict[str, Any]], out: TextIO,
                fmt: str = "json", *, name: str = "crossingwatch") -> None:
    if fmt == "json":
        out.write(json.dumps({"name": name, "nodes": list(nodes), "edges": list(edges)}, ensure_ascii=False))
        out.write("\n")
    elif fmt == "graphml":
        _graphml(nodes, edges, out, name)
    elif fmt == "gexf":
        _gexf(nodes, edges, out, name)
    else:
        raise ValueError(f"graph format {fmt!r}: use one of {', '.join(FORMATS)}")


def _graphml(nodes: Sequence[dict[str, Any]], edges: Iterable[dict[str, Any]], out: TextIO, name: str) -> None:
    names = ["label", *_attribute_names(nodes)]
    types = {a: _type(n.get(a) for n in nodes) for a in names}
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n'
              '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
              'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
              'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
              'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">\n')
    for i, a in enumerate(names):
        out.write(f'  <key id="n{i}" for="node" attr.name={quoteattr(a)} attr.type="{types[a]}"/>\n')
    out.write('  <key id="e0" for="edge" attr.name="kind" attr.type="string"/>\n')
    out.write(f'  <graph id={quoteattr(name)} edgedefault="undirected">\n')
    for n in nodes:
        out.write(f'    <node id={quoteattr(str(n["id"]))}>')
        for i, a in enumerate(names):
            if n.get(a) is not None:
                out.write(f'<data key="n{i}">{escape(_text(n[a]))}</data>')
        out.write("</node>\n")
    for j, e in enumerate(edges):
        out.write(f'    <edge id="e{j}" source={quoteattr(str(e["source"]))} target={quoteattr(str(e["target"]))}>'
                  f'<data key="e0">{escape(str(e.get("kind", "")))}</data></edge>\n')
    out.write("  </graph>\n</graphml>\n")


def _gexf(nodes: Sequence[dict[str, Any]], edges: Iterable[dict[str, Any]], out: TextIO, name: str) -> None:
    names = _attribute_names(nodes)
    types = {a: _type(n.get(a) for n in nodes) for a in names}  # GEXF's names for these match GraphML's
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n'
              '<gexf xmlns="http://gexf.net/1.3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
              'xsi:schemaLocation="http://gexf.net/1.3 http://gexf.net/1.3/gexf.xsd" version="1.3">\n'
              f'  <meta><creator>CrossingWatch</creator><description>{escape(name)}</description></meta>\n'
              '  <graph defaultedgetype="undirected" mode="static">\n    <attributes class="node">\n')
    for i, a in enumerate(names):
        out.write(f'      <attribute id="{i}" title={quoteattr(a)} type="{types[a]}"/>\n')
    out.write('    </attributes>\n    <attributes class="edge">\n'
              '      <attribute id="0" title="kind" type="string"/>\n    </attributes>\n    <nodes>\n')
    for n in nodes:
        label = n.get("label") if n.get("label") is not None else n["id"]
        out.write(f'      <node id={quoteattr(str(n["id"]))} label={quoteattr(_text(label))}><attvalues>')
        for i, a in enumerate(names):
            if n.get(a) is not None:
                out.write(f'<attvalue for="{i}" value={quoteattr(_text(n[a]))}/>')
        out.write("</attvalues></node>\n")
    out.write("    </nodes>\n    <edges>\n")
    for j, e in enumerate(edges):
        out.write(f'      <edge id="{j}" source={quoteattr(str(e["source"]))} target={quoteattr(str(e["target"]))}>'
                  f'<attvalues><attvalue for="0" value={quoteattr(str(e.get("kind", "")))}/></attvalues></edge>\n')
    out.write("    </edges>\n  </graph>\n</gexf>\n")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
