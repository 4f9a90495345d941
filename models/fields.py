"""The field catalogue: which facts a rule may test, per category, and of what kind.

Built from the input models, plus the derived facts. The rule loader checks
every condition against it, so an unknown field or a wrong value type is a
load-time error, never an evaluation-time surprise.
"""

import types
import typing
from dataclasses import dataclass
from datetime import date
from enum import Enum
from functools import cache

from models.person import INPUT_MODELS

# The enum value that means "not known" (father_status: unknown): a fact leaves it out,
# as it leaves out a field not sent (contract, "Unknown is not false").
UNKNOWN = "unknown"

# Fields that never reach the engine: personal data, places, raw dates.
NOT_FACTS = frozenset(
    {
        "category",
        "person_id",
        "id_number",
        "name",
        "township",
        "village",
        "birth_date",
        "assessment_date",
        "last_health_check",
    }
)


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: str  # "bool" | "int" | "number" | "enum" | "str"
    values: tuple[str, ...] = ()

    def accepts(self, value: object) -> bool:
        """Whether ``value`` is a valid constant to compare this field with."""
        if self.kind == "bool":
            return isinstance(value, bool)
        if self.kind in ("int", "number"):
            return isinstance(value, int | float) and not isinstance(value, bool)
        if self.kind == "enum":
            return value in self.values
        return isinstance(value, str)


# Derived facts (rules.facts and rules.fact_table; left_behind from rules/data/derived.yaml).
DERIVED = {
    "child": {
        "left_behind": FieldSpec("left_behind", "bool"),
        "household_income_pct_of_line": FieldSpec("household_income_pct_of_line", "int"),
    },
    "elder": {
        "left_behind": FieldSpec("left_behind", "bool"),
        "children_away": FieldSpec("children_away", "bool"),
        "has_children": FieldSpec("has_children", "bool"),
        "all_children_away": FieldSpec("all_children_away", "bool"),
        "income_pct_of_line": FieldSpec("income_pct_of_line", "int"),
        "household_income_pct_of_line": FieldSpec("household_income_pct_of_line", "int"),
        "months_since_health_check": FieldSpec("months_since_health_check", "int"),
    },
    "woman": {
        "left_behind": FieldSpec("left_behind", "bool"),
        "household_income_pct_of_line": FieldSpec("household_income_pct_of_line", "int"),
    },
}


def inner_type(annotation: object) -> object:
    """The type under ``X | None`` and ``Annotated[X, …]``.

    >>> inner_type(typing.Annotated[int, "bound"] | None)
    <class 'int'>
    """
    inner = annotation
    if typing.get_origin(inner) in (typing.Union, types.UnionType):
        inner = next(a for a in typing.get_args(inner) if a is not type(None))
    while typing.get_origin(inner) is typing.Annotated:
        inner = typing.get_args(inner)[0]
    return inner


def _spec(name: str, annotation: object) -> FieldSpec | None:
    inner = inner_type(annotation)
    if inner is bool:
        return FieldSpec(name, "bool")
    if inner is int:
        return FieldSpec(name, "int")
    if inner is float:
        return FieldSpec(name, "number")
    if isinstance(inner, type) and issubclass(inner, Enum):
        return FieldSpec(name, "enum", tuple(m.value for m in inner))
    if inner is date:
        return None
    return FieldSpec(name, "str")


@cache
def catalogue(category: str) -> dict[str, FieldSpec]:
    """``{field name: FieldSpec}`` for one category's facts."""
    model = INPUT_MODELS[category]
    specs = {
        name: _spec(name, info.annotation)
        for name, info in model.model_fields.items()
        if name not in NOT_FACTS
    }
    return {k: v for k, v in specs.items() if v is not None} | DERIVED[category]
