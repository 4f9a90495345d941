"""The village review from a spreadsheet: every row scored or rejected with its row and reason."""

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook
from typer.testing import CliRunner

from models.sheets.files import SheetError, load_sheet, template
from service.cli import app
from service.report_data import from_result
from service.report_xlsx import write_report
from service.review import review

MESSY = Path(__file__).resolve().parents[2] / "fixtures" / "sheets" / "messy_village.csv"
PLACE = {"township": "寿春镇", "village": "城东村", "period": "2026Q4"}


@pytest.fixture(scope="module")
def messy(assessor):
    return review(load_sheet(MESSY.read_bytes(), MESSY.name), assessor, **PLACE)


def test_every_row_is_scored_or_rejected(messy):
    assert messy.rows_in == 11
    assert messy.scored + len(messy.rejected) == messy.rows_in
    assert messy.people["row"].tolist() == [2, 6, 9, 10, 11]


def test_rejections_name_row_column_and_reason(messy):
    by_row = {p.row: p for p in messy.rejected}
    assert by_row[3].column == "近30日无故旷课天数 (unexcused_absence_days)"
    assert "'三天' is not a number" in by_row[3].reason
    assert by_row[4].reason == by_row[12].reason == "blank row"
    assert "is not a date" in by_row[5].reason
    assert "check digit" in by_row[7].reason and "id_number" in by_row[7].column
    assert "'在外' is not one of" in by_row[8].reason


def test_unknown_headers_are_reported(messy):
    assert messy.ignored_columns == ["村民小组"]


def test_policy_outcomes_of_the_scored_rows(messy):
    by_row = {row: messy.assessment(i) for i, row in enumerate(messy.people["row"])}
    assert by_row[2]["risk_level"] == "critical"  # 10-year-old living alone (3.1.4)
    assert by_row[2]["interventions"][0]["department"] == "county_public_security"
    assert by_row[6]["risk_level"] == "high"  # poor, half-disabled elder (3.2.4)
    assert by_row[11]["risk_level"] == "medium"  # guardian of limited capacity (3.1.2)
    assert messy.counts()["critical"] == 1


def test_data_quality_lists(messy):
    quality = messy.quality
    assert [p.row for p in quality.invalid_ids] == [7]
    assert [p.row for p in quality.age_conflicts] == [10]  # an "elder" of 55
    assert {p.row for p in quality.missing_values} == {6, 10}


def test_gaps_of_gives_the_missing_values_the_review_gives(messy, assessor):
    # models.quality.gaps_of (the Spark review's) and the review's own list of data gaps
    from models.quality import check_quality, gaps_of
    from rules.facts import category_ages

    rows = messy.people["row"].to_numpy()
    gaps = gaps_of(rows, messy.assessed.pattern, messy.assessed.patterns)
    bounds = category_ages(assessor.ruleset.values)
    quality = check_quality(messy.people, messy.rejected, (), gaps, bounds)
    assert quality.missing_values == messy.quality.missing_values
    assert quality.age_conflicts == messy.quality.age_conflicts
    assert quality.invalid_ids == messy.quality.invalid_ids
    assert len(quality.missing_values) == 2 and "; " in quality.missing_values[1].column


def test_duplicate_identity_numbers_keep_the_first_row(assessor):
    frame = pd.DataFrame(
        {
            "类别": ["老人", "老人", "老人"],
            "身份证号码": ["342422194503020133", "342422194503020133", "342422193807160245"],
        }
    )
    result = review(frame, assessor, **PLACE)
    assert result.people["row"].tolist() == [2, 4]
    assert [(p.row, p.reason) for p in result.quality.duplicates] == [
        (3, "duplicate identity number (first on row 2)")
    ]
    assert result.rows_in == result.scored + len(result.rejected) == 3


def test_xlsx_with_an_identity_number_stored_as_a_number(assessor, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["category", "id_number", "age", "lives_alone"])
    sheet.append(["child", None, 10, "是"])
    sheet.append(["elder", float(342422194503020133), None, None])  # what Excel stores
    path = tmp_path / "v.xlsx"
    book.save(path)
    result = review(load_sheet(path.read_bytes(), path.name), assessor, **PLACE)
    assert result.rows_in == 2 and result.scored == 1
    assert "lost digits" in {p.row: p for p in result.rejected}[3].reason


def test_gb18030_csv(assessor):
    data = "类别,年龄,外出流浪乞讨\n老人,70,是\n".encode("gb18030")
    result = review(load_sheet(data, "v.csv"), assessor, **PLACE)
    assert result.assessment(0)["risk_level"] == "critical"


