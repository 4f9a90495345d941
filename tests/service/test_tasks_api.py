"""Tasks through the API: scope of village and department keys, optimistic locking,
the spreadsheet round trip, supervision; the clock frozen through a dependency."""

import io

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from service.access import hash_key
from service.app import create_app
from service.deps import get_clock
from service.settings import ApiKey, Settings
from tests.service.test_tasks import ALONE, BEGGING, COLUMNS

HOUR = 3600
KEYS = {
    "system": ("system", {}),
    "analyst": ("analyst", {}),
    "east": ("village", {"township": "寿春镇", "village": "城东村"}),
    "west": ("village", {"township": "寿春镇", "village": "城西村"}),
    "police": ("department", {"department": "county_public_security"}),
    "school": ("department", {"department": "school", "township": "寿春镇"}),
    "school_far": ("department", {"department": "school", "township": "双桥镇"}),
    "court": ("department", {"department": "people_court"}),
    "civil": ("department", {"department": "county_civil_affairs"}),
}
CLOCK = {"now": 0}


def _h(name):
    return {"X-API-Key": f"k-{name}"}


def _csv(*rows):
    lines = [",".join(COLUMNS)] + [",".join(r) for r in rows]
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture(scope="module")
def api(assessor, tmp_path_factory):
    keys = [ApiKey(sha256=hash_key(f"k-{n}"), role=r, **d) for n, (r, d) in KEYS.items()]
    db = tmp_path_factory.mktemp("tasks") / "store.db"
    app = create_app(Settings(api_keys=keys, database_url=f"sqlite:///{db}"), assessor=assessor)
    app.dependency_overrides[get_clock] = lambda: lambda: CLOCK["now"]
    with TestClient(app) as client:
        for name, village, row in (("east", "城东村", ALONE), ("west", "城西村", BEGGING)):
            form = {"township": "寿春镇", "village": village, "period": "2026Q4"}
            files = {"file": ("people.csv", _csv(row), "text/csv")}
            created = client.post("/v1/reviews", data=form, files=files, headers=_h(name))
            assert created.status_code == 200, created.text
            made = created.json()["tasks"]
            assert made["created"] > 3 and made["carried_over"] == made["resolved_by_review"] == 0
        yield client


def _all(api, name, **params):
    response = api.get("/v1/tasks", params={"limit": 500, **params}, headers=_h(name))
    assert response.status_code == 200, response.text
    return response.json()["items"]


@pytest.fixture(scope="module")
def everything(api):
    CLOCK["now"] = 2_000_000_000  # far later than the reviews: every task is overdue
    tasks = _all(api, "analyst")
    assert tasks and {t["village"] for t in tasks} == {"城东村", "城西村"}
    return tasks


def test_keys_see_only_their_division_and_cross_reads_are_404(api, everything):
    def sees(name, task):
        role, division = KEYS[name]
        if role in ("system", "analyst"):
            return True
        if role == "village":
            return task["village"] == division["village"]
        township = division.get("township")
        party = division["department"] in (task["department"], *task["cooperating"])
        escalated = division["department"] == "county_civil_affairs" and (
            task["escalated_to"] == "county_civil_affairs"
        )
        return (party or escalated) and township in (None, task["township"])

    crossings = 0
    for name in KEYS:
        expected = {t["id"] for t in everything if sees(name, t)}
        assert {t["id"] for t in _all(api, name)} == expected, name
        for task in everything:
            if task["id"] in expected:
                continue
            crossings += 1
            path = f"/v1/tasks/{task['id']}"
            assert api.get(path, headers=_h(name)).status_code == 404
            change = {"status": "done", "version": task["version"]}
            assert api.patch(path, json=change, headers=_h(name)).status_code == 404
    assert crossings > 20
    assert _all(api, "school_far") == [] and _all(api, "court") == []
    assert api.get("/v1/tasks").status_code == 401


