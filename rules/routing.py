"""Interventions: the actions of the fired rules, merged per (action, department).

The order is part of the contract: mandatory reports first, then by deadline
(``deadline_hours``, shortest first); ties keep the order in which the actions first
appear when the fired rules are read in rule order (policy/children.yaml, elders.yaml,
women.yaml, each top to bottom) and each rule's ``interventions`` in its listed order;
``extra`` actions (``verify_data``) come after every rule's action of the same urgency.
Held by tests/rules/test_order.py (full lists, and the rule over generated persons).
Returns plain dicts (validated once, with the whole assessment, where needed).
"""

from collections.abc import Sequence
from typing import Any


def action_templates(ruleset: Any, values: dict[str, Any] | None = None) -> dict[str, dict]:
    """Each action's public fields, with the deadlines under ``values`` (default
    ``ruleset.values``), resolved once per parameter period."""
    values = ruleset.values if values is None else values
    return {
        code: {
            "action": action.code,
            "title_zh": action.title,
            "department": action.department,
            "department_zh": ruleset.departments[action.department].zh,
            "cooperating": list(action.cooperating),
            "deadline_hours": values[action.deadline],
            "mandatory_report": action.mandatory_report,
            "clause": action.clause,
        }
        for code, action in ruleset.actions.items()
    }


def route(fired: list, templates: dict[str, dict], extra: Sequence[str] = ()) -> list[dict]:
    """``fired``: rules that fired; ``extra``: action codes added without a rule."""
    merged: dict[str, dict] = {}  # an action has one department: its code is the merge key
    for rule in fired:
        for code in rule.interventions:
            _merge(merged, templates[code], rule.id, rule.clause)
    for code in extra:
        _merge(merged, templates[code], "", None)
    return sorted(merged.values(), key=_urgency)


def _merge(merged: dict, template: dict, rule_id: str, rule_clause: str | None) -> None:
    item = merged.get(template["action"])
    if item is None:
        item = merged[template["action"]] = {**template, "rule_ids": [], "clauses": []}
    if rule_id:
        item["rule_ids"].append(rule_id)  # each rule lists an action once
    clauses = item["clauses"]
    if rule_clause and rule_clause not in clauses:
        clauses.append(rule_clause)
    if template["clause"] not in clauses:
        clauses.append(template["clause"])


def _urgency(item: dict) -> tuple:
    """The sort key; ``sorted`` is stable, so ties keep first-appearance order."""
    return (not item["mandatory_report"], item["deadline_hours"])
