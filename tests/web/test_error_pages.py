"""Errors a browser meets at a page's address are pages in Chinese, with their status: an
upload over the size limit (before the app reads it), a body over the server's limit (with
and without a declared length), a sheet over its row limit, a form the parser refuses, an
unknown address or method, the last-resort 500. The API keeps its problem documents."""

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.settings import ApiKey, Settings
from tests.web.keys import EAST, api_keys
from tests.web.test_pages import csrf, field_error, sign_in, text

MESSY = Path(__file__).resolve().parents[2] / "fixtures" / "sheets" / "messy_village.csv"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"  # Chromium's
UPLOAD_LIMIT, BODY_LIMIT = 8 * 1024, 4 * 1024


@pytest.fixture(scope="module")
def app(assessor, tmp_path_factory):
    store = tmp_path_factory.mktemp("web-errors") / "liushou.db"
    settings = Settings(
        database_url=f"sqlite:///{store}",
        api_keys=[ApiKey(**k) for k in api_keys()],
        session_secret="test-session-secret-0123456789abcdef",
        max_upload_bytes=UPLOAD_LIMIT,
        max_body_bytes=BODY_LIMIT,
        max_review_rows=5,
        max_simulation_records=5,
    )
    return create_app(settings, assessor=assessor)


@pytest.fixture
def client(app):
    with TestClient(app, headers={"accept": BROWSER}) as test_client:
        yield test_client


def heading(response) -> str:
    return re.search(r"<h1>(.*?)</h1>", response.text, re.S).group(1).strip()


def back_link(response) -> str:
    return re.search(r'<a class="button" href="([^"]+)">返回表单</a>', response.text).group(1)


def assert_page(response, status: int, form: bool = False) -> None:
    """A page, not a document, with the pages' headers; an error page all in Chinese."""
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "no-store"
    if not form:
        main = text(response).split("退出")[-1].split("依据")[0]  # the page's own words
        assert not re.search(r"[A-Za-z]{3,}", main), main


def review_form(token: str) -> dict:
    return {"csrf_token": token, "township": EAST[0], "village": EAST[1], "period": "2026Q4"}


def test_an_upload_over_the_limit_is_a_page_with_the_limit_and_the_way_back(client):
    sign_in(client, "east")
    token = csrf(client.get("/reviews/new"))
    big = b"x" * (UPLOAD_LIMIT + 1)
    response = client.post(
        "/reviews/new", data=review_form(token), files={"file": ("people.csv", big, "text/csv")}
    )
    assert_page(response, 413)
    assert heading(response) == "文件太大"
    assert "上传的文件太大：不能超过 8 KB。" in text(response)
    assert back_link(response) == "/reviews/new"
    assert "寿春镇城东村村委会" in text(response)  # still signed in: the page has its menu
    assert client.get(back_link(response)).status_code == 200  # the form, to try again


def test_a_population_over_the_limit_is_a_page_too(client):
    sign_in(client, "analyst")
    token = csrf(client.get("/analysis"))
    data = {"csrf_token": token, "source": "upload", "run": "simulate"}
    big = b"x" * (UPLOAD_LIMIT + 1)
    response = client.post("/analysis", data=data, files={"file": ("p.csv", big, "text/csv")})
    assert_page(response, 413)
    assert heading(response) == "文件太大" and back_link(response) == "/analysis"


