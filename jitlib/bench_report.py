"""`jitlib-bench --html FILE`: one self-contained page (inline SVG, CSS and script) with a
bar chart of each workload's speedup over eager numpy (peers beside jitlib when `--compare`
ran), the table of figures, the machine's copy bandwidth and exp rate, and each workload's
kernel-plan view (jitlib.plan_view)."""

from __future__ import annotations

import html
import math

from jitlib import plan_view

BAR, GAP, LABEL, SCALE_WIDTH = 14, 10, 190, 520
PEER_COLOURS = ("#f28e2b", "#59a14f", "#e15759")


def _speedups(row: dict, compare: list) -> list:
    """(series name, speedup or None) for jitlib and each peer."""
    series = [("jitlib", row.get("speedup"))]
    for name in compare:
        series.append((name, row.get("compare", {}).get(name, {}).get("speedup")))
    return series


def chart(rows: list, compare: list) -> str:
    """Horizontal bars on a log scale: one per workload for jitlib (class bar-jitlib), and
    one per peer that ran it; a line marks eager numpy (1x)."""
    values = [v for row in rows for _, v in _speedups(row, compare) if v]
    top = max(values + [2.0])
    low = min(values + [0.5])
    span = math.log(top) - math.log(low)

    def x_of(value: float) -> float:
        return LABEL + SCALE_WIDTH * (math.log(value) - math.log(low)) / span

    per_row = (1 + len(compare)) * BAR + GAP
    height = 30 + per_row * len(rows)
    width = LABEL + SCALE_WIDTH + 80
    parts = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}">'
    ]
    for i, row in enumerate(rows):
        y = 20 + i * per_row
        parts.append(
            f'<text x="{LABEL - 8}" y="{y + BAR}" text-anchor="end">'
            f"{html.escape(row['workload'])}</text>"
        )
        for j, (name, value) in enumerate(_speedups(row, compare)):
            if not value:
                continue
            colour = "#4e79a7" if j == 0 else PEER_COLOURS[(j - 1) % len(PEER_COLOURS)]
            top_y = y + j * BAR
            width_ = max(x_of(value) - LABEL, 1)
            parts.append(
                f'<rect class="bar bar-{html.escape(name)}" x="{LABEL}" y="{top_y}" '
                f'width="{width_:.1f}" height="{BAR - 2}" fill="{colour}">'
                f"<title>{html.escape(name)}: {value:.2f}x</title></rect>"
                f'<text x="{LABEL + width_ + 4:.1f}" y="{top_y + BAR - 3}" class="value">'
                f"{value:.2f}x</text>"
            )
    one = x_of(1.0)
    parts.append(f'<line x1="{one:.1f}" y1="10" x2="{one:.1f}" y2="{height}" class="eager"/>')
    parts.append(f'<text x="{one + 3:.1f}" y="12" class="value">eager numpy (1x)</text>')
    parts.append("</svg>")
    legend = " ".join(
        f'<span class="swatch" style="background:{c}"></span>{html.escape(n)}'
        for n, c in [("jitlib", "#4e79a7")]
        + [(n, PEER_COLOURS[k % len(PEER_COLOURS)]) for k, n in enumerate(compare)]
    )
    return f"<p>{legend}</p>" + "".join(parts)


COLUMNS = (
    ("workload", "workload", None),
    ("size", "shape", None),
    ("eager ms", "eager_ms", 2),
    ("jitlib ms", "jitlib_ms", 2),
    ("speedup", "speedup", 2),
    ("GB/s", "gbs", 1),
    ("floor ms", "floor_ms", 3),
    ("% floor", "pct_floor", 0),
    ("compile ms", "compile_ms", 0),
)


def table(rows: list, compare: list) -> str:
    head = "".join(f"<th>{name}</th>" for name, _, _ in COLUMNS)
    head += "".join(f"<th>{html.escape(n)} ms (speedup)</th>" for n in compare)
    lines = [f"<table><tr>{head}</tr>"]
    for row in rows:
        cells = []
        for _, key, digits in COLUMNS:
            value = row.get(key)
            text = f"{value:,.{digits}f}" if isinstance(value, float) else str(value or "-")
            cells.append(f"<td>{html.escape(text.split(', ')[0])}</td>")
        for name in compare:
            result = row.get("compare", {}).get(name, {})
            if "ms" in result:
                cells.append(f"<td>{result['ms']:.2f} ({result['speedup']:.2f}x)</td>")
            else:
                cells.append(f"<td>{html.escape(str(result.get('status', '-')))}</td>")
        lines.append("<tr>" + "".join(cells) + "</tr>")
    lines.append("</table>")
    return "".join(lines)


def page(report: dict) -> str:
    rows = [r for r in report["rows"] if r.get("status") == "ok"]
    compare = list(report.get("compare") or [])
    machine = (
        f"{report['backend']} backend on {html.escape(str(report.get('device')))}; copy "
        f"bandwidth {report['copy_bandwidth_gbs']:.1f} GB/s; exp rate "
        f"{report['exp_rate_per_s'] / 1e9:.2f} G/s; geometric mean speedup "
        f"{report['geomean_speedup']:.2f}x; size {html.escape(report['size'])}"
    )
    plans = "".join(r.get("plan_html", "") for r in rows)
    body = (
        "<h1>jitlib-bench</h1>"
        f"<p>{machine}</p>"
        "<h2>Speedup over eager numpy</h2>"
        f"{chart(rows, compare)}"
        "<h2>Figures</h2>"
        f"{table(rows, compare)}"
        f"{plans}"
    )
    return plan_view.page("jitlib-bench report", body)
