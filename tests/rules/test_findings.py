"""Findings exactly: rule, level, points and evidence, for real persons; and over
generated persons, that each finding's evidence is every known fact its rule reads,
and is enough on its own to make the rule hold."""

import pytest

from fixtures.generate import generate
from models.person import PERSON_ADAPTER
from rules.conditions import fields_of, holds
from rules.facts import build_fact

PERSONS = {
    "child of 10 living alone, guardian without capacity (README example)": (
        {
            "category": "child",
            "age": 10,
            "father_status": "migrant",
            "mother_status": "migrant",
            "parents_informed_village": True,
            "guardian_type": "none",
            "guardian_capacity": "none",
            "lives_alone": True,
            "enrolled_in_school": True,
        },
        [
            ("child.lives_alone", "critical", 0, {"age": 10, "lives_alone": True}),
            (
                "child.guardian_incapacity",
                "critical",
                0,  # evidence: every known fact the rule reads (parents' status too)
                {
                    "father_status": "migrant",
                    "guardian_capacity": "none",
                    "guardian_type": "none",
                    "mother_status": "migrant",
                },
            ),
            (
                "child.unattended",  # nobody looks after him: 脱离监护 (3.1.4)
                "critical",
                0,
                {"age": 10, "guardian_type": "none", "lives_alone": True},
            ),
        ],
    ),
    "S-E03: elder of 74, support unpaid 14 months despite admonition, 5,200 元": (
        {
            "category": "elder",
            "age": 74,
            "annual_income": 5200,
            "children_count": 2,
            "children_away_count": 2,
            "child_at_home": False,
            "caregiver_entrusted": True,
            "children_informed_village": True,
            "support_fulfilled": False,
            "support_neglect_months": 14,
            "admonished": True,
            "self_care": "full",
            "living_arrangement": "spouse_only",
            "last_health_check": "2026-05-01",
        },
        [
            (
                "elder.support_neglect",
                "high",
                0,
                {"support_fulfilled": False, "support_neglect_months": 14},
            ),
            (
                "elder.support_public_interest_suit",
                "high",
                0,
                {"admonished": True, "support_fulfilled": False, "support_neglect_months": 14},
            ),
            (
                "elder.day_care",
                None,
                0,
                {
                    "age": 74,
                    "income_pct_of_line": 66,  # 5,200 of 7,800 元, floored
                    "living_arrangement": "spouse_only",
                    "self_care": "full",
                },
            ),
            ("elder.points.income_below_line", None, 3, {"income_pct_of_line": 66}),
            ("elder.points.support_not_fulfilled", None, 3, {"support_fulfilled": False}),
        ],
    ),
    "woman, domestic violence and no hands for the harvest": (
        {
            "category": "woman",
            "age": 35,
            "husband_migrant": True,
            "suspected_domestic_violence": True,
            "labor_shortage": True,
        },
        [
            ("woman.labor_shortage", None, 0, {"labor_shortage": True}),
            ("woman.domestic_violence", "critical", 0, {"suspected_domestic_violence": True}),
        ],
    ),
}


def _findings(assessment: dict) -> list[tuple]:
    return [
        (f["rule_id"], f["level"] and f["level"].value, f["points"], f["evidence"])
        for f in assessment["findings"]
    ]


@pytest.mark.parametrize("name", list(PERSONS))
def test_exact_findings(assessor, name):
    raw, expected = PERSONS[name]
    person = PERSON_ADAPTER.validate_python({**raw, "assessment_date": "2026-11-28"})
    assert _findings(assessor.assess_data(person)) == expected
    assert _findings(assessor.assess_many([person])[0]) == expected


def test_evidence_is_what_the_rule_read(assessor):
    ruleset = assessor.ruleset
    rules = {rule.id: rule for rule in ruleset.rules}
    persons = [PERSON_ADAPTER.validate_python(r) for r in generate(2_000, seed=17)]
    checked = 0
    for person in persons:
        fact = build_fact(person, ruleset)
        for finding in assessor.assess_data(person)["findings"]:
            rule = rules[finding["rule_id"]]
            evidence = finding["evidence"]
            known = {f: fact[f] for f in fields_of(rule.when) if fact.get(f) is not None}
            assert evidence == known, f"{person.person_id} {rule.id}: {evidence} != {known}"
            assert evidence, f"{person.person_id} {rule.id}: no evidence"
            values = ruleset.values_at(person.assessment_date)
            assert holds(rule.when, evidence, values), f"{rule.id}: {evidence}"
            checked += 1
    assert checked > 5_000
