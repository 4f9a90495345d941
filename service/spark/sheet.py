"""A Spark job's input: a CSV or Parquet dataset as pieces of text cells with sheet row numbers.

Row numbers. Spark splits a file into byte ranges read in parallel, and no reader of
a split knows how many lines came before it. One cheap pass counts the lines of
every split (``_metadata.file_path``, ``_metadata.file_block_start``); the driver
orders the splits (file path, then offset) and gives each the ordinal of its first
row. A split is always read whole, in order, by one task, so a task numbers its
rows by counting from that ordinal (``Numbering``). Nothing depends on which task
reads which split, or on ``monotonically_increasing_id``. The row number is the one
the sheet shows: header row 1, first data row 2 (``HEADER_ROW``). For several files
(a folder of CSV parts, a Parquet dataset) the rows are numbered as if the files,
in path order, were one sheet (each CSV part's own header line is not a row).

CSV on Spark is read a line at a time (``spark.read.text``), as Spark must to split a
file; blank lines are kept (they are rows: rejected as blank, as a village review
does). Where a line cannot be a row of cells the row is rejected, with the reason,
rather than the whole file refused as a single-machine review does: a quoted cell
running past the end of its line (a line break inside a cell: the rest of that cell
is the next row), more cells than headers, a line that is not UTF-8 text (a
GB18030 file is refused at its header line: convert it, or give Parquet), a cell over
the sheet limit. Otherwise each line is split as pandas splits it
(``csv`` module, RFC 4180 quoting) and a short line is padded with empty cells.

Parquet columns keep their names as headers; typed values become the texts an XLSX
cell's value becomes (``models.sheets.files._cell_text``: 12.0 -> "12", a date ->
"2026-11-28", a numeric identity number marked).

``cells_of`` is the one place an Arrow batch becomes the text-cell frame
``service.bulk.score_piece`` takes.
"""

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from models.sheets.columns import header_field
from models.sheets.files import DEFAULT_LIMITS, SheetError, _cell_text
from models.sheets.rows import HEADER_ROW, Problem

FILE, START = "_liushou_file", "_liushou_start"  # the split of each input row
LINE = "_liushou_line"  # a CSV line's text


@dataclass(frozen=True)
class Source:
    """What the driver knows of the input: enough for every task to number its rows."""

    path: str
    kind: str  # "csv" or "parquet"
    header: tuple[str, ...]
    splits: dict[tuple[str, int], tuple[int, int]]  # (file, offset) -> (first ordinal, skip)
    rows_in: int  # data rows in all
    files: tuple[str, ...] = field(default=())

    @property
    def ignored_columns(self) -> list[str]:
        return [h for h in self.header if header_field(h) is None]


def kind_of(path: str, given: str | None = None) -> str:
    if given:
        if given not in ("csv", "parquet"):
            raise SheetError(f"--input-format {given!r}: expected csv or parquet")
        return given
    name = path.rstrip("/").lower()
    return "csv" if any(s in name for s in (".csv", ".txt")) else "parquet"


def scan(spark, path: str, kind: str):
    """The input as a DataFrame: CSV lines or Parquet columns, with their split."""
    from pyspark.sql import functions as F

    if kind == "csv":
        # bytes: Spark does not check that a line is UTF-8; each task decodes its lines
        frame = spark.read.text(path).select(F.col("value").cast("binary").alias(LINE))
    else:
        frame = spark.read.parquet(path)
    return frame.select(
        "*",
        F.col("_metadata.file_path").alias(FILE),
        F.col("_metadata.file_block_start").alias(START),
    )


