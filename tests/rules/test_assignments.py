"""rules/data/actions.yaml, and every intervention the service returns, against
tests/rules/assignments.yaml: what the policy assigns (department, cooperating,
deadline, mandatory report, clause), read from the policy text.

A change to a department or a deadline is a change of both files, with the clause
beside it. Where the table's reading of the policy differs from actions.yaml, the pair
is listed in KNOWN_DISAGREEMENTS (test ids ending in -KNOWN) with actions.yaml's present
value and the reason; any change to such a field fails until the list is updated.
"""

from datetime import date
from pathlib import Path

import pytest
import yaml

from fixtures.generate import generate
from models.person import PERSON_ADAPTER
from rules.clauses import load_clauses, quotes_clause

TABLE_PATH = Path(__file__).with_name("assignments.yaml")
TABLE: dict[str, dict] = yaml.safe_load(TABLE_PATH.read_text("utf-8"))
FIELDS = ("department", "cooperating", "deadline", "hours", "mandatory_report", "clause")

# KNOWN_DISAGREEMENTS: (action, field) -> (what actions.yaml gives today, why the policy
# says otherwise). Reported to the lead; actions.yaml is not changed here. Each entry pins
# actions.yaml's present value, so any change to that field fails too: a fix (then
# remove the entry) as much as a new fault hiding behind a known one.
KNOWN_DISAGREEMENTS: dict[tuple[str, str], tuple[object, str]] = {
    # none: the six readings first listed here (admonish_guardian with the police,
    # social_assistance and register_children_whereabouts 及时, the reporters of 3.1.4 and
    # 3.2.3 as cooperating bodies, periodic_assessment's measures 及时) are in actions.yaml
}


TODAY = date.today()


def hours_of(ruleset, parameter: str) -> object:
    """The parameter's value in force today (deadlines are in hours)."""
    return ruleset.parameters[parameter].value_at(TODAY)


def action_fields(ruleset, code: str) -> dict:
    """What actions.yaml (as loaded) gives the action, in the table's terms."""
    action = ruleset.actions[code]
    return {
        "department": action.department,
        "cooperating": sorted(action.cooperating),
        "deadline": action.deadline,
        "hours": hours_of(ruleset, action.deadline),
        "mandatory_report": action.mandatory_report,
        "clause": action.clause,
    }


def table_fields(code: str) -> dict:
    row = TABLE[code]
    return {**{f: row[f] for f in FIELDS}, "cooperating": sorted(row["cooperating"])}


def expected_fields(code: str) -> dict:
    """The table's fields, except where a known disagreement pins actions.yaml's value."""
    fields = table_fields(code)
    for (action, name), (present, _) in KNOWN_DISAGREEMENTS.items():
        if action == code:
            fields[name] = sorted(present) if name == "cooperating" else present
    return fields


def _pairs():
    for code in sorted(TABLE):
        for name in FIELDS:
            known = (code, name) in KNOWN_DISAGREEMENTS
            yield pytest.param(code, name, id=f"{code}-{name}" + ("-KNOWN" if known else ""))


def test_every_action_has_a_row_and_every_row_an_action(ruleset):
    missing = sorted(set(ruleset.actions) - set(TABLE))
    extra = sorted(set(TABLE) - set(ruleset.actions))
    assert not missing, f"actions with no row in {TABLE_PATH.name}: {missing} (add, with clause)"
    assert not extra, f"rows in {TABLE_PATH.name} for actions that do not exist: {extra}"
    for key in KNOWN_DISAGREEMENTS:
        assert key[0] in TABLE and key[1] in FIELDS, f"stale KNOWN_DISAGREEMENTS entry {key}"


@pytest.mark.parametrize(("code", "name"), list(_pairs()))
def test_actions_yaml_assigns_what_the_policy_assigns(ruleset, code, name):
    if code not in ruleset.actions:
        pytest.fail(f"{code}: in {TABLE_PATH.name} but not in actions.yaml")
    policy, data = table_fields(code)[name], action_fields(ruleset, code)[name]
    row = TABLE[code]
    if (code, name) in KNOWN_DISAGREEMENTS:
        present, reason = KNOWN_DISAGREEMENTS[(code, name)]
        assert data != policy, f"{code}.{name} now agrees with the policy: remove it from KNOWN"
        assert data == expected_fields(code)[name], (
            f"{code}.{name}: the rule data give {data!r}; the known disagreement was "
            f"{present!r} and the policy ({row['clause']}) says {policy!r} ({reason})"
        )
        return
    assert data == policy, (
        f"{code}.{name}: the rule data give {data!r}, the policy ({row['clause']}) "
        f"{policy!r}: {row['policy']}"
    )


@pytest.mark.parametrize("code", sorted(TABLE))
def test_the_table_quotes_the_policy_and_uses_real_codes(ruleset, code):
    clauses, row = load_clauses(), TABLE[code]
    assert set(row) <= {*FIELDS, "policy", "reading", "also"}, f"{code}: unknown keys"
    assert quotes_clause(row["policy"], clauses[row["clause"]]), (
        f"{code}: the words are not verbatim in clause {row['clause']}"
    )
    if "also" in row:
        assert quotes_clause(row["also"]["policy"], clauses[row["also"]["clause"]]), code
    for department in [row["department"], *row["cooperating"]]:
        assert department in ruleset.departments, f"{code}: unknown department {department}"
    assert row["department"] not in row["cooperating"], code
    assert len(set(row["cooperating"])) == len(row["cooperating"]), code
    value = hours_of(ruleset, row["deadline"])
    assert value == row["hours"], (
        f"{code}: {row['deadline']} is {value} h, the table says {row['hours']} h"
    )


def test_only_the_two_reports_of_the_contract_are_mandatory():
    mandatory = sorted(code for code, row in TABLE.items() if row["mandatory_report"])
    assert mandatory == ["elder_emergency_report", "report_to_police"]


def test_every_returned_intervention_carries_its_assignment(assessor):
    """Output, not data: what routing puts in each intervention, for generated persons.

    Where the table and actions.yaml disagree (the known list), the output must carry
    the value the list pins: routing adds nothing of its own.
    """
    ruleset, seen = assessor.ruleset, set()
    for raw in generate(3_000, seed=16):
        assessment = assessor.assess_data(PERSON_ADAPTER.validate_python(raw))
        for item in assessment["interventions"]:
            code = item["action"]
            seen.add(code)
            got = {
                "department": item["department"],
                "cooperating": sorted(item["cooperating"]),
                "hours": item["deadline_hours"],
                "mandatory_report": item["mandatory_report"],
                "clause": item["clause"],
            }
            expected_all = expected_fields(code)
            for name, value in got.items():
                expected = expected_all[name]
                assert value == expected, (
                    f"{raw['person_id']}: {code}.{name} is {value!r}, expected {expected!r}"
                )
            assert item["department_zh"] == ruleset.departments[item["department"]].zh, code
    used = {code for rule in ruleset.rules for code in rule.interventions} | {"verify_data"}
    assert used <= seen, f"never returned to a generated person: {sorted(used - seen)}"
