"""Reading CSV and XLSX files into a frame of cell texts, and the blank template."""

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pandas as pd
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


CHUNK_ROWS = 100_000  # rows read at a time (memory stays bounded)


def sheet_chunks(
    source: bytes | Path,
    filename: str,
    rows: int = CHUNK_ROWS,
    limits: SheetLimits = DEFAULT_LIMITS,
) -> Iterator[pd.DataFrame]:
    """The sheet in pieces of ``rows`` cell texts, CSV (bytes or a file's path) or XLSX,
    never held whole. SheetTooLarge past a limit (checked from the header, the declared
    size and the zip directory before the rows are read, and again as they are read),
    SheetError for a file that cannot be read."""
    suffix = Path(filename).suffix.lower()
    if suffix not in (".csv", ".xlsx", ".xlsm"):
        raise SheetError(f"{_shown(filename)}: expected a .csv or .xlsx file")
    if suffix == ".csv":
        yield from _csv_chunks(source, filename, rows, limits)
        return
    data = source.read_bytes() if isinstance(source, Path) else source
    yield from _xlsx_chunks(data, filename, rows, limits)


def _shown(filename: str) -> str:
    return masked_text(filename[-80:])


def _csv_chunks(source, filename: str, rows: int, limits: SheetLimits) -> Iterator[pd.DataFrame]:
    try:
        options = _csv_options(source)
        width = _csv_width(source, options["encoding"], limits)
        total, longest = _line_stats(source)
        _check_size(total, width, limits)
        # a cell is never longer than its line: cells are measured only if a line is long
        measure = longest > limits.cell_chars
        handle = source if isinstance(source, Path) else io.BytesIO(source)
        with pd.read_csv(handle, chunksize=rows, **options) as reader:  # closed if left early
            for chunk in reader:
                if measure:
                    _check_cells(chunk, limits)
                yield chunk
    except SheetError:
        raise
    except (ValueError, KeyError, OSError, IndexError) as exc:  # pandas' parser errors
        raise SheetError(f"{_shown(filename)}: cannot be read as CSV ({_reason(exc)})") from exc


def _csv_width(source, encoding: str, limits: SheetLimits) -> int:
    """The header line's number of fields, read from the first bytes only."""
    head = next(_blocks(source, 1 << 20), b"")
    line, newline, _ = head.partition(b"\n")
    if not newline and len(head) == 1 << 20:
        raise limits.over("columns", line.count(b",") + 1, "the header line is over 1 MB")
    text = line.decode(encoding, errors="replace")
    width = next(csv.reader([text]), []).__len__()
    if width > limits.columns:
        raise limits.over("columns", width)
    return width


def _check_size(rows: int, columns: int, limits: SheetLimits) -> None:
    if rows > limits.rows:
        raise limits.over("rows", rows)
    if rows * columns > limits.cells:
        raise limits.over("cells", rows * columns)


def _check_cells(chunk: pd.DataFrame, limits: SheetLimits) -> None:
    for position, header in enumerate(chunk.columns):
        if len(str(header)) > limits.cell_chars:
            raise limits.over("cell_chars", len(str(header)), "a header")
        lengths = chunk.iloc[:, position].astype(str).str.len()
        if len(lengths) and lengths.max() > limits.cell_chars:
            row = int(lengths.to_numpy().argmax()) + int(chunk.index[0]) + HEADER_ROW + 1
            raise limits.over("cell_chars", int(lengths.max()), f"row {row}")


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


def _xlsx_rows(book, filename: str, rows: int, limits: SheetLimits) -> Iterator[pd.DataFrame]:
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


def _frame(piece: list[list[str]], header: list[str]) -> pd.DataFrame:
    """Rows as one frame; rows read before the header widened are padded with ''."""
    n = len(header)
    rows = [r if len(r) == n else r + [""] * (n - len(r)) for r in piece]
    return pd.DataFrame(rows, columns=header, dtype=object)


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
    """About how many data rows a CSV has (for a progress bar); None for XLSX."""
    if Path(filename).suffix.lower() != ".csv":
        return None
    return _line_stats(source)[0]


def _line_stats(source: bytes | Path) -> tuple[int, int]:
    """A CSV's data rows (lines after the header) and its longest line, in bytes."""
    lines, longest, carry, last = 0, 0, 0, b""
    for block in _blocks(source):
        parts = block.split(b"\n")
        lines += len(parts) - 1
        if len(parts) == 1:
            carry += len(block)
        else:
            longest = max(longest, carry + len(parts[0]), max(map(len, parts[1:-1]), default=0))
            carry = len(parts[-1])
        last = block[-1:] or last
    longest = max(longest, carry)
    return max(lines - 1 + (last not in (b"\n", b"")), 0), longest


def _blocks(source: bytes | Path, size: int = 1 << 20) -> Iterator[bytes]:
    if isinstance(source, Path):
        with source.open("rb") as handle:
            while block := handle.read(size):
                yield block
        return
    for start in range(0, len(source), size):
        yield source[start : start + size]


def _csv_options(source: bytes | Path) -> dict:
    return {
        "encoding": _encoding(source),
        "dtype": str,
        "keep_default_na": False,
        "skip_blank_lines": False,
    }


def _encoding(source: bytes | Path) -> str:
    """UTF-8 (with or without BOM) or GB18030, checked block by block (no copy of the text)."""
    for encoding in ("utf-8-sig", "gb18030"):
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