def open_source(spark, path: str, kind: str | None = None) -> tuple[Source, object]:
    """The Source and its scan. One pass over the input: lines per split, and the header
    line of each CSV file (all must be the same). SheetError where it cannot be used."""
    from pyspark.sql import functions as F
    from pyspark.sql.utils import AnalysisException

    kind = kind_of(path, kind)
    try:
        frame = scan(spark, path, kind)
    except AnalysisException as exc:
        raise SheetError(f"{path}: cannot be read as {kind} ({_first_line(exc)})") from None
    order = F.monotonically_increasing_id()  # only to pick a split's first line, in-task
    stats = (
        frame.select(FILE, START, (F.col(LINE) if kind == "csv" else F.lit(None)).alias("line"))
        .withColumn("_k", order)
        .groupBy(FILE, START)
        .agg(F.count("*").alias("n"), F.min_by("line", "_k").alias("first"))
        .collect()
    )
    stats.sort(key=lambda s: (s[FILE], s[START]))
    if kind == "csv":
        heads = {s["first"] for s in stats if s[START] == 0}
        if not heads:
            raise SheetError(f"{path}: the file is empty (no header line)")
        if len(heads) > 1:
            raise SheetError(f"{path}: the CSV files do not have the same header line")
        try:
            header = csv_header(bytes(heads.pop()).decode("utf-8"))
        except UnicodeDecodeError:
            raise SheetError(
                f"{path}: the header line is not UTF-8 text (the Spark engine reads UTF-8: "
                "convert the file, e.g. iconv -f GB18030 -t UTF-8, or give Parquet)"
            ) from None
    else:
        header = tuple(c for c in frame.columns if c not in (FILE, START))
    if len(header) > DEFAULT_LIMITS.columns:
        raise DEFAULT_LIMITS.over("columns", len(header))
    splits, ordinal = {}, 0
    for s in stats:
        skip = int(kind == "csv" and s[START] == 0)  # the file's header line
        splits[(s[FILE], s[START])] = (ordinal, skip)
        ordinal += s["n"] - skip
    files = tuple(sorted({s[FILE] for s in stats}))
    return Source(path, kind, header, splits, ordinal, files), frame


def _first_line(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]


def csv_header(line: str) -> tuple[str, ...]:
    """The header line's names as pandas gives them: an empty one ``Unnamed: i``, a
    repeated one ``name.1``."""
    cells = next(csv.reader([line.removeprefix("\ufeff")]), [])
    names: list[str] = []
    for i, cell in enumerate(cells):
        name = cell if cell != "" else f"Unnamed: {i}"
        base, k = name, 0
        while name in names:
            k += 1
            name = f"{base}.{k}"
        names.append(name)
    return tuple(names)


class Numbering:
    """A task's row numbers: each split's rows counted from its first ordinal."""

    def __init__(self, source: Source):
        self.splits = source.splits
        self.seen: dict[tuple[str, int], int] = {}

    def __call__(self, batch: pa.RecordBatch) -> tuple[np.ndarray, np.ndarray]:
        """(sheet row of each row, whether it is a data row: not a CSV header line)."""
        files = batch.column(FILE).to_numpy(zero_copy_only=False)
        starts = batch.column(START).to_numpy(zero_copy_only=False)
        n = len(files)
        ordinal = np.empty(n, dtype=np.int64)
        data = np.ones(n, dtype=bool)
        edges = np.flatnonzero((files[1:] != files[:-1]) | (starts[1:] != starts[:-1])) + 1
        for lo, hi in zip(np.r_[0, edges], np.r_[edges, n], strict=True):
            key = (files[lo], int(starts[lo]))
            first, skip = self.splits[key]
            seen = self.seen.get(key, 0)
            position = np.arange(seen, seen + hi - lo)
            self.seen[key] = seen + hi - lo
            ordinal[lo:hi] = first + position - skip
            if skip:
                data[lo:hi] = position >= skip
        return ordinal + HEADER_ROW + 1, data


@dataclass
class Pieces:
    """A batch's rows as runs of consecutive sheet rows: (first, cells) for score_piece
    (``first``: data rows before the run), and the rows that could not become cells."""

    runs: list[tuple[int, pd.DataFrame]]
    problems: list[Problem]


def pieces(batch: pa.RecordBatch, source: Source, numbering: Numbering) -> Pieces:
    rows, data = numbering(batch)
    order = np.argsort(rows[data], kind="stable")
    taken = np.flatnonzero(data)[order]
    rows = rows[taken]
    cells, problems = cells_of(batch.take(pa.array(taken)), rows, source)
    good = np.array([r not in problems for r in rows], dtype=bool) if problems else None
    out = Pieces([], [problems[r] for r in sorted(problems)])
    if good is not None:
        cells, rows = cells[good].reset_index(drop=True), rows[good]
    breaks = np.flatnonzero(np.diff(rows) != 1) + 1
    for lo, hi in zip(np.r_[0, breaks], np.r_[breaks, len(rows)], strict=True):
        if hi > lo:
            run = cells.iloc[lo:hi].reset_index(drop=True)
            out.runs.append((int(rows[lo]) - HEADER_ROW - 1, run))
    return out


