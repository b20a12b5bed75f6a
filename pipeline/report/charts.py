"""Charts for the report as plain SVG text: no plotting library, no fonts, byte-stable output.

Each function takes figures already read from the marts and returns an SVG document, so the
HTML report can embed it inline and stay self-contained and readable offline.
"""

from __future__ import annotations

from html import escape
from typing import Any

_FONT = 'font-family="system-ui,sans-serif" font-size="12"'
_BAR = "#2b6cb0"
_INTERVAL = "#1a202c"
_ROLE_COLOURS = {
    "ai-first": "#2b6cb0",
    "ai-support": "#38a169",
    "ml-first": "#d69e2e",
    "unknown": "#a0aec0",
}


def _svg(width: int, height: int, body: list[str], title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>" + "".join(body) + "</svg>"
    )


def category_shares_svg(categories: list[dict[str, Any]], width: int = 720) -> str:
    """Horizontal bars of each category's share of roles, with its 95% interval as a whisker."""
    rows = [c for c in categories if c["category"] != "other" and c["share_of_roles"] is not None]
    rows.sort(key=lambda c: (-c["share_of_roles"], c["sort_order"]))
    label_w, bar_w, row_h, top = 230, width - 230 - 60, 22, 28
    height = top + row_h * len(rows) + 30
    body = [
        f'<text x="{label_w}" y="16" {_FONT}>Share of roles (bar) with 95% interval (whisker)</text>'
    ]
    axis_y = top + row_h * len(rows) + 4
    # the grid first, so bars and whiskers draw over it
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        x = label_w + tick * bar_w
        body += [
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{axis_y}" stroke="#cbd5e0" stroke-width="0.5"/>',
            f'<text x="{x:.1f}" y="{axis_y + 14}" text-anchor="middle" {_FONT}>{100 * tick:.0f}%</text>',
        ]
    for i, c in enumerate(rows):
        y = top + i * row_h
        share, low, high = c["share_of_roles"], c["wilson_low"] or 0.0, c["wilson_high"] or 0.0
        body += [
            f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end" {_FONT}>{escape(c["category_name"])}</text>',
            f'<rect x="{label_w}" y="{y + 4}" width="{share * bar_w:.1f}" height="{row_h - 8}" fill="{_BAR}"/>',
            f'<line x1="{label_w + low * bar_w:.1f}" x2="{label_w + high * bar_w:.1f}" y1="{y + row_h / 2:.1f}" '
            f'y2="{y + row_h / 2:.1f}" stroke="{_INTERVAL}" stroke-width="1.5"/>',
            f'<text x="{label_w + high * bar_w + 6:.1f}" y="{y + 15}" {_FONT}>{100 * share:.0f}%</text>',
        ]
    return _svg(width, height, body, "Category shares of roles with 95% intervals")


