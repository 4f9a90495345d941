"""Parameters as of the assessment date (OpenFisca's ``parameters(period)``).

The values in force are those whose effective date is on or before each person's
``assessment_date``: in single assessments (durable_rules), batches (both engines),
reviews and simulations, and a server running across an effective date takes the new
value from that day on without a restart. The rules' data here is a copy of
rules/data in which two numbers change on 2026-06-01: the absence threshold a
condition compares with (3 -> 5 days, a literal in the compiled durable_rules ruleset)
and the deadline 及时 (24 -> 12 hours).
"""

import io
import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from evaluation import cohort, simulate
from models.person import PERSON_ADAPTER, POLICY_DATE
from models.sheets.files import load_sheet
from rules.assess import Assessor
from rules.errors import PeriodError
from rules.loader import DATA_DIR, load_ruleset, period_groups
from service.app import create_app
from service.review import review
from service.settings import Settings

BEFORE, ON = "2026-05-31", "2026-06-01"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("rules") / "data"
    shutil.copytree(DATA_DIR, target)
    path = target / "parameters.yaml"
    text = path.read_text("utf-8")
    for name, old, new in [
        ("child.absence_days_threshold", '{"2016-09-06": 3}', '{"2016-09-06": 3, "2026-06-01": 5}'),
        ("deadline.prompt", '{"2016-09-06": 24}', '{"2016-09-06": 24, "2026-06-01": 12}'),
    ]:
        start = text.index(f"{name}:")
        end = text.index("\n\n", start)
        entry = text[start:end]
        assert old in entry, f"{name}: {old} not found"  # the replacement must happen
        text = text[:start] + entry.replace(old, new) + text[end:]
    path.write_text(text, "utf-8")
    return target


@pytest.fixture(scope="module")
def dated(data_dir) -> Assessor:
    return Assessor.build(load_ruleset(data_dir, as_of=date(2026, 1, 15)))


def absent(day: str, **extra) -> dict:
    return {"category": "child", "assessment_date": day, "age": 10, "unexcused_absence_days": 4}


def fired(assessment) -> set[str]:
    return {f["rule_id"] if isinstance(f, dict) else f.rule_id for f in assessment["findings"]}


def prompt_hours(assessment) -> int:
    (item,) = [i for i in assessment["interventions"] if i["action"] == "absence_follow_up"]
    return item["deadline_hours"]


def test_periods_start_on_the_policy_date_and_change_on_each_effective_date(dated):
    ruleset = dated.ruleset
    assert ruleset.first_day == POLICY_DATE
    assert date(2026, 6, 1) in ruleset.periods and date(2026, 1, 1) in ruleset.periods
    assert ruleset.period_of(date(2026, 5, 31)) == date(2026, 1, 1)
    assert ruleset.period_of(date(2026, 6, 1)) == date(2026, 6, 1)
    assert ruleset.values_at(date(2026, 5, 31))["child.absence_days_threshold"] == 3
    assert ruleset.values_at(date(2026, 6, 1))["child.absence_days_threshold"] == 5
    with pytest.raises(PeriodError):
        ruleset.values_at(date(2016, 9, 5))


def test_period_groups_keep_every_row(dated):
    days = [date(2026, 6, 2), date(2025, 1, 1), date(2026, 5, 31), date(2026, 6, 1)]
    groups = period_groups(dated.ruleset, days)
    assert [(start.isoformat(), rows.tolist()) for start, rows in groups] == [
        ("2016-09-06", [1]),
        ("2026-01-01", [2]),
        ("2026-06-01", [0, 3]),
    ]


def test_one_person_each_side_of_the_date_durable_path(dated):
    before = dated.assess_data(PERSON_ADAPTER.validate_python(absent(BEFORE)))
    on = dated.assess_data(PERSON_ADAPTER.validate_python(absent(ON)))
    assert "child.unexcused_absence" in fired(before)  # 4 >= 3
    assert "child.unexcused_absence" not in fired(on)  # 4 < 5
    assert before["risk_level"] == "medium" and on["risk_level"] == "low"
    assert before["ruleset"]["values_as_of"] == date(2026, 5, 31)
    assert on["ruleset"]["values_as_of"] == date(2026, 6, 1)
    five = dated.assess_data(
        PERSON_ADAPTER.validate_python({**absent(ON), "unexcused_absence_days": 5})
    )
    assert prompt_hours(before) == 24 and prompt_hours(five) == 12


def test_both_in_one_batch_column_wise_equal_to_one_by_one(dated):
    persons = [
        PERSON_ADAPTER.validate_python({**absent(day), "unexcused_absence_days": days})
        for day in (BEFORE, ON)
        for days in (2, 3, 4, 5, 6)
    ] * 7  # 70 persons: interleaved dates
    many = dated.assess_many(persons)
    one_by_one = [dated.assess_data(p) for p in persons]
    for got, want in zip(many, one_by_one, strict=True):
        assert {k: v for k, v in got.items() if k != "assessment_id"} == {
            k: v for k, v in want.items() if k != "assessment_id"
        }
    assert "child.unexcused_absence" in fired(many[2]) and "child.unexcused_absence" not in fired(
        many[7]
    )
    assert prompt_hours(many[3]) == 24 and prompt_hours(many[8]) == 12