def test_patch_with_etag_and_a_stale_version_is_409(api, everything):
    task = next(
        t for t in everything if t["village"] == "城东村" and t["action"] == "notify_township"
    )
    path = f"/v1/tasks/{task['id']}"
    read = api.get(path, headers=_h("police"))
    etag = read.headers["etag"]
    assert etag == f'"{task["version"]}"'
    CLOCK["now"] += 60
    ok = api.patch(
        path,
        json={"status": "in_progress", "note": "已通报"},
        headers={**_h("police"), "If-Match": etag},
    )
    assert ok.status_code == 200 and ok.json()["stored_status"] == "in_progress"
    assert ok.headers["etag"] == f'"{task["version"] + 1}"'
    stale = api.patch(
        path, json={"status": "done", "note": "村里办结"}, headers={**_h("east"), "If-Match": etag}
    )
    assert stale.status_code == 409 and stale.headers["content-type"] == "application/problem+json"
    assert stale.json()["current_version"] == task["version"] + 1
    after = api.get(path, headers=_h("east")).json()
    assert after["stored_status"] == "in_progress"
    assert [e["note"] for e in after["history"]] == ["已通报"]  # nothing lost, nothing extra
    missing = api.patch(path, json={"status": "done"}, headers=_h("east"))
    assert missing.status_code == 428
    for body, field in (
        ({"status": "escalated", "version": 2}, "status"),
        ({"status": "done", "version": 2, "colour": "red"}, "colour"),
        ({"status": "not_needed", "version": after["version"]}, "note"),
    ):
        bad = api.patch(path, json=body, headers=_h("east"))
        assert bad.status_code == 422, body
        assert field in str(bad.json()["errors"]) and "已通报" not in bad.text
    analyst = api.patch(
        path, json={"status": "done", "version": after["version"]}, headers=_h("analyst")
    )
    assert analyst.status_code == 403


def test_list_filters_and_paging(api, everything):
    overdue = _all(api, "analyst", overdue="true", department="county_public_security")
    assert overdue and all(t["overdue"] for t in overdue)
    assert all("county_public_security" in (t["department"], *t["cooperating"]) for t in overdue)
    escalated = _all(api, "analyst", status="escalated")
    assert escalated and all(t["status"] == "escalated" for t in escalated)
    first = api.get("/v1/tasks", params={"limit": 2}, headers=_h("east")).json()
    second = api.get(
        "/v1/tasks", params={"limit": 2, "after": first["next"]}, headers=_h("east")
    ).json()
    assert len(first["items"]) == 2 and not {t["id"] for t in first["items"]} & {
        t["id"] for t in second["items"]
    }
    for params, field in (({"status": "finished"}, "status"), ({"after": "x"}, "after"),
                          ({"limit": 0}, "limit"), ({"review": "abc"}, "review")):  # fmt: skip
        bad = api.get("/v1/tasks", params=params, headers=_h("east"))
        assert bad.status_code == 422 and field in bad.text


