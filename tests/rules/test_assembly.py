"""The assembly (rules/assess.py, rules/assess_bulk.py): one whole assessment, every
field, built here from the rule data (not from the code under test); and the optional
model's block on every path, with a stand-in scorer (no training)."""

import dataclasses
from datetime import date

import numpy as np

from fixtures.generate import generate
from models.assessment import Assessment
from models.enums import RiskLevel
from models.person import PERSON_ADAPTER
from models.sheets.table import persons_table
from rules.assess import Assessor
from rules.assess_bulk import assess_table
from rules.fact_table import fact_table

ELDER = {  # fixtures/examples/elder_critical_condition.json, support not known
    "category": "elder",
    "person_id": "SC-2026-0101",
    "township": "正阳关镇",
    "village": "南门村",
    "assessment_date": "2026-11-28",
    "age": 78,
    "annual_income": 3600,
    "children_count": 2,
    "children_away_count": 2,
    "child_at_home": False,
    "self_care": "partial",
    "living_arrangement": "alone",
    "critical_condition": True,
}
# (rule, level, points, dimension, evidence); income 3,600 of the 7,800 元 line = 46 %
FINDINGS = [
    ("elder.critical_condition", "critical", 0, None, {"critical_condition": True}),
    ("elder.living_alone", "medium", 2, "support", {"living_arrangement": "alone"}),
    (
        "elder.poor_disabled_care",
        "high",
        0,
        None,
        {"income_pct_of_line": 46, "self_care": "partial"},
    ),
    (
        "elder.day_care",
        None,
        0,
        None,
        {
            "age": 78,
            "income_pct_of_line": 46,
            "living_arrangement": "alone",
            "self_care": "partial",
        },
    ),
    ("elder.health_check_due", None, 0, None, {"left_behind": True}),
    ("elder.points.income_below_line", None, 3, "income", {"income_pct_of_line": 46}),
    ("elder.points.self_care_partial", None, 2, "health", {"self_care": "partial"}),
]
# (action, rule_ids, clauses), in order
INTERVENTIONS = [
    ("elder_emergency_report", ["elder.critical_condition"], ["3.2.3"]),
    ("elder_care_rescue", ["elder.critical_condition"], ["3.2.3"]),
    ("periodic_assessment", [], ["3.2.3"]),  # 7 points reach high: 3.2.3's measures
    ("verify_data", [], ["3.4"]),
    ("neighbourly_help", ["elder.living_alone"], ["3.2.2"]),
    ("low_fee_nursing_care", ["elder.poor_disabled_care"], ["3.2.4"]),
    ("day_care", ["elder.day_care"], ["3.2.4"]),
    ("free_health_check", ["elder.health_check_due"], ["3.2.5"]),
]


def expected_elder(ruleset) -> dict:
    def finding(rule_id, level, points, dimension, evidence):
        rule = ruleset.rule(rule_id)
        return {
            "rule_id": rule_id,
            "title_zh": rule.title,
            "clause": rule.clause,
            "level": level,
            "points": points,
            "dimension": dimension,
            "evidence": evidence,
        }

    def intervention(code, rule_ids, clauses):
        action = ruleset.actions[code]
        return {
            "action": code,
            "title_zh": action.title,
            "department": action.department,
            "department_zh": ruleset.departments[action.department].zh,
            "cooperating": list(action.cooperating),
            "deadline_hours": ruleset.values_at(date(2026, 11, 28))[action.deadline],
            "mandatory_report": action.mandatory_report,
            "clause": action.clause,
            "rule_ids": rule_ids,
            "clauses": clauses,
        }

    return {
        "person_id": "SC-2026-0101",
        "category": "elder",
        "left_behind": True,
        "risk_level": "critical",
        "risk_level_zh": "紧急",
        "score": 7,
        "score_breakdown": [  # in the order the dimensions first appear
            {"dimension": "support", "points": 2, "rule_ids": ["elder.living_alone"]},
            {"dimension": "income", "points": 3, "rule_ids": ["elder.points.income_below_line"]},
            {"dimension": "health", "points": 2, "rule_ids": ["elder.points.self_care_partial"]},
        ],
        "findings": [finding(*f) for f in FINDINGS],
        "interventions": [intervention(*i) for i in INTERVENTIONS],
        "data_gaps": [
            {
                "field": "support_fulfilled",
                "message_zh": ruleset.data_gaps["elder"]["support_fulfilled"].message,
            }
        ],
        "model": None,
        "ruleset": {
            "id": "shouxian-2016-278",
            "version": ruleset.version,
            "sha256": ruleset.sha256,
            "values_as_of": "2026-11-28",  # the parameters as in force on assessment_date
        },
        "assessment_date": "2026-11-28",
    }


