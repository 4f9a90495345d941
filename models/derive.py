"""Derived numbers: facts that let rules compare whole numbers with parameters.

Income as a whole percentage of the subsistence line (floored, so ``pct < 100``
holds exactly when income < line) and whole months since the last free health
check. (The left-behind definition is rule data: rules/data/derived.yaml.)
"""

from datetime import date


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
