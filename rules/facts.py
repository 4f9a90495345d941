"""From a validated person to the flat fact the rules read.

Personal data (name, identity number), places and raw dates never reach the
engine; derived facts are added: the percentages of the subsistence line, months
since the last health check, whether children are away, and ``left_behind`` from
its conditions in rules/data/derived.yaml (evaluated by ``rules.conditions.holds``;
``rules.fact_table`` is the column-wise twin, held equal by
tests/rules/test_bulk_assessment.py on every generated person).

An explicit ``"unknown"`` enum value is left out exactly like a field not sent: no
rule fires on it and a safety rule's field is listed in data_gaps.

>>> from models.person import PERSON_ADAPTER
>>> person = PERSON_ADAPTER.validate_python({"category": "woman", "husband_migrant": True})
>>> build_fact(person, load_ruleset())                             # doctest: +SKIP
{'category': 'woman', 'husband_migrant': True, 'left_behind': True}
"""

from typing import Any

from models.derive import months_between, pct_of_line
from models.fields import NOT_FACTS, UNKNOWN
from models.person import MAX_AGE
from rules.conditions import holds


def category_ages(values: dict[str, Any]) -> dict[str, tuple[int, int]]:
    """The ages each category implies, from the parameters: an age outside them
    contradicts the category (a data-quality warning, models.quality)."""
    return {
        "child": (0, values["child.age_limit"] - 1),
        "elder": (values["elder.age"], MAX_AGE),
        "woman": (values["woman.adult_age"], MAX_AGE),
    }


def derived_value(definition: Any, fact: dict[str, Any], values: dict[str, Any]) -> bool | None:
    """A three-valued derived fact (rules.loader.Derived) of one fact."""
    if holds(definition.false, fact, values):
        return False
    if holds(definition.true, fact, values):
        return True
    return None


def build_fact(person: Any, ruleset: Any, values: dict[str, Any] | None = None) -> dict[str, Any]:
    """The person's known facts, without personal data, plus the derived ones, under
    ``values`` (default: those in force on the person's assessment_date)."""
    if values is None:
        values = ruleset.values_at(person.assessment_date)
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
    for name, definition in ruleset.derived[person.category].items():
        value = _derived_cached(definition, fact, values)
        if value is not None:
            fact[name] = value
    return fact


MEMO_LIMIT = 65_536  # combinations remembered per definition; then forgotten


def _derived_cached(definition: Any, fact: dict[str, Any], values: dict[str, Any]) -> bool | None:
    """``derived_value``, remembered per definition for the few combinations of the
    parameters and facts it reads (a fifth of one assessment's time otherwise)."""
    memo = definition.memo
    key = (
        *(values[name] for name in definition.params),
        *(fact.get(name) for name in definition.fields),
    )
    answer = memo.get(key, memo)  # the memo itself: not remembered yet
    if answer is memo:
        if len(memo) >= MEMO_LIMIT:
            memo.clear()
        answer = memo[key] = derived_value(definition, fact, values)
    return answer


def derived_facts(person: Any, values: dict[str, Any]) -> dict[str, Any]:
    """The derived facts computed from numbers and dates (left_behind comes after)."""
    line = values["income.subsistence_line"]
    derived = {
        "household_income_pct_of_line": pct_of_line(person.household_income_per_capita, line)
    }
    if person.category == "elder":
        count, away = person.children_count, person.children_away_count
        derived["children_away"] = None if away is None else away > 0
        derived["has_children"] = None if count is None else count > 0
        derived["all_children_away"] = (
            None if count is None or away is None else count > 0 and away >= count
        )
        derived["income_pct_of_line"] = pct_of_line(person.annual_income, line)
        derived["months_since_health_check"] = months_between(
            person.last_health_check, person.assessment_date
        )
    return derived
