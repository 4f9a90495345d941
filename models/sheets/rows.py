"""Rows of a village spreadsheet to contract records, every row accounted for.

The exact reference, and the fallback for every row that its column-wise twin
``models.sheets.table`` is unsure of; tests/models/test_sheet_bulk.py holds the two
equal on messy, generated and randomly corrupted sheets.

Each data row ends either as a record (with its sheet row number) or as a
rejection naming the row, the column and the reason; ``rows_in == len(records)
+ len(rejected)`` always. A row is rejected if any of its cells cannot be read:
nothing is silently dropped or guessed.

>>> import pandas as pd
>>> read = read_rows(pd.DataFrame({"类别": ["儿童", ""], "年龄": ["10", ""]}))
>>> read.records[0].raw, [r.reason for r in read.rejected]
({'category': 'child', 'age': 10}, ['blank row'])
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from functools import lru_cache
from typing import Any

import pandas as pd
from pydantic import ValidationError

from models import reasons
from models.fields import inner_type
from models.identity import masked_text, quoted
from models.person import INPUT_MODELS, PERSON_ADAPTER, error_message
from models.sheets.columns import BOOLEAN_WORDS, HEADERS_ZH, all_fields, header_field, value_labels

NUMERIC_ID_MARK = " [number]"  # set by readers when an identity cell held a number
HEADER_ROW = 1  # data rows are numbered as in the sheet: the first one is row 2
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d", "%Y-%m-%d %H:%M:%S")


MAX_REASON = 300  # characters of a stored or shown reason


@dataclass
class Problem:
    """A sheet problem; ``rows`` > 1 for one problem standing for a run of rows (blank rows).

    The reason never quotes an identity number (masked). Reason and column are cut to
    MAX_REASON at a separator, ending in ``reasons.MORE`` (…): what is kept reads whole."""

    row: int
    column: str
    reason: str
    rows: int = 1

    def __post_init__(self):
        self.reason = _shown(self.reason)
        self.column = _cut(self.column)


@lru_cache(maxsize=4096)  # a review's problems repeat their reasons (data gaps: one each)
def _shown(reason: str) -> str:
    return _cut(masked_text(reason))


def _cut(text: str) -> str:
    if len(text) <= MAX_REASON:
        return text
    more = reasons.SEPARATOR + reasons.MORE()
    kept = text[: MAX_REASON - len(more)]
    at = kept.rfind(reasons.SEPARATOR)
    return (kept[:at] if at > 0 else kept) + more


BLANK_ROW = reasons.BLANK_ROW()  # "blank row"


def merge_blank_runs(problems: list[Problem]) -> list[Problem]:
    """Consecutive blank rows as one problem (``rows`` says how many), so that a sheet of
    millions of empty lines gives one line of report, not millions. Sorted by row."""
    out: list[Problem] = []
    for p in problems:
        last = out[-1] if out else None
        if (
            p.reason.startswith(BLANK_ROW)
            and last is not None
            and last.reason.startswith(BLANK_ROW)
            and last.row + last.rows == p.row
        ):
            last.rows += p.rows
            last.reason = reasons.BLANK_ROWS(
                first=last.row, last=last.row + last.rows - 1, count=last.rows
            )
        else:
            out.append(p)
    return out


@dataclass
class Record:
    row: int
    raw: dict[str, Any]
    person: Any = None


@dataclass
class SheetRead:
    rows_in: int
    records: list[Record] = field(default_factory=list)
    rejected: list[Problem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)


def _kinds() -> dict[str, Any]:
    return {
        name: inner_type(info.annotation)
        for model in INPUT_MODELS.values()
        for name, info in model.model_fields.items()
    }


KINDS = _kinds()


def read_rows(frame: pd.DataFrame, progress=None) -> SheetRead:
    """Read every row of a sheet whose cells are text ('' for empty).

    ``progress(n)`` is called every 1,000 rows with the number read since the last call.
    """
    columns = {header: header_field(header) for header in frame.columns}
    result = SheetRead(rows_in=len(frame))
    result.ignored_columns = [str(h) for h, f in columns.items() if f is None]
    positions = [(i, f) for i, f in enumerate(columns.values()) if f is not None]
    for offset, row in enumerate(frame.to_numpy(dtype=object)):
        number = HEADER_ROW + 1 + offset
        cells = {f: text for i, f in positions if (text := _text(row[i]))}
        _read_row(number, cells, result)
        if progress is not None and (offset + 1) % 1000 == 0:
            progress(1000)
    if progress is not None:
        progress(len(frame) % 1000)
    return result


def _read_row(number: int, cells: dict[str, str], result: SheetRead) -> None:
    if not cells:
        result.rejected.append(Problem(number, "", BLANK_ROW))
        return
    raw, problems = {}, []
    for name, text in cells.items():
        try:
            raw[name] = parse_cell(name, text)
        except ValueError as exc:
            problems.append(Problem(number, column_label(name), str(exc)))
    if problems:
        result.rejected.append(_joined(number, problems))
        return
    try:
        result.records.append(Record(number, raw, PERSON_ADAPTER.validate_python(raw)))
    except ValidationError as exc:
        errors = [
            Problem(number, column_label(_field_of(e["loc"])), _message(e)) for e in exc.errors()
        ]
        result.rejected.append(_joined(number, errors))


def _joined(number: int, problems: list[Problem]) -> Problem:
    """One problem for a row's cells: as many whole (column, reason) pairs as fit, then
    ``reasons.MORE`` in both, so that the n-th reason is the n-th column's."""
    join, more = reasons.SEPARATOR.join, reasons.MORE()
    room = MAX_REASON - len(reasons.SEPARATOR + more)
    columns: list[str] = []
    why: list[str] = []
    for p in problems:
        if len(join([*columns, p.column])) > room or len(join([*why, p.reason])) > room:
            columns, why = [*columns, more], [*why, more]
            break
        columns, why = [*columns, p.column], [*why, p.reason]
    return Problem(number, join(columns), join(why))


