"""The web pages through the ASGI app (no browser): sign-in, session cookie, CSRF,
scope by role and village, the review, the person form, the analyst's form."""

import logging
import re
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.settings import ApiKey, Settings
from service.web.session import COOKIE
from tests.web.keys import EAST, WEST, api_keys, secret

MESSY = Path(__file__).resolve().parents[2] / "fixtures" / "sheets" / "messy_village.csv"
ID_NUMBER = "340422201603150032"  # row 2 of the messy sheet (a 10-year-old living alone)


@pytest.fixture(scope="module")
def app(assessor, tmp_path_factory):
    store = tmp_path_factory.mktemp("web") / "liushou.db"
    settings = Settings(
        database_url=f"sqlite:///{store}",
        api_keys=[ApiKey(**k) for k in api_keys()],
        session_secret="test-session-secret-0123456789abcdef",
    )
    return create_app(settings, assessor=assessor)


@pytest.fixture
def client(app):
    with TestClient(app) as test_client:
        yield test_client


def csrf(page) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def sign_in(client, who: str):
    form = client.get("/signin")
    response = client.post(
        "/signin",
        data={"csrf_token": csrf(form), "api_key": secret(who)},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/"
    return response


def upload(client, place=EAST, period="2026Q4") -> int:
    form = client.get("/reviews/new")
    response = client.post(
        "/reviews/new",
        data={
            "csrf_token": csrf(form),
            "township": place[0],
            "village": place[1],
            "period": period,
        },
        files={"file": (MESSY.name, MESSY.read_bytes(), "text/csv")},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


def rejected_rows(page) -> dict[str, list[tuple[str, str, str]]]:
    """The rejected-rows table: {row: [(column, reason, fix), …]} (a row per refused cell)."""
    table = re.search(r'<table class="rejected">.*?</table>', page.text, re.S).group(0)
    rows: dict[str, list] = {}
    for number, column, reason, fix in re.findall(
        r'<tr data-row="(\d*)"><td>\d*</td><td>([^<]*)</td><td><span class="reason">([^<]*)'
        r'</span>(?:<span class="fix">([^<]*)</span>)?</td></tr>',
        table,
    ):
        rows.setdefault(number, []).append((column, reason.replace("&#34;", '"'), fix))
    assert table.count("<tr data-row=") == sum(len(v) for v in rows.values())
    return rows


def field_error(response, field_id: str) -> str:
    """The error shown beside a field (without the words for screen readers)."""
    found = re.search(rf'id="f-{field_id}-error">(.*?)</p>', response.text, re.S)
    assert found, f"no error beside {field_id}"
    return re.sub(r"<[^>]+>", "", found.group(1)).replace("错误：", "").strip()


def summary_of(response) -> str:
    return text(response).split("请改正以下问题", 1)[1].split("参数模拟", 1)[0]


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.text))


def test_pages_need_a_sign_in(client):
    for path in ("/", "/reviews", "/reviews/1", "/person/child", "/analysis"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/signin", path


def test_session_cookie_is_signed_httponly_samesite_with_an_expiry(client):
    response = sign_in(client, "east")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Max-Age=28800" in cookie
    assert secret("east") not in cookie  # the key itself is never in the cookie
    assert "城东村" in text(client.get("/"))
    tampered = client.cookies[COOKIE][:-2] + "xx"
    client.cookies.clear()
    client.cookies.set(COOKIE, tampered)  # not signed in
    assert client.get("/", follow_redirects=False).status_code == 303


def test_a_wrong_key_is_an_error_at_the_top_and_beside_the_field(client):
    form = client.get("/signin")
    response = client.post("/signin", data={"csrf_token": csrf(form), "api_key": "guess"})
    assert response.status_code == 400
    assert 'class="error-summary"' in response.text and 'href="#f-api_key"' in response.text
    assert 'id="f-api_key-error"' in response.text and "密钥不正确" in response.text
    assert "guess" not in response.text  # what was typed is not shown back
    assert client.get("/", follow_redirects=False).headers["location"] == "/signin"


def test_every_form_needs_its_csrf_token(client):
    response = client.post("/signin", data={"api_key": secret("east")})
    assert response.status_code == 403 and "页面已过期" in response.text
    sign_in(client, "east")
    for path in ("/reviews/new", "/person/child", "/signout"):
        response = client.post(path, data={"csrf_token": "forged"})
        assert response.status_code == 403, path
    assert client.get("/", follow_redirects=False).status_code == 200  # still signed in


def test_the_csrf_token_changes_at_sign_in(client):
    before = csrf(client.get("/signin"))
    sign_in(client, "east")
    assert csrf(client.get("/")) != before


def test_a_session_expires(assessor, tmp_path):
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'liushou.db'}",
        api_keys=[ApiKey(**k) for k in api_keys()],
        session_hours=1 / 3600,  # one second
    )
    with TestClient(create_app(settings, assessor=assessor)) as client:
        sign_in(client, "east")
        assert client.get("/", follow_redirects=False).status_code == 200
        time.sleep(2.1)
        assert client.get("/", follow_redirects=False).headers["location"] == "/signin"