def cells_of(
    batch: pa.RecordBatch, rows: np.ndarray, source: Source
) -> tuple[pd.DataFrame, dict[int, Problem]]:
    """The text-cell frame score_piece takes (the sheet's headers, every cell text or
    None), and the rows that cannot be cells, by sheet row."""
    if source.kind == "csv":
        return _csv_cells(_decoded(batch.column(LINE).to_pylist()), rows, source.header)
    return _typed_cells(batch, source.header), {}


def _decoded(lines: list[bytes]) -> list[str | None]:
    """Each line as UTF-8 text, None where it is not."""
    out: list[str | None] = []
    for line in lines:
        try:
            out.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            out.append(None)
    return out


def _csv_cells(
    lines: list[str | None], rows: np.ndarray, header: tuple[str, ...]
) -> tuple[pd.DataFrame, dict[int, Problem]]:
    width, limit = len(header), DEFAULT_LIMITS.cell_chars
    problems: dict[int, Problem] = {}
    good = []
    for i, line in enumerate(lines):
        reason = None
        if line is None:
            reason = "the line is not UTF-8 text (save the file as UTF-8, or give Parquet)"
        elif line.count('"') % 2:
            reason = (
                "a quoted cell runs past the end of the line (the Spark engine reads a row "
                "per line: remove line breaks inside cells, or give Parquet)"
            )
        if reason:
            problems[int(rows[i])] = Problem(int(rows[i]), "", reason)
        else:
            good.append(i)
    parsed = list(csv.reader([lines[i] or "" for i in good]))
    table: list[list[str | None]] = [[None] * width for _ in lines]  # a bad row stays blank
    for i, cells in zip(good, parsed, strict=True):
        row = int(rows[i])
        if len(cells) > width:
            problems[row] = Problem(row, "", f"{len(cells)} cells; the header has {width}")
        elif cells and max(map(len, cells)) > limit:
            problems[row] = Problem(row, "", f"a cell is over {limit:,} characters")
        else:
            table[i][: len(cells)] = cells
    return pd.DataFrame(table, columns=list(header), dtype=object), problems


def _typed_cells(batch: pa.RecordBatch, header: tuple[str, ...]) -> pd.DataFrame:
    columns = {}
    for name in header:
        array = batch.column(name)
        if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
            columns[name] = array.to_numpy(zero_copy_only=False)
            continue
        values = array.to_pandas(date_as_object=True).astype(object).to_numpy()
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        is_id = header_field(name) == "id_number"
        texts = np.array([_cell_text(_plain(v), is_id) for v in uniques] + [None], dtype=object)
        columns[name] = texts[codes]
    return pd.DataFrame(columns, columns=list(header), dtype=object)


def _plain(value):
    """numpy and pandas scalars as the Python values a spreadsheet cell holds."""
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value.item() if isinstance(value, np.generic) else value


def place_of(cells: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Each row's township and village texts (stripped, None where empty or over the
    contract's 64 characters): where a rejected row is filed."""
    out = []
    for name in ("township", "village"):
        column = next((h for h in cells.columns if header_field(h) == name), None)
        if column is None:
            out.append(np.full(len(cells), None, dtype=object))
            continue
        texts = [(t or "").strip() if isinstance(t, str) else "" for t in cells[column]]
        out.append(np.array([t if 0 < len(t) <= 64 else None for t in texts], dtype=object))
    return out[0], out[1]


def batches(frames: Iterator[pa.RecordBatch], source: Source) -> Iterator[Pieces]:
    """A task's batches as pieces, numbered in order."""
    numbering = Numbering(source)
    for batch in frames:
        if batch.num_rows:
            yield pieces(batch, source, numbering)
