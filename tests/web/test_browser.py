"""The pages driven in headless Chromium against a real server, as a person would use
them: keyboard, phone and desktop sizes, axe-core on every page visited."""

import re
from pathlib import Path

import pytest

from tests.web.conftest import PHONE, assert_accessible, screenshots
from tests.web.keys import secret

pytestmark = pytest.mark.slow
MESSY = Path(__file__).resolve().parents[2] / "fixtures" / "sheets" / "messy_village.csv"


def sign_in(page, who: str) -> None:
    page.goto("/")
    assert page.url.endswith("/signin")
    page.get_by_label("密钥").fill(secret(who))
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/")


def upload_messy(page, period: str = "2026Q4") -> int:
    page.goto("/reviews/new")
    page.get_by_label("期次").fill(period)
    page.get_by_label("名单文件").set_input_files(str(MESSY))
    page.get_by_role("button", name="上传并评估").click()
    page.wait_for_url(re.compile(r".*/reviews/\d+$"))
    return int(page.url.rsplit("/", 1)[1])


def test_sign_in_by_keyboard_with_an_error_first(page):
    page.goto("/signin")
    assert_accessible(page, "sign-in")
    page.keyboard.press("Tab")  # the skip link comes first
    assert page.evaluate("document.activeElement.textContent") == "跳到正文"
    page.get_by_label("密钥").focus()
    page.keyboard.type("wrong-key")
    page.keyboard.press("Enter")
    summary = page.locator(".error-summary")
    assert "密钥不正确" in summary.inner_text()
    assert page.evaluate("document.activeElement.className") == "error-summary"  # focus moved
    assert "密钥不正确" in page.locator("#f-api_key-error").inner_text()
    assert_accessible(page, "sign-in with an error")
    screenshots(page, "signin-error")
    page.get_by_label("密钥").fill(secret("east"))
    page.keyboard.press("Enter")
    page.wait_for_url("**/")
    assert "寿春镇城东村" in page.locator("h1").inner_text()


def test_village_uploads_the_messy_sheet_reads_the_result_and_signs_out(page, server):
    sign_in(page, "east")
    assert_accessible(page, "home")
    screenshots(page, "home")
    page.goto("/reviews/new")
    assert "寿春镇城东村" in page.locator(".place").inner_text()  # its own village, not a field
    assert_accessible(page, "upload form")
    review = upload_messy(page)
    summary = page.locator("#summary").inner_text()
    assert "名单共 11 行" in summary and "已评估 5 人" in summary and "退回 6 行" in summary
    levels = {
        code: page.locator(f'[data-level="{code}"]').inner_text()
        for code in ("critical", "high", "medium", "low")
    }
    assert levels == {"critical": "1", "high": "1", "medium": "1", "low": "2"}
    rows = page.locator("table.rejected tbody tr")
    rejected = {
        rows.nth(i).locator("td").nth(0).inner_text(): rows.nth(i).locator("td").all_inner_texts()
        for i in range(rows.count())
    }
    assert sorted(rejected, key=int) == ["3", "4", "5", "7", "8", "12"]
    assert rejected["3"][1:] == [
        "近30日无故旷课天数",
        "不是数字：“三天”\n改法：请填写数字（如 3），不要写汉字或单位",
    ]
    assert rejected["7"][1:] == [
        "身份证号码",
        "不是有效的身份证号码：最后一位校验码不符（号码录错或少录）\n改法：请与户口簿或身份证核对",
    ]
    assert rejected["4"][1:] == ["整行", "空行\n改法：可以删除"]
    table = page.locator("table.rejected").inner_text()
    assert not re.search(r"[A-Za-z]{3,}", table)  # plain Chinese: no English left
    assert "王小明" not in page.content() and "340422201603150032" not in page.content()
    assert_accessible(page, "review result")
    screenshots(page, "review")

    page.get_by_role("link", name="措施清单（最紧急的在前）").click()
    page.wait_for_url(f"**/reviews/{review}/actions")
    first = page.locator(".action-list .action").first
    assert first.locator(".tag").first.inner_text() == "紧急"
    assert "第一时间向公安机关强制报告" in first.inner_text()
    assert "县公安局" in first.inner_text() and "立即" in first.inner_text()
    assert "王**" in first.inner_text()
    assert_accessible(page, "action list")
    screenshots(page, "actions")
    page.get_by_role("link", name="低", exact=True).click()
    assert page.locator("#action-total").inner_text() != ""
    assert all(t == "低" for t in page.locator(".action-list .tag.level-low").all_inner_texts())

    page.goto("/reviews")
    assert page.get_by_role("link", name="寿春镇城东村 2026Q4").count() == 1
    assert_accessible(page, "reviews list")
    page.get_by_role("button", name="退出").click()
    page.wait_for_url("**/signin")
    page.goto(f"/reviews/{review}")
    assert page.url.endswith("/signin")  # signed out: the review is out of reach
    assert "340422201603150032" not in server[1].read_text()  # nor in the server's log