def test_sign_out_ends_the_session(client):
    sign_in(client, "east")
    response = client.post("/signout", data={"csrf_token": csrf(client.get("/"))})
    assert response.status_code == 200  # followed to the sign-in page
    assert "登录" in response.text
    assert client.get("/reviews", follow_redirects=False).headers["location"] == "/signin"


def test_village_upload_shows_counts_rejected_rows_and_actions(client):
    sign_in(client, "east")
    review = upload(client)
    page = client.get(f"/reviews/{review}")
    body = text(page)
    assert "名单共 11 行：已评估 5 人，退回 6 行" in body
    counts = dict(re.findall(r'data-level="(\w+)">(\d+)<', page.text))
    assert counts == {"critical": "1", "high": "1", "medium": "1", "low": "2"}
    rejected = rejected_rows(page)
    assert rejected == {
        "3": [
            ("近30日无故旷课天数", "不是数字：“三天”", "改法：请填写数字（如 3），不要写汉字或单位")
        ],
        "4": [("整行", "空行", "改法：可以删除")],
        "5": [("最近免费体检日期", "不是日期：“2026/13/01”", "改法：日期请写成 2026-11-28 的样子")],
        "7": [
            (
                "身份证号码",
                "不是有效的身份证号码：最后一位校验码不符（号码录错或少录）",
                "改法：请与户口簿或身份证核对",
            )
        ],
        "8": [
            (
                "母亲状况",
                "不在可选值中：“在外”；可选 在家、外出务工、去世、无监护能力、失踪、服刑、不详",
                "改法：请从下拉选项中选择",
            )
        ],
        "12": [("整行", "空行", "改法：可以删除")],
    }
    assert not re.search(r"[A-Za-z]{3,}", "".join(str(r) for r in rejected.values()))  # no English
    others = re.search(r'aria-labelledby="problems".*?</table>', page.text, re.S).group(0)
    assert "缺少安全评估所需的信息" in others and "未填写，安全评估需要这一项" in others
    assert "年龄与类别不符" in others and "55 岁与类别“老人”不符（应为 60–130 岁）" in others
    assert "unknown" not in others and "contradicts" not in others
    assert "新增 2 人" in body  # the village's first quarter: everyone is new
    assert ID_NUMBER not in page.text and "王小明" not in page.text  # masked: 王**
    actions = client.get(f"/reviews/{review}/actions")
    first = text(actions).split("紧急", 2)[2][:200]  # after the filter links: the first action
    assert "王**" in first and "第一时间向公安机关强制报告" in first and "县公安局" in first
    assert "立即" in first
    critical = client.get(f"/reviews/{review}/actions?level=critical")
    # the child living alone whom nobody looks after: report, police response, parents
    # ordered back, temporary care, evaluation, parents contacted, township notified,
    # a guardian designated (3.1.4-3.1.6, 3.1.2)
    assert re.search(r'id="action-total">(\d+)<', critical.text).group(1) == "8"
    report = client.get(f"/reviews/{review}/report.xlsx")
    assert report.status_code == 200 and report.content[:2] == b"PK"


def test_a_village_key_reviews_its_own_village_whatever_is_posted(client):
    sign_in(client, "east")
    review = upload(client, place=WEST)
    assert "寿春镇城东村 2026Q4" in text(client.get(f"/reviews/{review}"))


