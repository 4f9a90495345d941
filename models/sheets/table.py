"""Rows of a village spreadsheet to contract values, column by column (for any size of sheet).

The same outcome as ``models.sheets.rows.read_rows`` row by row, its twin with a speed
reason (tests/models/test_sheet_bulk.py compares the two on messy, generated and
corrupted sheets): each distinct text of a column is parsed
once (``parse_cell``), rows are checked column-wise against the constraints of
the contract models (``models.person``: ranges, lengths, identity numbers and
the agreement of identity number, sex, birth date and age), and every row the
column-wise checks do not pass — or are not sure of — goes through the per-row
path, which accepts it or gives the exact rejection. Nothing is dropped:
``rows_in == len(table) + len(rejected)``.

The accepted rows come back as one table: ``row`` and every contract field, with
the values the validated person would hold (dates as dates, enum values as
their codes, None for unknown; birth date, sex and age derived from the
identity number as ``PersonBase`` derives them).
"""

import re
from dataclasses import dataclass, field
from datetime import date
from functools import cache, partial
from typing import Any

import annotated_types
import numpy as np
import pandas as pd
from pydantic.fields import FieldInfo
from stdnum import numdb

from models.identity import check_characters
from models.person import INPUT_MODELS, MAX_AGE
from models.sheets.columns import all_fields, header_field
from models.sheets.rows import (
    BLANK_ROW,
    HEADER_ROW,
    KINDS,
    Problem,
    SheetRead,
    _id_text,
    _read_row,
    _text,
    parse_cell,
)

_ID = re.compile(r"^\d{17}[\dX]$")
# Fields whose parse_cell is the text itself (free text: names, places, ids of the caller)
_AS_TEXT = frozenset({"name", "person_id", "township", "village"})


@dataclass
class TableRead:
    rows_in: int
    table: pd.DataFrame  # accepted rows, in sheet order
    rejected: list[Problem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)


@cache
def _constraints(category: str) -> dict[str, tuple[Any, Any, int | None]]:
    """``{field: (ge, le, max_length)}`` of a category's model."""
    out = {}
    for name, info in INPUT_MODELS[category].model_fields.items():
        ge = le = length = None
        for item in _metadata(info):
            if isinstance(item, annotated_types.Ge):
                ge = item.ge
            elif isinstance(item, annotated_types.Le):
                le = item.le
            elif isinstance(item, annotated_types.MaxLen):
                length = item.max_length
        out[name] = (ge, le, length)
    return out


@cache
def field_bounds(name: str) -> tuple[Any, Any]:
    """(ge, le) of a contract field (None where it has none), from the models' constraints."""
    for category in INPUT_MODELS:
        if name in INPUT_MODELS[category].model_fields:
            ge, le, _ = _constraints(category)[name]
            return ge, le
    return None, None


def _metadata(info) -> list:
    """Constraints on the field itself and inside ``Annotated[..., Field(...)] | None``."""
    found, items = [], list(info.metadata)
    for arg in getattr(info.annotation, "__args__", ()):
        items += list(getattr(arg, "__metadata__", ()))
    for item in items:
        found += list(item.metadata) if isinstance(item, FieldInfo) else [item]
    return found


@dataclass
class _Column:
    """One field's cells, worked out once per distinct text."""

    values: np.ndarray  # contract values (object; None empty or refused)
    filled: np.ndarray  # the cell holds text
    refused: np.ndarray  # parse_cell refused the text
    number: np.ndarray  # float64 of numeric values, NaN otherwise
    length: np.ndarray  # len() of text values, 0 otherwise


def read_table(
    frame: pd.DataFrame, progress=None, today: date | None = None, first: int = 0
) -> TableRead:
    """Read every row of a sheet whose cells are text; see the module's docstring.

    ``first``: how many data rows came before this piece of the sheet (for row numbers)."""
    today = today or date.today()
    mapped = [(i, header_field(h)) for i, h in enumerate(frame.columns)]
    result = TableRead(rows_in=len(frame), table=pd.DataFrame())
    result.ignored_columns = [str(frame.columns[i]) for i, f in mapped if f is None]
    positions = [(i, f) for i, f in mapped if f is not None]
    n = len(frame)
    columns = {f: _column(f, frame.iloc[:, i].to_numpy(dtype=object)) for i, f in positions}
    filled = [c.filled for c in columns.values()]
    blank = ~np.logical_or.reduce(filled) if filled else np.ones(n, dtype=bool)
    slow = np.logical_or.reduce([c.refused for c in columns.values()] + [np.zeros(n, bool)])
    if len({f for _, f in positions}) != len(positions):
        slow[:] = True  # two headers for one field: the per-row path decides which cell counts
    typed = {name: _empty(n) for name in all_fields()}
    typed.update({name: c.values for name, c in columns.items()})
    slow |= _checks(typed, columns, n, today)
    slow &= ~blank
    fast = ~slow & ~blank
    if progress is not None:
        progress(int(fast.sum() + blank.sum()))
    # dtype=object keeps None as None (pandas would infer "str" columns with NaN)
    table = pd.DataFrame({name: column[fast] for name, column in typed.items()}, dtype=object)
    start = first + HEADER_ROW + 1  # the sheet row of this piece's first data row
    table.insert(0, "row", np.flatnonzero(fast) + start)
    problems: list[Problem] = [
        Problem(int(r) + start, "", BLANK_ROW) for r in np.flatnonzero(blank)
    ]
    more = _per_row(np.flatnonzero(slow), positions, frame, problems, progress, start)
    if len(more):
        table = pd.concat([table, more], ignore_index=True)
    result.table = table.sort_values("row", kind="stable").reset_index(drop=True)
    result.rejected = sorted(problems, key=lambda p: p.row)
    return result


