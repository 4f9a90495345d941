"""Parameters: every number a rule uses, with unit, reference and effective dates.

>>> params = load_parameters(DATA_DIR / "parameters.yaml", load_clauses())
>>> params["child.age_limit"].value_at(date(2026, 11, 28))
16
"""

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from rules.clauses import load_clauses  # noqa: F401  (used in the doctest)
from rules.datafile import check_clause, check_keys, read_yaml
from rules.errors import RuleFileError

DATA_DIR = Path(__file__).parent / "data"
UNITS = frozenset(
    {
        "year",
        "month",
        "day",
        "hour",
        "point",
        "yuan_per_year",
        "percent",
        "per_month",
        "count",
        "probability",
    }
)
_KEYS = {"description", "unit", "reference", "values", "tunable", "min", "max", "note"}
_REQUIRED = {"description", "unit", "reference", "values"}
_CLAUSE_ID = re.compile(r"^\d+(\.\d+)*$")


@dataclass(frozen=True)
class Parameter:
    name: str
    description: str
    unit: str
    reference: str
    values: dict[date, int | float]
    tunable: bool = True
    min: float | None = None
    max: float | None = None
    note: str | None = None
    effective: list[date] = field(default_factory=list)

    def value_at(self, when: date) -> int | float:
        """The value in force on ``when`` (the latest effective date not after it)."""
        dates = [d for d in sorted(self.values) if d <= when]
        if not dates:
            raise KeyError(f"parameter {self.name} has no value in force on {when}")
        return self.values[dates[-1]]

    def effective_date(self, when: date) -> date:
        return max(d for d in self.values if d <= when)


def _number(file: str, where: str, value: object) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RuleFileError(file, where, f"must be a number, got {value!r}")
    return value


def _values(file: str, where: str, raw: object) -> dict[date, int | float]:
    if not isinstance(raw, dict) or not raw:
        raise RuleFileError(file, where, "must map effective dates (YYYY-MM-DD) to numbers")
    values = {}
    for key, value in raw.items():
        try:
            day = key if isinstance(key, date) else date.fromisoformat(str(key))
        except ValueError:
            raise RuleFileError(
                file, f"{where}.{key}", "effective date must be YYYY-MM-DD"
            ) from None
        values[day] = _number(file, f"{where}.{key}", value)
    return values


def _parameter(file: str, name: str, entry: dict, clauses: dict[str, str]) -> Parameter:
    where = f"parameter {name}"
    check_keys(file, where, entry, _KEYS, _REQUIRED)
    if entry["unit"] not in UNITS:
        raise RuleFileError(
            file, f"{where}.unit", f"unknown unit `{entry['unit']}`; one of {sorted(UNITS)}"
        )
    reference = str(entry["reference"])
    if _CLAUSE_ID.match(reference):
        check_clause(file, f"{where}.reference", reference, clauses)
    bounds = {k: _number(file, f"{where}.{k}", entry[k]) for k in ("min", "max") if k in entry}
    values = _values(file, f"{where}.values", entry["values"])
    for day, value in values.items():
        if not bounds.get("min", value) <= value <= bounds.get("max", value):
            raise RuleFileError(file, f"{where}.values.{day}", f"{value} is outside [min, max]")
    return Parameter(
        name=name,
        description=str(entry["description"]),
        unit=entry["unit"],
        reference=reference,
        values=values,
        tunable=bool(entry.get("tunable", True)),
        note=entry.get("note"),
        min=bounds.get("min"),
        max=bounds.get("max"),
    )


def load_parameters(path: Path, clauses: dict[str, str]) -> dict[str, Parameter]:
    raw = read_yaml(path)
    if not isinstance(raw, dict):
        raise RuleFileError(path.name, "(file)", "must map parameter names to entries")
    return {
        str(name): _parameter(path.name, str(name), entry, clauses) for name, entry in raw.items()
    }
