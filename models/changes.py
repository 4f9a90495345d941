"""What changed in a village since its previous quarterly review (3.4, 四(四)).

People are matched by ``person_key`` (the keyed hash of the identity number);
records without one cannot be followed and are counted as untracked. Worked out
column-wise (a merge on the key), so a county's million records compare in
seconds; entries become dicts only when asked for.

>>> compare([], []).counts()
{'new': 0, 'gone': 0, 'up': 0, 'down': 0, 'still_critical': 0, 'untracked': 0}
"""

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

RANK = {"low": 0, "medium": 1, "high": 2, "critical": 3}
KINDS = ("new", "gone", "up", "down", "still_critical")  # still_critical: supervision, 四(四)
RECORD_COLUMNS = ("person_key", "row", "person_id", "name_masked", "id_masked", "risk_level")
ENTRY_COLUMNS = ("person_key", "row", "person_id", "name_masked", "id_masked")


@dataclass
class Changes:
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    untracked: int = 0
    # how many of each kind, when ``frames`` keep only the first entries (a streamed review)
    totals: dict[str, int] | None = None

    def counts(self) -> dict[str, int]:
        if self.totals is not None:
            return {k: self.totals.get(k, 0) for k in KINDS} | {"untracked": self.untracked}
        return {k: len(self.frames.get(k, ())) for k in KINDS} | {"untracked": self.untracked}

    def entries(self, kind: str, limit: int | None = None) -> list[dict]:
        """``{person_key, row, person_id, name_masked, id_masked, from_level, to_level}``."""
        frame = self.frames.get(kind)
        if frame is None:
            return []
        frame = frame if limit is None else frame.iloc[:limit]
        return [
            {k: (None if _missing(v) else v) for k, v in entry.items()}
            for entry in frame.to_dict("records")
        ]

    def __getattr__(self, kind: str) -> list[dict]:
        if kind in KINDS:
            return self.entries(kind)
        raise AttributeError(kind)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def records_frame(records: Any) -> pd.DataFrame:
    """Records (objects with RECORD_COLUMNS as attributes, or a frame of them) as a frame."""
    if isinstance(records, pd.DataFrame):
        return records[list(RECORD_COLUMNS)]
    return pd.DataFrame(
        {c: [getattr(r, c) for r in records] for c in RECORD_COLUMNS},
        columns=RECORD_COLUMNS,
        dtype=object,  # keeps None as None (pandas would infer "str" columns with NaN)
    )


def compare(previous: Any, current: Any) -> Changes:
    before, now = records_frame(previous), records_frame(current)
    keyed = now["person_key"].notna().to_numpy()
    changes = Changes(untracked=int((~keyed).sum()))
    now = now[keyed].drop_duplicates("person_key", keep="last")
    before = before[before["person_key"].notna().to_numpy()].drop_duplicates(
        "person_key", keep="last"
    )
    old = before.set_index("person_key")["risk_level"]
    from_level = now["person_key"].map(old)
    entries = now[list(ENTRY_COLUMNS)].assign(
        from_level=from_level.to_numpy(), to_level=now["risk_level"].to_numpy()
    )
    to_rank = now["risk_level"].map(RANK).to_numpy()
    from_rank = from_level.map(RANK).to_numpy()  # NaN where new
    is_new = from_level.isna().to_numpy()
    changes.frames["new"] = entries[is_new]
    changes.frames["up"] = entries[~is_new & (to_rank > from_rank)]
    changes.frames["down"] = entries[~is_new & (to_rank < from_rank)]
    critical = (now["risk_level"] == "critical").to_numpy()
    changes.frames["still_critical"] = entries[
        ~is_new & critical & (from_level == "critical").to_numpy()
    ]
    gone = before[~before["person_key"].isin(now["person_key"]).to_numpy()]
    changes.frames["gone"] = gone[list(ENTRY_COLUMNS)].assign(
        from_level=gone["risk_level"].to_numpy(), to_level=None
    )
    return changes