def test_a_village_key_cannot_reach_another_villages_pages(browser, server):
    west = browser.new_context(base_url=server[0], viewport={"width": 390, "height": 844})
    page = west.new_page()  # the pages' own Content-Security-Policy in force here
    console = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    sign_in(page, "west")
    review = upload_messy(page, period="2026Q3")
    assert "城西村" in page.locator("h1").inner_text()
    assert page.evaluate("getComputedStyle(document.body).margin") == "0px"  # app.css loaded
    assert console == []  # nothing refused by the CSP, nothing failed to load
    west.close()

    east = browser.new_context(base_url=server[0], bypass_csp=True)
    page = east.new_page()
    sign_in(page, "east")
    for path in ("", "/actions", "/actions?level=critical"):
        response = page.goto(f"/reviews/{review}{path}")
        assert response.status == 404, path
        assert page.locator("h1").inner_text() == "找不到此页面"
        assert "城西村" not in page.content()
    assert page.request.get(f"/reviews/{review}/report.xlsx").status == 404
    page.goto("/reviews")
    assert "城西村" not in page.locator("main").inner_text()
    assert page.goto("/analysis").status == 403
    assert_accessible(page, "403 page")
    east.close()


def test_analyst_runs_a_sweep_and_sees_the_chart(page, tmp_path):
    from fixtures.population import population

    people = tmp_path / "people.csv"
    population(400, seed=3, outcomes=True).to_csv(people, index=False, float_format="%.10g")
    sign_in(page, "analyst")
    page.get_by_role("link", name="参数模拟").first.click()
    assert_accessible(page, "analysis form")
    page.get_by_label("上传人员名单").check()
    page.get_by_label("人员名单文件").set_input_files(str(people))
    page.get_by_label("扫描：一个参数从起点到终点逐步取值").check()
    page.get_by_label("扫描的参数").select_option("income.subsistence_line")
    page.get_by_label("起点", exact=True).fill("4000")
    page.get_by_label("终点", exact=True).fill("12000")
    page.get_by_label("步长", exact=True).fill("2000")
    page.get_by_role("button", name="运行").click()
    chart = page.locator("#sweep-chart")
    chart.wait_for()
    assert page.evaluate("document.getElementById('sweep-chart').naturalWidth") > 300
    assert "income.subsistence_line" in chart.get_attribute("alt")
    values = page.locator("#sweep-table tbody tr td:first-child").all_inner_texts()
    assert values == ["4000", "6000", "8000", "10000", "12000"]
    workload = [
        int(t) for t in page.locator("#sweep-table tbody tr td:nth-child(6)").all_inner_texts()
    ]
    assert workload == sorted(workload) and workload[0] < workload[-1]  # a higher line, more work
    assert_accessible(page, "sweep result")
    screenshots(page, "sweep")


def test_analyst_sees_a_parameter_refused_beside_its_field(page):
    sign_in(page, "analyst")
    page.goto("/analysis")
    page.get_by_label("上传人员名单").check()
    page.get_by_label("人员名单文件").set_input_files(str(MESSY))
    page.locator("details", has_text="等级分界").get_by_label(
        "留守老人风险等级评估积分达到此值为“高”"
    ).fill("500")
    page.get_by_role("button", name="运行").click()
    error = page.locator("#f-p-score-elder-high-error")
    assert error.inner_text().endswith("500 超出范围 1–100（单位：分）")
    assert "outside" not in page.content()
    assert page.locator(".error-summary a[href='#f-p-score-elder-high']").count() == 1
    assert_accessible(page, "analysis with an error")