def _field_of(loc: tuple) -> str:
    names = [str(part) for part in loc if str(part) in all_fields()]
    return names[-1] if names else "category"


def _message(error: Mapping[str, Any]) -> str:
    return error_message(error)


def column_label(name: str) -> str:
    return f"{HEADERS_ZH.get(name, name)} ({name})" if name else ""


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value).strip()


@lru_cache(maxsize=2**16)  # a village's sheets repeat their values (是/否, labels, ages)
def parse_cell(name: str, text: str) -> Any:
    """One cell's text as the contract value of field ``name``; ValueError says why not.

    Results are cached (they are immutable: str, bool, int, float); errors are not."""
    kind = KINDS.get(name, str)
    if name == "category":
        return value_labels("category").get(text, text)
    if kind is bool:
        value = BOOLEAN_WORDS.get(text.lower())
        if value is None:
            raise ValueError(reasons.NOT_YES_NO(text=quoted(text)))
        return value
    if kind is int:
        return _whole(text)
    if kind is float:
        return _number(text)
    if kind is date:
        return _date(text)
    if isinstance(kind, type) and issubclass(kind, Enum):
        return _enum(name, kind, text)
    if name == "id_number":
        return _id_text(text)
    return text


def _number(text: str) -> float:
    cleaned = re.sub(r"[,，元\s]", "", text)
    try:
        return float(cleaned)
    except ValueError:
        raise ValueError(reasons.NOT_A_NUMBER(text=quoted(text))) from None


def _whole(text: str) -> int:
    number = _number(text)
    if not number.is_integer():
        raise ValueError(reasons.NOT_WHOLE(text=quoted(text)))
    return int(number)


def _date(text: str) -> str:
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date().isoformat()
        except ValueError:
            continue
    raise ValueError(reasons.NOT_A_DATE(text=quoted(text)))


def _enum(name: str, kind: type[Enum], text: str) -> str:
    codes = {m.value for m in kind}
    if text in codes:
        return text
    labels = value_labels(name)
    if text in labels:
        return labels[text]
    allowed = "、".join(list(labels) or sorted(codes))
    raise ValueError(reasons.NOT_ONE_OF(text=quoted(text), allowed=allowed))


_EXPONENT = re.compile(r"\d(\.\d+)?[eE]\+?\d+")  # 3.42422e+17: Excel's way with long numbers


def _id_text(text: str) -> str:
    if NUMERIC_ID_MARK in text or _EXPONENT.fullmatch(text) or text.endswith(".0"):
        raise ValueError(reasons.ID_STORED_AS_NUMBER())
    return text.upper()
