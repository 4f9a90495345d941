"""Derived facts: the left-behind definition (contract: ``left_behind``).

Child (国发〔2016〕13号, restated in 3.1.1): under 16, both parents working away,
or one away and the other without guardianship capacity. We read "without
capacity" as ``incapacitated``, ``deceased``, ``missing`` or ``imprisoned``: none
of them can look after the child (a choice, documented in the README).

Elder (3.2.1): 60 or over and every living child working away. The contract also
names "no child able to care"; the input has no field for ability, so
``child_at_home: false`` with at least one child away stands for it.

Each function returns None when the data cannot tell.

Besides, a few facts are derived so that rules compare whole numbers with
parameters: income as a whole percentage of the subsistence line (floored, so
``pct < 100`` holds exactly when income < line), whole months since the last
free health check, and whether any child is away.
"""

from datetime import date
from typing import Any

UNABLE_PARENT = {"incapacitated", "deceased", "missing", "imprisoned"}


def child_left_behind(p: Any, age_limit: int) -> bool | None:
    if p.age is not None and p.age >= age_limit:
        return False
    statuses = (p.father_status, p.mother_status)
    away = sum(s == "migrant" for s in statuses)
    if away == 2 or (away == 1 and any(s in UNABLE_PARENT for s in statuses)):
        return None if p.age is None else True
    if any(s is None or s == "unknown" for s in statuses):
        return None
    return False


def elder_left_behind(p: Any, elder_age: int) -> bool | None:
    if p.age is not None and p.age < elder_age:
        return False
    count, away = p.children_count, p.children_away_count
    if count == 0:
        return False
    if count is not None and away is not None:
        meets = count > 0 and (away >= count or (away > 0 and p.child_at_home is False))
    elif away is not None and away > 0 and p.child_at_home is False:
        meets = True
    else:
        return None
    if not meets:
        return False
    return None if p.age is None else True


def woman_left_behind(p: Any) -> bool | None:
    return p.husband_migrant


def pct_of_line(income: float | None, line: float) -> int | None:
    """Income as a floored whole percentage of ``line``: 3999.99 of 4000 -> 99."""
    if income is None:
        return None
    return int(income * 100 // line)


def months_between(earlier: date | None, later: date) -> int | None:
    """Completed months from ``earlier`` to ``later``: 2025-11-28 -> 2026-11-28 is 12."""
    if earlier is None:
        return None
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    return max(months - (later.day < earlier.day), 0)
