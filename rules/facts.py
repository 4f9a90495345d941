"""From a validated person to the flat fact the rules read.

Personal data (name, identity number), places and raw dates never reach the
engine; derived facts (``left_behind``) are added.

>>> from models.person import PERSON_ADAPTER
>>> person = PERSON_ADAPTER.validate_python({"category": "woman", "husband_migrant": True})
>>> build_fact(person, {"child.age_limit": 16, "elder.age": 60})
{'category': 'woman', 'husband_migrant': True, 'left_behind': True}
"""

from typing import Any

from models.derive import child_left_behind, elder_left_behind, woman_left_behind
from models.fields import NOT_FACTS


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
        if value is not None and name not in NOT_FACTS
    }
    fact["category"] = person.category
    derived = left_behind(person, values)
    if derived is not None:
        fact["left_behind"] = derived
    return fact
