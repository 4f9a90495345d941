"""What changed in a village since its previous quarterly review (3.4, 四(四)).

People are matched by ``person_key`` (the keyed hash of the identity number);
records without one cannot be followed and are counted as untracked.

>>> compare([], []).counts()
{'new': 0, 'gone': 0, 'up': 0, 'down': 0, 'still_critical': 0, 'untracked': 0}
"""

from dataclasses import dataclass, field
from typing import Any

RANK = {"low": 0, "medium": 1, "high": 2, "critical": 3}


@dataclass
class Changes:
    new: list[dict] = field(default_factory=list)
    gone: list[dict] = field(default_factory=list)
    up: list[dict] = field(default_factory=list)
    down: list[dict] = field(default_factory=list)
    still_critical: list[dict] = field(default_factory=list)  # flag for supervision, 四(四)
    untracked: int = 0

    def counts(self) -> dict[str, int]:
        kinds = ("new", "gone", "up", "down", "still_critical")
        return {k: len(getattr(self, k)) for k in kinds} | {"untracked": self.untracked}


def _entry(record: Any, before: Any = None) -> dict:
    return {
        "person_key": record.person_key,
        "row": record.row,
        "person_id": record.person_id,
        "name_masked": record.name_masked,
        "id_masked": record.id_masked,
        "from_level": before.risk_level if before is not None else None,
        "to_level": record.risk_level,
    }


def compare(previous: list[Any], current: list[Any]) -> Changes:
    changes = Changes(untracked=sum(1 for r in current if not r.person_key))
    before = {r.person_key: r for r in previous if r.person_key}
    now = {r.person_key: r for r in current if r.person_key}
    for key, record in now.items():
        old = before.get(key)
        if old is None:
            changes.new.append(_entry(record))
        elif RANK[record.risk_level] > RANK[old.risk_level]:
            changes.up.append(_entry(record, old))
        elif RANK[record.risk_level] < RANK[old.risk_level]:
            changes.down.append(_entry(record, old))
        if old is not None and old.risk_level == record.risk_level == "critical":
            changes.still_critical.append(_entry(record, old))
    for key, record in before.items():
        if key not in now:
            gone = _entry(record)
            gone["from_level"], gone["to_level"] = record.risk_level, None
            changes.gone.append(gone)
    return changes
