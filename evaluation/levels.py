"""Levels, scores, fired rules and actions of a whole population, as arrays for analysis.

Not a second assembler: every person is assessed by ``rules.assess_bulk.assess_table``
(the column-wise assembler reviews and batches use) in its cheap ``levels`` detail,
under the values in force on their assessment date (``RuleSet.values_at``, an
analyst's overrides included), with the optional model applied only when passed in.
This module turns its per-pattern results into per-person arrays.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

from evaluation.cohort import Cohort
from models.enums import RiskLevel
from rules.assess_bulk import assess_table
from rules.loader import RuleSet
from rules.seams import ModelScorer

LEVELS = tuple(level.value for level in RiskLevel)  # low, medium, high, critical (rank order)


@dataclass
class Scored:
    level: np.ndarray  # rank (0 low … 3 critical), int8
    score: np.ndarray  # points, int64
    fires: np.ndarray  # bool (persons, rules), rules in ruleset order
    actions: np.ndarray  # bool (persons, actions), actions in ``codes`` order
    codes: tuple[str, ...]  # action codes


def score_cohort(ruleset: RuleSet, cohort: Cohort, model: ModelScorer | None = None) -> Scored:
    """Every person of ``cohort`` under ``ruleset`` (with its overrides), each at the values
    in force on their assessment date; ``model``: a ModelScorer to apply, or None."""
    facts = cohort.facts_for(ruleset)
    table = assess_table(ruleset, facts, cohort.days, model=model, detail="levels")
    codes = tuple(ruleset.actions)
    action_index = {code: j for j, code in enumerate(codes)}
    n = len(table.patterns)
    actions = np.zeros((n, len(codes)), dtype=bool)
    counts = [len(p.actions) for p in table.patterns]
    columns = [action_index[a] for p in table.patterns for a in p.actions]
    actions[np.repeat(np.arange(n), counts), columns] = True
    if model is None:  # the pattern's level is everyone's: rank it once per pattern
        ranks = np.array([p.level.rank for p in table.patterns], dtype=np.int8)
        rank = ranks[table.pattern] if n else np.zeros(0, dtype=np.int8)
    else:
        rank = np.array([level.rank for level in table.level], dtype=np.int8)
    fires = table.fires if table.fires is not None else np.zeros((0, len(ruleset.rules)), bool)
    return Scored(rank, table.score(), fires[table.pattern], actions[table.pattern], codes)


def workload(ruleset: RuleSet, scored: Scored) -> pd.DataFrame:
    """Persons per action, with its department and deadline under ``ruleset.values``."""
    return action_workload(ruleset, scored.codes, scored.actions.sum(axis=0))


def action_workload(ruleset: RuleSet, codes: tuple[str, ...], counts) -> pd.DataFrame:
    """``workload`` from the persons per action (``counts``, in ``codes`` order): also for
    counts added up elsewhere (service.spark.simulate)."""
    rows = []
    for code, count in zip(codes, counts, strict=True):
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
