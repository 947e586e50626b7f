"""The kernel plan, seen: the optimised IR as a graph whose ops are coloured by the Triton
kernel or numpy section that computes them, as Graphviz text (`Lowered.as_dot()`) or as
one self-contained HTML page (`Compiled.as_html()`: inline SVG, CSS and script, nothing
fetched). The page lays the graph out itself, in layers by SSA depth; each op shows the
user's source line on hover, each group its bytes, flops and transcendental calls from the
cost model, and clicking an op or a group shows the generated source of its group.

>>> import numpy as np, jitlib as jl
>>> lowered = jl.jit(lambda x: np.exp(x) / np.exp(x).sum()).lower(np.ones(4))
>>> print(lowered.as_dot().splitlines()[0])
digraph lambda {
"""

from __future__ import annotations

import ast
import html
import json
from dataclasses import dataclass

from ir import Function
from ir.core import Value
from ir.printer import numbering

COLOURS = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#9c755f")


@dataclass
class Group:
    """A Triton kernel, host step or device call, or a numpy section: a step of the cost
    model (codegen.cost.Step), which knows its equations, and its generated code."""

    name: str
    kind: str
    eqns: tuple
    source: str
    cost: object  # codegen.cost.Step


def groups_of(cost, source: str = "") -> list:
    """The plan's groups in order: the cost model's steps, each with its generated code."""
    return [
        Group(step.name, step.kind, step.eqns, _function_source(source, step.name) or source, step)
        for step in cost.steps
    ]