def test_another_villages_review_is_a_404_by_url(client):
    sign_in(client, "west")
    west = upload(client, place=WEST, period="2026Q3")
    client.cookies.clear()
    sign_in(client, "east")
    for path in ("", "/actions", "/actions?level=critical", "/report.xlsx"):
        response = client.get(f"/reviews/{west}{path}")
        assert response.status_code == 404 and "找不到此页面" in response.text, path
    assert "城西村" not in text(client.get("/reviews"))
    response = client.post(
        "/analysis",
        data={"csrf_token": csrf(client.get("/")), "source": "review", "review_id": str(west)},
    )
    assert response.status_code == 403  # a village key does not simulate at all
    assert client.get("/reviews/99999999999").status_code == 404
    assert client.get("/reviews/0").status_code == 404


def test_analysts_read_every_review_but_upload_none(client):
    sign_in(client, "system")
    review = upload(client, place=WEST, period="2026Q2")
    client.cookies.clear()
    sign_in(client, "analyst")
    assert "寿春镇城西村 2026Q2" in text(client.get(f"/reviews/{review}"))
    assert client.get("/reviews/new").status_code == 403
    response = client.post("/reviews/new", data={"csrf_token": csrf(client.get("/"))})
    assert response.status_code == 403 and "没有权限" in response.text


def test_upload_errors_are_listed_and_beside_their_fields(client):
    sign_in(client, "system")
    form = client.get("/reviews/new")
    response = client.post(
        "/reviews/new",
        data={"csrf_token": csrf(form), "township": "", "village": "城东村", "period": "2026-4"},
    )
    assert response.status_code == 400
    summary = response.text.split('class="error-summary"')[1].split("</div>")[0]
    assert 'href="#f-township"' in summary and 'href="#f-period"' in summary
    assert 'href="#f-file"' in summary and 'href="#f-village"' not in summary
    assert 'id="f-period-error"' in response.text and "2026Q4" in response.text
    bad = client.post(
        "/reviews/new",
        data={
            "csrf_token": csrf(form),
            "township": "寿春镇",
            "village": "城东村",
            "period": "2026Q4",
        },
        files={"file": ("people.xlsx", b"not a workbook", "application/octet-stream")},
    )
    assert bad.status_code == 422 and "无法读取此文件" in bad.text


def test_person_form_is_generated_from_the_contract(client):
    sign_in(client, "east")
    form = client.get("/person/child").text
    assert '<label for="f-guardian_type">实际监护人</label>' in form
    options = re.search(r'<select id="f-father_status".*?</select>', form, re.S).group(0)
    assert '<option value="">不详</option>' in options and ">外出务工<" in options
    assert 'value="unknown"' not in options  # 不详 is the empty choice
    assert 'id="f-name"' not in form  # a name is never asked
    assert client.get("/person/robot").status_code == 404


def test_person_assessment_shows_level_policy_actions_and_gaps(client, caplog):
    sign_in(client, "east")
    token = csrf(client.get("/person/child"))
    fields = {
        "id_number": ID_NUMBER,
        "father_status": "migrant",
        "mother_status": "migrant",
        "guardian_type": "none",
        "guardian_capacity": "none",
        "lives_alone": "true",
    }
    with caplog.at_level(logging.DEBUG):
        response = client.post("/person/child", data={"csrf_token": token, **fields})
    assert response.status_code == 200
    body = text(response)
    assert "风险等级 紧急" in body
    assert "不满十六周岁儿童脱离监护单独居住生活" in body and "第 3.1.4 条" in body
    policy = client.app.state.assessor.ruleset.rule("child.lives_alone").text
    assert policy[:20] in response.text  # the policy's sentence, not only its title
    assert "强制报告 第一时间向公安机关强制报告 谁负责 县公安局 配合 村(居)民委员会" in body
    assert ID_NUMBER not in caplog.text  # nothing typed reaches the logs
    assert all(ID_NUMBER not in str(r.url) for r in response.history)


