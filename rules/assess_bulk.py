"""Assessments of a whole table at once, as columns: the one column-wise assembler.

People with the same category, the same rules fired, the same unknown safety
values and the same parameter period get the same level, points, actions and data
gaps; each such pattern is worked out once by ``rules.assess.outcome`` (the very
function that finishes one person's assessment) and shared. Reviews, batches
(``Assessor.assess_many``), model datasets and simulations (``evaluation.levels``)
all call ``assess_table``:

- ``detail="full"``: each pattern's interventions as assessments show them (reviews,
  batches);
- ``detail="levels"``: level, points and action codes only, the cheap mode a
  sweep needs (no intervention lists are built).

The optional model is an explicit argument: its probability is per person and may
raise the level one step (``rules.scoring.apply_model``). Twin with a speed reason:
``Assessor.assess_data`` (durable_rules, one person) — tests/rules/test_bulk_assessment.py
and tests/rules/test_vectorized.py hold the two equal person by person.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from models.enums import RiskLevel
from rules.loader import RuleSet, period_groups
from rules.outcome import outcome
from rules.scoring import apply_model
from rules.seams import ModelScorer
from rules.vectorized import (
    CATEGORIES,
    RuleMatrix,
    condition_mask,
    evaluate,
    key_words,
    unknown,
)

DETAILS = ("full", "levels")
# Finished patterns kept on a ruleset, the least recently used let go past it. Unit:
# patterns (~3.5 KB each). Source: benchmarks/review.py, 2026-12-02: a county's million
# people have ~30,000, most of them rare; 16,384 held 57 MB, 4,096 hold ~14 MB and cost
# ~4 s of CPU a million people in patterns finished again (34,545 → 78,577), the price of
# keeping a 5,000,000-row review with its store thread under 600 MB.
PATTERN_BOOK = 4_096


@dataclass(frozen=True)
class Pattern:
    category: str
    rule_ids: tuple[str, ...]
    score: int
    level: RiskLevel  # before the model
    actions: tuple[str, ...]  # action codes, in intervention order
    interventions: list[dict] | None  # None in the "levels" detail
    data_gaps: list[dict]
    # what makes it: detail, category, fired rules, unknown facts, period (one per key)
    key: tuple = ()


@dataclass
class Assessed:
    pattern: np.ndarray  # each person's index into ``patterns``
    patterns: list[Pattern]
    level: np.ndarray  # object: RiskLevel after the model
    model: list[dict | None] | None  # the model's block per person, when a model is given
    fires: np.ndarray | None = None  # bool (patterns, rules): each pattern's fired rules

    def score(self) -> np.ndarray:
        return np.array([p.score for p in self.patterns], dtype=np.int64)[self.pattern]

    def level_texts(self) -> np.ndarray:
        """Each person's level as text ("critical", …; object), made once per level."""
        codes, uniques = pd.factorize(self.level, use_na_sentinel=True)
        return np.array([str(level) for level in uniques] + [None], dtype=object)[codes]


def assess_table(
    ruleset: RuleSet,
    facts: pd.DataFrame,
    days: Any = None,
    *,
    model: ModelScorer | None = None,
    detail: str = "full",
) -> Assessed:
    """Every row of ``facts`` (encoded, ``rules.fact_table``) assessed.

    ``days``: each row's assessment_date (default: every row at ``ruleset.as_of``), whose
    parameter values it is assessed under; ``model``: an evaluation.serving.ModelScorer
    or None (rules only); ``detail``: "full" or "levels" (see the module docstring).
    """
    if detail not in DETAILS:
        raise ValueError(f"detail must be one of {DETAILS}, not {detail!r}")
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
    codes, first = _patterns(keys, facts, period, gaps)
    category = facts["category"].to_numpy().astype(np.int64)
    fires = RuleMatrix(keys[first], tuple(r.id for r in ruleset.rules)).values
    needed = needed_fields(ruleset)
    templates = _Templates(ruleset, detail)
    hits, rules = np.nonzero(fires)  # each pattern's fired rules, at once
    fired_of = np.split(rules, np.searchsorted(hits, np.arange(1, len(first))))
    book = ruleset.patterns  # finished once per ruleset: the pieces of a sheet share them
    patterns = []
    for k, row in enumerate(first):
        day = groups[period[row]][0]
        key = (detail, int(category[row]), fired_of[k].tobytes(), int(gaps[row]), day)
        pattern = book.get(key)
        if pattern is None:
            pattern = book[key] = _pattern(
                ruleset,
                CATEGORIES[category[row]],
                [ruleset.rules[j] for j in fired_of[k]],
                gaps[row],
                needed,
                day,
                templates,
                key,
            )
        else:
            book.move_to_end(key)  # the least recently used go first
        patterns.append(pattern)
    while len(book) > PATTERN_BOOK:
        book.popitem(last=False)
    level = np.array([p.level for p in patterns] + [None], dtype=object)[codes]
    blocks = None
    if model is not None and len(facts):
        blocks = model.blocks(facts)
        for i, block in enumerate(blocks):
            if block is not None:
                level[i], blocks[i] = apply_model(level[i], block)
    return Assessed(codes, patterns, level, blocks, fires)


class _Templates(dict):
    """Each period's action templates, made when a pattern first needs them."""

    def __init__(self, ruleset: RuleSet, detail: str):
        super().__init__()
        self.ruleset, self.detail = ruleset, detail

    def __missing__(self, day: date):
        made = self[day] = self.ruleset.templates_at(day) if self.detail == "full" else None
        return made


def _patterns(keys, facts, period, gaps) -> tuple[np.ndarray, np.ndarray]:
    """Each row's pattern code, and each pattern's first row."""
    category = facts["category"].to_numpy().astype(np.int64)
    if keys.shape[1] == 1:
        fired, _ = pd.factorize(keys[:, 0])
    else:
        _, fired = np.unique(keys, axis=0, return_inverse=True)
    combined = (((fired.ravel().astype(np.int64) * 4 + category) * 64 + period) << 20) | gaps
    codes, _ = pd.factorize(combined)
    first = np.full(codes.max() + 1 if len(codes) else 0, -1, dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)
    return codes, first


def needed_fields(ruleset: RuleSet) -> dict[str, list[str]]:
    """Each category's data-gap fields, in order (bit j of ``gap_bits`` is field j)."""
    return {c: list(ruleset.data_gaps.get(c, {})) for c in CATEGORIES}


def gap_bits(
    ruleset: RuleSet, facts: pd.DataFrame, values: dict | None = None
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
    ruleset: RuleSet,
    category: str,
    fired: list,
    gaps: int,
    needed: dict,
    day: date,
    templates: dict,
    key: tuple = (),
) -> Pattern:
    messages = ruleset.data_gaps.get(category, {})
    gap_list = [
        {"field": f, "message_zh": messages[f].message}
        for j, f in enumerate(needed[category])
        if gaps >> j & 1
    ]
    values = ruleset.values_at(day)
    score, level, actions, interventions = outcome(
        ruleset, category, fired, values, gaps != 0, templates[day]
    )
    return Pattern(
        category,
        tuple(rule.id for rule in fired),
        score,
        level,
        actions,
        interventions,
        gap_list,
        key,
    )