def test_one_whole_assessment_every_field(assessor):
    assessor = Assessor(assessor.ruleset, assessor.engine)  # built in this test (for mutmut)
    person = PERSON_ADAPTER.validate_python(ELDER)
    expected = expected_elder(assessor.ruleset)
    for data in (assessor.assess_data(person), assessor.assess_many([person])[0]):
        got = Assessment.model_validate(data).model_dump(mode="json", exclude={"assessment_id"})
        assert got == expected
    ids = {assessor.assess_data(person)["assessment_id"] for _ in range(3)}
    assert len(ids) == 3  # a new id for every assessment


class StandIn:
    """A model scorer (evaluation.serving.ModelScorer's interface) with a fixed band."""

    def __init__(self, band):
        self.band = band

    def block(self):
        return {"probability": 0.5, "band": self.band, "model_version": "stand-in"}

    def score_fact(self, fact):
        return self.block() if fact["category"] != "woman" else None

    def blocks(self, frame):
        women = frame["category"].to_numpy() == 2
        return [None if woman else self.block() for woman in women]


CHILD = {"category": "child", "age": 12, "psychological_concern": True}  # medium, 2 points


def test_the_model_block_and_raise_on_every_path(assessor):
    raising = Assessor(assessor.ruleset, assessor.engine, StandIn("high"))
    quiet = Assessor(assessor.ruleset, assessor.engine, StandIn("elevated"))
    person = PERSON_ADAPTER.validate_python(CHILD)
    woman = PERSON_ADAPTER.validate_python({"category": "woman", "age": 30})
    assert assessor.assess_data(person)["risk_level"] is RiskLevel.medium
    block = {"probability": 0.5, "model_version": "stand-in"}
    for data in (raising.assess_data(person), raising.assess_many([person, woman])[0]):
        assert data["risk_level"] is RiskLevel.high and data["risk_level_zh"] == "高"
        assert data["model"] == {**block, "band": "high", "raised_from": RiskLevel.medium}
    for data in (quiet.assess_data(person), quiet.assess_many([person])[0]):
        assert data["risk_level"] is RiskLevel.medium
        assert data["model"] == {**block, "band": "elevated", "raised_from": None}
    assert raising.assess_data(woman)["model"] is None
    assert raising.assess_many([person, woman])[1]["model"] is None


def test_assess_table_with_the_model(assessor):
    raising = Assessor(assessor.ruleset, assessor.engine, StandIn("high"))
    persons = [PERSON_ADAPTER.validate_python(p) for p in (CHILD, CHILD, ELDER)]
    table = persons_table(persons)
    facts = fact_table(table, assessor.ruleset)
    days = table["assessment_date"].to_numpy()
    assessed = assess_table(assessor.ruleset, facts, days, model=raising.model)
    assert list(assessed.level) == [RiskLevel.high, RiskLevel.high, RiskLevel.critical]
    assert [b["raised_from"] for b in assessed.model] == [RiskLevel.medium, RiskLevel.medium, None]
    assert len(assessed.patterns) == 2 and assessed.pattern[0] == assessed.pattern[1]
    np.testing.assert_array_equal(assessed.score(), [2, 2, 7])
    plain = assess_table(assessor.ruleset, facts, days)
    assert plain.model is None and plain.level.tolist() == [RiskLevel.medium] * 2 + [
        RiskLevel.critical
    ]


