"""Assessments of a whole table at once, as columns: what a review keeps of each person.

People with the same category, the same rules fired and the same unknown safety
values get the same level, points, interventions and data gaps; each such
pattern is assembled once, by the same functions as one assessment
(``rules.scoring``, ``rules.routing``), and shared. The optional model's
probability is per person and may raise the level one step (``with_model``).
A test compares every person with ``Assessor.assess_many``.
"""

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from rules.assess import VERIFY_ACTION
from rules.loader import period_groups
from rules.routing import route
from rules.scoring import apply_model, final_level, score_actions
from rules.vectorized import (
    CATEGORIES,
    RuleMatrix,
    condition_mask,
    evaluate,
    key_words,
    unknown,
)


@dataclass(frozen=True)
class Pattern:
    category: str
    rule_ids: tuple[str, ...]
    score: int
    level: Any  # RiskLevel before the model
    interventions: list[dict]
    data_gaps: list[dict]


@dataclass
class Assessed:
    pattern: np.ndarray  # each person's index into ``patterns``
    patterns: list[Pattern]
    level: np.ndarray  # object: RiskLevel after the model
    model: list[dict | None] | None  # the model's block per person, when a model is loaded

    def score(self) -> np.ndarray:
        return np.array([p.score for p in self.patterns], dtype=np.int64)[self.pattern]


def assess_table(assessor: Any, facts: pd.DataFrame, days=None) -> Assessed:
    """``days``: each row's assessment_date (default: every row at ``ruleset.as_of``); each
    row is assessed under the parameter values in force on its day."""
    ruleset = assessor.ruleset
    if days is None:
        days = np.full(len(facts), np.datetime64(ruleset.as_of, "D"))
    groups = period_groups(ruleset, days)
    keys = np.zeros((len(facts), key_words(len(ruleset.rules))), dtype=np.uint64)
    gaps = np.zeros(len(facts), dtype=np.int64)
    period = np.zeros(len(facts), dtype=np.int64)
    for p, (start, rows) in enumerate(groups):
        part = facts if len(rows) == len(facts) else facts.iloc[rows]
        values = ruleset.values_at(start)
        keys[rows] = evaluate(ruleset, part, values=values).keys
        gaps[rows] = gap_bits(ruleset, part, values)[0]
        period[rows] = p
    needed = needed_fields(ruleset)
    category = facts["category"].to_numpy().astype(np.int64)
    if keys.shape[1] == 1:
        fired, _ = pd.factorize(keys[:, 0])
    else:
        _, fired = np.unique(keys, axis=0, return_inverse=True)
    combined = (((fired.ravel().astype(np.int64) * 4 + category) * 64 + period) << 20) | gaps
    codes, _ = pd.factorize(combined)
    first = np.full(codes.max() + 1 if len(codes) else 0, -1, dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)  # each pattern's first row
    fires = RuleMatrix(keys[first], tuple(r.id for r in ruleset.rules)).values
    patterns = [
        _pattern(
            assessor, CATEGORIES[category[row]], fired, gaps[row], needed, groups[period[row]][0]
        )
        for row, fired in zip(first, fires, strict=True)
    ]
    level = np.array([p.level for p in patterns] + [None], dtype=object)[codes]
    blocks = None
    if assessor.model is not None and len(facts):
        blocks = assessor.model.blocks(facts)
        for i, block in enumerate(blocks):
            if block is not None:
                level[i], blocks[i] = apply_model(level[i], block)
    return Assessed(codes, patterns, level, blocks)


def needed_fields(ruleset: Any) -> dict[str, list[str]]:
    """Each category's data-gap fields, in order (bit j of ``gap_bits`` is field j)."""
    return {c: list(ruleset.data_gaps.get(c, {})) for c in CATEGORIES}


def gap_bits(
    ruleset: Any, facts: pd.DataFrame, values: dict | None = None
) -> tuple[np.ndarray, dict]:
    """Bit j set: the j-th needed field of the person's category is unknown (and its gap's
    condition holds under ``values``), as ``Assessor._gaps``; nonzero means the person
    gets ``verify_data``."""
    values = ruleset.values if values is None else values
    bits = np.zeros(len(facts), dtype=np.int64)
    category = facts["category"].to_numpy()
    needed = needed_fields(ruleset)
    for code, name in enumerate(CATEGORIES):
        rows = category == code
        if not rows.any():
            continue
        for j, field in enumerate(needed[name]):
            gap = ruleset.data_gaps[name][field]
            missing = rows & unknown(facts, field)
            if gap.when is not None and missing.any():
                missing &= condition_mask(gap.when, facts, values)
            bits[missing] |= 1 << j
    return bits, needed


def _pattern(
    assessor: Any, category: str, fires: np.ndarray, gaps: int, needed: dict, day: Any
) -> Pattern:
    ruleset = assessor.ruleset
    fired = [rule for rule, fire in zip(ruleset.rules, fires, strict=True) if fire]
    values = ruleset.values_at(day)
    score = sum(values[rule.points] for rule in fired if rule.points)
    level = final_level([rule.level for rule in fired], score, category, values)
    messages = ruleset.data_gaps.get(category, {})
    gaps = [
        {"field": f, "message_zh": messages[f].message}
        for j, f in enumerate(needed[category])
        if gaps >> j & 1
    ]
    extra = score_actions(ruleset, category, score, values)
    extra += [VERIFY_ACTION] if gaps else []
    return Pattern(
        category,
        tuple(rule.id for rule in fired),
        score,
        level,
        route(fired, assessor.templates_at(day), extra),
        gaps,
    )
