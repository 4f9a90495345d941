"""From a validated person to the flat fact the rules read.

An explicit ``"unknown"`` enum value is left out exactly like a field not sent: no
rule fires on it and a safety rule's field is listed in data_gaps.

Personal data (name, identity number), places and raw dates never reach the
engine; derived facts (``left_behind``) are added.

>>> from models.person import PERSON_ADAPTER
>>> person = PERSON_ADAPTER.validate_python({"category": "woman", "husband_migrant": True})
>>> build_fact(person, {"child.age_limit": 16, "elder.age": 60, "income.subsistence_line": 4000})
{'category': 'woman', 'husband_migrant': True, 'left_behind': True}
"""

from typing import Any

from models.derive import (
    child_left_behind,
    elder_left_behind,
    months_between,
    pct_of_line,
    woman_left_behind,
)
from models.fields import NOT_FACTS, UNKNOWN
from models.person import MAX_AGE


def category_ages(values: dict[str, Any]) -> dict[str, tuple[int, int]]:
    """The ages each category implies, from the parameters: an age outside them
    contradicts the category (a data-quality warning, models.quality)."""
    return {
        "child": (0, values["child.age_limit"] - 1),
        "elder": (values["elder.age"], MAX_AGE),
        "woman": (values["woman.adult_age"], MAX_AGE),
    }


def left_behind(person: Any, values: dict[str, Any]) -> bool | None:
    if person.category == "child":
        return child_left_behind(person, values["child.age_limit"])
    if person.category == "elder":
        return elder_left_behind(person, values["elder.age"])
    return woman_left_behind(person)


def build_fact(person: Any, values: dict[str, Any]) -> dict[str, Any]:
    """The person's known facts, without personal data, plus the derived ones."""
    # Enum fields hold plain values (use_enum_values), so the attributes are the facts.
    fact = {
        name: value
        for name, value in person.__dict__.items()
        if value is not None and value != UNKNOWN and name not in NOT_FACTS
    }
    fact["category"] = person.category
    for name, value in derived_facts(person, values).items():
        if value is not None:
            fact[name] = value
    return fact


def derived_facts(person: Any, values: dict[str, Any]) -> dict[str, Any]:
    line = values["income.subsistence_line"]
    derived = {
        "left_behind": left_behind(person, values),
        "household_income_pct_of_line": pct_of_line(person.household_income_per_capita, line),
    }
    if person.category == "elder":
        away = person.children_away_count
        derived["children_away"] = None if away is None else away > 0
        derived["income_pct_of_line"] = pct_of_line(person.annual_income, line)
        derived["months_since_health_check"] = months_between(
            person.last_health_check, person.assessment_date
        )
    return derived
