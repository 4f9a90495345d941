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
- interventions: the exact, ordered list of interventions, each as
  ``action: "department [+ cooperating ...], <hours>h[, mandatory]"``
  (``and_others: true`` allows more interventions after or between them, and then
  only their attributes are checked, not the order)
- findings: ``{rule_id: {level, evidence}}`` for the rules named, exact
"""

import re

from models.person import PERSON_ADAPTER
from rules.conditions import holds


def check_case(case: dict, assessor) -> None:
    person = PERSON_ADAPTER.validate_python(case["input"])
    result = assessor.assess(person)
    _check_reference(assessor, person, {f.rule_id for f in result.findings})
    check_result(case, result)


_INTERVENTION = re.compile(
    r"^(?P<department>[a-z_]+)(?: \+ (?P<cooperating>[a-z_ ]+?))?, (?P<hours>\d+)h"
    r"(?P<mandatory>, mandatory)?$"
)


def parse_intervention(text: str) -> tuple:
    """``"county_public_security + village_committee school, 0h, mandatory"`` as
    (department, cooperating tuple, deadline hours, mandatory)."""
    match = _INTERVENTION.match(text)
    assert match, f"cannot read intervention {text!r}"
    cooperating = tuple((match["cooperating"] or "").split())
    return match["department"], cooperating, int(match["hours"]), bool(match["mandatory"])


def intervention_text(item) -> str:
    """The case-table form of one intervention (the inverse of ``parse_intervention``)."""
    coop = f" + {' '.join(item.cooperating)}" if item.cooperating else ""
    mandatory = ", mandatory" if item.mandatory_report else ""
    return f"{item.department}{coop}, {item.deadline_hours}h{mandatory}"


def _interventions_hold(expected: dict, result, and_others: bool) -> bool:
    got = {i.action: parse_intervention(intervention_text(i)) for i in result.interventions}
    want = {action: parse_intervention(text) for action, text in expected.items()}
    if and_others:
        return all(got.get(action) == attributes for action, attributes in want.items())
    return list(got.items()) == list(want.items())


def _findings_hold(expected: dict, result) -> bool:
    found = {f.rule_id: f for f in result.findings}
    for rule_id, want in expected.items():
        finding = found.get(rule_id)
        if finding is None or finding.level != (want.get("level") or None):
            return False
        if finding.evidence != want.get("evidence", {}):
            return False
    return True


def check_result(case: dict, result) -> None:
    """Compare an Assessment with the case's expected output."""
    expected = dict(case["output"])
    and_others = expected.pop("and_others", False)
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
        "interventions": lambda: _interventions_hold(expected["interventions"], result, and_others),
        "findings": lambda: _findings_hold(expected["findings"], result),
    }
    unknown = set(expected) - set(checks)
    assert not unknown, f"unknown output keys {unknown}"
    departments = sorted({i.department for i in result.interventions})
    got_interventions = {i.action: intervention_text(i) for i in result.interventions}
    got_findings = {
        f.rule_id: {"level": f.level and f.level.value, "evidence": f.evidence}
        for f in result.findings
    }
    for key in expected:
        assert checks[key](), (
            f"{key}: expected {expected[key]!r}; got level={result.risk_level.value}, "
            f"rules={sorted(fired)}, departments={departments}, "
            f"interventions={got_interventions}, findings={got_findings}, "
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

    fact = build_fact(person, assessor.ruleset)
    reference = {
        r.id
        for r in assessor.ruleset.for_category(person.category)
        if holds(r.when, fact, assessor.ruleset.values_at(person.assessment_date))
    }
    assert reference == fired, f"durable_rules fired {sorted(fired)}, reference {sorted(reference)}"
