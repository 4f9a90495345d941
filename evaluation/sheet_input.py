"""A population spreadsheet read for analysis, exactly as a village review reads it.

Every row ends as a person or a rejection (sheet row and reason). An ``outcome``
column (0/1, a serious adverse event within 12 months) is optional unless
required; where present, a row whose outcome is not 0 or 1 is rejected too.
"""

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from models.sheet import HEADER_ROW, read_rows
from service.sheets import load_sheet

OUTCOME = "outcome"


@dataclass
class Labelled:
    persons: list
    rows: list[int]
    outcomes: list[int] | None
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (sheet row, reason)
    sha256: str = ""
    data: bytes = b""


def read(path: str | Path, require_outcome: bool = False) -> Labelled:
    """Raises ValueError (or service.sheets.SheetError) when the file cannot be used at all."""
    data = Path(path).read_bytes()
    frame = load_sheet(data, Path(path).name)
    column = next((c for c in frame.columns if str(c).strip().lower() == OUTCOME), None)
    if column is None and require_outcome:
        raise ValueError(f"{Path(path).name} has no {OUTCOME!r} column (0 or 1 for each person)")
    read_result = read_rows(frame)
    rejected = [(p.row, p.reason) for p in read_result.rejected]
    labels = None if column is None else frame[column].astype(str).str.strip().to_numpy()
    persons, rows, outcomes = [], [], []
    for record in read_result.records:
        if labels is not None:
            label = labels[record.row - HEADER_ROW - 1]
            if label not in ("0", "1"):
                rejected.append((record.row, f"{OUTCOME} {label!r} is not 0 or 1"))
                continue
            outcomes.append(int(label))
        persons.append(record.person)
        rows.append(record.row)
    return Labelled(
        persons,
        rows,
        outcomes if labels is not None else None,
        sorted(rejected),
        hashlib.sha256(data).hexdigest(),
        data,
    )
