"""Facts for a whole table of validated people at once: ``rules.facts.build_fact``, column-wise.

The table holds one column per contract field (None for unknown), as
``models.sheet_bulk.read_table`` gives it. The result is the encoded fact frame
(``rules.vectorized.encode``) that ``build_fact`` + ``fact_frame`` would give,
derived facts included (a test compares the two on every generated person).
"""

from typing import Any

import numpy as np
import pandas as pd

from models.derive import UNABLE_PARENT
from models.fields import NOT_FACTS, UNKNOWN
from models.sheet_bulk import ymd_numbers
from rules.loader import period_groups
from rules.vectorized import CATEGORIES, encode, fact_fields

LINE = "income.subsistence_line"
# derived fact -> the income it is a percentage of, and the categories that have it
PCT_OF_LINE = {
    "household_income_pct_of_line": ("household_income_per_capita", CATEGORIES),
    "income_pct_of_line": ("annual_income", ("elder",)),
}


def fact_table(table: pd.DataFrame, ruleset: Any) -> pd.DataFrame:
    """The encoded facts of every row, each under the parameter values in force on its
    ``assessment_date`` (``RuleSet.values_at``; one pass per period among the dates)."""
    groups = period_groups(ruleset, _days(table))
    if len(groups) == 1:
        return facts_under(table, ruleset.values_at(groups[0][0]))
    parts = [
        facts_under(table.iloc[rows], ruleset.values_at(start)).set_axis(rows)
        for start, rows in groups
    ]
    return pd.concat(parts).sort_index()


def _days(table: pd.DataFrame) -> np.ndarray:
    when = table["assessment_date"].to_numpy() if "assessment_date" in table else None
    if when is None or not len(when):
        return np.array([], dtype="datetime64[D]")
    return np.asarray(when, dtype="datetime64[D]")


def facts_under(table: pd.DataFrame, values: dict[str, Any]) -> pd.DataFrame:
    """The encoded facts of ``table`` under one set of parameter values."""
    facts = {
        name: _known_only(table[name].to_numpy())
        for name in fact_fields()
        if name in table and (name == "category" or name not in NOT_FACTS)
    }
    category = table["category"].to_numpy()
    child, elder, woman = category == "child", category == "elder", category == "woman"
    age = _numbers(table["age"])
    left = np.full(len(table), None, dtype=object)
    left[child] = _child_left_behind(table, age, values["child.age_limit"])[child]
    left[elder] = _elder_left_behind(table, age, values["elder.age"])[elder]
    left[woman] = table["husband_migrant"].to_numpy()[woman]
    facts["left_behind"] = left
    for derived, (income, categories) in PCT_OF_LINE.items():
        applies = np.isin(category, list(categories))
        facts[derived] = pct_of_line(_numbers(table[income]), applies, values)
    away = _numbers(table["children_away_count"])
    facts["children_away"] = _where(elder & ~np.isnan(away), away > 0)
    facts["months_since_health_check"] = np.where(elder, _months(table), np.nan)
    return encode(pd.DataFrame(facts))


def _known_only(column: np.ndarray) -> np.ndarray:
    """As rules.facts.build_fact: an explicit "unknown" is no fact (None)."""
    if column.dtype == object:
        unknown = column == UNKNOWN
        if unknown.any():
            column = column.copy()
            column[unknown] = None
    return column


def _numbers(column: pd.Series) -> np.ndarray:
    return pd.to_numeric(column.astype(object).where(column.notna(), np.nan)).to_numpy(float)


def _where(known: np.ndarray, value: np.ndarray) -> np.ndarray:
    out = np.full(len(known), None, dtype=object)
    out[known] = value[known]
    return out


def pct_of_line(money: np.ndarray, applies: np.ndarray, values: dict) -> np.ndarray:
    """As models.derive.pct_of_line: income as a floored whole percentage of the line,
    where it applies and is known (NaN elsewhere)."""
    pct = np.floor_divide(money * 100, values[LINE])
    return np.where(applies & ~np.isnan(money), pct, np.nan)


def _child_left_behind(table: pd.DataFrame, age: np.ndarray, limit: int) -> np.ndarray:
    """As models.derive.child_left_behind, for every row (True / False / None)."""
    father, mother = table["father_status"].to_numpy(), table["mother_status"].to_numpy()
    away = (father == "migrant").astype(int) + (mother == "migrant")
    unable = np.isin(father, list(UNABLE_PARENT)) | np.isin(mother, list(UNABLE_PARENT))
    unknown = (father == None) | (father == "unknown") | (mother == None) | (mother == "unknown")  # noqa: E711
    over = ~np.isnan(age) & (age >= limit)
    meets = (away == 2) | ((away == 1) & unable)
    out = np.full(len(table), None, dtype=object)
    out[~meets & ~unknown] = False
    out[meets & ~np.isnan(age)] = True
    out[over] = False
    return out


def _elder_left_behind(table: pd.DataFrame, age: np.ndarray, elder_age: int) -> np.ndarray:
    """As models.derive.elder_left_behind, for every row (True / False / None)."""
    count = _numbers(table["children_count"])
    away = _numbers(table["children_away_count"])
    at_home_false = table["child_at_home"].to_numpy() == False  # noqa: E712  (object array)
    both = ~np.isnan(count) & ~np.isnan(away)
    meets_both = (count > 0) & ((away >= count) | ((away > 0) & at_home_false))
    meets_away = ~both & ~np.isnan(away) & (away > 0) & at_home_false
    decided = both | meets_away
    meets = np.where(both, meets_both, meets_away)
    out = np.full(len(table), None, dtype=object)
    out[decided & ~meets] = False
    out[decided & meets & ~np.isnan(age)] = True
    out[count == 0] = False
    out[~np.isnan(age) & (age < elder_age)] = False
    return out


def _months(table: pd.DataFrame) -> np.ndarray:
    """As models.derive.months_between(last_health_check, assessment_date)."""
    check = ymd_numbers(table["last_health_check"].to_numpy())
    when = ymd_numbers(table["assessment_date"].to_numpy())
    months = (when // 10000 - check // 10000) * 12 + when // 100 % 100 - check // 100 % 100
    months -= when % 100 < check % 100
    return np.where(check >= 0, np.maximum(months, 0), np.nan)
