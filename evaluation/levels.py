"""Levels, scores and interventions for a whole population at once, under any values.

The column-wise twin of ``rules.assess.Assessor.assemble``: the same floors,
points and cut-offs (``rules.scoring``), the same actions (``rules.routing``),
computed with numpy for every person. The tests compare it person by person
with ``Assessor.assess_many`` under changed parameters.
"""

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from models.enums import RiskLevel
from rules.assess import VERIFY_ACTION
from rules.loader import period_groups
from rules.vectorized import CATEGORIES, evaluate

LEVELS = tuple(level.value for level in RiskLevel)  # low, medium, high, critical (rank order)


@dataclass
class Scored:
    level: np.ndarray  # rank (0 low … 3 critical), int8
    score: np.ndarray  # points, int64
    fires: np.ndarray  # bool (persons, rules), rules in ruleset order
    actions: np.ndarray  # bool (persons, actions), actions in ``codes`` order
    codes: tuple[str, ...]  # action codes


def score_cohort(ruleset: Any, cohort: Any) -> Scored:
    """Every person of ``cohort`` under the values in force on their assessment date
    (``RuleSet.values_at``, overrides included), one pass per parameter period."""
    groups = period_groups(ruleset, cohort.days)
    if len(groups) == 1:
        values = ruleset.values_at(groups[0][0])
        return score(ruleset, cohort.facts_for(values), cohort.gaps, values)
    parts = []
    for start, rows in groups:
        values = ruleset.values_at(start)
        facts = cohort.facts_for(values).iloc[rows]
        parts.append((rows, score(ruleset, facts, cohort.gaps[rows], values)))
    return _stitch(parts, len(cohort))


def _stitch(parts: list[tuple[np.ndarray, Scored]], n: int) -> Scored:
    first = parts[0][1]
    whole = Scored(
        np.zeros(n, dtype=np.int8),
        np.zeros(n, dtype=np.int64),
        np.zeros((n, first.fires.shape[1]), dtype=bool),
        np.zeros((n, first.actions.shape[1]), dtype=bool),
        first.codes,
    )
    for rows, part in parts:
        whole.level[rows], whole.score[rows] = part.level, part.score
        whole.fires[rows], whole.actions[rows] = part.fires, part.actions
    return whole


def score(
    ruleset: Any, facts: pd.DataFrame, gaps: np.ndarray, values: dict | None = None
) -> Scored:
    """Levels, scores, fired rules and actions of ``facts`` under one set of ``values``
    (default ``ruleset.values``)."""
    values = ruleset.values if values is None else values
    rules = ruleset.rules
    fires = evaluate(ruleset, facts, values=values).values
    points = np.array([values[r.points] if r.points else 0 for r in rules], dtype=np.int64)
    total = fires.astype(np.int64) @ points
    floors = np.array([r.level.rank if r.level else -1 for r in rules], dtype=np.int8)
    floor = np.where(fires, floors, np.int8(-1)).max(axis=1, initial=-1)
    by_points = np.zeros(len(facts), dtype=np.int8)
    category = facts["category"].to_numpy()
    for code, name in enumerate(CATEGORIES):
        rows = category == code
        for level in (RiskLevel.medium, RiskLevel.high):  # high last: it wins
            cutoff = values.get(f"score.{name}.{level.value}")
            if cutoff is not None:
                by_points[rows & (total >= cutoff)] = level.rank
    level = np.maximum(floor, by_points).astype(np.int8)
    codes = tuple(ruleset.actions)
    incidence = np.zeros((len(rules), len(codes)), dtype=np.float32)
    for j, rule in enumerate(rules):
        for action in rule.interventions:
            incidence[j, codes.index(action)] = 1
    actions = (fires.astype(np.float32) @ incidence) > 0
    # as rules.scoring.score_actions: what the points level orders (3.2.3)
    for name, by_level in ruleset.score_actions.items():
        rows = category == CATEGORIES.index(name)
        for level_name, action_codes in by_level.items():
            reached = rows & (by_points >= RiskLevel(level_name).rank)
            for code in action_codes:
                actions[:, codes.index(code)] |= reached
    if VERIFY_ACTION in codes:
        actions[:, codes.index(VERIFY_ACTION)] |= gaps
    return Scored(level, total, fires, actions, codes)


def workload(ruleset: Any, scored: Scored) -> pd.DataFrame:
    """Persons per action, with its department and deadline under ``ruleset.values``."""
    counts = scored.actions.sum(axis=0)
    rows = []
    for code, count in zip(scored.codes, counts, strict=True):
        action = ruleset.actions[code]
        rows.append(
            {
                "action": code,
                "department": action.department,
                "department_zh": ruleset.departments[action.department].zh,
                "deadline_hours": ruleset.values[action.deadline],
                "persons": int(count),
            }
        )
    return pd.DataFrame(rows)


def level_counts(level: np.ndarray) -> dict[str, int]:
    counts = np.bincount(level.astype(np.int64), minlength=len(LEVELS))
    return {name: int(n) for name, n in zip(LEVELS, counts, strict=True)}