def _empty(n: int) -> np.ndarray:
    return np.full(n, None, dtype=object)


def _column(name: str, cells: np.ndarray) -> _Column:
    """parse_cell on each distinct cell (as models.sheets.rows._text reads it), spread
    to the rows."""
    codes, uniques = pd.factorize(cells, sort=False, use_na_sentinel=True)
    k = len(uniques) + 1  # the last slot: empty cells (NaN / None: code -1)
    values = np.full(k, None, dtype=object)
    filled, refused = np.zeros(k, dtype=bool), np.zeros(k, dtype=bool)
    number, length = np.full(k, np.nan), np.zeros(k, dtype=np.int64)
    as_date = KINDS.get(name) is date
    texts = [_text(cell) for cell in uniques]
    if name in _AS_TEXT:  # parse_cell returns the text itself: no call per distinct value
        for j, text in enumerate(texts):
            if text:
                filled[j], values[j], length[j] = True, text, len(text)
        return _Column(values[codes], filled[codes], refused[codes], number[codes], length[codes])
    parse = _id_text if name == "id_number" else partial(parse_cell, name)  # ids: all distinct
    for j, text in enumerate(texts):
        if not text:
            continue
        filled[j] = True
        try:
            value = parse(text)
        except ValueError:
            refused[j] = True
            continue
        if as_date:
            value = date.fromisoformat(value)
        values[j] = value
        if isinstance(value, int | float):  # bool too: a constraint never applies to one
            number[j] = float(value)
        elif isinstance(value, str):
            length[j] = len(value)
    return _Column(values[codes], filled[codes], refused[codes], number[codes], length[codes])


def _checks(typed: dict[str, np.ndarray], columns: dict, n: int, today: date) -> np.ndarray:
    """Rows the column-wise checks cannot accept as they are (they go the per-row way)."""
    slow = np.zeros(n, dtype=bool)
    category = typed["category"]
    slow |= ~np.isin(category, list(INPUT_MODELS))
    for cat, model in INPUT_MODELS.items():
        rows = category == cat
        if not rows.any():
            continue
        for name, column in columns.items():
            if name not in model.model_fields:
                slow |= rows & column.filled  # extra field for this category (extra="forbid")
        for name, (ge, le, length) in _constraints(cat).items():
            column = columns.get(name)
            if column is not None:
                slow |= rows & _outside(column, ge, le, length)
    slow |= _identity(typed, today)
    if "children_away_count" in columns and "children_count" in columns:
        away = columns["children_away_count"].number
        slow |= (category == "elder") & (away > columns["children_count"].number)  # NaN: false
    return slow


def _outside(column: _Column, ge, le, length) -> np.ndarray:
    out = np.zeros(len(column.values), dtype=bool)
    if length is not None:
        out |= column.length > length
    if isinstance(ge, date) or isinstance(le, date):  # a date field's bounds (assessment_date)
        ymd = ymd_numbers(column.values)
        known = ymd >= 0
        for bound, outside in ((ge, np.less), (le, np.greater)):
            if bound is not None:
                out |= known & outside(ymd, bound.year * 10000 + bound.month * 100 + bound.day)
        return out
    if ge is not None:
        out |= column.number < ge
    if le is not None:
        out |= column.number > le
    return out


@cache
def _known_region(prefix: str) -> bool:
    """As models.identity._validate: the region code is a known county code at some time."""
    return len(numdb.get("cn/loc").info(prefix)) >= 2


def ymd_numbers(dates: np.ndarray) -> np.ndarray:
    """Dates (object; None allowed) as yyyymmdd integers, -1 for None; once per distinct date."""
    codes, uniques = pd.factorize(dates, sort=False, use_na_sentinel=True)
    numbers = np.array([d.year * 10000 + d.month * 100 + d.day for d in uniques] + [-1])
    return numbers[codes]


