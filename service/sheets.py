"""Reading CSV and XLSX files into a frame of cell texts, and the blank template."""

import codecs
import io
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.datavalidation import DataValidation

from models.columns import BOOLEAN_WORDS, HEADERS_ZH, all_fields, header_field, value_labels
from models.sheet import KINDS, NUMERIC_ID_MARK


class SheetError(ValueError):
    """The file cannot be read as a spreadsheet at all."""


def load_sheet(data: bytes, filename: str) -> pd.DataFrame:
    """Cells as text ('' for empty); CSV in UTF-8 (with or without BOM) or GB18030."""
    suffix = Path(filename).suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm"):
            return _read_xlsx(data)
        if suffix == ".csv":
            return _read_csv(data)
    except (ValueError, KeyError, OSError) as exc:
        raise SheetError(f"{filename}: cannot be read ({exc})") from exc
    raise SheetError(f"{filename}: expected a .csv or .xlsx file")


def _read_xlsx(data: bytes) -> pd.DataFrame:
    """Typed cells to text: whole numbers without '.0', dates as ISO, and identity
    numbers stored as numbers marked (Excel keeps 15 digits: the number is lost)."""
    frame = pd.read_excel(io.BytesIO(data), dtype=object, engine="openpyxl")
    for header in frame.columns:
        is_id = header_field(header) == "id_number"
        frame[header] = [_cell_text(value, is_id) for value in frame[header]]
    return frame


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


CHUNK_ROWS = 100_000  # rows read at a time from a large CSV (memory stays bounded)


def sheet_chunks(
    source: bytes | Path, filename: str, rows: int = CHUNK_ROWS
) -> Iterator[pd.DataFrame]:
    """The sheet in pieces of ``rows``: a CSV (bytes or a file's path) is never held whole
    as text; an XLSX comes whole."""
    if Path(filename).suffix.lower() != ".csv":
        data = source.read_bytes() if isinstance(source, Path) else source
        yield load_sheet(data, filename)
        return
    try:
        handle = source if isinstance(source, Path) else io.BytesIO(source)
        yield from pd.read_csv(handle, chunksize=rows, **_csv_options(source))
    except (ValueError, KeyError, OSError) as exc:
        raise SheetError(f"{filename}: cannot be read ({exc})") from exc


def count_rows(source: bytes | Path, filename: str) -> int | None:
    """About how many data rows a CSV has (for a progress bar); None for XLSX."""
    if Path(filename).suffix.lower() != ".csv":
        return None
    lines, last = 0, b""
    for block in _blocks(source):
        lines += block.count(b"\n")
        last = block[-1:] or last
    return max(lines - 1 + (last != b"\n"), 0)


def _blocks(source: bytes | Path, size: int = 1 << 20) -> Iterator[bytes]:
    if isinstance(source, Path):
        with source.open("rb") as handle:
            while block := handle.read(size):
                yield block
        return
    for start in range(0, len(source), size):
        yield source[start : start + size]


def _read_csv(data: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data), **_csv_options(data))


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