def _function_source(source: str, name: str) -> str:
    """The text of the function `name` in the generated source, if it defines one."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return ""
    lines = source.splitlines()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == name:
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            return "\n".join(lines[first - 1 : node.end_lineno])
    return ""


# --- layout: layers by SSA depth ----------------------------------------------------------
@dataclass
class Node:
    key: str  # "p0" for a parameter, "e3" for the fourth equation
    label: str
    detail: str
    group: int  # index into the groups, -1 for parameters and unplanned ops
    layer: int
    row: int = 0


def _graph(fn: Function, groups: list) -> tuple:
    """(nodes, edges): a node per parameter and per equation, an edge per value use."""
    names = numbering(fn)[0]
    group_of = {id(e): i for i, g in enumerate(groups) for e in g.eqns}
    producer: dict = {}
    nodes: list = []
    for i, p in enumerate(fn.params):
        key = f"p{i}"
        producer[id(p)] = key
        nodes.append(Node(key, f"{_name(names, p)}: {p.type}", "parameter", -1, 0))
    layer_of = {n.key: 0 for n in nodes}
    edges = []
    for i, eqn in enumerate(fn.eqns):
        key = f"e{i}"
        sources = [producer[id(x)] for x in eqn.inputs if id(x) in producer]
        layer = 1 + max((layer_of[s] for s in sources), default=0)
        layer_of[key] = layer
        outs = ", ".join(_name(names, o) for o in eqn.outputs)
        label = f"{outs} = {eqn.op.name}"
        types = ", ".join(str(o.type) for o in eqn.outputs)
        detail = f"{types}  {eqn.source or '(no source line)'}"
        nodes.append(Node(key, label, detail, group_of.get(id(eqn), -1), layer))
        edges += [(s, key) for s in dict.fromkeys(sources)]
        for o in eqn.outputs:
            producer[id(o)] = key
    rows: dict = {}
    for node in nodes:
        node.row = rows.get(node.layer, 0)
        rows[node.layer] = node.row + 1
    return nodes, edges


def _name(names: dict, value: Value) -> str:
    return f"%{names.get(id(value), '?')}"


# --- Graphviz -----------------------------------------------------------------------------
def as_dot(fn: Function, cost) -> str:
    """Graphviz text of the IR graph, one cluster per kernel or section of `cost`."""
    groups = groups_of(cost)
    nodes, edges = _graph(fn, groups)
    lines = [f"digraph {_dot_id(fn.name)} {{", "  rankdir=LR;", "  node [shape=box, fontsize=10];"]
    for index, group in enumerate(groups):
        colour = COLOURS[index % len(COLOURS)]
        lines.append(f'  subgraph cluster_{index} {{ label="{group.name} ({group.kind})";')
        lines.append(f'    color="{colour}";')
        for node in nodes:
            if node.group == index:
                lines.append(
                    f"    {node.key} [label={_quote(node.label)}, tooltip={_quote(node.detail)}];"
                )
        lines.append("  }")
    for node in nodes:
        if node.group == -1:
            lines.append(f"  {node.key} [label={_quote(node.label)}, shape=ellipse];")
    lines += [f"  {a} -> {b};" for a, b in edges]
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_id(name: str) -> str:
    return "".join(c if c.isalnum() or c == "_" else "_" for c in name) or "f"


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# --- HTML ---------------------------------------------------------------------------------
WIDTH, HEIGHT, GAP_X, GAP_Y = 170, 34, 40, 16


def svg(fn: Function, groups: list) -> str:
    """The graph as inline SVG: ops as boxes coloured by group, edges as curves."""
    nodes, edges = _graph(fn, groups)
    at = {n.key: (20 + n.layer * (WIDTH + GAP_X), 20 + n.row * (HEIGHT + GAP_Y)) for n in nodes}
    width = 40 + (max((n.layer for n in nodes), default=0) + 1) * (WIDTH + GAP_X)
    height = 40 + (max((n.row for n in nodes), default=0) + 1) * (HEIGHT + GAP_Y)
    parts = [
        f'<svg class="plan" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}">'
    ]
    for a, b in edges:
        (x1, y1), (x2, y2) = at[a], at[b]
        x1, y1, y2 = x1 + WIDTH, y1 + HEIGHT / 2, y2 + HEIGHT / 2
        middle = (x1 + x2) / 2
        parts.append(f'<path class="edge" d="M{x1},{y1} C{middle},{y1} {middle},{y2} {x2},{y2}"/>')
    for node in nodes:
        x, y = at[node.key]
        colour = COLOURS[node.group % len(COLOURS)] if node.group >= 0 else "#bbbbbb"
        parts.append(
            f'<g class="op" data-group="{node.group}" transform="translate({x},{y})">'
            f"<title>{html.escape(node.detail)}</title>"
            f'<rect width="{WIDTH}" height="{HEIGHT}" rx="5" fill="{colour}"/>'
            f'<text x="8" y="21">{html.escape(_short(node.label))}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _short(text: str, limit: int = 24) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


STYLE = """
body { font: 14px system-ui, sans-serif; margin: 16px; color: #222; }
.plan .edge { fill: none; stroke: #999; stroke-width: 1.2; }
.plan .op rect { stroke: #333; stroke-width: 0.5; cursor: pointer; }
.plan .op text { fill: #fff; font: 11px monospace; pointer-events: none; }
.plan .op.chosen rect { stroke: #000; stroke-width: 2.5; }
.scroll { overflow: auto; border: 1px solid #ddd; max-height: 70vh; }
table { border-collapse: collapse; margin: 12px 0; }
td, th { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
td:first-child, th:first-child { text-align: left; }
tr.group { cursor: pointer; }
.swatch { display: inline-block; width: 12px; height: 12px; margin-right: 6px; }
.chart text { font: 12px system-ui, sans-serif; }
.chart .eager { stroke: #333; stroke-dasharray: 4 3; }
pre { background: #f6f6f6; padding: 8px; overflow: auto; max-height: 50vh; }
"""

SCRIPT = """
window.jitlibErrors = window.jitlibErrors || [];
function jitlibError(message) {  // script errors and console.error calls mark the body
  window.jitlibErrors.push(String(message));
  document.body.setAttribute("data-errors", window.jitlibErrors.join(" | "));
}
window.addEventListener("error", function (event) { jitlibError(event.message); });
var consoleError = console.error;
console.error = function () {
  jitlibError(Array.prototype.join.call(arguments, " "));
  consoleError.apply(console, arguments);
};
document.querySelectorAll(".plan-section").forEach(function (section) {
  var sources = JSON.parse(section.querySelector(".sources").textContent);
  var shown = section.querySelector(".source");
  function choose(group) {
    shown.textContent = group >= 0 ? sources[group] : "(a parameter: no generated code)";
    section.querySelectorAll(".op").forEach(function (op) {
      op.classList.toggle("chosen", op.getAttribute("data-group") === String(group));
    });
  }
  section.querySelectorAll(".op, tr.group").forEach(function (el) {
    el.addEventListener("click", function () { choose(Number(el.getAttribute("data-group"))); });
  });
  choose(sources.length ? 0 : -1);
});
document.body.setAttribute("data-ready", "1");
"""


def groups_table(groups: list) -> str:
    rows = [
        "<table><tr><th>group</th><th>kind</th><th>ops</th><th>bytes read</th>"
        "<th>bytes written</th><th>flops</th><th>transcendentals</th></tr>"
    ]
    for index, group in enumerate(groups):
        colour = COLOURS[index % len(COLOURS)]
        cost = group.cost
        numbers = (
            [f"{cost.read:,}", f"{cost.written:,}", f"{cost.flops:,}", f"{cost.transcendentals:,}"]
            if cost is not None
            else ["", "", "", ""]
        )
        cells = "".join(f"<td>{n}</td>" for n in numbers)
        rows.append(
            f'<tr class="group" data-group="{index}"><td><span class="swatch" '
            f'style="background:{colour}"></span>{html.escape(group.name)}</td>'
            f"<td>{html.escape(group.kind)}</td><td>{len(group.eqns)}</td>{cells}</tr>"
        )
    rows.append("</table>")
    return "".join(rows)


def section(fn: Function, source: str, cost, title: str) -> str:
    """One plan's part of a page: the heading, the group table, the graph and the source
    panel. Several can share a page (the bench report's one per workload)."""
    groups = groups_of(cost, source)
    sources = json.dumps([g.source for g in groups]).replace("</", "<\\/")
    sizes = ", ".join(f"{k}={v}" for k, v in getattr(cost, "sizes", ())) or "none"
    return (
        f'<section class="plan-section"><h2>{html.escape(title)}</h2>'
        f"<p>{cost.backend} backend; sizes {html.escape(sizes)}; click an op or a group for its "
        "generated code.</p>"
        f"{groups_table(groups)}<div class='scroll'>{svg(fn, groups)}</div>"
        f'<script type="application/json" class="sources">{sources}</script>'
        '<pre class="source"></pre></section>'
    )


def page(title: str, body: str, script: str = SCRIPT) -> str:
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head>"
        f"<body>{body}<script>{script}</script></body></html>"
    )


def as_html(fn: Function, source: str, cost) -> str:
    """The kernel-plan page of one compiled function."""
    title = f"jitlib kernel plan: {fn.name}"
    return page(title, f"<h1>{html.escape(title)}</h1>" + section(fn, source, cost, fn.name))
