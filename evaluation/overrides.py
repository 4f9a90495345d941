"""Parameter overrides for a simulation: checked, then applied to a copy of the ruleset.

Guard rails, each an OverrideError naming the parameter and what to do:
- an unknown parameter (with the closest name: "Did you mean …?");
- a parameter fixed by law or by the policy text (``tunable: false``, e.g.
  ``child.age_limit`` 16, ``child.revocation_neglect_months`` 6 of 3.1.7);
- a value that is not a number, a fraction for a whole-number unit, or a unit
  other than the parameter's (``4200 yuan_per_year`` is fine, ``4200 percent`` not);
- a value outside the parameter's declared ``[min, max]``.

The ruleset in force is never changed: ``apply`` returns a new RuleSet whose
``values`` hold the overrides.

>>> overrides = parse(["income.subsistence_line=4200"], load_ruleset())   # doctest: +SKIP
{'income.subsistence_line': 4200}
"""

import dataclasses
import re
from collections.abc import Iterable, Mapping
from typing import Any

from models.errors import LiushouError
from rules.errors import did_you_mean

WHOLE_UNITS = frozenset({"year", "month", "day", "hour", "point", "count", "per_month"})
_VALUE = re.compile(r"^\s*(?P<number>[-+]?\d+(?:\.\d+)?)\s*(?P<unit>[A-Za-z_]+)?\s*$")


class OverrideError(LiushouError, ValueError):
    """An override that cannot be applied; ``parameter`` names it, ``where`` says whether it
    came in the overrides or in a sweep (the field a problem document names)."""

    def __init__(self, parameter: str, message: str, where: str = "overrides"):
        super().__init__(f"{parameter}: {message}")
        self.parameter, self.message, self.where = parameter, message, where


def parse(assignments: Iterable[str], ruleset: Any) -> dict[str, int | float]:
    """``["name=value", …]`` (the CLI's ``--set``) to checked overrides."""
    raw: dict[str, Any] = {}
    for text in assignments:
        name, sep, value = text.partition("=")
        if not sep or not name.strip():
            raise OverrideError(text, "write an override as name=value, e.g. score.elder.high=5")
        raw[name.strip()] = value
    return check(raw, ruleset)


def check(raw: Mapping[str, Any], ruleset: Any) -> dict[str, int | float]:
    """Each override checked against its parameter (see the module's list)."""
    return {name: _checked(name, value, ruleset) for name, value in raw.items()}


def _checked(name: str, value: Any, ruleset: Any) -> int | float:
    parameter = ruleset.parameters.get(name)
    if parameter is None:
        hint = did_you_mean(name, ruleset.parameters) or " See GET /v1/parameters."
        raise OverrideError(name, f"unknown parameter.{hint}")
    if not parameter.tunable:
        raise OverrideError(
            name,
            f"fixed by the policy ({parameter.reference}: {parameter.description}); "
            "it cannot be overridden",
        )
    number = _number(name, value, parameter.unit)
    if parameter.unit in WHOLE_UNITS and not float(number).is_integer():
        raise OverrideError(name, f"{value!r} must be a whole number of {parameter.unit}")
    if parameter.unit in WHOLE_UNITS:
        number = int(number)
    low, high = parameter.min, parameter.max
    if (low is not None and number < low) or (high is not None and number > high):
        raise OverrideError(
            name, f"{number} is outside the declared range [{low}, {high}] {parameter.unit}"
        )
    return number


def _number(name: str, value: Any, unit: str) -> int | float:
    if isinstance(value, bool):
        raise OverrideError(name, f"{value!r} is not a number ({unit})")
    if isinstance(value, int | float):
        return value
    match = _VALUE.match(str(value))
    if not match:
        raise OverrideError(name, f"{value!r} is not a number ({unit})")
    if match["unit"] and match["unit"] != unit:
        raise OverrideError(name, f"the unit is {unit}, not {match['unit']}")
    text = match["number"]
    return float(text) if "." in text else int(text)


def apply(ruleset: Any, overrides: Mapping[str, int | float]) -> Any:
    """A copy of ``ruleset`` with the overrides in its values on every date (the original
    is untouched)."""
    return dataclasses.replace(ruleset, overrides={**ruleset.overrides, **overrides})