def test_person_form_errors_in_chinese_beside_the_field(client):
    sign_in(client, "east")
    token = csrf(client.get("/person/elder"))
    response = client.post(
        "/person/elder",
        data={"csrf_token": token, "age": "七十", "children_count": "500", "self_care": "zzz"},
    )
    assert response.status_code == 400
    assert 'href="#f-age"' in response.text and "年龄请填写数字" in response.text
    assert 'id="f-self_care-error"' in response.text and "请从列表中选择" in response.text
    response = client.post(
        "/person/elder", data={"csrf_token": token, "age": "70", "children_count": "500"}
    )
    assert 'id="f-children_count-error"' in response.text and "超出范围 0–100" in response.text
    assert 'value="70"' in response.text  # what was typed is kept for the correction


def test_analyst_simulates_a_stored_review_with_a_parameter(client):
    sign_in(client, "east")
    review = upload(client, period="2027Q1")
    client.cookies.clear()
    sign_in(client, "analyst")
    form = client.get("/analysis")
    assert "income.subsistence_line；单位 元/年；范围 1000–30000；现行值 7800" in form.text
    assert "child.age_limit" not in form.text  # fixed by the policy: not offered
    data = {
        "csrf_token": csrf(form),
        "source": "review",
        "review_id": str(review),
        "run": "simulate",
        "p:income.subsistence_line": "5000",
    }
    response = client.post("/analysis", data=data)
    assert response.status_code == 200, text(response)[:500]
    table = re.search(r'<table id="transition-table">.*?</table>', response.text, re.S).group(0)
    rows = re.findall(r"<tr><th scope=\"row\">([^<]+)</th>(.*?)</tr>", table)
    cells = {level: re.findall(r">(\d+)<", row) for level, row in rows}
    assert sum(int(n) for row in cells.values() for n in row) == 5  # the review's 5 people
    assert cells["紧急"] == ["0", "0", "0", "1"]  # critical stays critical: the policy's floor
    # the half-disabled elder with 6,000 元 is no longer poor under a line of 5,000 (3.2.4)
    assert cells["高"] == ["0", "1", "0", "0"]
    assert 'id="changed-count">1<' in response.text
    moved = re.findall(
        r"<li>(elder\.points\.income_[a-z_]+)（第 [\d.]+ 条）：(\d) → (\d)</li>", response.text
    )
    assert moved == [
        ("elder.points.income_below_line", "1", "0"),
        ("elder.points.income_low", "0", "1"),
    ]
    high = client.app.state.assessor.ruleset.parameters["score.elder.high"]
    refused = client.post("/analysis", data={**data, "p:score.elder.high": "500"})
    assert refused.status_code == 400
    error = field_error(refused, "p-score-elder-high")
    assert error == f"500 超出范围 {high.min}–{high.max}（单位：分）"
    assert error in summary_of(refused)  # listed at the top too, as a link to the field
    swept = {**data, "run": "sweep", "sweep_parameter": "score.elder.high"}
    swept |= {"sweep_start": "1", "sweep_stop": "100", "sweep_step": "0.1"}
    refused = client.post("/analysis", data=swept)
    assert refused.status_code == 400
    assert field_error(refused, "sweep_step").startswith("取值太多（991 个；一次最多 200 个）")
    refused = client.post("/analysis", data={**data, "p:score.elder.high": "3.5"})
    assert field_error(refused, "p-score-elder-high") == "请填写整数（单位：分）"
    refused = client.post("/analysis", data={**data, "p:score.elder.high": "5 percent"})
    assert field_error(refused, "p-score-elder-high") == "单位不对：只填数字，单位是分"
    refused = client.post("/analysis", data={**data, "p:income.subsistence_line": "很多"})
    assert field_error(refused, "p-income-subsistence_line") == "请填写数字（单位：元/年）"
    for answer in (refused, client.post("/analysis", data=swept)):
        assert not re.search(r"outside|whole number|not a number|values; a sweep", answer.text)


def test_open_access_on_localhost_needs_no_sign_in(assessor, tmp_path):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'liushou.db'}")
    with TestClient(create_app(settings, assessor=assessor)) as client:
        assert client.get("/signin", follow_redirects=False).headers["location"] == "/"
        home = client.get("/")
        assert home.status_code == 200 and "本机开放使用" in home.text
        assert 'href="/analysis"' in home.text and 'href="/reviews/new"' in home.text
        review = upload(client)
        assert "名单共 11 行" in text(client.get(f"/reviews/{review}"))
        response = client.post("/person/child", data={"age": "10"})
        assert response.status_code == 403  # open, but the CSRF check still holds


