"""Interventions: the actions of the fired rules, merged per (action, department).

Sorted by urgency: mandatory reports first, then by deadline; ties keep rule order.
Returns plain dicts (validated once, with the whole assessment).
"""

from typing import Any


def action_templates(ruleset: Any) -> dict[str, dict]:
    """Each action's public fields, resolved once per ruleset."""
    return {
        code: {
            "action": action.code,
            "title_zh": action.title,
            "department": action.department,
            "department_zh": ruleset.departments[action.department].zh,
            "cooperating": list(action.cooperating),
            "deadline_hours": ruleset.values[action.deadline],
            "mandatory_report": action.mandatory_report,
            "clause": action.clause,
        }
        for code, action in ruleset.actions.items()
    }


def route(fired: list, templates: dict[str, dict], extra: list[str] = ()) -> list[dict]:
    """``fired``: rules that fired; ``extra``: action codes added without a rule."""
    pairs = [(code, rule.id, rule.clause) for rule in fired for code in rule.interventions]
    pairs += [(code, "", None) for code in extra]
    merged: dict[tuple[str, str], dict] = {}
    for code, rule_id, rule_clause in pairs:
        template = templates[code]
        key = (code, template["department"])
        item = merged.get(key)
        if item is None:
            item = merged[key] = {**template, "rule_ids": [], "clauses": []}
        if rule_id and rule_id not in item["rule_ids"]:
            item["rule_ids"].append(rule_id)
        for clause in (rule_clause, template["clause"]):
            if clause and clause not in item["clauses"]:
                item["clauses"].append(clause)
    return sorted(merged.values(), key=_urgency)


def _urgency(item: dict) -> tuple:
    return (not item["mandatory_report"], item["deadline_hours"])