def _identity(typed: dict[str, np.ndarray], today: date) -> np.ndarray:
    """Check identity numbers column-wise; fill birth date, sex and age as PersonBase does.

    Sure cases only: an 18-character number of digits (X last), a right check digit,
    a real date and a known region code. Anything else goes the per-row way."""
    n = len(typed["category"])
    slow = np.zeros(n, dtype=bool)
    numbers = typed["id_number"]
    given = np.fromiter((isinstance(v, str) for v in numbers), dtype=bool, count=n)
    id_ymd = np.full(n, -1, dtype=np.int64)
    id_sex = np.full(n, None, dtype=object)
    rows = np.flatnonzero(given)
    if len(rows):
        shaped = np.fromiter((bool(_ID.match(t)) for t in numbers[rows]), bool, len(rows))
        slow[rows[~shaped]] = True
        good = rows[shaped]
        if len(good):
            chars = np.frombuffer("".join(numbers[good]).encode("ascii"), dtype=np.uint8)
            chars = chars.reshape(len(good), 18)
            digits = chars[:, :17].astype(np.int64) - ord("0")
            checks = check_characters(digits) == chars[:, 17].view("S1").astype(str)
            ymd = digits[:, 6:14] @ (10 ** np.arange(7, -1, -1))
            real = _real_dates(ymd)
            regions = digits[:, :6] @ (10 ** np.arange(5, -1, -1))
            known = np.isin(regions, [r for r in np.unique(regions) if _known_region(f"{r:06d}")])
            ok = checks & real & known
            id_ymd[good[ok]] = ymd[ok]
            id_sex[good[ok]] = np.where(digits[ok, 16] % 2 == 1, "male", "female")
            slow[good[~ok]] = True
    has_id = id_ymd >= 0
    sex, birth = typed["sex"], typed["birth_date"]
    given_ymd = ymd_numbers(birth)
    slow |= has_id & (sex != None) & (sex != id_sex)  # noqa: E711  (object array)
    slow |= has_id & (given_ymd >= 0) & (given_ymd != id_ymd)
    birth_ymd = np.where(has_id, id_ymd, given_ymd)
    when_ymd = ymd_numbers(typed["assessment_date"])
    when_ymd = np.where(when_ymd < 0, today.year * 10000 + today.month * 100 + today.day, when_ymd)
    born = birth_ymd >= 0
    slow |= born & (birth_ymd > when_ymd)
    derived = when_ymd // 10000 - birth_ymd // 10000 - (when_ymd % 10000 < birth_ymd % 10000)
    age = typed["age"]
    given_age = np.array([np.nan if v is None else v for v in age], dtype=float)
    slow |= born & ~np.isnan(given_age) & (given_age != derived)
    slow |= born & (derived > MAX_AGE)
    typed["assessment_date"] = _dates(when_ymd)
    typed["birth_date"] = np.where(has_id, _dates(id_ymd), birth)
    typed["sex"] = np.where(has_id, id_sex, sex)
    typed["age"] = np.where(born, derived.astype(object), age)
    return slow


def _real_dates(ymd: np.ndarray) -> np.ndarray:
    text = pd.Series(ymd.astype(str))
    return pd.to_datetime(text, format="%Y%m%d", errors="coerce").notna().to_numpy()


def _dates(ymd: np.ndarray) -> np.ndarray:
    """yyyymmdd integers as date objects (None for -1), once per distinct value."""
    codes, uniques = pd.factorize(ymd, sort=False)
    made = np.array(
        [None if v < 0 else date(v // 10000, v // 100 % 100, v % 100) for v in uniques] + [None],
        dtype=object,
    )
    return made[codes]


def _per_row(rows, positions, frame, problems, progress, start) -> pd.DataFrame:
    """The rows the column-wise checks left: read one by one, as read_rows does."""
    read = SheetRead(rows_in=len(rows))
    for offset in rows:
        number = int(offset) + start
        row = frame.iloc[int(offset)].to_numpy(dtype=object)
        cells = {f: text for i, f in positions if (text := _text(row[i]))}
        _read_row(number, cells, read)
    problems.extend(read.rejected)
    if progress is not None:
        progress(len(rows))
    return persons_table([r.person for r in read.records], [r.row for r in read.records])


def persons_table(persons: list, rows=None) -> pd.DataFrame:
    """Validated persons as the table ``read_table`` gives (``rows``: default 1, 2, …)."""
    columns = {}
    for name in all_fields():
        column = np.empty(len(persons), dtype=object)
        column[:] = [getattr(p, name, None) for p in persons]
        columns[name] = column
    table = pd.DataFrame(columns, dtype=object)  # keeps None (pandas would infer "str")
    rows = range(1, len(persons) + 1) if rows is None else rows
    table.insert(0, "row", np.array(list(rows), dtype=np.int64))
    return table
