"""Reading CSV and XLSX files into a frame of cell texts, and the blank template."""

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.worksheet.datavalidation import DataValidation

from models.errors import LiushouError
from models.identity import masked_text
from models.sheets.columns import BOOLEAN_WORDS, HEADERS_ZH, all_fields, header_field, value_labels
from models.sheets.rows import HEADER_ROW, KINDS, NUMERIC_ID_MARK


class SheetError(LiushouError, ValueError):
    """The file cannot be read as a spreadsheet at all (a 422)."""


class SheetTooLarge(SheetError):
    """The file is over one of its limits (a 413 naming it): refused before the work."""

    def __init__(self, message: str, limit: str, value: int):
        super().__init__(message)
        self.limit, self.value = limit, value


@dataclass(frozen=True)
class SheetLimits:
    """What one spreadsheet may hold. ``rows`` is ``LIUSHOU_MAX_REVIEW_ROWS`` in the API.

    A village's list is a few hundred rows of ~60 columns; a county's is CSV."""

    rows: int = 1_048_576  # Excel's own maximum
    columns: int = 256
    cell_chars: int = 2_000
    cells: int = 1_048_576 * 128  # Excel's rows at every contract field (~62) twice over
    uncompressed_bytes: int = 256 * 2**20  # an XLSX's parts, unzipped, together
    shared_strings_bytes: int = 64 * 2**20  # its shared strings (openpyxl loads them whole)

    def over(self, what: str, found: int, where: str = "") -> SheetTooLarge:
        limit = getattr(self, what)
        where = f" ({where})" if where else ""
        return SheetTooLarge(
            f"the sheet has {found:,} {_UNITS[what]}{where}; the limit is {limit:,}"
            f" ({_NAMES[what]})",
            _NAMES[what],
            limit,
        )


_UNITS = {
    "rows": "rows",
    "columns": "columns",
    "cell_chars": "characters in a cell",
    "cells": "cells",
    "uncompressed_bytes": "bytes unzipped",
    "shared_strings_bytes": "bytes of shared strings unzipped",
}
_NAMES = {
    "rows": "LIUSHOU_MAX_REVIEW_ROWS",
    "columns": "columns per sheet",
    "cell_chars": "characters per cell",
    "cells": "cells per sheet",
    "uncompressed_bytes": "unzipped bytes per XLSX",
    "shared_strings_bytes": "unzipped bytes of shared strings per XLSX",
}
DEFAULT_LIMITS = SheetLimits()


def load_sheet(data: bytes, filename: str, limits: SheetLimits = DEFAULT_LIMITS) -> pd.DataFrame:
    """Cells as text ('' for empty); CSV in UTF-8 (with or without BOM) or GB18030."""
    pieces = list(sheet_chunks(data, filename, limits=limits))
    return pieces[0] if len(pieces) == 1 else pd.concat(pieces, ignore_index=True)


def _cell_text(value: object, is_id: bool) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, datetime | date):
        return value.date().isoformat() if isinstance(value, datetime) else value.isoformat()
    if isinstance(value, int | float) and not isinstance(value, bool):
        if is_id:
            return f"{value}{NUMERIC_ID_MARK}"
        return str(int(value)) if float(value).is_integer() else str(value)
    return str(value)


CHUNK_ROWS = 25_000  # rows read at a time: memory follows it (benchmarks/review.py)
SUFFIXES = (".csv", ".xlsx", ".xlsm", ".parquet")


def sheet_chunks(
    source: bytes | Path,
    filename: str,
    rows: int = CHUNK_ROWS,
    limits: SheetLimits = DEFAULT_LIMITS,
) -> Iterator[pd.DataFrame]:
    """``sheet_batches`` as pandas frames of cell texts (object columns)."""
    for batch in sheet_batches(source, filename, rows, limits):
        yield batch_frame(batch)


def batch_frame(batch: pa.RecordBatch) -> pd.DataFrame:
    """A batch of text cells as a frame of object columns (duplicate headers kept)."""
    columns = {
        i: batch.column(i).to_numpy(zero_copy_only=False).astype(object)
        for i in range(batch.num_columns)
    }
    frame = pd.DataFrame(columns, index=pd.RangeIndex(batch.num_rows), dtype=object)
    frame.columns = pd.Index(batch.schema.names, dtype=object)
    return frame


