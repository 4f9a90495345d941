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
import pyarrow as pa
import pyarrow.compute as pc
from pydantic.fields import FieldInfo
from stdnum import numdb

from models.identity import check_characters
from models.person import INPUT_MODELS, MAX_AGE
from models.sheets.columns import all_fields, header_field
from models.sheets.rows import (
    BLANK_ROW,
    HEADER_ROW,
    KINDS,
    NUMERIC_ID_MARK,
    Problem,
    SheetRead,
    _id_text,
    _read_row,
    _text,
    parse_cell,
)

_ID = re.compile(r"^[0-9]{17}[0-9X]$")  # ASCII digits only (\d takes full-width ones too)
# Fields whose parse_cell is the text itself (free text: names, places, ids of the caller)
_AS_TEXT = frozenset({"name", "person_id", "township", "village"})
# Those nearly all distinct, read cell by cell in Arrow (``_text_column``); a sheet's
# places repeat (a county's file has a few hundred villages): read once per distinct text
_ALL_DISTINCT = frozenset({"name", "person_id", "id_number"})


@dataclass
class TableRead:
    rows_in: int
    table: pd.DataFrame  # accepted rows, in sheet order
    rejected: list[Problem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    # {field: (codes, distinct)} where ``distinct[codes]`` is the table's column (codes -1:
    # the last slot, None): what each distinct text was read as, for rules.fact_table to
    # encode once per distinct value; empty when rows were read one by one
    coded: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)


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


class _Column:
    """One field's cells, worked out once per distinct text: each row's code into the
    distinct values (``codes``, -1 empty), and what the checks ask, spread to the rows
    when asked (a batch's columns are not held five times over)."""

    def __init__(self, values, filled, refused, number, length, codes=None):
        self._codes = codes
        self._parts = (filled, refused, number, length)
        self.distinct = values  # each distinct text's contract value (codes: into it)
        self.values = values if codes is None else values[codes]  # contract values

    def _spread(self, k: int) -> np.ndarray:
        part = self._parts[k]
        return part if self._codes is None else part[self._codes]

    @property
    def filled(self) -> np.ndarray:  # the cell holds text
        return self._spread(0)

    @property
    def refused(self) -> np.ndarray:  # parse_cell refused the text
        return self._spread(1)

    @property
    def number(self) -> np.ndarray:  # float64 of numeric values, NaN otherwise
        return self._spread(2)

    @property
    def length(self) -> np.ndarray:  # len() of text values, 0 otherwise
        return self._spread(3)


def read_table(
    frame: pd.DataFrame | pa.RecordBatch,
    progress=None,
    today: date | None = None,
    first: int = 0,
) -> TableRead:
    """Read every row of a sheet whose cells are text (a frame, or an Arrow batch of
    string columns as ``models.sheets.files.sheet_batches`` gives); see the module's
    docstring. ``first``: how many data rows came before this piece (for row numbers)."""
    today = today or date.today()
    headers = list(frame.schema.names if isinstance(frame, pa.RecordBatch) else frame.columns)
    mapped = [(i, header_field(h)) for i, h in enumerate(headers)]
    n = frame.num_rows if isinstance(frame, pa.RecordBatch) else len(frame)
    result = TableRead(rows_in=n, table=pd.DataFrame())
    result.ignored_columns = [str(headers[i]) for i, f in mapped if f is None]
    positions = [(i, f) for i, f in mapped if f is not None]
    columns = {f: _column(f, _cells(frame, i)) for i, f in positions}
    filled = [c.filled for c in columns.values()]
    blank = ~np.logical_or.reduce(filled) if filled else np.ones(n, dtype=bool)
    slow = np.logical_or.reduce([c.refused for c in columns.values()] + [np.zeros(n, bool)])
    if len({f for _, f in positions}) != len(positions):
        slow[:] = True  # two headers for one field: the per-row path decides which cell counts
    # every header names one of all_fields() (models.sheets.columns.header_field)
    typed = {name: columns[name].values if name in columns else _empty(n) for name in all_fields()}
    slow |= _checks(typed, columns, n, today)
    slow &= ~blank
    fast = ~slow & ~blank
    if progress is not None:
        progress(int(fast.sum() + blank.sum()))
    # dtype=object keeps None as None (pandas would infer "str" columns with NaN)
    everyone = bool(fast.all())  # the common case: no copy of the columns
    table = pd.DataFrame(
        {name: column if everyone else column[fast] for name, column in typed.items()},
        dtype=object,
    )
    start = first + HEADER_ROW + 1  # the sheet row of this piece's first data row
    table.insert(0, "row", np.flatnonzero(fast) + start)
    problems: list[Problem] = [
        Problem(int(r) + start, "", BLANK_ROW) for r in np.flatnonzero(blank)
    ]
    more = _per_row(np.flatnonzero(slow), positions, frame, problems, progress, start)
    if len(more):  # the rows read one by one join in sheet order
        table = pd.concat([table, more], ignore_index=True)
        table = table.sort_values("row", kind="stable").reset_index(drop=True)
    elif everyone:  # the table's columns are the columns' own values: codes say them
        result.coded = {
            name: (c._codes, c.distinct)
            for name, c in columns.items()
            if c._codes is not None and typed[name] is c.values
        }
    result.table = table
    result.rejected = sorted(problems, key=lambda p: p.row)
    return result


