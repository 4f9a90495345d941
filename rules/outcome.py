"""What the fired rules mean for one person, or one pattern of people: points, level,
action codes and the interventions.

The one definition shared by the single assessment (``rules.assess.Assessor``) and
the column-wise assembler (``rules.assess_bulk.assess_table``, which calls it once per
pattern)::

    score, level, actions, interventions = outcome(ruleset, "child", fired, values,
                                                   False, templates)
"""

from typing import TYPE_CHECKING

from models.enums import RiskLevel
from rules.routing import route
from rules.scoring import final_level, score_actions

if TYPE_CHECKING:
    from rules.loader import RuleSet

VERIFY_ACTION = "verify_data"


def outcome(
    ruleset: "RuleSet",
    category: str,
    fired: list,
    values: dict,
    has_gaps: bool,
    templates: dict[str, dict] | None,
) -> tuple[int, RiskLevel, tuple[str, ...], list[dict] | None]:
    """``fired``: the rules that fired (in rule order); ``has_gaps``: a safety fact is
    unknown (``verify_data``); ``templates``: ``routing.action_templates`` under
    ``values``, or None for the cheap levels-only mode (no intervention lists)."""
    score = sum(values[rule.points] for rule in fired if rule.points)
    level = final_level([rule.level for rule in fired], score, category, values)
    extra = score_actions(ruleset, category, score, values)
    if has_gaps:
        extra.append(VERIFY_ACTION)
    if templates is None:
        codes = dict.fromkeys(code for rule in fired for code in rule.interventions)
        return score, level, tuple(codes | dict.fromkeys(extra)), None
    interventions = route(fired, templates, extra)
    return score, level, tuple(item["action"] for item in interventions), interventions
