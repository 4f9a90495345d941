"""Level and score: the highest of the rules' floors and the points' level.

``critical`` comes only from a floor and nothing here can lower it.

>>> points_level("elder", 7, {"score.elder.medium": 3, "score.elder.high": 6})
<RiskLevel.high: 'high'>
"""

from typing import TYPE_CHECKING, Any

from models.enums import RiskLevel

if TYPE_CHECKING:
    from rules.loader import RuleSet

_CUTOFF_NAMES = {
    category: (
        (RiskLevel.high, f"score.{category}.high"),
        (RiskLevel.medium, f"score.{category}.medium"),
    )
    for category in ("child", "elder", "woman")
}


def points_level(category: str, total: int, values: dict[str, Any]) -> RiskLevel:
    """The level a points total reaches through the category's cut-offs."""
    for level, name in _CUTOFF_NAMES[category]:
        cutoff = values.get(name)
        if cutoff is not None and total >= cutoff:
            return level
    return RiskLevel.low


def final_level(
    floors: list[RiskLevel | None], total: int, category: str, values: dict
) -> RiskLevel:
    """max(floors of fired rules, level of the points total)."""
    return RiskLevel.highest([f for f in floors if f] + [points_level(category, total, values)])


def score_actions(ruleset: "RuleSet", category: str, total: int, values: dict) -> list[str]:
    """The actions the points total orders (rules/data/score_actions.yaml): 3.2.3's
    targeted measures when the periodic assessment reaches ``high``."""
    by_level = ruleset.score_actions.get(category)
    if not by_level:
        return []
    reached = points_level(category, total, values)
    return [
        code
        for level, codes in by_level.items()
        if reached.rank >= RiskLevel(level).rank
        for code in codes
    ]


MODEL_RAISES_BAND = "high"
_NEXT = {RiskLevel.low: RiskLevel.medium, RiskLevel.medium: RiskLevel.high}


def with_model(level: RiskLevel, band: str | None) -> RiskLevel:
    """The level after the optional model: its ``high`` band raises low or medium one step.

    Never lowers, never more than one step, never to or from ``critical`` (that
    comes only from the policy's floors), and a ``high`` level stays ``high``.
    """
    if band == MODEL_RAISES_BAND:
        return _NEXT.get(level, level)
    return level


def apply_model(level: RiskLevel, block: dict) -> tuple[RiskLevel, dict]:
    """The level after the model's block, and the block saying what it raised from."""
    raised = with_model(level, block["band"])
    return raised, {**block, "raised_from": level if raised != level else None}
