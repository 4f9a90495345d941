"""One piece of a sheet scored column-wise: the batch function every bulk path runs.

A village review (``service.review``), the streaming review of a large file and a
Spark job (one call per Arrow batch of a partition) all score a sheet the same
way, piece by piece, with this function:

    piece = score_piece(cells, ruleset, model=None, first=0)

``cells``: text cells with the sheet's headers (Chinese or English): a pandas frame, as
``models.sheets.files.sheet_chunks`` gives them, or an Arrow RecordBatch of string
columns, as ``models.sheets.files.sheet_batches`` gives them (the faster way: the
distinct texts of a column are found in Arrow); ``first``: how many data rows came
before this piece (for the sheet's row numbers). The piece keeps the accepted rows'
identifying columns, their encoded facts and their assessments, and the rejected
rows with row number, column and reason: ``rows_in == scored + rejected rows``.

Nothing across pieces is decided here: duplicates (不重报) need the sheet so far and
are the caller's (``service.review.run_review``: ``Duplicates``, then
``models.quality`` per piece). Finished patterns are shared across pieces through the
ruleset (``RuleSet.patterns``, bounded), so that a piece finishes only the patterns
no earlier piece had. ``results_batch`` gives the same rows as an Arrow batch of
``RESULT_SCHEMA`` (what ``ResultsParquet`` writes and ``mapInArrow`` can yield).
``results_frame`` turns a piece into one flat row per person (level, points, rule
ids, action codes, interventions and data gaps as JSON, the model's probability),
the form Parquet files and Spark carry.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from models.identity import mask_columns
from models.sheets.rows import Problem
from models.sheets.table import read_table
from rules.assess_bulk import Assessed, assess_table
from rules.fact_table import fact_table
from rules.loader import RuleSet
from rules.seams import ModelScorer

PEOPLE_COLUMNS = [
    "row",
    "person_id",
    "name",
    "id_number",
    "category",
    "age",
    "assessment_date",
    "township",  # where the sheet places the person (Parquet and Spark partition by them)
    "village",
]
MASKED = ["name_masked", "id_masked"]
RESULT_COLUMNS = [
    "row",
    "person_id",
    "name_masked",
    "id_masked",
    "category",
    "age",
    "assessment_date",
    "township",
    "village",
    "risk_level",
    "score",
    "rule_ids",
    "actions",
    "interventions",
    "data_gaps",
    "model_probability",
]


@dataclass
class ScoredPiece:
    first: int  # data rows of the sheet before this piece
    rows_in: int
    people: pd.DataFrame  # accepted rows, sheet order: PEOPLE_COLUMNS + MASKED
    facts: pd.DataFrame  # their encoded facts (rules.fact_table), same order
    assessed: Assessed  # their assessments, same order
    rejected: list[Problem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def scored(self) -> int:
        return len(self.people)


def score_piece(
    cells: pd.DataFrame | pa.RecordBatch,
    ruleset: RuleSet,
    model: ModelScorer | None = None,
    *,
    first: int = 0,
    progress: Callable[[int], None] | None = None,
    today: date | None = None,
) -> ScoredPiece:
    """Read, validate, derive facts, evaluate the rules and assemble; see the module."""
    read = read_table(cells, progress, today=today, first=first)
    people = read.table[PEOPLE_COLUMNS].reset_index(drop=True)
    names, numbers = mask_columns(people["name"].to_numpy(), people["id_number"].to_numpy())
    # dtype=object: pandas would infer "str" and turn None into NaN
    people["name_masked"] = pd.Series(names, dtype=object)
    people["id_masked"] = pd.Series(numbers, dtype=object)
    facts = fact_table(read.table, ruleset, read.coded).reset_index(drop=True)
    assessed = assess_table(ruleset, facts, people["assessment_date"].to_numpy(), model=model)
    return ScoredPiece(
        first, read.rows_in, people, facts, assessed, read.rejected, read.ignored_columns
    )


def results_frame(piece: ScoredPiece) -> pd.DataFrame:
    """One flat row per scored person (RESULT_COLUMNS), without name or identity number."""
    assessed, people = piece.assessed, piece.people
    json = [
        (
            orjson.dumps(list(p.rule_ids)).decode(),
            orjson.dumps(list(p.actions)).decode(),
            orjson.dumps(p.interventions).decode(),
            orjson.dumps(p.data_gaps).decode(),
        )
        for p in assessed.patterns
    ]
    codes = assessed.pattern
    probability = np.full(len(people), np.nan)
    if assessed.model:
        probability = np.array(
            [np.nan if b is None else b["probability"] for b in assessed.model], dtype=float
        )
    frame = pd.DataFrame({c: people[c].to_numpy() for c in RESULT_COLUMNS[:9]}, dtype=object)
    frame["row"] = people["row"].to_numpy(dtype=np.int64)
    frame["risk_level"] = assessed.level_texts()
    frame["score"] = assessed.score() if len(people) else np.array([], dtype=np.int64)
    for k, name in enumerate(("rule_ids", "actions", "interventions", "data_gaps")):
        column = np.array([j[k] for j in json] + [None], dtype=object)
        frame[name] = column[codes] if len(people) else np.array([], dtype=object)
    frame["model_probability"] = probability
    return frame


def rejected_frame(problems: list[Problem]) -> pd.DataFrame:
    """The rejected rows as columns: row, rows (a run of blank rows is one problem), column,
    reason (masked and cut, as ``Problem`` keeps it)."""
    return pd.DataFrame(
        {
            "row": np.array([p.row for p in problems], dtype=np.int64),
            "rows": np.array([p.rows for p in problems], dtype=np.int64),
            "column": np.array([p.column for p in problems], dtype=object),
            "reason": np.array([p.reason for p in problems], dtype=object),
        }
    )


RESULT_SCHEMA = (
    pa.schema(  # RESULT_COLUMNS typed (tests/service/test_streaming.py holds them equal)
        [
            ("row", pa.int64()),
            ("person_id", pa.string()),
            ("name_masked", pa.string()),
            ("id_masked", pa.string()),
            ("category", pa.string()),
            ("age", pa.int64()),
            ("assessment_date", pa.date32()),
            ("township", pa.string()),
            ("village", pa.string()),
            ("risk_level", pa.string()),
            ("score", pa.int64()),
            ("rule_ids", pa.string()),
            ("actions", pa.string()),
            ("interventions", pa.string()),
            ("data_gaps", pa.string()),
            ("model_probability", pa.float64()),
        ]
    )
)


def results_batch(piece) -> pa.RecordBatch:
    """``results_frame`` as an Arrow batch of RESULT_SCHEMA (what Parquet files hold)."""
    frame = results_frame(piece)
    return pa.RecordBatch.from_arrays(
        [pa.array(frame[f.name].tolist(), f.type) for f in RESULT_SCHEMA], schema=RESULT_SCHEMA
    )


class ResultsParquet:
    """A review's results (``results_frame``: masked, no names or identity numbers) written
    to a Parquet file batch by batch as the review goes (a sink of service.review)."""

    def __init__(self, path):
        self.writer = pq.ParquetWriter(path, RESULT_SCHEMA, compression="zstd")
        self.rows = 0

    def add(self, piece) -> None:
        if piece.scored:
            self.writer.write_batch(results_batch(piece))
            self.rows += piece.scored

    def close(self) -> None:
        self.writer.close()
