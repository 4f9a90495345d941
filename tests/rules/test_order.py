"""The order of interventions is part of the contract (rules/routing.py):
mandatory reports first, then by deadline, ties in first-appearance order over the
fired rules (rule order, each rule's listed actions), ``verify_data`` after the
rules' actions of its urgency.

Full lists for real persons, then the rule itself over generated persons on both
evaluators. A full list changes only when a rule, an action or a deadline does.
"""

import itertools

import pytest

from fixtures.generate import generate
from models.person import PERSON_ADAPTER
from rules.scoring import score_actions

POLICE, CIVIL, TOWNSHIP = "county_public_security", "county_civil_affairs", "township_government"
VILLAGE, ASSOCIATION = "village_committee", "elderly_association"

# (person, [(action, department, deadline_hours)] in the order the service returns them)
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
            ("report_to_police", POLICE, 0),
            ("police_investigate", POLICE, 0),
            ("order_parents_return", POLICE, 0),
            ("temporary_care", POLICE, 0),
            ("child_evaluation_services", TOWNSHIP, 0),
            ("contact_parents_return", POLICE, 0),
            ("notify_township", POLICE, 24),
            ("designate_guardian", VILLAGE, 24),  # nobody looks after him (3.1.4, 3.1.2)
        ],
    ),
    "child of 9 with injuries, suspected domestic violence": (
        {
            "category": "child",
            "age": 9,
            "father_status": "deceased",
            "mother_status": "home",
            "guardian_type": "parent",
            "guardian_capacity": "full",
            "lives_alone": False,
            "suspected_domestic_violence": True,
            "suspected_injury": True,
        },
        [
            ("report_to_police", POLICE, 0),
            ("police_investigate", POLICE, 0),
            ("stop_domestic_violence", POLICE, 0),
            ("shelter_placement", CIVIL, 0),
            ("child_evaluation_services", TOWNSHIP, 0),
            ("stop_harm_protect", POLICE, 0),
            ("evidence_and_medical", POLICE, 24),
            ("notify_township", POLICE, 24),
            ("police_penalty", POLICE, 24),
        ],
    ),
    "child of 13 out of school, absent, guardianship unknown": (
        {
            "category": "child",
            "age": 13,
            "dropped_out": True,
            "enrolled_in_school": False,
            "unexcused_absence_days": 5,
        },
        [
            ("persuade_return_to_school", "school", 24),
            ("absence_follow_up", "school", 24),
            ("verify_data", VILLAGE, 24),
            ("dropout_written_report", "school", 168),
        ],
    ),
    "elder of 78 in critical condition, living alone (README example)": (
        {
            "category": "elder",
            "age": 78,
            "annual_income": 3600,
            "children_count": 2,
            "children_away_count": 2,
            "child_at_home": False,
            "support_fulfilled": True,
            "self_care": "partial",
            "living_arrangement": "alone",
            "critical_condition": True,
        },
        [
            ("elder_emergency_report", TOWNSHIP, 0),
            ("elder_care_rescue", TOWNSHIP, 24),
            ("periodic_assessment", TOWNSHIP, 24),  # 7 points: high (3.2.3's measures)
            ("neighbourly_help", ASSOCIATION, 720),
            ("low_fee_nursing_care", CIVIL, 720),
            ("day_care", TOWNSHIP, 720),
            ("free_health_check", "medical_institution", 720),
        ],
    ),
    "elder of 82 abused, support unknown": (
        {
            "category": "elder",
            "age": 82,
            "suspected_abuse": True,
            "self_care": "partial",
            "living_arrangement": "alone",
            "children_count": 2,
            "children_away_count": 2,
            "child_at_home": False,
            "annual_income": 4000,
        },
        [
            ("elder_emergency_report", TOWNSHIP, 0),
            ("elder_police_penalty", POLICE, 24),
            ("elder_care_rescue", TOWNSHIP, 24),
            ("periodic_assessment", TOWNSHIP, 24),
            ("verify_data", VILLAGE, 24),
            ("neighbourly_help", ASSOCIATION, 720),
            ("low_fee_nursing_care", CIVIL, 720),
            ("day_care", TOWNSHIP, 720),
            ("free_health_check", "medical_institution", 720),
        ],
    ),
    "woman whose husband works away, domestic violence": (
        {
            "category": "woman",
            "age": 35,
            "husband_migrant": True,
            "suspected_domestic_violence": True,
            "psychological_distress": True,
            "labor_shortage": True,
        },
        [
            ("stop_violence_against_women", POLICE, 0),
            ("women_rights_protection", "county_women_federation", 24),
            ("women_legal_aid", "county_justice", 24),
            ("mutual_aid_group", VILLAGE, 720),
            ("women_health_services", "medical_institution", 720),
        ],
    ),
}