def test_a_body_over_the_servers_limit_is_a_page_declared_or_streamed(client):
    sign_in(client, "east")
    token = csrf(client.get("/person/child"))
    declared = client.post("/person/child", data={"csrf_token": token, "age": "1" * BODY_LIMIT})
    assert_page(declared, 413)
    assert heading(declared) == "提交的内容太大"
    assert "提交的内容太大：不能超过 4 KB。" in text(declared)
    assert back_link(declared) == "/person/child"

    def chunks():  # no Content-Length: the limit counts the bytes as they come
        yield f"csrf_token={token}&age=".encode()
        for _ in range(BODY_LIMIT // 512 + 1):
            yield b"1" * 512

    streamed = client.post(
        "/person/child",
        content=chunks(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert "content-length" not in streamed.request.headers
    assert_page(streamed, 413)
    assert text(streamed) == text(declared)


def test_the_api_keeps_its_documents(client):
    sign_in(client, "east")
    big = b"x" * (UPLOAD_LIMIT + 1)
    api = client.post(
        "/v1/reviews",
        data={"township": EAST[0], "village": EAST[1], "period": "2026Q4"},
        files={"file": ("people.csv", big, "text/csv")},
    )
    assert api.status_code == 413 and api.headers["content-type"] == "application/problem+json"
    assert api.json()["limit_bytes"] == UPLOAD_LIMIT
    token = csrf(client.get("/reviews/new"))
    program = client.post(  # a program at a page's address that does not ask for HTML
        "/reviews/new",
        data=review_form(token),
        files={"file": ("people.csv", big, "text/csv")},
        headers={"accept": "application/json"},
    )
    assert program.status_code == 413 and program.json()["limit_bytes"] == UPLOAD_LIMIT


def test_a_sheet_over_the_row_limit_is_refused_beside_the_file_field(client):
    """LIUSHOU_MAX_REVIEW_ROWS holds on the page as on POST /v1/reviews (the messy sheet
    has 11 rows; the limit here is 5): the form again, what was typed kept, status 413."""
    sign_in(client, "east")
    token = csrf(client.get("/reviews/new"))
    response = client.post(
        "/reviews/new",
        data=review_form(token) | {"period": "2027Q3"},
        files={"file": (MESSY.name, MESSY.read_bytes(), "text/csv")},
    )
    assert_page(response, 413, form=True)
    error = field_error(response, "file")
    assert error == "文件太大。行数太多：一个文件最多 5 行。请分成几个文件上传。"
    assert 'value="2027Q3"' in response.text
    sign_in(client, "analyst")
    token = csrf(client.get("/analysis"))
    data = {"csrf_token": token, "source": "upload", "run": "simulate"}
    files = {"file": (MESSY.name, MESSY.read_bytes(), "text/csv")}
    response = client.post("/analysis", data=data, files=files)
    assert_page(response, 413, form=True)
    assert field_error(response, "file").startswith("文件太大。行数太多：一个文件最多 5 行")


def test_a_form_the_parser_refuses_unknown_addresses_and_methods_are_pages(client):
    sign_in(client, "east")
    token = csrf(client.get("/person/child"))
    fields = "&".join(f"f{i}=1" for i in range(300))  # over the form's 200 fields
    refused = client.post(
        "/person/child",
        content=f"csrf_token={token}&{fields}".encode(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert_page(refused, 400)
    assert heading(refused) == "无法读取提交的内容" and back_link(refused) == "/person/child"
    nowhere = client.get("/nowhere")
    assert_page(nowhere, 404)
    assert heading(nowhere) == "找不到此页面"
    method = client.get("/signout")  # a button's address, opened as a link
    assert_page(method, 405)
    assert "请从页面上的链接或按钮进入" in text(method)


def test_the_last_resort_500_is_a_page_with_the_request_id(assessor, tmp_path, monkeypatch):
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'liushou.db'}",
        api_keys=[ApiKey(**k) for k in api_keys()],
    )
    app = create_app(settings, assessor=assessor)
    with TestClient(app, headers={"accept": BROWSER}) as client:
        sign_in(client, "east")
        token = csrf(client.get("/person/child"))

        def broken(person):
            raise RuntimeError("a bug")

        monkeypatch.setattr(client.app.state.assessor, "assess_data", broken)
        response = client.post(
            "/person/child",
            data={"csrf_token": token, "age": "10"},
            headers={"x-request-id": "r-42"},
        )
    assert_page(response, 500)
    assert heading(response) == "系统出错了"
    assert "错误编号：<code>r-42</code>" in response.text
    assert response.headers["x-request-id"] == "r-42"
    assert "a bug" not in response.text and "Traceback" not in response.text
