"""Tasks as a spreadsheet and back: download my open tasks, mark them, upload the file.

    write_tasks(items, buffer)                           # xlsxwriter, a status dropdown
    outcome = import_tasks(session, caller, rules, data, now_ts=now())
    outcome.applied, outcome.unchanged, outcome.rejected  # every row in exactly one list

A row is applied (its status or note changed), unchanged (status as downloaded and no
note) or rejected with its sheet row number and the reason (an unknown task, a stale
version, a status not allowed, not_needed without a reason, …). Rows are applied one
by one with the same checks as ``PATCH /v1/tasks/{id}`` (service.tasks.update_task).
"""

import io
from dataclasses import dataclass, field

import openpyxl
import xlsxwriter

from models.sheets.files import SheetError
from service import tasks as tk

SHEET = "任务 (tasks)"
EXPORT_LIMIT = 50_000  # tasks in one downloaded sheet (API and CLI)
STATUS_ZH = {"open": "待办", "in_progress": "办理中", "done": "已办结", "not_needed": "无需办理"}
FROM_ZH = {zh: code for code, zh in STATUS_ZH.items()}
MAX_ROWS = 50_000
COLUMNS = [
    ("id", "任务编号"),
    ("version", "版本"),
    ("township", "乡镇"),
    ("village", "村"),
    ("row", "名单行号"),
    ("name_masked", "姓名"),
    ("risk_level", "风险等级"),
    ("action", "措施"),
    ("department", "牵头部门"),
    ("clause", "条款"),
    ("due_at", "办理时限"),
    ("overdue", "逾期"),
    ("escalated_to", "督办单位"),
    ("status", "状态"),
    ("note", "备注"),
]
HEADERS = [f"{zh} ({name})" for name, zh in COLUMNS]
EDITABLE = {"id", "version", "status", "note"}


# xlsxwriter's options for sheets of what people typed: a text is a text. Its defaults
# make a text that starts with "=" a live formula and a URL-like text a link (a
# village's own id reading =HYPERLINK(…) would run in the department's Excel).
TEXT_ONLY = {"strings_to_urls": False, "strings_to_formulas": False}


class TaskSheetError(SheetError):
    """The upload is not a tasks sheet (unreadable, wrong columns, too many rows)."""


def write_tasks(items, out) -> int:
    """Write the tasks (dicts from service.tasks) to ``out`` (a path or a buffer); the
    status column has a dropdown of the statuses a person may set. Returns the count."""
    book = xlsxwriter.Workbook(out, {"in_memory": True, **TEXT_ONLY})
    sheet = book.add_worksheet(SHEET)
    bold = book.add_format({"bold": True})
    sheet.write_row(0, 0, HEADERS, bold)
    status_col = [name for name, _ in COLUMNS].index("status")
    count = 0
    for count, item in enumerate(items, start=1):
        values = {**item, "status": STATUS_ZH.get(item["stored_status"], item["stored_status"])}
        values["note"] = ""
        values["overdue"] = "是" if item["overdue"] else "否"
        sheet.write_row(count, 0, [_cell(values.get(name)) for name, _ in COLUMNS])
    sheet.data_validation(
        1,
        status_col,
        max(count, 1) + 200,
        status_col,
        {"validate": "list", "source": list(STATUS_ZH.values())},
    )
    sheet.freeze_panes(1, 0)
    book.close()
    return count


def _cell(value):
    return "" if value is None else value


@dataclass
class ImportOutcome:
    rows: int = 0
    applied: list[dict] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    rejected: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "rows": self.rows,
            "applied": self.applied,
            "unchanged": len(self.unchanged),
            "rejected": self.rejected,
        }


def read_rows(data: bytes) -> list[tuple[int, dict]]:
    """(sheet row number, {id, version, status, note}) of every non-blank row."""
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a bad file
        raise TaskSheetError(f"not an .xlsx file ({type(exc).__name__})") from None
    sheet = book[SHEET] if SHEET in book.sheetnames else book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = [str(h or "").strip() for h in next(rows, ())]
    where = {name: _find(header, name, zh) for name, zh in COLUMNS if name in EDITABLE}
    missing = [f"{zh} ({name})" for name, zh in COLUMNS if name in EDITABLE and where[name] is None]
    if missing:
        raise TaskSheetError(f"missing column(s): {', '.join(missing)}")
    out = []
    for number, values in enumerate(rows, start=2):
        if all(v in (None, "") for v in values):
            continue
        if len(out) >= MAX_ROWS:
            raise TaskSheetError(f"more than {MAX_ROWS} rows: split the file")
        cells = {name: values[i] if i < len(values) else None for name, i in where.items()}
        out.append((number, cells))
    book.close()
    return out


def _find(header: list[str], name: str, zh: str) -> int | None:
    for i, text in enumerate(header):
        if text in (f"{zh} ({name})", zh, name):
            return i
    return None


def _whole(value, label: str) -> int:
    if isinstance(value, bool) or value in (None, ""):
        raise tk.TaskInvalid(label, "is empty")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise tk.TaskInvalid(label, "is not a number") from None
    if not number.is_integer() or not 1 <= number <= 2**31 - 1:
        raise tk.TaskInvalid(label, "is not a task number")
    return int(number)


def _status(value) -> str:
    text = str(value or "").strip()
    return FROM_ZH.get(text, text)


def import_tasks(session, caller, rules, data: bytes, *, now_ts: int) -> ImportOutcome:
    """Apply every row of an uploaded tasks sheet (see the module docstring)."""
    outcome = ImportOutcome()
    for number, cells in read_rows(data):
        outcome.rows += 1
        try:
            task_id = _whole(cells["id"], "任务编号 (id)")
            version = _whole(cells["version"], "版本 (version)")
            status = _status(cells["status"])
            note = str(cells["note"] or "").strip()
            current = tk.get_task(session, caller, rules, task_id, now_ts=now_ts)
            if status == current["stored_status"] and not note and version == current["version"]:
                outcome.unchanged.append(number)
                continue
            done = tk.update_task(
                session, caller, rules, task_id,
                status=status, note=note, version=version, now_ts=now_ts,
            )  # fmt: skip
        except tk.TaskError as exc:
            session.rollback()
            outcome.rejected.append({"row": number, "reason": str(exc)})
            continue
        outcome.applied.append({"row": number, "task_id": task_id, "status": done["stored_status"]})
    return outcome
