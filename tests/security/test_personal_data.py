"""Personal data never leaks through error text, and answers do not amplify input."""

import io

from openpyxl import load_workbook

from models.identity import quoted
from models.sheets.rows import MAX_REASON, Problem
from tests.security.conftest import is_problem, upload

ID = "340422201603150032"
ID_X = "11010519491231002X"
NAME = "王小明"
HEADER = "类别,姓名,身份证号码,年龄,近30日无故旷课天数,监护能力,最近免费体检日期\n"


def _csv(*rows: str) -> bytes:
    return (HEADER + "".join(r + "\n" for r in rows)).encode()


def test_an_identity_number_or_a_name_in_the_wrong_column_is_never_quoted(app_client):
    data = _csv(
        f"儿童,李小红,,8,{ID_X},,",  # a number typed into "days absent"
        f"儿童,李小兰,,9,,{NAME},",  # a name typed into "guardian capacity"
        f"儿童,李小华,,9,,,{ID}",  # and into a date
        "儿童,李小芳,,9,三天,,",  # an ordinary mistake stays readable
    )
    response = upload(app_client, data, "people.csv")
    assert response.status_code == 200
    reasons = [r["reason"] for r in response.json()["rejected_rows"]]
    assert reasons[0] == "'110105**********2X' is not a number"
    assert reasons[1].startswith("'王**' is not one of")
    assert reasons[2].startswith("'340422**********32' is not a date")
    assert reasons[3] == "'三天' is not a number"
    review = response.json()["review"]["id"]
    report = app_client.get(f"/v1/reviews/{review}/report.xlsx").content
    book = load_workbook(io.BytesIO(report))
    cells = [str(c.value) for s in book.worksheets for row in s.iter_rows() for c in row]
    assert not [c for c in cells if ID in c or ID_X in c or NAME in c]
    html = app_client.get(f"/v1/reviews/{review}/report.html").text
    assert ID not in html and ID_X not in html and NAME not in html
    problems = str(app_client.get(f"/v1/reviews/{review}/problems").json())
    assert ID not in problems and ID_X not in problems and NAME not in problems


def test_reasons_are_short_and_mask_digit_runs_whoever_wrote_them():
    problem = Problem(2, "x" * 5000, "see 11010519491231002X " + "y" * 5000)
    assert len(problem.reason) == MAX_REASON and "110105**********2X" in problem.reason
    assert len(problem.column) == MAX_REASON
    assert quoted("x" * 10_000) == "x" * 39 + "…"


def test_a_huge_cell_does_not_come_back_in_the_answer(app_client):
    data = _csv("儿童,李小红,,8," + "9" * 1900 + ",,")  # under the cell limit
    response = upload(app_client, data, "people.csv")
    assert response.status_code == 200 and len(response.content) < 3000


def test_millions_of_blank_lines_are_one_problem(assessor, tmp_path):
    """4 MB of blank lines: one problem, every row still counted, a small answer."""
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.settings import Settings

    settings = Settings(database_url=f"sqlite:///{tmp_path / 'b.db'}", max_review_rows=5_000_000)
    data = (
        _csv("儿童,李小红,,8,,,")
        + b",,,,,,\n" * 600_000
        + _csv("老人,张三,,70,,,")[len(HEADER.encode()) :]
    )
    assert len(data) > 4 * 10**6
    with TestClient(create_app(settings, assessor=assessor)) as client:
        response = upload(client, data, "people.csv")
        assert response.status_code == 200, response.text
        body = response.json()
        review = body["review"]
        assert (review["rows_in"], review["scored"], review["rejected"]) == (600_002, 2, 600_000)
        assert body["rejected_rows"] == [
            {"row": 3, "column": "", "reason": "blank rows 3-600002 (600000 rows)"}
        ]
        assert len(response.content) < 3000
        problems = client.get(f"/v1/reviews/{review['id']}/problems").json()
        assert [p["kind"] for p in problems].count("rejected row") == 1


def test_the_answer_lists_the_first_100_rejected_rows_and_pages_the_rest(app_client):
    data = _csv(*[f"儿童,李{i},,x{i},,," for i in range(250)])
    response = upload(app_client, data, "people.csv")
    body = response.json()
    assert body["review"]["rejected"] == 250 and len(body["rejected_rows"]) == 100
    assert body["rejected_rows_listed"] == 100
    seen, url = [], body["problems"] + "?limit=100"
    while url:
        page = app_client.get(url)
        seen += [p["row"] for p in page.json() if p["kind"] == "rejected row"]
        link = page.headers.get("link")
        url = link[1 : link.index(">")] if link else None
    assert seen == list(range(2, 252))


def test_problem_answers_are_problem_documents(app_client):
    response = upload(app_client, b"\xff\xfe\x00garbage\x00" * 10, "people.csv")
    assert response.status_code == 422 and is_problem(response)


def test_a_wrong_category_in_a_sheet_is_not_repeated(app_client):
    response = upload(
        app_client, _csv(f"{NAME},李小红,,8,,,", "=HYPERLINK(1),李,,8,,,"), "people.csv"
    )
    reasons = [r["reason"] for r in response.json()["rejected_rows"]]
    assert reasons == ["category must be one of child, elder, woman"] * 2