def test_not_a_spreadsheet():
    with pytest.raises(SheetError, match=r"\.csv or \.xlsx"):
        load_sheet(b"x", "people.pdf")


def test_bad_period(assessor):
    with pytest.raises(ValueError, match="2026Q4"):
        review(pd.DataFrame({"类别": ["儿童"]}), assessor, township="t", village="v", period="Q4")


def test_report_masks_personal_data_unless_asked(messy):
    masked, shown = io.BytesIO(), io.BytesIO()
    write_report(from_result(messy), masked)
    write_report(from_result(messy, show_personal=True), shown)
    masked_text = _all_cells(masked)
    assert "王小明" not in masked_text and "340422201603150032" not in masked_text
    assert "王**" in masked_text and "340422**********32" in masked_text
    assert "王小明" in _all_cells(shown)


def test_action_list_is_sorted_by_urgency(messy):
    buffer = io.BytesIO()
    write_report(from_result(messy), buffer)
    rows = list(load_workbook(buffer)["actions"].iter_rows(min_row=2, values_only=True))
    levels = [row[4] for row in rows]
    order = {"紧急": 0, "高": 1, "中": 2, "低": 3}
    assert levels == sorted(levels, key=order.get)
    assert rows[0][5] == "第一时间向公安机关强制报告" and rows[0][8] == "是"


def _all_cells(buffer) -> str:
    book = load_workbook(buffer)
    return "\n".join(str(v) for ws in book for row in ws.iter_rows(values_only=True) for v in row)


def test_template_lists_allowed_values_with_dropdowns(tmp_path):
    path = tmp_path / "people.xlsx"
    template(path)
    book = load_workbook(path)
    headers = [c.value for c in book["people"][1]]
    assert headers[0] == "类别 (category)" and "父亲状况 (father_status)" in headers
    allowed = {
        row[1]: row[2] for row in book["allowed values"].iter_rows(min_row=2, values_only=True)
    }
    assert "外出务工（migrant）" in allowed["father_status"]
    assert allowed["lives_alone"] == "是 / 否"
    assert book["people"].data_validations.dataValidation


