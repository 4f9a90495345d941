"""The review report as XLSX (rustpy-xlsxwriter): summary, action list by urgency, changes,
problems.

Data problems are in Chinese (models.sheets.explain: the same words as the pages); the
API's /problems keeps each reason's English."""

from collections.abc import Iterator

import pyarrow as pa
import rustpy_xlsxwriter

from models.sheets.explain import explained_row, kind_zh
from service.report_data import CHANGE_LIMIT, LEVEL_ZH, PROBLEM_LIMIT, ReportData

CHANGE_ZH = {
    "new": "新增",
    "gone": "减少（本季度名单中没有）",
    "up": "等级上升",
    "down": "等级下降",
    "still_critical": "连续两季度紧急（督办）",
}


def write_report(data: ReportData, path_or_buffer) -> None:
    """Write the four sheets, to a path or into a binary buffer."""
    write_sheets(report_sheets(data), path_or_buffer)


def report_sheets(data: ReportData) -> list[tuple[str, list[str], list]]:
    """(title, headers, rows) of each sheet, in order; the lists cut at the report_data
    limits."""
    return [
        ("summary", ["项目 (item)", "值 (value)"], _summary(data)),
        ("actions", ACTION_HEADERS, data.actions),
        ("changes", CHANGE_HEADERS, _changes(data)),
        ("data problems", PROBLEM_HEADERS, problem_rows(data.problems[:PROBLEM_LIMIT])),
    ]


def write_sheets(sheets: list[tuple[str, list[str], list]], path_or_buffer) -> None:
    """Each sheet with a bold header row. rustpy-xlsxwriter (bindings to Rust's
    rust_xlsxwriter) writes the cells, 8-13x faster than xlsxwriter's per-cell Python did
    (benchmarks/report.py); it reads the rows as records, made one at a time, and streams
    them, so memory stays bounded (the lists are cut). Every text is written as text:
    identifiers never become links and a cell reading ``=HYPERLINK(…)`` never becomes a live
    formula (only its ``url_columns`` and ``formula_columns``, not used here, make either);
    numbers stay numbers (written as Excel's doubles: openpyxl reads 3 back as 3.0); an
    empty text or None leaves the cell empty."""
    rustpy_xlsxwriter.write_worksheets(
        [(title, _records(headers, rows)) for title, headers, rows in sheets],
        path_or_buffer,
        bold_headers=True,
    )


def _records(headers: list[str], rows: list) -> Iterator[dict] | pa.Table:
    """A sheet's rows as the records rustpy-xlsxwriter reads (their keys are the header
    row); a sheet without rows as a table with no rows, whose columns still name the
    headers (an empty list of records would leave the sheet without its header)."""
    if not rows:
        return pa.table({h: pa.array([], pa.string()) for h in headers})
    return (dict(zip(headers, map(_fitted, row), strict=True)) for row in rows)


EXCEL_TEXT = 32_767  # characters a cell holds (Excel's limit; the writer refuses more)


def _fitted(value):
    """A text cut to what a cell holds, ending in "…" (a sheet's ignored headers, joined,
    can run past it); anything else as it is."""
    if isinstance(value, str) and len(value) > EXCEL_TEXT:
        return value[: EXCEL_TEXT - 1] + "…"
    return value


def _summary(data: ReportData) -> list[list]:
    rows = [
        ["乡镇 (township)", data.township],
        ["村 (village)", data.village],
        ["期次 (period)", data.period],
    ]
    rows += [[LEVEL_ZH.get(key, key), value] for key, value in data.counts.items()]
    if data.changes is not None:
        rows += [[CHANGE_ZH.get(key, key), value] for key, value in data.changes.counts().items()]
    if data.ignored_columns:
        rows.append(["未识别的列 (ignored columns)", ", ".join(data.ignored_columns)])
    for label, listed, total in (
        ("措施清单 (action list)", len(data.actions), data.actions_total),
        ("数据问题 (data problems)", min(len(data.problems), PROBLEM_LIMIT), data.problem_count),
    ):
        if listed < total:
            rows.append(
                [
                    f"{label}: 仅列出最紧急的 {listed:,} 行 (most urgent rows listed)",
                    f"共 {total:,} 行；其余见 GET /v1/reviews/{{id}}/records",
                ]
            )
    return rows


ACTION_HEADERS = [
    "行 (row)",
    "编号 (person_id)",
    "姓名 (name)",
    "身份证号码 (id_number)",
    "风险等级 (level)",
    "措施 (action)",
    "责任部门 (department)",
    "时限（小时）",
    "强制报告",
    "条款 (clause)",
    "规则 (rules)",
]


PROBLEM_HEADERS = ["类别 (kind)", "行 (row)", "列 (column)", "原因 (reason)", "改法 (fix)"]


def problem_rows(problems: list[tuple]) -> list[list]:
    """(kind, row, column, reason) in Chinese, as the pages say them (models.sheets.explain)."""
    return [
        [kind_zh(kind), row, *explained_row(kind, column, reason)]
        for kind, row, column, reason in problems
    ]


CHANGE_HEADERS = [
    "变化 (change)",
    "行 (row)",
    "编号 (person_id)",
    "姓名 (name)",
    "身份证号码 (id_number)",
    "上季度",
    "本季度",
]


def _changes(data: ReportData) -> list[list]:
    if data.changes is None:
        return []
    return [
        [
            CHANGE_ZH[kind],
            entry["row"],
            entry["person_id"] or "",
            entry["name_masked"] or "",
            entry["id_masked"] or "",
            LEVEL_ZH.get(entry["from_level"], ""),
            LEVEL_ZH.get(entry["to_level"], ""),
        ]
        for kind in CHANGE_ZH
        for entry in data.changes.entries(kind, CHANGE_LIMIT)
    ]
