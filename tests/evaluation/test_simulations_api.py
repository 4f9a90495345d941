"""POST /v1/simulations: inline populations, stored reviews, guard rails, access."""

import base64
from pathlib import Path

from fastapi.testclient import TestClient

from fixtures.population import population, records
from service.access import hash_key
from service.app import create_app
from service.settings import ApiKey, Settings

MESSY = Path(__file__).resolve().parents[2] / "fixtures" / "sheets" / "messy_village.csv"
FORM = {"township": "寿春镇", "village": "城东村", "period": "2026Q4"}


def people(n=300, seed=12):
    return records(population(n, seed=seed))


def test_inline_population_with_an_invalid_person_and_outcomes(client):
    persons = people()
    persons[5] = {"category": "child", "age": "ten"}
    body = {
        "population": persons,
        "outcomes": [i % 2 for i in range(len(persons))],
        "overrides": {"score.elder.high": 4, "income.subsistence_line": "9000 yuan_per_year"},
        "changed_limit": 3,
    }
    response = client.post("/v1/simulations", json=body)
    assert response.status_code == 200, response.text
    result = response.json()
    (rejected,) = result["rejected"]
    assert rejected["index"] == 5
    assert rejected["errors"][0]["loc"] == ["population", "5", "child", "age"]
    assert result["reproduce"]["population"]["persons"] == 299
    assert result["reproduce"]["overrides"] == {
        "score.elder.high": 4,
        "income.subsistence_line": 9000,
    }
    assert sum(sum(row.values()) for row in result["transitions"].values()) == 299
    assert len(result["changed"]["listed"]) <= 3 and result["changed"]["count"] >= len(
        result["changed"]["listed"]
    )
    assert {"baseline", "proposal"} <= set(result["backtest"])
    assert all(p["row"] != 5 for p in result["changed"]["listed"])  # rows are the indexes


def test_guard_rails_are_422_naming_the_parameter(client):
    response = client.post(
        "/v1/simulations", json={"population": people(5), "overrides": {"child.age_limit": 14}}
    )
    assert response.status_code == 422
    problem = response.json()
    assert problem["errors"][0]["loc"] == ["overrides", "child.age_limit"]
    assert "fixed by the policy" in problem["detail"]
    response = client.post(
        "/v1/simulations", json={"population": people(5), "overrides": {"score.elder.hihg": 5}}
    )
    assert response.status_code == 422 and "score.elder.high" in response.json()["detail"]
    response = client.post(
        "/v1/simulations", json={"population": people(5), "sweep": "score.elder.high=0:3:1"}
    )
    assert response.status_code == 422 and response.json()["errors"][0]["loc"][0] == "sweep"
    both = client.post("/v1/simulations", json={"population": people(5), "review_id": 1})
    assert both.status_code == 422 and "either population or review_id" in str(both.json())
    short = client.post("/v1/simulations", json={"population": people(5), "outcomes": [1]})
    assert short.status_code == 422


def test_sweep_through_the_api(client):
    response = client.post(
        "/v1/simulations",
        json={
            "population": people(),
            "sweep": "income.subsistence_line=4000:8000:2000",
            "plot": True,
        },
    )
    assert response.status_code == 200, response.text
    rows = response.json()["sweep"]["rows"]
    assert [r["income.subsistence_line"] for r in rows] == [4000, 6000, 8000]
    assert all(sum(r[k] for k in ("low", "medium", "high", "critical")) == 300 for r in rows)
    png = base64.b64decode(response.json()["sweep"]["plot_png_base64"])
    assert png[:4] == b"\x89PNG"


def test_simulation_of_a_stored_review(client):
    files = {"file": ("people.csv", MESSY.read_bytes(), "text/csv")}
    created = client.post("/v1/reviews", data=FORM, files=files).json()["review"]
    # row 11 (周小花, medium on a floor, 2 points) moves to high at a cut-off of 2
    response = client.post(
        "/v1/simulations", json={"review_id": created["id"], "overrides": {"score.child.high": 2}}
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["levels"]["baseline"] == {
        k: created[k] for k in ("low", "medium", "high", "critical")
    }
    assert result["divisions"][0]["township"] == "寿春镇"
    (moved,) = result["changed"]["listed"]  # masked, as stored
    assert (moved["row"], moved["name"], moved["id_number"]) == (11, "周**", None)
    assert (moved["from"], moved["to"]) == ("medium", "high")
    assert "周小花" not in response.text and "王小明" not in response.text
    assert client.post("/v1/simulations", json={"review_id": 99999}).status_code == 404


def test_only_analyst_and_system_keys_simulate(tmp_path):
    keys = [
        ApiKey(sha256=hash_key("a"), role="analyst"),
        ApiKey(sha256=hash_key("v"), role="village", township="寿春镇", village="城东村"),
    ]
    settings = Settings(database_url=f"sqlite:///{tmp_path}/s.db", api_keys=keys)
    with TestClient(create_app(settings)) as client:
        body = {"population": people(5)}
        assert client.post("/v1/simulations", json=body).status_code == 401
        assert (
            client.post("/v1/simulations", json=body, headers={"X-API-Key": "v"}).status_code == 403
        )
        assert (
            client.post("/v1/simulations", json=body, headers={"X-API-Key": "a"}).status_code == 200
        )