def test_template_endpoint(client):
    response = client.get("/v1/templates/people.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book["people"]["A1"].value == "类别 (category)"


def test_cli_review(tmp_path):
    out = tmp_path / "report.xlsx"
    args = [
        "review",
        str(MESSY),
        "--township",
        "寿春镇",
        "--village",
        "城东村",
        "--period",
        "2026Q4",
        "--out",
        str(out),
    ]
    env = {"LIUSHOU_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}"}  # not the working dir
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    assert "rows_in 11, scored 5, rejected 6, critical 1" in result.stdout
    assert (tmp_path / "store.db").exists()
    assert load_workbook(out)["summary"]["B2"].value == "寿春镇"
    bad = CliRunner().invoke(app, [*args[:6], "--period", "Q4", "--out", str(out)])
    assert bad.exit_code == 2 and "2026Q4" in bad.output


def test_a_sheet_read_in_pieces_gives_the_same_review(assessor, tmp_path):
    from fixtures.population import population, with_identities
    from models.sheets.files import count_rows, sheet_chunks
    from tests.models.test_sheet_bulk import as_sheet

    frame = as_sheet(with_identities(population(2500, seed=4), seed=4))
    frame.iloc[1800] = frame.iloc[10]  # a duplicate in a later piece
    frame.iat[2100, frame.columns.get_loc("age")] = "abc"  # a bad cell
    path = tmp_path / "people.csv"
    frame.to_csv(path, index=False)
    whole = review(load_sheet(path.read_bytes(), path.name), assessor, **PLACE)
    pieces = review(sheet_chunks(path, path.name, rows=700), assessor, **PLACE)
    assert count_rows(path, path.name) == 2500
    assert pieces.counts() == whole.counts() and pieces.rows_in == 2500
    assert pieces.people["row"].tolist() == whole.people["row"].tolist()
    assert pieces.levels.tolist() == whole.levels.tolist()
    for i in range(pieces.scored):  # what the review keeps of each person, whole
        assert pieces.assessment(i) == whole.assessment(i), pieces.people["row"][i]
    for (kind, a), (_, b) in zip(pieces.problem_lists(), whole.problem_lists(), strict=True):
        assert [(p.row, p.reason) for p in a] == [(p.row, p.reason) for p in b], kind
    assert [p.row for p in pieces.quality.duplicates] == [1802]
    assert 2102 in [p.row for p in pieces.rejected]


def test_reports_list_the_most_urgent_first_up_to_a_limit(messy, monkeypatch):
    from service import report_data

    full = from_result(messy)
    monkeypatch.setattr(report_data, "ACTION_LIMIT", 3)
    cut = from_result(messy)
    assert cut.actions == full.actions[:3] and cut.actions_total == full.actions_total > 3
    buffer = io.BytesIO()
    write_report(cut, buffer)
    summary = [row[0] for row in load_workbook(buffer)["summary"].iter_rows(values_only=True)]
    assert any("仅列出最紧急的 3 行" in str(cell) for cell in summary)


def test_category_ages_come_from_the_parameters(assessor):
    """A child is under child.age_limit (16), an elder at least elder.age (60), a woman at
    least woman.adult_age (18): the data-quality bounds are the rules' own parameters."""
    from rules.facts import category_ages

    values = assessor.ruleset.values
    assert category_ages(values) == {"child": (0, 15), "elder": (60, 130), "woman": (18, 130)}
    sheet = pd.DataFrame(
        {
            "category": ["child", "child", "elder", "elder", "woman"],
            "age": [15, 16, 60, 59, 17],
        }
    )
    buffer = io.BytesIO()
    sheet.to_csv(buffer, index=False)
    result = review(load_sheet(buffer.getvalue(), "people.csv"), assessor, **PLACE)
    conflicts = {p.row: p.reason for p in result.quality.age_conflicts}
    assert sorted(conflicts) == [3, 5, 6]  # sheet rows: the 16-year-old, the 59, the 17
    assert conflicts[3] == "age 16 contradicts category child (0-15)"
    lower = category_ages({**values, "child.age_limit": 14})
    assert lower["child"] == (0, 13)


def test_reports_say_the_data_problems_in_the_pages_chinese(messy):
    """The XLSX and HTML reports' data problems: kind, row, column (the template's header)
    and reason in Chinese, in the words of the review page (models.sheets.explain)."""
    from html import escape

    from models.sheets.explain import explain
    from service.report_html import render_html

    data = from_result(messy)
    buffer = io.BytesIO()
    write_report(data, buffer)
    sheet = load_workbook(buffer)["data problems"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("类别 (kind)", "行 (row)", "列 (column)", "原因 (reason)", "改法 (fix)")
    by_row = {(r[0], r[1]): r[2:] for r in rows[1:]}
    assert by_row[("退回的行", 3)] == (
        "近30日无故旷课天数",
        "不是数字：“三天”",
        "请填写数字（如 3），不要写汉字或单位",
    )
    assert by_row[("退回的行", 4)] == (None, "空行", "可以删除")  # openpyxl reads "" as None
    assert by_row[("年龄与类别不符", 10)][1] == "55 岁与类别“老人”不符（应为 60–130 岁）"
    assert len(by_row) == len(data.problems)
    for reason in (r[3] for r in rows[1:]):
        assert reason and not any(w in reason for w in ("is not", "unknown", "contradicts")), reason
    html = render_html(data)
    for kind, _, column, stored in data.problems:  # the same words in the HTML report
        for said in explain(kind, column, stored):
            assert escape(said.reason) in html, said.reason
    assert "is not a number" not in html and "unknown, needed" not in html


def test_duplicates_across_pieces_name_the_first_row_of_any_piece():
    """A number seen in an earlier piece names the sheet row it was first on there,
    whether that piece spans fewer than 65,536 rows (its rows kept as two-byte offsets)
    or more (four-byte offsets); a number within a piece is found exactly."""
    from service.review import Duplicates

    def piece(first_row: int, numbers: list) -> pd.DataFrame:
        rows = np.arange(first_row, first_row + len(numbers))
        return pd.DataFrame({"row": rows, "id_number": np.array(numbers, dtype=object)})

    duplicates = Duplicates()
    big = [f"N{i:07d}" for i in range(70_000)]  # rows 2-70001: offsets past 65,535
    keep, found = duplicates.split(piece(2, big))
    assert keep.all() and found == []
    small = ["S1", "S2", None, "S3"]  # rows 70002-70005
    keep, found = duplicates.split(piece(70_002, small))
    assert keep.all() and found == []
    assert [k.dtype for _, k, _ in duplicates.pieces] == [np.uint32, np.uint16]
    later = ["S3", "N0069999", "N0000000", "new", None, "new", "S1"]  # rows 80000-80006
    keep, found = duplicates.split(piece(80_000, later))
    assert keep.tolist() == [False, False, False, True, True, False, False]
    assert [(p.row, p.reason) for p in found] == [
        (80000, "duplicate identity number (first on row 70005)"),
        (80001, "duplicate identity number (first on row 70001)"),
        (80002, "duplicate identity number (first on row 2)"),
        (80005, "duplicate identity number (first on row 80003)"),
        (80006, "duplicate identity number (first on row 70002)"),
    ]
