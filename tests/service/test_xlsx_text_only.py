"""Exports of what people typed keep every text a text: no formula, no link (a township or
a village reading =HYPERLINK(…) must not run in a department's Excel)."""

import io

from openpyxl import load_workbook

from service.supervision import write_supervision_xlsx
from service.tasks_xlsx import COLUMNS, write_tasks

TYPED = ["=1+1", '=HYPERLINK("http://x.example","点")', "@SUM(A1)", "https://x.example/a"]


def _cells(data: bytes) -> list:
    book = load_workbook(io.BytesIO(data))
    return [cell for sheet in book for row in sheet.iter_rows() for cell in row]


def test_tasks_sheet_writes_typed_text_as_text():
    items = [
        {name: None for name, _ in COLUMNS}
        | {"village": text, "township": text, "stored_status": "open", "overdue": False}
        for text in TYPED
    ]
    out = io.BytesIO()
    assert write_tasks(items, out) == len(TYPED)
    cells = _cells(out.getvalue())
    found = [c.value for c in cells if c.value in TYPED]
    assert sorted(found) == sorted(TYPED * 2)
    assert all(c.data_type == "s" for c in cells if c.value in TYPED)
    assert not any(c.hyperlink for c in cells)


def test_supervision_sheet_writes_typed_text_as_text():
    report = {
        "by_department": [],
        "by_township": [],
        "villages_with_overdue_critical": [
            {"township": t, "village": t, "overdue_critical": 2, "oldest_due_at": "2026-12-01"}
            for t in TYPED
        ],
    }
    cells = _cells(write_supervision_xlsx(report))
    typed = [c for c in cells if c.value in TYPED]
    assert len(typed) == 2 * len(TYPED) and all(c.data_type == "s" for c in typed)
    assert not any(c.hyperlink for c in cells)
