"""Escalation of overdue tasks (4.4), as parameters with clause, unit and effective date.

A task of a ``critical`` person that is overdue goes to the township government
once it is ``escalation.township_after_hours`` past due, and on to county civil
affairs ``escalation.county_after_hours`` after that. The numbers live in
``rules/data/escalation.yaml`` (the keys of parameters.yaml, read by the same loader).

>>> rules = load_escalation()
>>> rules.at(date(2026, 11, 28))
Escalation(township_after_s=86400, county_after_s=172800)
>>> rules.at(date(2026, 11, 28)).level(due_ts=0, now_ts=86400)
'township_government'
"""

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from rules.clauses import load_clauses
from rules.errors import RuleFileError
from rules.parameters import DATA_DIR, Parameter, load_parameters

FILE = "escalation.yaml"
TOWNSHIP = "township_government"
COUNTY = "county_civil_affairs"
NAMES = ("escalation.township_after_hours", "escalation.county_after_hours")


@dataclass(frozen=True)
class Escalation:
    """The delays in force on one day, in seconds: township after due, county after that."""

    township_after_s: int
    county_after_s: int

    @property
    def county_total_s(self) -> int:
        return self.township_after_s + self.county_after_s

    def level(self, due_ts: int, now_ts: int) -> str | None:
        """Who a critical, still active task is escalated to at ``now_ts`` (None: nobody).
        Escalated at the boundary itself: exactly 24 h past due is escalated."""
        late = now_ts - due_ts
        if late >= self.county_total_s and late > 0:
            return COUNTY
        if late >= self.township_after_s and late > 0:
            return TOWNSHIP
        return None


@dataclass(frozen=True)
class EscalationRules:
    parameters: dict[str, Parameter]

    def at(self, day: date) -> Escalation:
        hours = [self.parameters[name].value_at(day) for name in NAMES]
        return Escalation(*(int(h * 3600) for h in hours))


def load_escalation(data_dir: Path | None = None) -> EscalationRules:
    """Read and check ``escalation.yaml`` of ``data_dir`` (a directory laid out like
    rules/data; the shipped file when it has none); a bad file raises RuleFileError
    naming the key."""
    path = Path(data_dir or DATA_DIR) / FILE
    parameters = load_parameters(path if path.exists() else DATA_DIR / FILE, load_clauses())
    missing = [name for name in NAMES if name not in parameters]
    if missing:
        raise RuleFileError(FILE, missing[0], "required escalation parameter is missing")
    return EscalationRules(parameters)
