"""Reviews through the API, and API keys: a village sees only its own village."""

import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from service.access import hash_key
from service.app import create_app
from service.settings import ApiKey, Settings

MESSY = Path(__file__).resolve().parents[2] / "fixtures" / "sheets" / "messy_village.csv"
FORM = {"township": "寿春镇", "village": "城东村", "period": "2026Q4"}


def _upload(client, form=FORM, headers=None, content=None):
    files = {"file": ("people.csv", content or MESSY.read_bytes(), "text/csv")}
    return client.post("/v1/reviews", data=form, files=files, headers=headers or {})


def test_review_round_trip_open_access(client):
    created = _upload(client)
    assert created.status_code == 200, created.text
    body = created.json()
    review = body["review"]
    assert (review["rows_in"], review["scored"], review["rejected"], review["critical"]) == (
        11,
        5,
        6,
        1,
    )
    assert {r["row"] for r in body["rejected_rows"]} == {3, 4, 5, 7, 8, 12}
    review_id = review["id"]
    assert client.get(f"/v1/reviews/{review_id}").json()["village"] == "城东村"
    critical = client.get(f"/v1/reviews/{review_id}/records", params={"level": "critical"}).json()
    assert [r["row"] for r in critical] == [2]
    assert critical[0]["id_masked"] == "340422**********32" and critical[0]["name_masked"] == "王**"
    assert "person_key" in critical[0] and "王小明" not in str(critical)
    changes = client.get(f"/v1/reviews/{review_id}/changes").json()
    assert changes["counts"]["new"] == 2  # the scored rows with identity numbers (2 and 6)
    assert changes["counts"]["untracked"] == 3  # no identity number: cannot be followed
    xlsx = client.get(f"/v1/reviews/{review_id}/report.xlsx")
    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames == ["summary", "actions", "changes", "data problems"]
    html = client.get(f"/v1/reviews/{review_id}/report.html").text
    assert "<svg" in html and "风险等级分布" in html and "王小明" not in html


def test_bad_upload_is_a_clear_4xx(client):
    response = _upload(client, form={**FORM, "period": "Q4"})
    assert response.status_code == 422 and "period" in str(response.json()["errors"])
    response = client.post(
        "/v1/reviews", data=FORM, files={"file": ("people.pdf", b"%PDF", "application/pdf")}
    )
    assert response.status_code == 422 and ".csv or .xlsx" in response.json()["detail"]
    assert client.get("/v1/reviews/999999").status_code == 404


KEYS = {"system": "k-system", "analyst": "k-analyst", "east": "k-east", "west": "k-west"}


@pytest.fixture(scope="module")
def guarded(assessor, tmp_path_factory):
    keys = [
        ApiKey(sha256=hash_key(KEYS["system"]), role="system"),
        ApiKey(sha256=hash_key(KEYS["analyst"]), role="analyst"),
        ApiKey(sha256=hash_key(KEYS["east"]), role="village", township="寿春镇", village="城东村"),
        ApiKey(sha256=hash_key(KEYS["west"]), role="village", township="寿春镇", village="城西村"),
    ]
    db = tmp_path_factory.mktemp("guarded") / "store.db"
    settings = Settings(api_keys=keys, database_url=f"sqlite:///{db}")
    with TestClient(create_app(settings, assessor=assessor)) as test_client:
        yield test_client


def _key(name):
    return {"X-API-Key": KEYS[name]}


def test_village_key_reads_only_its_own_village(guarded):
    created = _upload(guarded, headers=_key("east"))
    assert created.status_code == 200
    review_id = created.json()["review"]["id"]
    assert guarded.get(f"/v1/reviews/{review_id}", headers=_key("east")).status_code == 200
    for path in ("", "/records", "/changes", "/report.xlsx", "/report.html"):
        assert (
            guarded.get(f"/v1/reviews/{review_id}{path}", headers=_key("west")).status_code == 404
        )
    assert guarded.get(f"/v1/reviews/{review_id}", headers=_key("analyst")).status_code == 200


def test_html_report_compares_the_villages_a_key_may_see(guarded):
    east = _upload(guarded, headers=_key("east")).json()["review"]["id"]
    west_form = {**FORM, "village": "城西村"}
    west = _upload(guarded, form=west_form, headers=_key("west")).json()["review"]["id"]
    analyst = guarded.get(f"/v1/reviews/{east}/report.html", headers=_key("analyst")).text
    assert (
        "各村 (by village)" in analyst
        and "城东村：风险等级" in analyst
        and "城西村：风险等级" in analyst
    )
    own = guarded.get(f"/v1/reviews/{west}/report.html", headers=_key("west")).text
    assert "城西村：风险等级" in own and "城东村：风险等级" not in own


def test_village_key_cannot_create_another_villages_review(guarded):
    response = _upload(guarded, form={**FORM, "village": "城西村"}, headers=_key("east"))
    assert response.status_code == 403


def test_scoring_needs_a_system_key_once_keys_are_configured(guarded):
    person = {"category": "elder", "age": 70, "wandering_begging": True}
    assert guarded.post("/v1/assessments", json=person).status_code == 401
    assert (
        guarded.post("/v1/assessments", json=person, headers={"X-API-Key": "nope"}).status_code
        == 401
    )
    assert guarded.post("/v1/assessments", json=person, headers=_key("east")).status_code == 403
    ok = guarded.post(
        "/v1/assessments", json=person, headers={"Authorization": f"Bearer {KEYS['system']}"}
    )
    assert ok.status_code == 200 and ok.json()["risk_level"] == "critical"
    batch = guarded.post(
        "/v1/assessments/batch", json={"records": [person]}, headers=_key("analyst")
    )
    assert batch.status_code == 403


def test_keys_are_required_off_localhost():
    with pytest.raises(ValueError, match="open only on localhost"):
        Settings(host="0.0.0.0")
    with pytest.raises(ValueError, match="needs its township and village"):
        ApiKey(sha256=hash_key("x"), role="village")