def test_an_upload_over_the_limit_is_a_page_with_a_way_back(page, tmp_path):
    """A real browser posting a file over LIUSHOU_MAX_UPLOAD_BYTES (2 MiB for these tests):
    refused before the server reads it, the browser is shown a page, not JSON."""
    big = tmp_path / "people.csv"
    big.write_bytes(MESSY.read_bytes() + b"\n" * (20 * 2**20))  # 20 MB: streamed, not buffered
    sign_in(page, "east")
    page.goto("/reviews/new")
    page.get_by_label("期次").fill("2026Q1")
    page.get_by_label("名单文件").set_input_files(str(big))
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="上传并评估").click()
    response = navigation.value
    assert response.status == 413 and response.headers["content-type"].startswith("text/html")
    assert page.locator("h1").inner_text() == "文件太大"
    assert "上传的文件太大：不能超过 2 MB。" in page.locator("main").inner_text()
    assert_accessible(page, "file too large")
    screenshots(page, "upload-too-large")
    page.get_by_role("link", name="返回表单").click()
    page.wait_for_url("**/reviews/new")
    assert page.get_by_label("名单文件").count() == 1  # the form, to try again


def test_one_person_assessment_in_the_browser(page):
    sign_in(page, "east")
    page.goto("/person")
    page.get_by_role("link", name="留守儿童").click()
    assert_accessible(page, "person form")
    page.get_by_label("年龄", exact=True).fill("10")
    page.get_by_label("父亲状况").select_option(label="外出务工")
    page.get_by_label("母亲状况").select_option(label="外出务工")
    page.get_by_label("实际监护人").select_option(label="无")
    page.get_by_label("脱离监护单独居住").select_option(label="是")
    page.get_by_role("button", name="评估").click()
    assert page.locator("#level").inner_text() == "紧急"
    assert "第一时间向公安机关强制报告" in page.locator(".result").inner_text()
    assert "第 3.1.4 条" in page.locator(".findings").inner_text()
    assert page.url.endswith("/person/child")  # nothing typed in the URL
    assert_accessible(page, "person result")
    screenshots(page, "person")


def test_village_marks_a_task_done_and_departments_see_only_theirs(browser, server):
    village = browser.new_context(base_url=server[0], viewport=PHONE, bypass_csp=True)
    page = village.new_page()
    sign_in(page, "east")
    upload_messy(page, period="2027Q2")
    page.get_by_role("link", name="任务", exact=True).click()
    assert "本村的任务" in page.locator("h1").inner_text()
    assert_accessible(page, "task list")
    screenshots(page, "tasks")
    page.get_by_role("link", name="第一时间向公安机关强制报告").first.click()
    task = int(page.url.rsplit("/", 1)[1])
    assert_accessible(page, "task")
    page.get_by_label("已办结").check()
    page.get_by_label("说明").fill("已电话报警，派出所民警已到场")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(f"**/tasks/{task}")
    assert page.locator("#task-status").inner_text() == "已办结"
    assert "已电话报警，派出所民警已到场" in page.locator(".history").inner_text()
    screenshots(page, "task-done")
    village.close()

    police = browser.new_context(base_url=server[0], viewport=PHONE, bypass_csp=True)
    page = police.new_page()
    sign_in(page, "police")
    page.goto("/tasks?status=all")
    assert "本部门的任务" in page.locator("h1").inner_text()
    assert page.locator(f'a[href="/tasks/{task}"]').count() == 1
    departments = page.locator("#task-list .action-facts dd").all_inner_texts()
    assert departments and "县公安局" in departments
    assert_accessible(page, "department task list")
    police.close()

    education = browser.new_context(base_url=server[0], viewport=PHONE)
    page = education.new_page()
    sign_in(page, "education")
    assert page.goto(f"/tasks/{task}").status == 404  # not its task, by URL either
    page.goto("/tasks?status=all")
    assert page.locator(f'a[href="/tasks/{task}"]').count() == 0
    education.close()


def test_supervision_report_with_its_charts(page):
    sign_in(page, "system")
    page.goto("/supervision")
    assert int(page.locator("#task-total").inner_text()) > 0
    assert page.locator("figure svg").count() == 2
    assert "县公安局" in page.locator("#table-department").inner_text()
    assert_accessible(page, "supervision")
    screenshots(page, "supervision")