def test_more_than_64_rules_take_two_key_words(assessor):
    """With over 64 rules a person's key is two words (the np.unique branches of
    rules.vectorized and rules.assess_bulk); the table path must still equal the
    per-person one. The copies come first, so the second word holds the last rules
    alone, not copies of bits the first word already has."""
    ruleset = assessor.ruleset
    copies = [dataclasses.replace(r, id=f"{r.id}.copy") for r in ruleset.rules[:10]]
    wide = dataclasses.replace(ruleset, rules=[*copies, *ruleset.rules])
    assert len(wide.rules) > 64
    wide_assessor = Assessor.build(wide)
    persons = [PERSON_ADAPTER.validate_python(p) for p in generate(600, seed=64)]
    expected = wide_assessor.assess_many(persons)
    table = persons_table(persons)
    assessed = assess_table(wide, fact_table(table, wide), table["assessment_date"].to_numpy())
    assert assessed.patterns and len(assessed.patterns) < len(persons)
    copied = 0
    for i, one in enumerate(expected):
        pattern = assessed.patterns[assessed.pattern[i]]
        assert (pattern.category, assessed.level[i], assessed.score()[i]) == (
            one["category"],
            one["risk_level"],
            one["score"],
        )
        assert list(pattern.rule_ids) == [f["rule_id"] for f in one["findings"]]
        assert pattern.interventions == one["interventions"]
        assert pattern.data_gaps == one["data_gaps"]
        assert one == {
            **wide_assessor.assess_data(persons[i]),
            "assessment_id": one["assessment_id"],
        }
        copied += any(r.endswith(".copy") for r in pattern.rule_ids)
    assert copied > 50


S_C03 = {  # fixtures/scenarios: 12, grandfather of 78, no agreement, no assessment, no calls
    "category": "child",
    "age": 12,
    "father_status": "migrant",
    "mother_status": "migrant",
    "parents_informed_village": True,
    "parents_informed_school": True,
    "parent_contact_per_month": 0,
    "guardian_type": "grandparent",
    "guardian_age": 78,
    "guardian_capacity": "limited",
    "entrusted_agreement": False,
    "guardian_assessed": False,
    "lives_alone": False,
    "enrolled_in_school": True,
}


def test_points_add_up_per_dimension_and_clauses_merge(assessor):
    """Several rules in one dimension, and actions whose rules cite another clause."""
    for data in (
        assessor.assess_data(PERSON_ADAPTER.validate_python(S_C03)),
        assessor.assess_many([PERSON_ADAPTER.validate_python(S_C03)])[0],
    ):
        assert (data["risk_level"], data["score"]) == (RiskLevel.medium, 5)
        assert data["score_breakdown"] == [
            {
                "dimension": "guardianship",
                "points": 5,  # 1 + 2 + 1 + 1
                "rule_ids": [
                    "child.no_guardianship_agreement",
                    "child.guardian_capacity_unassessed",
                    "child.elderly_guardian",
                    "child.rare_parent_contact",
                ],
            }
        ]
        got = [(i["action"], i["rule_ids"], i["clauses"]) for i in data["interventions"]]
        assert got == [
            ("sign_guardianship_agreement", ["child.no_guardianship_agreement"], ["3.1.2"]),
            (
                "assess_guardian_capacity",
                ["child.guardian_capacity_unassessed", "child.elderly_guardian"],
                ["3.1.2"],
            ),
            ("township_home_visits", ["child.guardian_capacity_unassessed"], ["3.1.2"]),
            # the rule's clause (3.1.1) first, then the action's own
            ("facilitate_parent_contact", ["child.rare_parent_contact"], ["3.1.1", "3.1.2"]),
            ("school_pairing", ["child.rare_parent_contact"], ["3.1.1", "3.1.3"]),
        ]


def test_an_empty_table(assessor):
    facts = fact_table(persons_table([]), assessor.ruleset)
    assessed = assess_table(assessor.ruleset, facts, [])
    assert (len(assessed.patterns), len(assessed.level), len(assessed.pattern)) == (0, 0, 0)
    assert assessed.model is None and len(assessed.score()) == 0


def test_a_category_without_data_gap_entries(assessor):
    """A rules directory may list no data gaps for a category: none, on every path."""
    ruleset = dataclasses.replace(
        assessor.ruleset, data_gaps={"elder": assessor.ruleset.data_gaps["elder"]}
    )
    narrow = Assessor(ruleset, assessor.engine)
    child = PERSON_ADAPTER.validate_python({"category": "child", "age": 9})
    elder = PERSON_ADAPTER.validate_python({"category": "elder", "age": 70})
    assert narrow.assess_data(child)["data_gaps"] == []
    assert narrow.assess_many([child])[0]["data_gaps"] == []
    table = persons_table([child, elder])
    days = table["assessment_date"].to_numpy()
    assessed = assess_table(ruleset, fact_table(table, ruleset), days)
    assert assessed.patterns[assessed.pattern[0]].data_gaps == []
    assert assessed.patterns[assessed.pattern[1]].data_gaps  # the elder's are still listed
    assert narrow.assess_data(elder)["data_gaps"] == assessor.assess_data(elder)["data_gaps"]
