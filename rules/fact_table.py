"""Facts for a whole table of validated people at once: ``rules.facts.build_fact``, column-wise.

The table holds one column per contract field (None for unknown), as
``models.sheets.table.read_table`` gives it. The result is the encoded fact frame
(``rules.vectorized.encode``) that ``build_fact`` + ``fact_frame`` would give,
derived facts included: the column-wise twin of ``rules.facts`` (a speed reason: no
Python per row), held equal by tests/rules/test_bulk_assessment.py on generated
people; ``left_behind`` is not rewritten here but evaluated from the same
conditions (rules/data/derived.yaml) with ``rules.vectorized``.
"""

from typing import Any

import numpy as np
import pandas as pd

from models.fields import NOT_FACTS, UNKNOWN
from models.sheets.table import ymd_numbers
from rules.loader import as_days, period_groups
from rules.vectorized import (
    CATEGORIES,
    as_numbers,
    condition_mask,
    encode,
    fact_fields,
    field_kinds,
)

LINE = "income.subsistence_line"
# derived fact -> the income it is a percentage of, and the categories that have it
PCT_OF_LINE = {
    "household_income_pct_of_line": ("household_income_per_capita", CATEGORIES),
    "income_pct_of_line": ("annual_income", ("elder",)),
}

# the numbers the derived facts are made from (converted once: facts_under)
SOURCE_NUMBERS = (
    *(income for income, _ in PCT_OF_LINE.values()),
    "children_count",
    "children_away_count",
)


def fact_table(table: pd.DataFrame, ruleset: Any, coded: dict | None = None) -> pd.DataFrame:
    """The encoded facts of every row, each under the parameter values in force on its
    ``assessment_date`` (``RuleSet.values_at``; one pass per period among the dates).
    ``coded``: columns as codes into their distinct values (``TableRead.coded``), encoded
    once per distinct value."""
    groups = period_groups(ruleset, _days(table))
    coded = coded or {}
    if len(groups) == 1:
        return facts_under(table, ruleset, ruleset.values_at(groups[0][0]), coded)
    parts = [
        facts_under(
            table.iloc[rows],
            ruleset,
            ruleset.values_at(start),
            {name: (codes[rows], distinct) for name, (codes, distinct) in coded.items()},
        ).set_axis(rows)
        for start, rows in groups
    ]
    return pd.concat(parts).sort_index()


def _days(table: pd.DataFrame) -> np.ndarray:
    when = table["assessment_date"].to_numpy() if "assessment_date" in table else None
    if when is None or not len(when):
        return np.array([], dtype="datetime64[D]")
    return as_days(when)


def facts_under(
    table: pd.DataFrame, ruleset: Any, values: dict[str, Any], coded: dict | None = None
) -> pd.DataFrame:
    """The encoded facts of ``table`` under one set of parameter values."""
    kinds = field_kinds()
    coded = {
        name: (codes, _known_only(distinct) if kinds.get(name) == "enum" else distinct)
        for name, (codes, distinct) in (coded or {}).items()
    }
    facts = {
        name: _known_only(column) if kinds.get(name) == "enum" and name not in coded else column
        for name in fact_fields()
        if name in table and (name == "category" or name not in NOT_FACTS)
        for column in (table[name].to_numpy(),)
    }
    # the numbers the derived facts are made from, made once: the facts (and ``encode``)
    # take these float columns, not the cells again
    numbers = {name: _numbers(table, name, coded) for name in SOURCE_NUMBERS if name in table}
    facts |= {name: column for name, column in numbers.items() if name in facts}
    coded = {name: pair for name, pair in coded.items() if name not in numbers}
    category = table["category"].to_numpy()
    elder = category == "elder"
    for derived, (income, categories) in PCT_OF_LINE.items():
        applies = np.isin(category, list(categories))
        facts[derived] = pct_of_line(numbers[income], applies, values)
    count = numbers["children_count"]
    away = numbers["children_away_count"]
    facts["children_away"] = _where(elder & ~np.isnan(away), away > 0)
    facts["has_children"] = _where(elder & ~np.isnan(count), count > 0)
    both = elder & ~np.isnan(count) & ~np.isnan(away)
    facts["all_children_away"] = _where(both, (count > 0) & (away >= count))
    facts["months_since_health_check"] = np.where(elder, _months(table), np.nan)
    frame = encode(facts, coded)
    return _with_derived(frame, ruleset, values)


def _with_derived(frame: pd.DataFrame, ruleset: Any, values: dict) -> pd.DataFrame:
    """The conditions' derived facts (left_behind), as rules.facts.derived_value, each
    category on its own rows: 0 false, 1 true, -1 unknown."""
    category = frame["category"].to_numpy()
    names = {name for by_name in ruleset.derived.values() for name in by_name}
    out = {name: np.full(len(frame), -1, dtype=np.int8) for name in names}
    for code, name in enumerate(CATEGORIES):
        rows = category == code
        if not rows.any():
            continue
        for fact, definition in ruleset.derived[name].items():
            false = condition_mask(definition.false, frame, values)
            true = condition_mask(definition.true, frame, values)
            column = out[fact]
            column[rows & true & ~false] = 1
            column[rows & false] = 0
    for fact, column in out.items():
        frame[fact] = column
    return frame[[c for c in fact_fields() if c in frame]]


def _known_only(column: np.ndarray) -> np.ndarray:
    """As rules.facts.build_fact: an explicit "unknown" is no fact (None). Only an enum
    column can hold it (the table's other columns hold validated numbers and booleans)."""
    if column.dtype == object:
        unknown = column == UNKNOWN
        if unknown.any():
            column = column.copy()
            column[unknown] = None
    return column


def _numbers(table: pd.DataFrame, name: str, coded: dict) -> np.ndarray:
    if name in coded:
        codes, distinct = coded[name]
        return as_numbers(distinct)[codes]
    return as_numbers(table[name].to_numpy())


def _where(known: np.ndarray, value: np.ndarray) -> np.ndarray:
    out = np.full(len(known), None, dtype=object)
    out[known] = value[known]
    return out


def pct_of_line(money: np.ndarray, applies: np.ndarray, values: dict) -> np.ndarray:
    """As models.derive.pct_of_line: income as a floored whole percentage of the line,
    where it applies and is known (NaN elsewhere)."""
    pct = np.floor_divide(money * 100, values[LINE])
    return np.where(applies & ~np.isnan(money), pct, np.nan)


def _months(table: pd.DataFrame) -> np.ndarray:
    """As models.derive.months_between(last_health_check, assessment_date)."""
    check = ymd_numbers(table["last_health_check"].to_numpy())
    when = ymd_numbers(table["assessment_date"].to_numpy())
    months = (when // 10000 - check // 10000) * 12 + when // 100 % 100 - check // 100 % 100
    months -= when % 100 < check % 100
    return np.where(check >= 0, np.maximum(months, 0), np.nan)