def _empty(n: int) -> np.ndarray:
    return np.full(n, None, dtype=object)


def _cells(frame: pd.DataFrame | pa.RecordBatch, i: int) -> np.ndarray | pa.Array:
    if isinstance(frame, pa.RecordBatch):
        return frame.column(i)
    return frame.iloc[:, i].to_numpy(dtype=object)


# Python's whitespace (str.strip, models.sheets.rows._text): a cell that starts or ends
# with one is read by Python; every other cell is its own stripped text
_SPACES = pa.array([c for c in map(chr, range(0x3100)) if c.isspace()], pa.string())


def _text_column(name: str, cells: pa.Array) -> _Column:
    """A free-text column (names, ids, identity numbers: nearly all distinct) read in
    Arrow: each cell is its own text unless it has space to strip (then Python strips
    it); identity numbers as ``_id_text`` reads them (a non-ASCII one by Python)."""
    n = len(cells)
    edges = pc.or_(
        pc.is_in(pc.utf8_slice_codeunits(cells, 0, 1), value_set=_SPACES),
        pc.is_in(pc.utf8_slice_codeunits(cells, -1, 2**31 - 1), value_set=_SPACES),
    )
    cells = pc.fill_null(cells, "")
    values = cells.to_numpy(zero_copy_only=False).astype(object)
    length = pc.utf8_length(cells).to_numpy(zero_copy_only=False).astype(np.int64)
    for i in np.flatnonzero(edges.to_numpy(zero_copy_only=False)):
        values[i] = _text(values[i])
        length[i] = len(values[i])
    filled = length > 0
    refused = np.zeros(n, dtype=bool)
    if name == "id_number":
        ascii_ = pc.string_is_ascii(cells).to_numpy(zero_copy_only=False)
        upper = pc.utf8_upper(cells).to_numpy(zero_copy_only=False).astype(object)
        wrong = pc.or_(
            pc.match_substring(cells, NUMERIC_ID_MARK),
            pc.or_(
                pc.match_substring_regex(cells, r"^\d(\.\d+)?[eE]\+?\d+$"),
                pc.ends_with(cells, ".0"),
            ),
        ).to_numpy(zero_copy_only=False)
        plain = ascii_ & ~edges.to_numpy(zero_copy_only=False)
        refused = plain & wrong & filled
        values = np.where(plain, upper, values)
        for i in np.flatnonzero(~plain & filled):  # by Python: exact
            try:
                values[i] = _id_text(values[i])
            except ValueError:
                refused[i] = True
        values[refused] = None
        length = np.where(refused, 0, length)
    values[~filled] = None
    return _Column(values, filled, refused, np.full(n, np.nan), np.where(filled, length, 0))


