"""A population spreadsheet read for analysis, exactly as a village review reads it.

Column-wise and in pieces (``models.sheets.table``, ``models.sheets.files.sheet_chunks``):
every row ends in the table or as a rejection (sheet row and reason). An
``outcome`` column (0/1, a serious adverse event within 12 months) is optional
unless required; where present, a row whose outcome is not 0 or 1 is rejected too.
"""

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from models import reasons
from models.identity import quoted
from models.sheets.files import DEFAULT_LIMITS, SheetLimits, sheet_chunks
from models.sheets.rows import HEADER_ROW
from models.sheets.table import read_table

OUTCOME = "outcome"


@dataclass
class Labelled:
    table: pd.DataFrame  # accepted rows: "row" and every contract field (models.sheets.table)
    outcomes: np.ndarray | None  # 0/1 per row of ``table``, when the sheet has the column
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (sheet row, reason)
    sha256: str = ""


def read(
    path: str | Path, require_outcome: bool = False, limits: SheetLimits = DEFAULT_LIMITS
) -> Labelled:
    """Raises ValueError (or models.sheets.files.SheetError; SheetTooLarge over ``limits``)
    when the file cannot be used at all."""
    path = Path(path)
    tables: list[pd.DataFrame] = []
    outcomes: list[np.ndarray] = []
    rejected: list[tuple[int, str]] = []
    offset, labelled = 0, False
    for chunk in sheet_chunks(path, path.name, limits=limits):
        table, outcome, problems = read_piece(chunk, offset, require_outcome, path.name)
        labelled = outcome is not None
        tables.append(table)
        if outcome is not None:
            outcomes.append(outcome)
        rejected += problems
        offset += len(chunk)
    table = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    return Labelled(
        table,
        np.concatenate(outcomes) if labelled and outcomes else None,
        sorted(rejected),
        _sha256(path),
    )


def read_piece(
    chunk: pd.DataFrame, first: int, require_outcome: bool = False, name: str = "the sheet"
) -> tuple[pd.DataFrame, np.ndarray | None, list[tuple[int, str]]]:
    """One piece of a sheet (``first``: data rows before it): its accepted rows, their
    outcomes (None without the column) and the rejected rows (sheet row, reason)."""
    column = next((c for c in chunk.columns if str(c).strip().lower() == OUTCOME), None)
    if column is None and require_outcome:
        raise ValueError(f"{name} has no {OUTCOME!r} column (0 or 1 for each person)")
    read_result = read_table(chunk, first=first)
    rejected = [(p.row, p.reason) for p in read_result.rejected]
    table = read_result.table
    if column is None:
        return table, None, rejected
    labels = chunk[column].astype(str).str.strip().to_numpy()
    position = table["row"].to_numpy() - first - HEADER_ROW - 1  # sheet row -> chunk
    label = labels[position]
    good = np.isin(label, ["0", "1"])
    rejected += [
        (int(r), reasons.OUTCOME_NOT_BINARY(text=quoted(str(v))))
        for r, v in zip(table["row"][~good], label[~good], strict=True)
    ]
    return table[good], label[good].astype(np.int8), rejected


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()
