"""Draws the saturation ramp of every `*-ramp.json` in a results folder as one SVG: per step,
the rate achieved against the rate asked (left) and the p99 latency against the 100 ms limit
(right), one line per target. Plain SVG, no plotting library.

    python3 bench/ramp_chart.py bench/results/2026-12-03      # writes ramp.svg there
"""

import json
import math
import sys
from pathlib import Path

COLOURS = ["#0b5cad", "#c2410c", "#15803d", "#7e22ce", "#a16207"]
W, H = 420, 300
PAD = 52


def scale(lo, hi, a, b, log=False):
    f = (lambda v: math.log10(v)) if log else (lambda v: v)
    lo, hi = f(lo), f(hi)
    return lambda v: a + (f(v) - lo) / ((hi - lo) or 1) * (b - a)


def panel(x0, title, series, key, limit, y_label, y_log):
    xs = [s["target_rate"] for _, steps in series for s in steps]
    ys = [s[key] for _, steps in series for s in steps if s[key]] + ([limit] if limit else [])
    x = scale(min(xs), max(xs), x0 + PAD, x0 + W - 12, log=True)
    y = scale(min(ys) if y_log else 0, max(ys), H - PAD, 24, log=y_log)
    out = [f'<text x="{x0 + W / 2}" y="14" text-anchor="middle" font-weight="bold">{title}</text>',
           f'<line x1="{x0 + PAD}" y1="{H - PAD}" x2="{x0 + W - 12}" y2="{H - PAD}" stroke="#777"/>',
           f'<line x1="{x0 + PAD}" y1="24" x2="{x0 + PAD}" y2="{H - PAD}" stroke="#777"/>',
           f'<text x="{x0 + W / 2}" y="{H - 14}" text-anchor="middle">rate asked (msg/s, log)</text>',
           f'<text x="{x0 + 12}" y="{H / 2}" transform="rotate(-90 {x0 + 12} {H / 2})" text-anchor="middle">{y_label}</text>']
    for v in sorted({round(min(xs)), round(max(xs)), round(math.sqrt(min(xs) * max(xs)))}):
        out.append(f'<text x="{x(v):.1f}" y="{H - PAD + 14}" text-anchor="middle" font-size="10">{v}</text>')
    for v in ([min(ys), limit or max(ys), max(ys)] if y_log else [0, max(ys) / 2, max(ys)]):
        out.append(f'<text x="{x0 + PAD - 4}" y="{y(v) + 3:.1f}" text-anchor="end" font-size="10">{v:.0f}</text>')
    if limit:
        out.append(f'<line x1="{x0 + PAD}" y1="{y(limit):.1f}" x2="{x0 + W - 12}" y2="{y(limit):.1f}" '
                   f'stroke="#a4161a" stroke-dasharray="4 3"/>')
    if key == "achieved_rate":
        lo, hi = min(xs), max(xs)
        out.append(f'<line x1="{x(lo):.1f}" y1="{y(lo):.1f}" x2="{x(hi):.1f}" y2="{y(hi):.1f}" '
                   f'stroke="#bbb" stroke-dasharray="2 3"/>')
    for i, (name, steps) in enumerate(series):
        pts = " ".join(f"{x(s['target_rate']):.1f},{y(max(s[key], 0.1)):.1f}" for s in steps)
        out.append(f'<polyline points="{pts}" fill="none" stroke="{COLOURS[i % 5]}" stroke-width="2"/>')
    return out


def main():
    folder = Path(sys.argv[1])
    series = []
    for path in sorted(folder.glob("*-ramp.json")):
        report = json.loads(path.read_text())
        steps = report.get("ramp", {}).get("steps", [])
        best = report.get("ramp", {}).get("max_sustained_rate")
        if steps:
            series.append((f"{path.name.removesuffix('-ramp.json')}: {best:.0f} msg/s", steps))
    body = panel(0, "achieved rate (the grey line: all of it)", series, "achieved_rate", None, "msg/s (log)", True)
    body += panel(W, "p99 latency (limit 100 ms)", series, "p99_ms", 100, "ms (log)", True)
    # Three legend entries per row, as many rows as needed.
    for i, (name, _) in enumerate(series):
        x, y = PAD + (i % 3) * 260, H + 4 + (i // 3) * 18
        body.append(f'<rect x="{x}" y="{y}" width="12" height="12" fill="{COLOURS[i % 5]}"/>'
                    f'<text x="{x + 18}" y="{y + 10}">{name}</text>')
    rows = (len(series) + 2) // 3
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {2 * W} {H + 6 + 18 * rows}" '
           f'font-family="sans-serif" font-size="12"><rect width="100%" height="100%" fill="#fff"/>'
           + "".join(body) + "</svg>\n")
    (folder / "ramp.svg").write_text(svg)
    print(folder / "ramp.svg")


if __name__ == "__main__":
    main()