def sheet_batches(
    source: bytes | Path,
    filename: str,
    rows: int = CHUNK_ROWS,
    limits: SheetLimits = DEFAULT_LIMITS,
) -> Iterator[pa.RecordBatch]:
    """The sheet as Arrow record batches of ``rows`` text cells ('' for empty), CSV,
    XLSX or Parquet (bytes or a file's path), never held whole. SheetTooLarge past a
    limit (checked from the header, the declared size and the zip directory before the
    rows are read, and again as they are read), SheetError for a file that cannot be read."""
    suffix = Path(filename).suffix.lower()
    if suffix not in SUFFIXES:
        raise SheetError(f"{_shown(filename)}: expected a .csv or .xlsx file (or .parquet)")
    if suffix == ".csv":
        yield from _rebatched(_csv_batches(source, filename, rows, limits), rows)
        return
    if suffix == ".parquet":
        yield from _parquet_batches(source, filename, rows, limits)
        return
    data = source.read_bytes() if isinstance(source, Path) else source
    yield from _xlsx_chunks(data, filename, rows, limits)


def _shown(filename: str) -> str:
    return masked_text(filename[-80:])


def _rebatched(batches: Iterator[pa.RecordBatch], rows: int) -> Iterator[pa.RecordBatch]:
    """Batches of exactly ``rows`` rows (the last one shorter); an empty sheet is one
    empty batch, as pandas gives it."""
    held: list[pa.RecordBatch] = []
    count, schema, yielded = 0, None, False
    for batch in batches:
        schema = batch.schema
        while batch.num_rows:
            take = min(rows - count, batch.num_rows)
            held.append(batch.slice(0, take))
            count += take
            batch = batch.slice(take)
            if count == rows:
                joined, held, count, yielded = _joined(held), [], 0, True
                yield joined  # the slices are let go first: one copy of the rows at a time
                del joined
    if held:
        yield _joined(held)
    elif not yielded and schema is not None:
        yield _empty_batch(schema.names)


def _joined(batches: list[pa.RecordBatch]) -> pa.RecordBatch:
    if len(batches) == 1:
        return batches[0]
    return pa.Table.from_batches(batches).combine_chunks().to_batches()[0]


CSV_BLOCK = 1 << 20


class _ShortRow(Exception):
    """A CSV row with fewer fields than the header: pandas pads it; the rest of the file
    is read the pandas way (models.sheets.files._pandas_rest)."""


def _csv_batches(source, filename: str, rows: int, limits: SheetLimits):
    """pyarrow's streaming reader, every column as text; a file with a row shorter than
    its header is read on from that row by pandas (which pads it, as before)."""
    done = 0
    try:
        encoding, total, longest = _csv_stats(source)
        header = _csv_header(source, encoding, limits)
        _check_size(total, len(header), limits)
        names = _mangled(header)
        # a cell is never longer than its line: cells are measured only if a line is long
        measure = longest > limits.cell_chars
        if measure:
            for name in names:
                if len(name) > limits.cell_chars:
                    raise limits.over("cell_chars", len(name), "a header")
        if not total:
            yield _empty_batch(names)
            return
        try:
            for batch in _arrow_csv(source, encoding, names):
                if measure:
                    _check_lengths(batch, limits, done)
                done += batch.num_rows
                yield batch
        except _ShortRow:
            for frame in _pandas_rest(source, encoding, names, done, rows):
                batch = _frame_batch(frame, names)
                if measure:
                    _check_lengths(batch, limits, done)
                done += batch.num_rows
                yield batch
    except SheetError:
        raise
    except (ValueError, KeyError, OSError, IndexError, pa.ArrowException) as exc:
        raise SheetError(f"{_shown(filename)}: cannot be read as CSV ({_reason(exc)})") from exc


