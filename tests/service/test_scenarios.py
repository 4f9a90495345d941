"""The scenario suite (fixtures/scenarios, 40+ persons) end to end through the API."""

from pathlib import Path

import pytest
import yaml

from models.assessment import Assessment
from tests.case_check import check_result

SCENARIOS = Path(__file__).resolve().parents[2] / "fixtures" / "scenarios"
CASES = [
    case
    for path in sorted(SCENARIOS.glob("*.yaml"))
    for case in yaml.safe_load(path.read_text("utf-8"))
]


def test_the_suite_has_at_least_40_persons_of_each_kind():
    categories = {case["input"]["category"] for case in CASES}
    assert len(CASES) >= 40 and categories == {"child", "elder", "woman"}


@pytest.mark.parametrize("case", CASES, ids=[c["input"]["person_id"] for c in CASES])
def test_scenario_through_the_api(client, case):
    response = client.post("/v1/assessments", json=case["input"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["person_id"] == case["input"]["person_id"]
    check_result(case, Assessment.model_validate(body))


def test_the_whole_suite_as_one_batch_gives_the_same_results(client):
    body = client.post(
        "/v1/assessments/batch", json={"records": [c["input"] for c in CASES]}
    ).json()
    assert (body["received"], body["scored"], body["rejected"]) == (len(CASES), len(CASES), 0)
    for case, item in zip(CASES, body["results"], strict=True):
        check_result(case, Assessment.model_validate(item["assessment"]))
