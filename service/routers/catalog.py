"""What is in force: rules, parameters, departments, the ruleset's identity.

Values are those in force on ``as_of`` (a query parameter, default today), taken
afresh on every request: a server running across an effective date shows the new
value from that day on.
"""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query

from rules.errors import PeriodError
from rules.loader import describe
from rules.routing import action_templates
from service.deps import AssessorDep
from service.responses import DepartmentPublic, ParameterPublic, RulePublic, RulesetPublic

router = APIRouter(prefix="/v1", tags=["catalog"])


RuleId = Annotated[str, Path(max_length=128, description="a rule's id, e.g. child.lives_alone")]
AsOf = Annotated[
    date | None, Query(description="the date the values are in force on (default today)")
]


def _values(ruleset, as_of: date | None) -> tuple[date, dict]:
    day = as_of or date.today()
    if day < ruleset.first_day:
        raise PeriodError(day, ruleset.first_day)
    return day, ruleset.values_at(day)


def _rule_public(rule, ruleset, values: dict) -> dict:
    data = describe(rule)
    data["points"] = values[rule.points] if rule.points else 0
    data["points_parameter"] = rule.points
    templates = action_templates(ruleset, values)
    data["interventions"] = [
        _action_public(ruleset.actions[c], templates) for c in rule.interventions
    ]
    return data


def _action_public(action, templates: dict[str, dict]) -> dict:
    """The intervention as assessments show it, plus its deadline parameter and policy words."""
    return templates[action.code] | {"deadline_parameter": action.deadline, "text": action.text}


@router.get("/rules", summary="The rules in force")
async def list_rules(assessor: AssessorDep, as_of: AsOf = None) -> list[RulePublic]:
    _, values = _values(assessor.ruleset, as_of)
    return [_rule_public(rule, assessor.ruleset, values) for rule in assessor.ruleset.rules]


@router.get("/rules/{rule_id}", summary="One rule")
async def get_rule(rule_id: RuleId, assessor: AssessorDep, as_of: AsOf = None) -> RulePublic:
    ruleset = assessor.ruleset
    _, values = _values(ruleset, as_of)
    return _rule_public(ruleset.rule(rule_id), ruleset, values)


@router.get("/parameters", summary="Tunable thresholds with value, unit, reference, effective date")
async def list_parameters(assessor: AssessorDep, as_of: AsOf = None) -> list[ParameterPublic]:
    ruleset = assessor.ruleset
    day, values = _values(ruleset, as_of)
    return [
        {
            "name": p.name,
            "description": p.description,
            "value": values[p.name],
            "unit": p.unit,
            "reference": p.reference,
            "effective_date": p.effective_date(day).isoformat(),
            "tunable": p.tunable,
            "min": p.min,
            "max": p.max,
            "note": p.note,
            "history": {d.isoformat(): v for d, v in sorted(p.values.items())},
        }
        for p in ruleset.parameters.values()
    ]


@router.get("/departments", summary="Responsible departments")
async def list_departments(assessor: AssessorDep) -> list[DepartmentPublic]:
    return [
        {"code": d.code, "zh": d.zh, "level": d.level}
        for d in assessor.ruleset.departments.values()
    ]


@router.get("/ruleset", summary="Identity of the rules and parameters in force")
async def get_ruleset(assessor: AssessorDep) -> RulesetPublic:
    ruleset = assessor.ruleset
    return {
        "id": ruleset.id,
        "version": ruleset.version,
        "sha256": ruleset.sha256,
        "as_of": date.today().isoformat(),
        "periods": [d.isoformat() for d in ruleset.periods],
        "rules": len(ruleset.rules),
        "parameters": len(ruleset.parameters),
    }
