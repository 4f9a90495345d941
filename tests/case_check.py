"""Check one case-table row against an assessment.

``output`` keys (all optional):
- risk_level: exact level
- rules: exact set of rules that fire
- departments: each must be responsible for at least one intervention
- actions: each must be among the interventions
- clauses: each must be cited by a finding or an intervention
- mandatory_report: whether any intervention is a mandatory report
- left_behind, score: exact
- data_gaps: exact set of fields listed
"""

from models.person import PERSON_ADAPTER
from rules.conditions import holds


def check_case(case: dict, assessor) -> None:
    person = PERSON_ADAPTER.validate_python(case["input"])
    result = assessor.assess(person)
    _check_reference(assessor, person, {f.rule_id for f in result.findings})
    check_result(case, result)


def check_result(case: dict, result) -> None:
    """Compare an Assessment with the case's expected output."""
    expected = case["output"]
    fired = {f.rule_id for f in result.findings}
    checks = {
        "risk_level": lambda: result.risk_level.value == expected["risk_level"],
        "rules": lambda: fired == set(expected["rules"]),
        "departments": lambda: (
            set(expected["departments"]) <= {i.department for i in result.interventions}
        ),
        "actions": lambda: set(expected["actions"]) <= {i.action for i in result.interventions},
        "clauses": lambda: set(expected["clauses"]) <= _clauses(result),
        "mandatory_report": lambda: (
            any(i.mandatory_report for i in result.interventions) == expected["mandatory_report"]
        ),
        "left_behind": lambda: result.left_behind == expected["left_behind"],
        "score": lambda: result.score == expected["score"],
        "data_gaps": lambda: {g.field for g in result.data_gaps} == set(expected["data_gaps"]),
    }
    unknown = set(expected) - set(checks)
    assert not unknown, f"unknown output keys {unknown}"
    departments = sorted({i.department for i in result.interventions})
    actions = [i.action for i in result.interventions]
    for key in expected:
        assert checks[key](), (
            f"{key}: expected {expected[key]!r}; got level={result.risk_level.value}, "
            f"rules={sorted(fired)}, departments={departments}, actions={actions}, "
            f"clauses={sorted(_clauses(result))}, left_behind={result.left_behind}, "
            f"score={result.score}, gaps={[g.field for g in result.data_gaps]}"
        )


def _clauses(result) -> set[str]:
    return {f.clause for f in result.findings} | {
        c for i in result.interventions for c in i.clauses
    }


def _check_reference(assessor, person, fired: set[str]) -> None:
    """The compiled durable_rules ruleset agrees with the reference evaluator."""
    from rules.facts import build_fact

    fact = build_fact(person, assessor.ruleset.values)
    reference = {
        r.id
        for r in assessor.ruleset.for_category(person.category)
        if holds(r.when, fact, assessor.ruleset.values)
    }
    assert reference == fired, f"durable_rules fired {sorted(fired)}, reference {sorted(reference)}"
