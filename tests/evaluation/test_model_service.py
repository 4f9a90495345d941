"""The model in the service: LIUSHOU_MODEL_PATH, the model block, /v1/model, readiness."""

import pytest
from fastapi.testclient import TestClient

from models.person import PERSON_ADAPTER
from service.app import create_app
from service.settings import Settings

ELDER = {
    "category": "elder",
    "age": 84,
    "self_care": "partial",
    "living_arrangement": "alone",
    "children_count": 2,
    "children_away_count": 2,
    "annual_income": 4000,
}
CRITICAL_CHILD = {"category": "child", "age": 10, "lives_alone": True}


def client_for(tmp_path, model_path, assessor):
    from rules.assess import Assessor

    settings = Settings(database_url=f"sqlite:///{tmp_path}/s.db", model_path=model_path)
    # a fresh assessor (the session's stays rules-only), sharing the compiled engine
    return TestClient(create_app(settings, Assessor(assessor.ruleset, assessor.engine)))


@pytest.fixture
def with_model(tmp_path, model_file, assessor):
    with client_for(tmp_path, model_file, assessor) as client:
        yield client


def test_assessment_carries_the_model_block(with_model, trained, assessor):
    body = with_model.post("/v1/assessments", json=ELDER).json()
    model = body["model"]
    assert model["model_version"] == trained.metadata["model_version"]
    assert 0 <= model["probability"] <= 1 and model["band"] in ("low", "elevated", "high")
    # high on the rules alone (3.2.4's poor disabled elder), and the model never moves high
    rules_only = assessor.assess(PERSON_ADAPTER.validate_python(ELDER))
    assert rules_only.risk_level == "high" and rules_only.model is None
    assert body["risk_level"] == "high" and model["raised_from"] is None
    critical = with_model.post("/v1/assessments", json=CRITICAL_CHILD).json()
    assert critical["risk_level"] == "critical" and critical["model"]["raised_from"] is None


def test_batch_uses_the_model_column_wise(with_model):
    records = [ELDER] * 70 + [CRITICAL_CHILD] * 10  # above the vectorized threshold
    single = with_model.post("/v1/assessments", json=ELDER).json()["model"]
    results = with_model.post("/v1/assessments/batch", json={"records": records}).json()
    assessments = [r["assessment"] for r in results["results"]]
    assert all(a["model"] == single for a in assessments[:70])
    assert all(a["risk_level"] == "critical" for a in assessments[70:])


def test_model_card_endpoint(with_model, trained):
    card = with_model.get("/v1/model").json()
    assert card["model_version"] == trained.metadata["model_version"]
    assert card["metrics"]["ece"] == trained.metadata["metrics"]["ece"]
    assert card["bands"] == {"high": 0.25, "elevated": 0.1}
    assert "lives_alone" in card["features"] and "never" in card["intended_use"].lower()
    assert with_model.get("/readyz").json()["model_version"] == card["model_version"]


def test_without_a_model_the_card_is_404_and_assessments_have_no_block(client):
    response = client.get("/v1/model")
    assert response.status_code == 404
    assert "LIUSHOU_MODEL_PATH" in response.json()["detail"]
    assert client.post("/v1/assessments", json=ELDER).json()["model"] is None


def test_a_refused_model_fails_readiness_not_requests(tmp_path, assessor):
    bad = tmp_path / "bad.skops"
    bad.write_bytes(b"not a model")
    with client_for(tmp_path, bad, assessor) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert "not a readable skops model file" in ready.json()["detail"]
        assert client.get("/healthz").status_code == 200
        body = client.post("/v1/assessments", json=CRITICAL_CHILD).json()
        assert body["risk_level"] == "critical" and body["model"] is None


def test_simulations_apply_the_model_only_when_asked_and_say_so(with_model, client):
    """Rules only by default, as before; apply_model raises levels as assessments do, and
    reproduce.model says which. Without a model loaded, apply_model is a 409."""
    raised = {**ELDER, "annual_income": 12000}  # medium by the rules, high band
    single = with_model.post("/v1/assessments", json=raised).json()
    assert single["risk_level"] == "high" and single["model"]["raised_from"] == "medium"
    population = [raised] * 5 + [CRITICAL_CHILD]
    plain = with_model.post("/v1/simulations", json={"population": population}).json()
    assert plain["reproduce"]["model"] == {"applied": False, "model_version": None}
    assert plain["levels"]["baseline"] == {"low": 0, "medium": 5, "high": 0, "critical": 1}
    modelled = with_model.post(
        "/v1/simulations", json={"population": population, "apply_model": True}
    ).json()
    version = single["model"]["model_version"]
    assert modelled["reproduce"]["model"] == {"applied": True, "model_version": version}
    assert modelled["levels"]["baseline"] == {"low": 0, "medium": 0, "high": 5, "critical": 1}
    refused = client.post("/v1/simulations", json={"population": population, "apply_model": True})
    assert refused.status_code == 409
