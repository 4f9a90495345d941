"""The follow-up task pages through the ASGI app: my tasks by scope, one task marked done
or not needed with a note (stale versions refused), analysts read only, supervision."""

import re

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.settings import ApiKey, Settings
from tests.web.keys import WEST, api_keys
from tests.web.test_pages import csrf, sign_in, text, upload


@pytest.fixture(scope="module")
def app(assessor, tmp_path_factory):
    store = tmp_path_factory.mktemp("web-tasks") / "liushou.db"
    settings = Settings(
        database_url=f"sqlite:///{store}",
        api_keys=[ApiKey(**k) for k in api_keys()],
        session_secret="test-session-secret-tasks-0123456789",
    )
    return create_app(settings, assessor=assessor)


@pytest.fixture(scope="module")
def review(app):
    with TestClient(app) as client:
        sign_in(client, "east")
        return upload(client)


@pytest.fixture
def client(app, review):
    with TestClient(app) as test_client:
        yield test_client


def task_ids(page) -> list[int]:
    return [int(n) for n in re.findall(r'<a href="/tasks/(\d+)">', page.text)]


def police_report(client) -> int:
    """The child living alone's report to the police (at once, 3.1.4)."""
    page = client.get("/tasks?status=all")
    return int(
        re.search(r'<a href="/tasks/(\d+)">第一时间向公安机关强制报告</a>', page.text).group(1)
    )


def test_village_sees_its_tasks_soonest_due_first(client):
    sign_in(client, "east")
    page = client.get("/tasks?status=all")
    body = text(page)
    assert page.status_code == 200 and "本村的任务" in body
    assert len(task_ids(page)) == 15  # the review's 15 person-actions
    assert body.index("第一时间向公安机关强制报告") < body.index("30 天内")
    overdue = client.get("/tasks?overdue=yes")
    assert set(task_ids(overdue)) <= set(task_ids(page))


def test_mark_done_with_a_note_and_see_the_history(client):
    sign_in(client, "east")
    task = police_report(client)
    form = client.get(f"/tasks/{task}")
    version = re.search(r'name="version" value="(\d+)"', form.text).group(1)
    response = client.post(
        f"/tasks/{task}",
        data={
            "csrf_token": csrf(form),
            "status": "done",
            "note": "已电话报警，派出所已出警",
            "version": version,
        },
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == f"/tasks/{task}"
    page = client.get(f"/tasks/{task}")
    assert re.search(r'id="task-status">已办结', page.text)
    assert "村委会：已办结——已电话报警，派出所已出警" in text(page)
    assert task not in task_ids(client.get("/tasks"))  # no longer among the open ones
    assert task in task_ids(client.get("/tasks?status=done"))
    stale = client.post(
        f"/tasks/{task}",
        data={"csrf_token": csrf(form), "status": "in_progress", "note": "", "version": version},
    )
    assert stale.status_code == 409 and "刚被别人修改过" in stale.text
    assert re.search(r'id="task-status">已办结', stale.text)  # the latest state, shown again
    latest = re.search(r'name="version" value="(\d+)"', stale.text).group(1)
    noted = client.post(
        f"/tasks/{task}",
        data={"csrf_token": csrf(form), "status": "done", "note": "已回访", "version": latest},
    )
    assert noted.status_code == 200 and "村委会：备注——已回访" in text(noted)


def test_not_needed_needs_a_reason_beside_the_note(client):
    sign_in(client, "east")
    task = task_ids(client.get("/tasks"))[-1]
    form = client.get(f"/tasks/{task}")
    version = re.search(r'name="version" value="(\d+)"', form.text).group(1)
    response = client.post(
        f"/tasks/{task}",
        data={"csrf_token": csrf(form), "status": "not_needed", "note": " ", "version": version},
    )
    assert response.status_code == 400
    assert 'href="#f-note"' in response.text and 'id="f-note-error"' in response.text
    assert "请写明原因" in response.text


def test_a_department_key_sees_only_its_tasks(client):
    sign_in(client, "east")
    police_task = police_report(client)
    client.cookies.clear()
    sign_in(client, "police")
    page = client.get("/tasks?status=all")
    assert page.status_code == 200 and "本部门的任务" in text(page)
    listed = task_ids(page)
    assert police_task in listed
    for task in listed:
        body = text(client.get(f"/tasks/{task}"))
        assert "县公安局" in body  # it leads or cooperates on every task it sees
    client.cookies.clear()
    sign_in(client, "education")
    assert police_task not in task_ids(client.get("/tasks?status=all"))
    refused = client.get(f"/tasks/{police_task}")  # by URL too
    assert refused.status_code == 404 and "找不到此页面" in refused.text


def test_another_villages_key_cannot_reach_a_task(client):
    sign_in(client, "west")
    assert task_ids(client.get("/tasks?status=all")) == []
    assert client.get("/tasks/1").status_code == 404
    assert client.get("/tasks/abc").status_code == 404
    assert WEST[1] in text(client.get("/"))


def test_analysts_read_tasks_but_change_none(client):
    sign_in(client, "analyst")
    task = task_ids(client.get("/tasks?status=all"))[0]
    page = client.get(f"/tasks/{task}")
    assert page.status_code == 200 and 'name="version"' not in page.text
    response = client.post(
        f"/tasks/{task}",
        data={"csrf_token": csrf(page), "status": "done", "note": "x", "version": "1"},
    )
    assert response.status_code == 403 and "只能查看" in response.text


def test_supervision_report_counts_the_tasks(client):
    sign_in(client, "system")
    page = client.get("/supervision?period=2026Q4")
    assert page.status_code == 200
    total = int(re.search(r'id="task-total">(\d+)<', page.text).group(1))
    assert total >= 15
    table = re.search(r'<table id="table-department">.*?</table>', page.text, re.S).group(0)
    assert "县公安局" in table and "乡镇人民政府" in table
    assert "<svg" in page.text  # the charts
    assert client.get("/supervision?period=26Q4").status_code == 400
    xlsx = client.get("/supervision.xlsx?period=2026Q4")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
