"""The v1 endpoints end to end through the app (policy outcomes, not only status codes)."""

import pytest

from models.examples import examples

PROBLEM = "application/problem+json"


def test_single_assessment_child_living_alone(client):
    body = client.post("/v1/assessments", json=examples()["child_lives_alone"]).json()
    assert body["person_id"] == "SC-2026-0001"
    assert body["risk_level"] == "critical" and body["risk_level_zh"] == "紧急"
    assert body["left_behind"] is True
    assert {f["rule_id"] for f in body["findings"]} == {
        "child.lives_alone",
        "child.guardian_incapacity",
        "child.unattended",
    }
    assert body["score"] == 0  # nobody looks after him: 脱离监护 (3.1.4), a floor, no points
    assert body["score_breakdown"] == []
    report = body["interventions"][0]
    assert report["action"] == "report_to_police" and report["mandatory_report"] is True
    assert (
        report["department"] == "county_public_security" and report["department_zh"] == "县公安局"
    )
    assert report["deadline_hours"] == 0 and report["clause"] == "3.1.4"
    assert set(report["rule_ids"]) == {
        "child.lives_alone",
        "child.guardian_incapacity",
        "child.unattended",
    }
    assert body["ruleset"]["id"] == "shouxian-2016-278" and len(body["ruleset"]["sha256"]) == 64
    assert body["model"] is None and body["assessment_date"] == "2026-11-28"


def test_elder_emergency_goes_to_the_township(client):
    body = client.post("/v1/assessments", json=examples()["elder_critical_condition"]).json()
    assert body["risk_level"] == "critical"
    first = body["interventions"][0]
    assert (first["department"], first["mandatory_report"], first["clause"]) == (
        "township_government",
        True,
        "3.2.3",
    )


def test_child_with_a_capable_guardian_is_low(client):
    body = client.post("/v1/assessments", json=examples()["child_grandparent_ok"]).json()
    assert body["risk_level"] == "low" and body["findings"] == [] and body["left_behind"] is True


def test_invalid_identity_number_is_a_problem_naming_the_field(client):
    response = client.post(
        "/v1/assessments", json={"category": "child", "id_number": "110105194912310021"}
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    error = response.json()["errors"][0]
    assert error["loc"][-1] == "id_number" and "check digit" in error["msg"]
    assert "110105194912310021" not in response.text  # input values are not echoed


def test_unknown_category_names_category(client):
    response = client.post("/v1/assessments", json={"category": "adult"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"][-1] == "category"


def test_misspelt_field_suggests_the_right_one(client):
    response = client.post("/v1/assessments", json={"category": "child", "lives_alon": True})
    assert response.status_code == 422
    assert "Did you mean `lives_alone`?" in response.json()["errors"][0]["msg"]


@pytest.mark.parametrize("payload", [b"{", b"[]", b'"x"', b"null", b'{"category": 5}'])
def test_malformed_bodies_are_4xx(client, payload):
    response = client.post(
        "/v1/assessments", content=payload, headers={"content-type": "application/json"}
    )
    assert 400 <= response.status_code < 500
    assert response.headers["content-type"] == PROBLEM


def test_body_over_the_limit_is_413_naming_the_limit(client):
    response = client.post(
        "/v1/assessments", content=b" " * (65 * 1024), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["limit_bytes"] == 64 * 1024


def test_chunked_body_over_the_limit_is_413(client):
    def chunks():
        for _ in range(70):
            yield b" " * 1024

    response = client.post(
        "/v1/assessments", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


def test_batch_scores_good_records_and_reports_bad_ones(client):
    records = [
        examples()["child_lives_alone"],
        {"category": "elder", "person_id": "bad-1", "id_number": "110105194912310021"},
        "not a person",
        {"category": "elder", "age": 70, "wandering_begging": True},
    ]
    body = client.post("/v1/assessments/batch", json={"records": records}).json()
    assert (body["received"], body["scored"], body["rejected"]) == (4, 2, 2)
    results = body["results"]
    assert [r["index"] for r in results] == [0, 1, 2, 3]
    assert results[0]["assessment"]["risk_level"] == "critical"
    assert results[1]["person_id"] == "bad-1"
    assert results[1]["errors"][0]["loc"] == ["records", "1", "elder", "id_number"]
    assert results[2]["errors"] and results[2]["assessment"] is None
    assert results[3]["assessment"]["findings"][0]["rule_id"] == "elder.wandering_begging"


def test_batch_over_the_record_limit_is_413_naming_the_limit(client):
    response = client.post("/v1/assessments/batch", json={"records": [{"category": "woman"}] * 51})
    assert response.status_code == 413
    assert response.json()["limit_records"] == 50 and "50" in response.json()["detail"]


def test_rules_endpoint_lists_each_rule_with_clause_and_interventions(client, ruleset):
    rules = client.get("/v1/rules").json()
    assert len(rules) == len(ruleset.rules)
    one = client.get("/v1/rules/child.lives_alone").json()
    assert one["clause"] == "3.1.4" and one["level"] == "critical"
    assert one["conditions"] == {
        "all": [
            {"field": "lives_alone", "eq": True},
            {
                "any": [
                    {"field": "age", "lt": {"param": "child.age_limit"}},
                    {"field": "age", "known": False},
                ]
            },
        ]
    }
    assert one["interventions"][0]["department"] == "county_public_security"


def test_unknown_rule_is_404_with_a_suggestion(client):
    response = client.get("/v1/rules/child.missng")
    assert response.status_code == 404 and "child.missing" in response.json()["detail"]


def test_parameters_carry_value_unit_reference_and_date(client):
    params = {p["name"]: p for p in client.get("/v1/parameters").json()}
    age = params["child.age_limit"]
    assert (age["value"], age["unit"], age["reference"], age["effective_date"], age["tunable"]) == (
        16,
        "year",
        "3.1.1",
        "2016-09-06",
        False,
    )


def test_departments_are_the_contract_codes(client):
    departments = {d["code"]: d for d in client.get("/v1/departments").json()}
    assert departments["county_public_security"]["zh"] == "县公安局"
    assert len(departments) == 17


def test_ruleset_identity(client, ruleset):
    body = client.get("/v1/ruleset").json()
    assert body["sha256"] == ruleset.sha256 and body["id"] == "shouxian-2016-278"


def test_health_and_readiness(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json()["status"] == "ready"


def test_bad_rules_stop_start_up(tmp_path):
    import shutil

    from fastapi.testclient import TestClient

    from rules.errors import RuleFileError
    from rules.loader import DATA_DIR
    from service.app import create_app
    from service.settings import Settings

    shutil.copytree(DATA_DIR, tmp_path / "data")
    (tmp_path / "data" / "departments.yaml").write_text("x: {zh: 某, level: planet}\n", "utf-8")
    with (
        pytest.raises(RuleFileError, match=r"departments\.yaml"),
        TestClient(create_app(Settings(rules_dir=tmp_path / "data"))),
    ):
        pass


def test_the_api_and_the_package_have_one_version(client):
    from importlib.metadata import version

    assert client.get("/openapi.json").json()["info"]["version"] == version("liushou-risk")