def _column(name: str, cells: np.ndarray | pa.Array) -> _Column:
    """parse_cell on each distinct cell (as models.sheets.rows._text reads it), spread
    to the rows."""
    if isinstance(cells, pa.ChunkedArray):
        cells = cells.combine_chunks()
    if isinstance(cells, pa.Array):
        if name in _ALL_DISTINCT:
            return _text_column(name, cells)
        encoded = pc.dictionary_encode(cells)
        codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False).astype(np.int32)
        plain = _plain_numbers(encoded.dictionary) if KINDS.get(name) is float else None
        if plain is None:
            uniques = encoded.dictionary.to_pylist()
        else:  # the plain decimals need no text in Python
            rest = np.flatnonzero(~plain[0])
            uniques = [None] * len(encoded.dictionary)
            texts_left = encoded.dictionary.take(rest).to_pylist()
            for at, text in zip(rest.tolist(), texts_left, strict=True):
                uniques[at] = text
    else:
        codes, uniques = pd.factorize(cells, sort=False, use_na_sentinel=True)
        codes = codes.astype(np.int32)
        plain = None
    k = len(uniques) + 1  # the last slot: empty cells (NaN / None: code -1)
    values = np.full(k, None, dtype=object)
    filled, refused = np.zeros(k, dtype=bool), np.zeros(k, dtype=bool)
    number, length = np.full(k, np.nan), np.zeros(k, dtype=np.int64)
    if plain is not None:  # plain decimals: read by Arrow, as float() reads them
        known, floats = plain
        sure = np.flatnonzero(known)
        values[sure], number[sure], filled[sure] = floats[sure].tolist(), floats[sure], True
    as_date = KINDS.get(name) is date
    texts = [(j, _text(cell)) for j, cell in enumerate(uniques) if cell is not None]
    if name in _AS_TEXT:  # parse_cell returns the text itself: no call per distinct value
        for j, text in texts:
            if text:
                filled[j], values[j], length[j] = True, text, len(text)
        return _Column(values, filled, refused, number, length, codes)
    parse = _id_text if name == "id_number" else partial(parse_cell, name)  # ids: all distinct
    for j, text in texts:
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
        if isinstance(value, float) and value != value:  # "nan": float() takes it, the
            refused[j] = True  # models' bounds do not; the per-row path says what they say
        elif isinstance(value, int | float):  # bool too: a constraint never applies to one
            number[j] = float(value)
        elif isinstance(value, str):
            length[j] = len(value)
    return _Column(values, filled, refused, number, length, codes)


_PLAIN_NUMBER = r"^-?[0-9]+(\.[0-9]+)?$"  # what float() and Arrow's cast read alike


def _plain_numbers(texts: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Which texts are plain decimals (ASCII digits, an optional point and sign, no space,
    nothing for ``_number`` to clean), and their float64 values (Arrow's cast rounds as
    Python's float(): correctly). A number column's texts are nearly all distinct
    (incomes): parsed here, not one parse_cell call each."""
    known = pc.fill_null(pc.match_substring_regex(texts, _PLAIN_NUMBER), False)
    floats = pc.cast(pc.if_else(known, texts, "0"), pa.float64())
    return known.to_numpy(zero_copy_only=False), floats.to_numpy(zero_copy_only=False)


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
    given = pd.notna(numbers)  # text or None (read_table's id_number column)
    id_ymd = np.full(n, -1, dtype=np.int64)
    id_sex = np.full(n, None, dtype=object)
    rows = np.flatnonzero(given)
    if len(rows):
        shaped = pc.match_substring_regex(pa.array(numbers[rows], pa.string()), _ID.pattern)
        shaped = shaped.to_numpy(zero_copy_only=False)
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
    given_age = age.astype(float)  # None: NaN
    slow |= born & ~np.isnan(given_age) & (given_age != derived)
    slow |= born & (derived > MAX_AGE)
    typed["assessment_date"] = _dates(when_ymd)
    typed["birth_date"] = np.where(has_id, _dates(id_ymd), birth)
    typed["sex"] = np.where(has_id, id_sex, sex)
    typed["age"] = np.where(born, derived.astype(object), age)
    return slow


_MONTH_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def _real_dates(ymd: np.ndarray) -> np.ndarray:
    """Which yyyymmdd integers are days of the Gregorian calendar in the years 1678-2261
    (a number outside goes the per-row way, which is exact: whoever it names is older
    than MAX_AGE or not yet born)."""
    year, month, day = ymd // 10000, ymd // 100 % 100, ymd % 100
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    days = _MONTH_DAYS[np.clip(month, 0, 12)] + (leap & (month == 2))
    in_range = (year >= 1678) & (year <= 2261) & (month >= 1) & (month <= 12)
    return in_range & (day >= 1) & (day <= days)


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
    if isinstance(frame, pa.RecordBatch):
        taken = frame.take(pa.array(rows, pa.int64()))
        lines = list(zip(*(c.to_pylist() for c in taken.columns), strict=True))
    else:
        lines = [frame.iloc[int(offset)].to_numpy(dtype=object) for offset in rows]
    for offset, row in zip(rows, lines, strict=True):
        number = int(offset) + start
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