def _arrow_csv(source, encoding: str, names: list[str]):
    shorter: list[int] = []

    def short(row) -> str:
        if row.actual_columns < row.expected_columns:
            shorter.append(row.actual_columns)  # ends this reader: pandas reads on
        return "error"  # a row longer than the header: unreadable, as pandas says

    read = pcsv.ReadOptions(
        column_names=names,
        skip_rows=1,
        encoding="utf8" if encoding == "utf-8-sig" else encoding,
        block_size=CSV_BLOCK,  # small blocks parse fastest here; batches are re-cut to ``rows``
        use_threads=True,
    )
    parse = pcsv.ParseOptions(
        newlines_in_values=True, ignore_empty_lines=False, invalid_row_handler=short
    )
    convert = pcsv.ConvertOptions(
        column_types=dict.fromkeys(names, pa.string()),
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    handle = pa.OSFile(str(source)) if isinstance(source, Path) else pa.BufferReader(source)
    try:
        with handle, pcsv.open_csv(handle, read, parse, convert) as reader:
            yield from reader
    except pa.ArrowInvalid:
        if shorter:
            raise _ShortRow() from None
        raise


def _pandas_rest(source, encoding: str, names: list[str], done: int, rows: int):
    handle = source if isinstance(source, Path) else io.BytesIO(source)
    with pd.read_csv(
        handle,
        chunksize=rows,
        encoding=encoding,
        header=None,
        names=list(range(len(names))),
        skiprows=done + 1,
        dtype=str,
        keep_default_na=False,
        skip_blank_lines=False,
    ) as reader:
        yield from reader


def _frame_batch(frame: pd.DataFrame, names: list[str]) -> pa.RecordBatch:
    arrays = [
        pa.array(frame.iloc[:, i].fillna("").astype(object).to_numpy(), pa.string())
        for i in range(len(names))
    ]
    return pa.RecordBatch.from_arrays(arrays, names=names)


def _empty_batch(names: list[str]) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays([pa.array([], pa.string()) for _ in names], names=names)


def _mangled(header: list[str]) -> list[str]:
    """Header names as pandas makes them: '' is ``Unnamed: i``, a repeated name ``name.1``."""
    names = [h if h else f"Unnamed: {i}" for i, h in enumerate(header)]
    counts: dict[str, int] = {}
    for i, name in enumerate(names):
        seen = counts.get(name, 0)
        while seen > 0:
            counts[name] = seen + 1
            name = f"{name}.{seen}"
            seen = counts.get(name, 0)
        names[i] = name
        counts[name] = seen + 1
    return names


def _check_lengths(batch: pa.RecordBatch, limits: SheetLimits, done: int) -> None:
    for column in batch.columns:
        lengths = pc.utf8_length(column)
        longest = pc.max(lengths).as_py() if len(lengths) else None
        if longest is not None and longest > limits.cell_chars:
            row = pc.index(lengths, longest).as_py() + done + HEADER_ROW + 1
            raise limits.over("cell_chars", longest, f"row {row}")


def _parquet_batches(source, filename: str, rows: int, limits: SheetLimits):
    """A Parquet file's row groups, ``rows`` at a time, every column as text (numbers and
    dates as their text, booleans true/false, null as '')."""
    try:
        handle = pa.OSFile(str(source)) if isinstance(source, Path) else pa.BufferReader(source)
        with handle, pq.ParquetFile(handle) as parquet:
            names = _mangled([str(n) for n in parquet.schema_arrow.names])
            if len(names) > limits.columns:
                raise limits.over("columns", len(names))
            _check_size(parquet.metadata.num_rows, len(names), limits)
            done = 0
            for batch in parquet.iter_batches(batch_size=rows):
                text = [_as_text(c) for c in batch.columns]
                batch = pa.RecordBatch.from_arrays(text, names=names)
                _check_lengths(batch, limits, done)
                done += batch.num_rows
                yield batch
            if not done:
                yield _empty_batch(names)
    except SheetError:
        raise
    except (ValueError, OSError, IndexError, pa.ArrowException) as exc:
        raise SheetError(f"{_shown(filename)}: cannot be read as Parquet ({_reason(exc)})") from exc


def _as_text(column: pa.Array) -> pa.Array:
    kind = column.type
    if pa.types.is_dictionary(kind):
        column = column.cast(kind.value_type)
        kind = column.type
    if pa.types.is_timestamp(kind):
        column = pc.strftime(column, "%Y-%m-%d %H:%M:%S")
    elif pa.types.is_boolean(kind):
        column = pc.if_else(column, "true", "false")
    elif not pa.types.is_string(kind):
        column = column.cast(pa.string())
    return pc.fill_null(column.cast(pa.string()), "")


def _csv_header(source, encoding: str, limits: SheetLimits) -> list[str]:
    """The header line's fields, read from the first bytes only."""
    head = next(_blocks(source, 1 << 20), b"")
    line, newline, _ = head.partition(b"\n")
    if not newline and len(head) == 1 << 20:
        raise limits.over("columns", line.count(b",") + 1, "the header line is over 1 MB")
    text = line.decode(encoding, errors="replace").rstrip("\r")
    header = next(csv.reader([text]), [])
    if len(header) > limits.columns:
        raise limits.over("columns", len(header))
    return header


def _check_size(rows: int, columns: int, limits: SheetLimits) -> None:
    if rows > limits.rows:
        raise limits.over("rows", rows)
    if rows * columns > limits.cells:
        raise limits.over("cells", rows * columns)


def _reason(exc: BaseException) -> str:
    """A parser's message, short (it can quote a line of the file: masked, cut)."""
    text = masked_text(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    return text if len(text) <= 120 else text[:119] + "…"


def _xlsx_chunks(data: bytes, filename: str, rows: int, limits: SheetLimits):
    book = _open_xlsx(data, filename, limits)
    try:
        yield from _xlsx_rows(book, filename, rows, limits)
    except SheetError:
        raise
    except Exception as exc:  # a hostile file can break openpyxl in any of its layers
        if isinstance(exc, MemoryError):
            raise
        raise SheetError(f"{_shown(filename)}: cannot be read as XLSX ({_reason(exc)})") from exc
    finally:
        book.close()


def _open_xlsx(data: bytes, filename: str, limits: SheetLimits):
    """The workbook, read-only (rows parsed as they are asked for), after checking the zip
    directory: no part may unzip past the limit (zip bombs)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
        unzipped = sum(info.file_size for info in parts)
        if unzipped > limits.uncompressed_bytes:
            raise limits.over("uncompressed_bytes", unzipped)
        strings = sum(
            p.file_size for p in parts if p.filename.lower().endswith("sharedstrings.xml")
        )
        if strings > limits.shared_strings_bytes:
            raise limits.over("shared_strings_bytes", strings)
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except SheetError:
        raise
    except Exception as exc:  # not a zip, a broken or hostile part (defusedxml refuses entities)
        if isinstance(exc, MemoryError):
            raise
        raise SheetError(
            f"{_shown(filename)}: cannot be read as XLSX ({_reason(exc)}); "
            "save it again from Excel or WPS as .xlsx, or as CSV"
        ) from exc


def _xlsx_rows(book, filename: str, rows: int, limits: SheetLimits) -> Iterator[pa.RecordBatch]:
    """The first sheet's header and rows, as pd.read_excel would give them (trailing blank
    rows dropped, a duplicate header mangled as ``name.1``, a cell right of the last
    header in a column ``Unnamed: k``, which is reported as ignored), ``rows`` at a time."""
    sheet = book.worksheets[0]
    declared_rows, declared_columns = sheet.max_row or 0, sheet.max_column or 0
    if declared_columns > limits.columns:
        raise limits.over("columns", declared_columns, "declared by the sheet")
    _check_size(max(declared_rows - 1, 0), min(declared_columns, limits.columns), limits)
    sheet.reset_dimensions()  # a declared size may be wrong: read every row there is
    lines = sheet.iter_rows(values_only=True, max_col=limits.columns + 1)
    header = _header(next(lines, ()), limits)
    ids = [header_field(h) == "id_number" for h in header]
    piece: list[list[str]] = []
    blanks, count, yielded = 0, 0, False
    for line in lines:
        count += 1
        if count > limits.rows:
            raise limits.over("rows", count, "at least")
        if line[len(header) :].count(None) < len(line) - len(header):  # cells past the header
            _widen(header, ids, line, limits)
        texts = [_cell_text(v, ids[i]) for i, v in enumerate(line[: len(header)])]
        if not any(texts):
            blanks += 1  # kept back: only blank rows before a filled one count
            continue
        _check_row(texts, count, limits)
        if count * len(header) > limits.cells:
            raise limits.over("cells", count * len(header), "at least")
        while blanks:  # a long run of blank rows is cut into pieces too
            take = min(blanks, rows - len(piece))
            piece.extend([[""]] * take)
            blanks -= take
            if len(piece) >= rows:
                yield _frame(piece, header)
                piece, yielded = [], True
        piece.append(texts)
        if len(piece) >= rows:
            yield _frame(piece, header)
            piece, yielded = [], True
    if piece or not yielded:  # an empty sheet is one empty piece, as pandas gives it
        yield _frame(piece, header)


def _widen(header: list[str], ids: list[bool], line: tuple, limits: SheetLimits) -> None:
    """Columns ``Unnamed: k`` up to the last filled cell of ``line`` (within the limit)."""
    last = max(i for i, v in enumerate(line) if v is not None) + 1
    if last > limits.columns:
        raise limits.over("columns", last, "a row")
    header += [f"Unnamed: {i}" for i in range(len(header), last)]
    ids += [False] * (last - len(ids))


def _frame(piece: list[list[str]], header: list[str]) -> pa.RecordBatch:
    """Rows as one batch; rows read before the header widened are padded with ''."""
    n = len(header)
    rows = [r if len(r) == n else r + [""] * (n - len(r)) for r in piece]
    columns = list(zip(*rows, strict=True)) if rows else [()] * n
    return pa.RecordBatch.from_arrays([pa.array(c, pa.string()) for c in columns], names=header)


def _header(line: tuple, limits: SheetLimits) -> list[str]:
    cells = list(line)
    while cells and cells[-1] is None:
        cells.pop()
    if len(cells) > limits.columns:
        raise limits.over("columns", len(cells))
    names: list[str] = []
    for i, value in enumerate(cells):
        name = f"Unnamed: {i}" if value is None else _cell_text(value, False)
        if len(name) > limits.cell_chars:
            raise limits.over("cell_chars", len(name), "a header")
        base, k = name, 0
        while name in names:
            k += 1
            name = f"{base}.{k}"
        names.append(name)
    return names


def _check_row(texts: list[str], row: int, limits: SheetLimits) -> None:
    longest = max(map(len, texts), default=0)
    if longest > limits.cell_chars:
        raise limits.over("cell_chars", longest, f"row {row + HEADER_ROW}")


def count_rows(source: bytes | Path, filename: str) -> int | None:
    """About how many data rows a CSV (its lines) or a Parquet file has (for a progress
    bar); None for XLSX."""
    suffix = Path(filename).suffix.lower()
    if suffix == ".parquet":
        try:
            handle = pa.BufferReader(source) if isinstance(source, bytes) else str(source)
            return pq.ParquetFile(handle).metadata.num_rows
        except (OSError, pa.ArrowException):
            return None
    if suffix != ".csv":
        return None
    lines, last = 0, b""
    for block in _blocks(source):
        lines += block.count(b"\n")
        last = block[-1:] or last
    return max(lines - 1 + (last not in (b"\n", b"")), 0)


def _csv_stats(source: bytes | Path) -> tuple[str, int, int]:
    """One pass over a CSV: its encoding (UTF-8, with or without BOM, else GB18030: the
    whole file is checked, no copy of the text), its data rows (lines after the header)
    and its longest line, in bytes."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    utf8 = True
    lines, longest, carry, last = 0, 0, 0, b""
    for block in _blocks(source):
        if utf8:
            try:
                decoder.decode(block)
            except UnicodeDecodeError:
                utf8 = False
        ends = np.flatnonzero(np.frombuffer(block, dtype=np.uint8) == 10)
        lines += len(ends)
        if len(ends):
            longest = max(longest, carry + int(ends[0]))
            if len(ends) > 1:
                longest = max(longest, int(np.diff(ends).max()) - 1)
            carry = len(block) - int(ends[-1]) - 1
        else:
            carry += len(block)
        last = block[-1:] or last
    longest = max(longest, carry)
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    encoding = "utf-8-sig" if utf8 else _encoding(source, ("gb18030",))
    return encoding, max(lines - 1 + (last not in (b"\n", b"")), 0), longest


def _blocks(source: bytes | Path, size: int = 1 << 20) -> Iterator[bytes]:
    if isinstance(source, Path):
        with source.open("rb") as handle:
            while block := handle.read(size):
                yield block
        return
    for start in range(0, len(source), size):
        yield source[start : start + size]


def _encoding(source: bytes | Path, encodings=("utf-8-sig", "gb18030")) -> str:
    """UTF-8 (with or without BOM) or GB18030, checked block by block (no copy of the text)."""
    for encoding in encodings:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            for block in _blocks(source):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise ValueError("not UTF-8 or GB18030 text")


def allowed_values(name: str) -> str:
    kind = KINDS.get(name)
    if name == "category" or value_labels(name):
        labels = value_labels(name)
        return "、".join(f"{zh}（{code}）" for zh, code in labels.items())
    if kind is bool:
        return "是 / 否"
    if kind is int:
        return "整数"
    if kind is float:
        return "数字（元）"
    if getattr(kind, "__name__", "") == "date":
        return "日期，如 2026-11-28"
    return "文本"


def template(path_or_buffer) -> None:
    """The people template: one header row (中文 (field)), a second sheet of allowed values."""
    book = Workbook()
    sheet = book.active
    sheet.title = "people"
    fields = list(all_fields())
    for column, name in enumerate(fields, start=1):
        cell = sheet.cell(row=1, column=column, value=f"{HEADERS_ZH[name]} ({name})")
        cell.font = Font(bold=True)
        choices = list(value_labels(name)) or (["是", "否"] if KINDS.get(name) is bool else [])
        if choices:
            validation = DataValidation(
                type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True
            )
            sheet.add_data_validation(validation)
            letter = cell.column_letter
            validation.add(f"{letter}2:{letter}5000")
    help_sheet = book.create_sheet("allowed values")
    help_sheet.append(["列 (column)", "字段 (field)", "允许的值 (allowed values)"])
    for name in fields:
        help_sheet.append([HEADERS_ZH[name], name, allowed_values(name)])
    help_sheet.append([])
    help_sheet.append(["是/否 也可写作", "", "、".join(BOOLEAN_WORDS)])
    book.save(path_or_buffer)
