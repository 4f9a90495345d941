"""Supervision of follow-up work (四(四) 强化激励问责): who is behind, where, on what.

Per lead department and per township: tasks open, done on time, done late, not
needed, resolved by the next review, overdue by deadline class, the median time
to done (hours); and the villages with overdue critical tasks. Counted over the
tasks the caller may see (service.tasks.scope), of the reviews of one period
(created by them or carried into them) or of all periods.

    report = supervision(session, caller, rules, now_ts=now(), period="2026Q4")
    write_supervision_xlsx(report, buffer); html = render_supervision_html(report)
"""

import io
import re
from html import escape

import pandas as pd
import sqlalchemy as sa
import xlsxwriter
from sqlmodel import Session

from models.review_tables import Review
from models.task_tables import ACTIVE
from service import tasks as tk
from service.report_html import STYLE, bar_chart
from service.tasks_xlsx import TEXT_ONLY

PERIOD = re.compile(r"^\d{4}Q[1-4]$")
CLASSES = [name for _, name in tk.DEADLINE_CLASSES] + ["longer"]
COUNTS = ["open", "overdue", "done_on_time", "done_late", "not_needed", "resolved_by_review"]
ZH = {
    "open": "未办结",
    "overdue": "逾期",
    "done_on_time": "按时办结",
    "done_late": "逾期办结",
    "not_needed": "无需办理",
    "resolved_by_review": "复核后解除",
    "median_hours_to_done": "办结用时中位数（小时）",
    "overdue_critical": "紧急人员逾期任务",
}


def _terms(session: Session, caller, rules, now_ts: int, period: str | None) -> list:
    terms = []
    allowed = tk.scope(caller, rules, now_ts)
    if allowed is not None:
        terms.append(sa.or_(*allowed))
    if period is not None:
        if not PERIOD.match(period):
            raise tk.TaskInvalid("period", "must look like 2026Q4")
        ids = sa.select(Review.id).where(Review.period == period)
        terms.append(sa.or_(tk.T.review_id.in_(ids), tk.T.last_review_id.in_(ids)))
    return terms


def _frame(session: Session, terms: list, now_ts: int) -> pd.DataFrame:
    """Counts grouped by everything the tables split on (a few hundred rows at most)."""
    t = tk.T
    overdue = sa.and_(t.status.in_(ACTIVE), t.due_ts < now_ts)
    on_time = sa.and_(t.closed_ts.is_not(None), t.closed_ts <= t.due_ts)
    keys = [
        t.department,
        t.township,
        t.status,
        t.deadline_hours,
        t.risk_level,
        sa.case((overdue, 1), else_=0).label("overdue"),
        sa.case((on_time, 1), else_=0).label("on_time"),
    ]
    statement = sa.select(*keys, sa.func.count().label("n")).where(*terms).group_by(*keys)
    rows = session.connection().execute(statement).all()
    columns = ["department", "township", "status", "hours", "level", "overdue", "on_time", "n"]
    return pd.DataFrame(rows, columns=columns)


def _durations(session: Session, terms: list) -> pd.DataFrame:
    t = tk.T
    statement = sa.select(t.department, t.township, (t.closed_ts - t.created_ts) / 3600.0).where(
        *terms, t.status == "done"
    )
    rows = session.connection().execute(statement).all()
    return pd.DataFrame(rows, columns=["department", "township", "hours"])


def _table(frame: pd.DataFrame, durations: pd.DataFrame, by: str) -> list[dict]:
    out = []
    for name, group in frame.groupby(by, sort=True):
        active = group[group["status"].isin(ACTIVE)]
        late = active[active["overdue"] == 1]
        done = group[group["status"] == "done"]
        hours = durations.loc[durations[by] == name, "hours"]
        row = {
            by: name,
            "open": int(active["n"].sum()),
            "overdue": int(late["n"].sum()),
            "done_on_time": int(done.loc[done["on_time"] == 1, "n"].sum()),
            "done_late": int(done.loc[done["on_time"] == 0, "n"].sum()),
            "not_needed": int(group.loc[group["status"] == "not_needed", "n"].sum()),
            "resolved_by_review": int(
                group.loc[group["status"] == "resolved_by_review", "n"].sum()
            ),
            "overdue_by_deadline": {
                c: int(late.loc[late["hours"].map(tk.deadline_class) == c, "n"].sum())
                for c in CLASSES
            },
            "overdue_critical": int(late.loc[late["level"] == "critical", "n"].sum()),
            "median_hours_to_done": round(float(hours.median()), 1) if len(hours) else None,
        }
        out.append(row)
    return out


