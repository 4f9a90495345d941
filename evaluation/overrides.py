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
    came in the overrides or in a sweep (the field a problem document names), ``kind``
    which guard rail refused it and ``values`` what it said (for a page to say it in
    Chinese: service.web.analysis.OVERRIDE_ZH)."""

    def __init__(
        self,
        parameter: str,
        message: str,
        where: str = "overrides",
        *,
        kind: str = "invalid",
        **values: Any,
    ):
        super().__init__(f"{parameter}: {message}")
        self.parameter, self.message, self.where = parameter, message, where
        self.kind, self.values = kind, values


def parse(assignments: Iterable[str], ruleset: Any) -> dict[str, int | float]:
    """``["name=value", …]`` (the CLI's ``--set``) to checked overrides."""
    raw: dict[str, Any] = {}
    for text in assignments:
        name, sep, value = text.partition("=")
        if not sep or not name.strip():
            raise OverrideError(
                text, "write an override as name=value, e.g. score.elder.high=5", kind="syntax"
            )
        raw[name.strip()] = value
    return check(raw, ruleset)


def check(raw: Mapping[str, Any], ruleset: Any) -> dict[str, int | float]:
    """Each override checked against its parameter (see the module's list)."""
    return {name: _checked(name, value, ruleset) for name, value in raw.items()}


def _checked(name: str, value: Any, ruleset: Any) -> int | float:
    parameter = ruleset.parameters.get(name)
    if parameter is None:
        hint = did_you_mean(name, ruleset.parameters) or " See GET /v1/parameters."
        raise OverrideError(name, f"unknown parameter.{hint}", kind="unknown")
    if not parameter.tunable:
        raise OverrideError(
            name,
            f"fixed by the policy ({parameter.reference}: {parameter.description}); "
            "it cannot be overridden",
            kind="fixed",
            reference=parameter.reference,
        )
    unit = parameter.unit
    number = _number(name, value, unit)
    if unit in WHOLE_UNITS and not float(number).is_integer():
        raise OverrideError(
            name, f"{value!r} must be a whole number of {unit}", kind="not_whole", unit=unit
        )
    if unit in WHOLE_UNITS:
        number = int(number)
    low, high = parameter.min, parameter.max
    if (low is not None and number < low) or (high is not None and number > high):
        raise OverrideError(
            name,
            f"{number} is outside the declared range [{low}, {high}] {unit}",
            kind="outside_range",
            value=number,
            low=low,
            high=high,
            unit=unit,
        )
    return number


def _number(name: str, value: Any, unit: str) -> int | float:
    if isinstance(value, bool):
        raise OverrideError(
            name, f"{value!r} is not a number ({unit})", kind="not_a_number", unit=unit
        )
    if isinstance(value, int | float):
        return value
    match = _VALUE.match(str(value))
    if not match:
        raise OverrideError(
            name, f"{value!r} is not a number ({unit})", kind="not_a_number", unit=unit
        )
    if match["unit"] and match["unit"] != unit:
        raise OverrideError(
            name,
            f"the unit is {unit}, not {match['unit']}",
            kind="unit",
            unit=unit,
            given=match["unit"],
        )
    text = match["number"]
    return float(text) if "." in text else int(text)


def apply(ruleset: Any, overrides: Mapping[str, int | float]) -> Any:
    """A copy of ``ruleset`` with the overrides in its values on every date (the original
    is untouched)."""
    return dataclasses.replace(ruleset, overrides={**ruleset.overrides, **overrides})
