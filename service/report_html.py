"""The review report as one HTML page with inline SVG charts (no scripts, no CDN)."""

from html import escape

from service.report_data import LEVEL_ZH, ReportData
from service.report_xlsx import ACTION_HEADERS, CHANGE_ZH, PROBLEM_HEADERS, problem_rows

HTML_ROWS = 2_000  # rows of a list on the page; the XLSX report and the API have the rest

STYLE = (
    "body{font-family:sans-serif;margin:2em} table{border-collapse:collapse}"
    " td,th{border:1px solid #ccc;padding:4px 8px;font-size:13px}"
)
COLOURS = {"critical": "#b2182b", "high": "#ef8a62", "medium": "#fddbc7", "low": "#d1e5f0"}


def bar_chart(title: str, bars: list[tuple[str, int, str]]) -> str:
    """A horizontal bar chart as SVG: (label, value, colour) per bar."""
    width, row = 520, 26
    top = max((v for _, v, _ in bars), default=0) or 1
    parts = [
        f'<svg role="img" aria-label="{escape(title)}" width="{width}" '
        f'height="{row * len(bars) + 30}"><title>{escape(title)}</title>'
    ]
    for i, (label, value, colour) in enumerate(bars):
        y, length = 24 + i * row, int(300 * value / top)
        parts.append(
            f'<text x="0" y="{y + 14}" font-size="13">{escape(label)}</text>'
            f'<rect x="170" y="{y}" width="{length}" height="18" fill="{colour}"/>'
            f'<text x="{176 + length}" y="{y + 14}" font-size="13">{value}</text>'
        )
    parts.append(
        f'<text x="0" y="14" font-size="14" font-weight="bold">{escape(title)}</text></svg>'
    )
    return "".join(parts)


def _table(headers: list[str], rows: list[list]) -> str:
    head = "".join(f"<th>{escape(str(h))}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(str(v))}</td>" for v in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cut(listed: int, total: int) -> str:
    shown = min(listed, HTML_ROWS)
    if shown >= total:
        return ""
    return f"<p>共 {total:,} 行，此处列出最前的 {shown:,} 行 (first {shown:,} of {total:,}).</p>"


def render_html(data: ReportData) -> str:
    levels = [(f"{LEVEL_ZH[k]} ({k})", data.counts.get(k, 0), COLOURS[k]) for k in COLOURS]
    by_department = [(name, n, "#4393c3") for name, n in data.departments.items()]
    changes = ""
    if data.changes is not None:
        changes = "<h2>与上季度相比 (changes)</h2>" + _table(
            ["变化", "人数"], [[CHANGE_ZH.get(k, k), v] for k, v in data.changes.counts().items()]
        )
    villages = ""
    if data.villages:
        villages = "".join(
            bar_chart(
                f"{name}：风险等级 (levels in {name})",
                [(LEVEL_ZH[k], counts.get(k, 0), COLOURS[k]) for k in COLOURS],
            )
            for name, counts in sorted(data.villages.items())
        )
        villages = (
            f"<h2>{escape(data.township)} {escape(data.period)} 各村 (by village)</h2>{villages}"
        )
    title = f"{data.township}{data.village} {data.period} 留守人员风险复核"
    return f"""<!doctype html><html lang="zh"><head><meta charset="utf-8">
<title>{escape(title)}</title><style>{STYLE}</style>
</head><body><h1>{escape(title)}</h1>
<p>名单 {data.counts.get("rows_in", 0)} 行：评估 {data.counts.get("scored", 0)}，
退回 {data.counts.get("rejected", 0)}（见“数据问题”）。</p>
{bar_chart("风险等级分布 (level distribution)", levels)}
{bar_chart("各部门措施数 (actions by department)", by_department)}
{villages}
{changes}
<h2>措施清单 (action list, most urgent first)</h2>{_cut(len(data.actions), data.actions_total)}
{_table(ACTION_HEADERS, data.actions[:HTML_ROWS])}
<h2>数据问题 (data problems)</h2>{_cut(len(data.problems), data.problem_count)}
{_table([h.split(" ")[0] for h in PROBLEM_HEADERS], problem_rows(data.problems[:HTML_ROWS]))}
</body></html>"""