def test_pages_carry_security_headers(client):
    sign_in(client, "east")
    headers = client.get("/").headers
    assert "default-src 'self'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["cache-control"] == "no-store" and headers["x-content-type-options"] == "nosniff"


def test_the_session_secret_is_shared_by_workers_or_refused():
    from pydantic import ValidationError

    from service.web.session import session_secret

    keys = [ApiKey(**k) for k in api_keys()]
    with pytest.raises(ValidationError, match="LIUSHOU_SESSION_SECRET"):
        Settings(workers=2, api_keys=keys)
    shared = Settings(workers=2, api_keys=keys, person_key_secret="a" * 40)
    assert session_secret(shared) == session_secret(shared)  # the same in every worker
    assert session_secret(shared) != b"a" * 40  # derived for its own purpose, not the same key
    development = Settings()
    assert session_secret(development) != session_secret(development)  # random per process
    assert session_secret(Settings(session_secret="s" * 32)) == b"s" * 32


def test_page_lists_are_the_reports_lists(client):
    """The pages' column-wise reads give the XLSX report's rows, in the same order."""
    from sqlmodel import Session, select

    from fixtures.population import population
    from models.review_tables import Review, ReviewProblem
    from service.report_data import from_store
    from service.store import records_of
    from service.web.review_data import page_actions, page_problems

    sign_in(client, "system")
    form = client.get("/reviews/new")
    response = client.post(
        "/reviews/new",
        data={
            "csrf_token": csrf(form),
            "township": "安丰镇",
            "village": "一村",
            "period": "2026Q4",
        },
        files={"file": ("people.csv", population(300, seed=5).to_csv(index=False).encode())},
        follow_redirects=False,
    )
    generated = int(response.headers["location"].rsplit("/", 1)[1])
    for review_id in (generated, upload(client, period="2025Q1")):
        with Session(client.app.state.store) as session:
            review = session.get(Review, review_id)
            records = records_of(session, review_id)
            stored = session.exec(select(ReviewProblem).where(ReviewProblem.review_id == review_id))
            report = from_store(review, records, list(stored), None)
            rows, total, departments = page_actions(session, review_id, None, limit=10**6)
            critical, _, _ = page_actions(session, review_id, "critical", limit=10**6)
            problems = page_problems(session, review_id, limit=10**6)
        assert total == report.actions_total > 0 and rows == report.actions
        assert departments == report.departments
        assert critical == [r for r in report.actions if r[4] == "紧急"]
        mine = [p for p in report.problems if p[0] in ("rejected row", "duplicate")]
        assert problems.rejected_total == len(mine) and problems.rejected == mine
    assert [p[1] for p in problems.rejected] == [3, 4, 5, 7, 8, 12]  # the messy sheet's


HOSTILE = [
    "",
    " ",
    "x" * 5000,
    "-1",
    "1e400",
    "nan",
    "inf",
    "0x10",
    "１２",
    "<script>",
    "\x00",
    "9" * 40,
]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_form_values_are_4xx_pages_never_500s(client, value):
    sign_in(client, "system")
    token = csrf(client.get("/"))
    person = {
        name: value for name in ("age", "sex", "assessment_date", "children_count", "id_number")
    }
    response = client.post("/person/elder", data={"csrf_token": token, **person})
    assert response.status_code in (200, 400), response.status_code
    assert "<script>" not in response.text  # what was typed comes back escaped, if at all
    analysis = {
        "csrf_token": token,
        "source": "review",
        "review_id": value,
        "run": "sweep",
        "sweep_parameter": "score.elder.high",
        "sweep_start": value,
        "sweep_stop": value,
        "sweep_step": value,
        "p:income.subsistence_line": value,
    }
    assert client.post("/analysis", data=analysis).status_code in (200, 400)
    assert client.post("/analysis", data={**analysis, "source": value}).status_code in (200, 400)
    upload = {"csrf_token": token, "township": value, "village": value, "period": value}
    assert client.post("/reviews/new", data=upload).status_code == 400
    quoted = quote(value, safe="")
    for path in (f"/reviews/{quoted}", f"/reviews/1/actions?level={quoted}", f"/person/{quoted}"):
        assert client.get(path).status_code in (200, 404), path