def listed(assessment: dict) -> list[tuple]:
    return [
        (i["action"], i["department"], i["deadline_hours"]) for i in assessment["interventions"]
    ]


@pytest.mark.parametrize("name", list(PERSONS))
def test_full_ordered_lists(assessor, name):
    raw, expected = PERSONS[name]
    person = PERSON_ADAPTER.validate_python({**raw, "assessment_date": "2026-11-28"})
    one = assessor.assess_data(person)
    assert listed(one) == expected
    (many,) = assessor.assess_many([person])
    assert listed(many) == expected


def order_violations(assessment: dict, rules: dict, ruleset) -> list[str]:
    """Where ``assessment`` breaks the order rule, said in words (empty: it holds)."""
    walk = [code for f in assessment["findings"] for code in rules[f["rule_id"]].interventions]
    # what the points order (score_actions.yaml) comes after the rules' actions, then verify_data
    values = ruleset.values_at(assessment["assessment_date"])
    walk += score_actions(ruleset, assessment["category"], assessment["score"], values)
    walk += ["verify_data"] if assessment["data_gaps"] else []
    first = {code: walk.index(code) for code in walk}
    items = assessment["interventions"]
    codes = [i["action"] for i in items]
    problems = []
    if sorted(codes) != sorted(first):
        problems.append(f"actions {codes} are not the fired rules' {sorted(first)}")
    for a, b in itertools.pairwise(items):
        key_a = (not a["mandatory_report"], a["deadline_hours"])
        key_b = (not b["mandatory_report"], b["deadline_hours"])
        if key_a > key_b or (key_a == key_b and first[a["action"]] > first[b["action"]]):
            problems.append(f"{a['action']} {key_a} before {b['action']} {key_b}")
    for item in items:
        behind = [f["rule_id"] for f in assessment["findings"]]
        behind = [r for r in behind if item["action"] in rules[r].interventions]
        if item["rule_ids"] != behind:
            problems.append(f"{item['action']}: rule_ids {item['rule_ids']} != {behind}")
    return problems


@pytest.mark.parametrize("path", ["durable", "vectorized"])
def test_the_order_rule_holds_for_generated_persons(assessor, path):
    rules = {rule.id: rule for rule in assessor.ruleset.rules}
    order = {rule.id: n for n, rule in enumerate(assessor.ruleset.rules)}
    persons = [PERSON_ADAPTER.validate_python(r) for r in generate(2_000, seed=21)]
    if path == "durable":
        scored = [assessor.assess_data(p) for p in persons]
    else:
        scored = assessor.assess_many(persons)
    ties = mixed = 0
    for assessment in scored:
        ids = [f["rule_id"] for f in assessment["findings"]]
        assert ids == sorted(ids, key=order.get), f"findings not in rule order: {ids}"
        problems = order_violations(assessment, rules, assessor.ruleset)
        assert not problems, f"{assessment['person_id']}: {problems}"
        keys = [
            (not i["mandatory_report"], i["deadline_hours"]) for i in assessment["interventions"]
        ]
        ties += len(keys) - len(set(keys))
        mixed += len(set(keys)) >= 3
    assert ties > 1000 and mixed > 300  # the rule was exercised, not vacuously true