def test_a_server_across_the_date_takes_each_persons_values_without_restart(data_dir):
    app = create_app(Settings(rules_dir=data_dir))
    with TestClient(app) as client:
        body = client.post(
            "/v1/assessments/batch", json={"records": [absent(BEFORE), absent(ON)]}
        ).json()
        before, on = (item["assessment"] for item in body["results"])
        assert before["risk_level"] == "medium" and on["risk_level"] == "low"
        assert before["ruleset"]["values_as_of"] == BEFORE and on["ruleset"]["values_as_of"] == ON
        single = client.post("/v1/assessments", json=absent(ON)).json()
        assert single["risk_level"] == "low"
        params = {
            p["name"]: p for p in client.get("/v1/parameters", params={"as_of": BEFORE}).json()
        }
        assert params["child.absence_days_threshold"]["value"] == 3
        assert params["child.absence_days_threshold"]["effective_date"] == "2016-09-06"
        params = {p["name"]: p for p in client.get("/v1/parameters", params={"as_of": ON}).json()}
        assert params["child.absence_days_threshold"]["value"] == 5
        assert params["deadline.prompt"]["effective_date"] == ON
        early = client.post("/v1/assessments", json=absent("2016-09-05"))
        assert early.status_code == 422
        assert "assessment_date" in early.json()["errors"][0]["loc"]


def test_a_review_takes_each_rows_date(dated):
    sheet = pd.DataFrame(
        {
            "category": ["child"] * 4,
            "assessment_date": [BEFORE, ON, BEFORE, ON],
            "age": [10, 10, 9, 9],
            "unexcused_absence_days": [4, 4, 5, 5],
        }
    )
    buffer = io.BytesIO()
    sheet.to_csv(buffer, index=False)
    result = review(
        load_sheet(buffer.getvalue(), "people.csv"),
        dated,
        township="寿春镇",
        village="城东村",
        period="2026Q2",
    )
    levels = [str(level) for level in result.levels]
    assert levels == ["medium", "low", "medium", "medium"]
    hours = [
        [
            i["deadline_hours"]
            for i in result.assessment(k)["interventions"]
            if i["action"] == "absence_follow_up"
        ]
        for k in range(4)
    ]
    assert hours == [[24], [], [24], [12]]


def test_a_simulation_takes_each_persons_date(dated):
    persons = [PERSON_ADAPTER.validate_python(absent(day)) for day in (BEFORE, ON)]
    result = simulate.run(cohort.from_persons(persons, dated.ruleset), dated.ruleset, {})
    assert result["levels"]["baseline"]["medium"] == 1
    assert result["levels"]["baseline"]["low"] == 1
    moved = simulate.run(
        cohort.from_persons(persons, dated.ruleset),
        dated.ruleset,
        {"child.absence_days_threshold": 4},
    )  # an override replaces the value on every date: both fire
    assert moved["levels"]["proposal"]["medium"] == 2


def test_distinct_days_cost_no_memory(dated):
    """Values, templates and engines are cached per period, never per day: a caller
    sending every day of ten years adds nothing."""
    from datetime import timedelta

    ruleset = dated.ruleset
    for offset in range(3650):
        day = date(2016, 9, 6) + timedelta(days=offset)
        ruleset.values_at(day)
        ruleset.templates_at(day)
        dated.engine.at(day)
    assert len(ruleset._by_period) <= len(ruleset.periods)
    assert len(ruleset._templates) <= len(ruleset.periods)
    assert len(dated.engine._engines) <= len(ruleset.periods)


def test_no_rows_are_one_empty_group(dated):
    """An empty sheet (every row rejected) still gives facts and assessments: no rows."""
    import numpy as np

    from rules.assess_bulk import assess_table
    from rules.fact_table import fact_table

    ((start, rows),) = period_groups(dated.ruleset, [])
    assert len(rows) == 0 and start == dated.ruleset.period_of(dated.ruleset.as_of)
    empty = pd.DataFrame({"category": [], "assessment_date": [], "age": []}, dtype=object)
    for name in (
        "household_income_per_capita",
        "annual_income",
        "children_count",
        "children_away_count",
        "last_health_check",
        "husband_migrant",
    ):
        empty[name] = pd.Series([], dtype=object)
    facts = fact_table(empty, dated.ruleset)
    assessed = assess_table(dated.ruleset, facts, np.array([], dtype="datetime64[D]"))
    assert len(facts) == 0 and len(assessed.pattern) == 0 and assessed.patterns == []


def test_left_behind_follows_the_age_limit_of_each_period(data_dir):
    """The remembered left-behind answers are keyed by the parameter values they read:
    a ruleset whose age limit changes on a date answers each day with its own limit."""
    path = data_dir.parent / "limit" / "data"
    shutil.copytree(data_dir, path)
    params = path / "parameters.yaml"
    text = params.read_text("utf-8")
    old = 'values: {"2016-09-06": 16}'
    assert old in text
    params.write_text(text.replace(old, 'values: {"2016-09-06": 16, "2026-07-01": 15}', 1))
    assessor = Assessor.build(load_ruleset(path, as_of=date(2026, 1, 15)))
    child = {"category": "child", "age": 15, "father_status": "migrant", "mother_status": "migrant"}
    before = assessor.assess_data(
        PERSON_ADAPTER.validate_python({**child, "assessment_date": BEFORE})
    )
    after = assessor.assess_data(
        PERSON_ADAPTER.validate_python({**child, "assessment_date": "2026-07-01"})
    )
    assert before["left_behind"] is True and after["left_behind"] is False