def supervision(session: Session, caller, rules, *, now_ts: int, period: str | None = None) -> dict:
    """The supervision tables (module docstring) as plain data; TaskInvalid on a bad period."""
    terms = _terms(session, caller, rules, now_ts, period)
    frame, durations = _frame(session, terms, now_ts), _durations(session, terms)
    t = tk.T
    flagged = session.connection().execute(
        sa.select(t.township, t.village, sa.func.count(), sa.func.min(t.due_ts))
        .where(*terms, tk.ACTIVE_TERM, tk.CRITICAL_ACTIVE_TERM, t.due_ts < now_ts)
        .group_by(t.township, t.village)
    )
    villages = [
        {"township": tw, "village": v, "overdue_critical": n, "oldest_due_at": tk.iso(due)}
        for tw, v, n, due in sorted(flagged, key=lambda r: (-r[2], r[0], r[1]))
    ]
    return {
        "period": period,
        "as_of": tk.iso(now_ts),
        "total": int(frame["n"].sum()),
        "by_department": _table(frame, durations, "department"),
        "by_township": _table(frame, durations, "township"),
        "villages_with_overdue_critical": villages,
    }


def _row(r: dict, by: str) -> list:
    median = r["median_hours_to_done"]
    late = (r["overdue_by_deadline"][c] for c in CLASSES)
    median = "" if median is None else median
    return [r[by], *(r[c] for c in COUNTS), *late, r["overdue_critical"], median]


def _rows(report: dict, by: str) -> tuple[list[str], list[list]]:
    headers = [by] + [ZH[c] for c in COUNTS] + [f"逾期·{c}" for c in CLASSES]
    headers += [ZH["overdue_critical"], ZH["median_hours_to_done"]]
    rows = [_row(r, by) for r in report[f"by_{by}"]]
    return headers, rows


def write_supervision_xlsx(report: dict) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, **TEXT_ONLY})
    bold = book.add_format({"bold": True})
    flagged = report["villages_with_overdue_critical"]
    village_rows = [
        [v["township"], v["village"], v["overdue_critical"], v["oldest_due_at"]] for v in flagged
    ]
    sheets = [
        ("by department", *_rows(report, "department")),
        ("by township", *_rows(report, "township")),
    ]
    sheets.append(
        ("flagged villages", ["乡镇", "村", ZH["overdue_critical"], "最早时限"], village_rows)
    )
    for title, headers, rows in sheets:
        sheet = book.add_worksheet(title)
        sheet.write_row(0, 0, headers, bold)
        for number, row in enumerate(rows, start=1):
            sheet.write_row(number, 0, row)
    book.close()
    return buffer.getvalue()


def _html_table(headers: list[str], rows: list[list]) -> str:
    head = "".join(f"<th>{escape(str(h))}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(str(v))}</td>" for v in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_supervision_html(report: dict) -> str:
    """One page: charts of overdue work by department and by township, then the tables."""
    period = report["period"] or "全部期次 (all periods)"
    title = f"督查：任务落实情况 {period}"
    charts = [
        bar_chart(
            f"逾期任务：按{zh} (overdue by {by})",
            [(str(r[by]), r["overdue"], "#b2182b") for r in report[f"by_{by}"]],
        )
        for by, zh in (("department", "牵头部门"), ("township", "乡镇"))
    ]
    done = [(str(r["department"]), r["done_on_time"], "#4393c3") for r in report["by_department"]]
    charts.append(bar_chart("按时办结：按牵头部门 (done on time by department)", done))
    flagged = report["villages_with_overdue_critical"]
    villages = _html_table(
        ["乡镇", "村", ZH["overdue_critical"], "最早时限"],
        [[v["township"], v["village"], v["overdue_critical"], v["oldest_due_at"]] for v in flagged],
    )
    return f"""<!doctype html><html lang="zh"><head><meta charset="utf-8">
<title>{escape(title)}</title><style>{STYLE}</style></head><body><h1>{escape(title)}</h1>
<p>截至 {escape(report["as_of"])}，共 {report["total"]:,} 项任务（四(四) 强化激励问责）。</p>
{"".join(f"<figure>{c}</figure>" for c in charts)}
<h2>按牵头部门 (by department)</h2>{_html_table(*_rows(report, "department"))}
<h2>按乡镇 (by township)</h2>{_html_table(*_rows(report, "township"))}
<h2>有紧急人员任务逾期的村 (villages flagged)</h2>{villages}
</body></html>"""
