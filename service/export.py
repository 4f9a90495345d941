"""A whole review's records, streamed page by page (CSV or NDJSON).

Each page is its own short read (``EXPORT_PAGE`` records by sheet row), so a large
export never holds the database while uploads wait. CSV cells that a spreadsheet
would take for a formula (leading ``= + - @``, tab or carriage return) are written
with a leading ``'``, so a ``person_id`` of ``=HYPERLINK(…)`` stays text.

>>> csv_safe("=HYPERLINK(\\"http://x\\")"), csv_safe("-3"), csv_safe("王**")
('\\'=HYPERLINK("http://x")', "'-3", '王**')
"""

import csv
import io
from collections.abc import Iterator

import orjson
from sqlalchemy import Engine
from sqlmodel import Session

from service.store import records_of

EXPORT_PAGE = 5000
EXPORT_TYPES = {"csv": "text/csv; charset=utf-8", "ndjson": "application/x-ndjson"}
COLUMNS = (
    "row",
    "person_key",
    "person_id",
    "name_masked",
    "id_masked",
    "category",
    "risk_level",
    "score",
    "rule_ids",
    "actions",
    "data_gaps",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> object:
    """A text that a spreadsheet would run as a formula, made plain text."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def pages(engine: Engine, review_id: int, size: int = EXPORT_PAGE) -> Iterator[list[dict]]:
    """The review's records, ``size`` at a time, each page read in its own session."""
    after = 0
    while True:
        with Session(engine) as session:
            records = records_of(session, review_id, after=after, limit=size)
        if not records:
            return
        yield [_row(r) for r in records]
        after = records[-1].row


def _row(record) -> dict:
    data = record.model_dump(include=set(COLUMNS) | {"interventions"})
    actions = data.pop("interventions") or []
    data["actions"] = [f"{a['action']}@{a['department']}" for a in actions]
    return {name: data.get(name) for name in COLUMNS}


def export_lines(engine: Engine, review_id: int, kind: str) -> Iterator[bytes]:
    """The export as chunks of bytes: a CSV header then rows, or one JSON object a line."""
    if kind == "csv":
        yield ("\ufeff" + ",".join(COLUMNS) + "\r\n").encode()  # BOM: Excel reads UTF-8
    for page in pages(engine, review_id):
        if kind == "ndjson":
            yield b"".join(orjson.dumps(row) + b"\n" for row in page)
            continue
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for row in page:
            writer.writerow([csv_safe(_cell(v)) for v in row.values()])
        yield buffer.getvalue().encode()


def _cell(value: object) -> object:
    return ";".join(map(str, value)) if isinstance(value, list) else value
