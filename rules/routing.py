"""Interventions: the actions of the fired rules, merged per (action, department).

Sorted by urgency: mandatory reports first, then by deadline.
"""

from typing import Any

from models.assessment import Intervention


def route(fired: list, ruleset: Any, extra: list[tuple[str, str]] = ()) -> list[Intervention]:
    """``fired``: rules that fired; ``extra``: (action code, rule id or "") pairs to add."""
    pairs = [(code, rule.id, rule.clause) for rule in fired for code in rule.interventions]
    pairs += [(code, rule_id, None) for code, rule_id in extra]
    merged: dict[tuple[str, str], Intervention] = {}
    for code, rule_id, rule_clause in pairs:
        action = ruleset.actions[code]
        item = merged.get((code, action.department))
        if item is None:
            item = merged[(code, action.department)] = _intervention(action, ruleset)
        if rule_id and rule_id not in item.rule_ids:
            item.rule_ids.append(rule_id)
        for clause in (rule_clause, action.clause):
            if clause and clause not in item.clauses:
                item.clauses.append(clause)
    return sorted(merged.values(), key=_urgency)


def _intervention(action: Any, ruleset: Any) -> Intervention:
    return Intervention(
        action=action.code,
        title_zh=action.title,
        department=action.department,
        department_zh=ruleset.departments[action.department].zh,
        cooperating=list(action.cooperating),
        deadline_hours=ruleset.values[action.deadline],
        mandatory_report=action.mandatory_report,
        clause=action.clause,
        rule_ids=[],
        clauses=[],
    )


def _urgency(item: Intervention) -> tuple:
    return (not item.mandatory_report, item.deadline_hours)  # stable: rule order breaks ties