def role_type_split_svg(
    role_types: list[dict[str, Any]], names: dict[str, str], width: int = 720
) -> str:
    """One stacked bar of the role-type split, with a legend of counts and shares."""
    rows = [r for r in role_types if r["postings"]]
    total = sum(r["postings"] for r in rows) or 1
    bar_w, body, x = width - 40, [], 20.0
    for r in rows:
        w = bar_w * r["postings"] / total
        colour = _ROLE_COLOURS.get(r["role_type"], "#718096")
        body.append(f'<rect x="{x:.1f}" y="10" width="{w:.1f}" height="28" fill="{colour}"/>')
        x += w
    for i, r in enumerate(rows):
        colour = _ROLE_COLOURS.get(r["role_type"], "#718096")
        lx = 20 + i * (bar_w // max(len(rows), 1))
        label = f"{names.get(r['role_type'], r['role_type'])}: {r['postings']} ({100 * r['postings'] / total:.0f}%)"
        body += [
            f'<rect x="{lx}" y="50" width="12" height="12" fill="{colour}"/>',
            f'<text x="{lx + 18}" y="60" {_FONT}>{escape(label)}</text>',
        ]
    return _svg(width, 74, body, "Role-type split")


_CHANGE_COLOURS = {"rose": "#2f855a", "fell": "#c53030", "steady": "#a0aec0"}


def _spread_labels(ys: list[float], gap: float, low: float, high: float) -> list[float]:
    """Move label positions apart by at least `gap`, keeping their order, within [low, high]."""
    order = sorted(range(len(ys)), key=lambda i: ys[i])
    placed = [0.0] * len(ys)
    last = low - gap
    for i in order:
        last = max(ys[i], last + gap)
        placed[i] = last
    overflow = last - high
    if overflow > 0:  # shift everything up (towards smaller y) as far as the top allows
        for i in order:
            placed[i] = max(low, placed[i] - overflow)
        last = low - gap
        for i in order:
            last = max(placed[i], last + gap)
            placed[i] = last
    return placed


def trend_svg(trends: list[dict[str, Any]], directions: dict[str, str], width: int = 720) -> str:
    """Each category's share of roles per batch as a line; green rose, red fell, grey steady
    (direction of the latest change, judged by its 95% interval)."""
    rows = [t for t in trends if t["category"] != "other" and t["share_of_roles"] is not None]
    batches = sorted({t["batch_id"] for t in rows})
    left, right, top, plot_h = 50, 280, 30, 300
    plot_w = width - left - right
    height = top + plot_h + 40
    step = plot_w / max(len(batches) - 1, 1)
    x_of = {b: left + i * step for i, b in enumerate(batches)}

    def y_of(share: float) -> float:
        return top + (1 - share) * plot_h

    body = [
        f'<text x="{left}" y="16" {_FONT}>Share of roles per batch '
        "(green: rose, red: fell beyond the 95% interval of the change; grey: no clear change)</text>"
    ]
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        y = y_of(tick)
        body += [
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#cbd5e0" stroke-width="0.5"/>',
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" {_FONT}>{100 * tick:.0f}%</text>',
        ]
    for b in batches:
        body.append(
            f'<text x="{x_of[b]:.1f}" y="{top + plot_h + 18}" text-anchor="middle" {_FONT}>{escape(b)}</text>'
        )
    by_category: dict[str, list[dict[str, Any]]] = {}
    for t in sorted(rows, key=lambda t: (t["sort_order"], t["batch_id"])):
        by_category.setdefault(t["category"], []).append(t)
    # steady lines first, so the changes draw on top
    ordered = sorted(
        by_category.items(), key=lambda kv: (directions.get(kv[0], "steady") != "steady", kv[0])
    )
    for category, points in ordered:
        colour = _CHANGE_COLOURS[directions.get(category, "steady")]
        coords = " ".join(
            f"{x_of[p['batch_id']]:.1f},{y_of(p['share_of_roles']):.1f}" for p in points
        )
        body.append(
            f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="1.8"/>'
        )
        body += [
            f'<circle cx="{x_of[p["batch_id"]]:.1f}" cy="{y_of(p["share_of_roles"]):.1f}" r="2.5" fill="{colour}"/>'
            for p in points
        ]
    last = [(c, pts[-1]) for c, pts in sorted(by_category.items())]
    label_ys = _spread_labels([y_of(p["share_of_roles"]) for _, p in last], 12.0, top, top + plot_h)
    for (category, point), y in zip(last, label_ys, strict=True):
        direction = directions.get(category, "steady")
        # steady labels in dark grey: the light line colour is too faint for text
        colour = _CHANGE_COLOURS[direction] if direction != "steady" else "#4a5568"
        body.append(
            f'<text x="{x_of[point["batch_id"]] + 8:.1f}" y="{y + 4:.1f}" fill="{colour}" {_FONT}>'
            f"{escape(point['category_name'])} {100 * point['share_of_roles']:.0f}%</text>"
        )
    return _svg(width, height, body, "Category shares of roles across batches")
