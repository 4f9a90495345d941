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
from rules.vectorized import CATEGORIES, evaluate

LEVELS = tuple(level.value for level in RiskLevel)  # low, medium, high, critical (rank order)


@dataclass
class Scored:
    level: np.ndarray  # rank (0 low … 3 critical), int8
    score: np.ndarray  # points, int64
    fires: np.ndarray  # bool (persons, rules), rules in ruleset order
    actions: np.ndarray  # bool (persons, actions), actions in ``codes`` order
    codes: tuple[str, ...]  # action codes


def score(ruleset: Any, facts: pd.DataFrame, gaps: np.ndarray) -> Scored:
    values, rules = ruleset.values, ruleset.rules
    fires = evaluate(ruleset, facts).values
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