def test_spreadsheet_round_trip_with_bad_rows(api):
    download = api.get("/v1/tasks.xlsx", headers=_h("west"))
    assert download.status_code == 200
    book = load_workbook(io.BytesIO(download.content))
    sheet = book.active
    header = [c.value for c in sheet[1]]
    col = {h.split("(")[-1].rstrip(")"): i + 1 for i, h in enumerate(header)}
    rows = list(range(2, sheet.max_row + 1))
    assert len(rows) == len(_all(api, "west")) >= 2
    assert "已办结" in sheet.data_validations.dataValidation[0].formula1
    ids = {r: sheet.cell(r, col["id"]).value for r in rows}
    sheet.cell(rows[0], col["status"]).value = "已办结"  # applied
    sheet.cell(rows[0], col["note"]).value = "已送医"
    sheet.cell(rows[1], col["status"]).value = "无需办理"  # rejected: no reason
    extra = sheet.max_row + 1
    for offset, (task_id, version, status) in enumerate(
        [
            (999999, 1, "done"),
            ("abc", 1, "done"),
            (ids[rows[0]], 1, "in_progress"),
            (ids[rows[1]], 1, "finished"),
        ]
    ):
        sheet.cell(extra + offset, col["id"]).value = task_id
        sheet.cell(extra + offset, col["version"]).value = version
        sheet.cell(extra + offset, col["status"]).value = status
    buffer = io.BytesIO()
    book.save(buffer)
    files = {"file": ("tasks.xlsx", buffer.getvalue(), "application/octet-stream")}
    outcome = api.post("/v1/tasks/import", files=files, headers=_h("west")).json()
    assert outcome["rows"] == len(rows) + 4
    assert outcome["applied"] == [{"row": rows[0], "task_id": ids[rows[0]], "status": "done"}]
    reasons = {r["row"]: r["reason"] for r in outcome["rejected"]}
    assert set(reasons) == {rows[1], extra, extra + 1, extra + 2, extra + 3}
    assert "reason" in reasons[rows[1]] and "no task 999999" in reasons[extra]
    assert "not a number" in reasons[extra + 1] and "changed by someone else" in reasons[extra + 2]
    assert "must be one of" in reasons[extra + 3]
    assert outcome["unchanged"] == len(rows) - 2
    done = api.get(f"/v1/tasks/{ids[rows[0]]}", headers=_h("west")).json()
    assert done["stored_status"] == "done" and done["history"][-1]["note"] == "已送医"
    # a village key cannot import into another village's tasks: the rows are rejected
    other = api.post("/v1/tasks/import", files=files, headers=_h("east")).json()
    assert other["applied"] == [] and len(other["rejected"]) == other["rows"] - other["unchanged"]
    broken = api.post(
        "/v1/tasks/import", files={"file": ("t.xlsx", b"not a sheet", "x")}, headers=_h("west")
    )
    assert broken.status_code == 422 and "xlsx" in broken.json()["detail"]


def test_supervision_counts_and_reports(api, everything):
    report = api.get("/v1/supervision", params={"period": "2026Q4"}, headers=_h("analyst"))
    assert report.status_code == 200
    data = report.json()
    current = _all(api, "analyst", status="all")
    assert data["total"] == len(current)
    by_department = {r["department"]: r for r in data["by_department"]}
    police = [t for t in current if t["department"] == "county_public_security"]
    active = [t for t in police if t["stored_status"] in ("open", "in_progress")]
    row = by_department["county_public_security"]
    assert row["open"] == len(active) and row["overdue"] == len(active)  # the clock is far on
    immediate = [t for t in active if t["deadline_hours"] == 0]
    assert row["overdue_by_deadline"]["immediate"] == len(immediate) > 0
    assert {v["village"] for v in data["villages_with_overdue_critical"]} == {"城东村", "城西村"}
    west = api.get("/v1/supervision", params={"period": "2026Q4"}, headers=_h("west")).json()
    assert {r["township"] for r in west["by_township"]} == {"寿春镇"}
    assert [v["village"] for v in west["villages_with_overdue_critical"]] == ["城西村"]
    html = api.get("/v1/supervision.html", params={"period": "2026Q4"}, headers=_h("analyst"))
    assert html.status_code == 200 and "<svg" in html.text and "城东村" in html.text
    xlsx = api.get("/v1/supervision.xlsx", headers=_h("analyst"))
    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames == ["by department", "by township", "flagged villages"]
    assert (
        api.get("/v1/supervision", params={"period": "2026-4"}, headers=_h("analyst")).status_code
        == 422
    )
    empty = api.get("/v1/supervision", params={"period": "2019Q1"}, headers=_h("analyst")).json()
    assert empty["total"] == 0 and empty["by_department"] == []


def test_a_mistyped_department_key_stops_start_up(assessor, tmp_path):
    key = ApiKey(sha256=hash_key("k"), role="department", department="county_educaton")
    settings = Settings(api_keys=[key], database_url=f"sqlite:///{tmp_path / 's.db'}")
    with (
        pytest.raises(ValueError, match="Did you mean `county_education`"),
        TestClient(create_app(settings, assessor=assessor)),
    ):
        pass
    with pytest.raises(ValueError, match="needs its department code"):
        ApiKey(sha256=hash_key("k"), role="department")
