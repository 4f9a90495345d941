"""A village's quarterly review from its spreadsheet: score everyone, report the rest.

``rows_in == scored + rejected`` always; duplicates (不重报) are rejected rows too.

One review function, for a village's list and a province's file alike: the sheet is
read in batches (``models.sheets.files.sheet_batches``), each batch scored by the one
batch function (``service.bulk.score_piece``), its duplicates of earlier rows taken
out (``Duplicates``: 10 bytes a person), its data-quality lists made
(``models.quality``), and the finished piece handed to the sinks — the store
(``service.store.ReviewWriter``: records, patterns, tasks, facts and problems in one
transaction), the report (``service.report_data.ReportCollector``: bounded lists), a
Parquet file (``service.bulk.ResultsParquet``) — before the next batch is read. Memory
is bounded by the batch, not the file.

    summary = run_review(batches, assessor, township="寿春镇", village="城东村",
                         period="2026Q4", sinks=[writer, report])

``review(frame, …)`` is the same run with a sink that keeps everything: the whole
``ReviewResult`` a village's upload, the tests and the web pages read.
"""

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol

import numpy as np
import pandas as pd

from models.quality import Quality, check_quality, gaps_of, split_duplicates
from models.sheets.rows import BLANK_ROW, Problem, column_label, merge_blank_runs
from rules.adapter import collecting_less, release_free_memory
from rules.assess_bulk import Assessed, Pattern
from rules.facts import category_ages
from service.bulk import MASKED, PEOPLE_COLUMNS, ScoredPiece, score_piece

PERIOD = re.compile(r"^\d{4}Q[1-4]$")
__all__ = ["MASKED", "PEOPLE_COLUMNS", "ReviewResult", "review", "run_review"]
KINDS = (
    "rejected row",
    "duplicate",
    "invalid identity number",
    "age contradicts category",
    "missing value",
)


@dataclass
class ReviewResult:
    township: str
    village: str
    period: str
    rows_in: int
    people: pd.DataFrame  # the scored rows, in sheet order: PEOPLE_COLUMNS + MASKED
    facts: pd.DataFrame  # their encoded facts (rules.fact_table), same order
    assessed: Assessed  # their levels, patterns and model blocks, same order
    rejected: list[Problem] = field(default_factory=list)
    quality: Quality = field(default_factory=Quality)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def scored(self) -> int:
        return len(self.people)

    @property
    def rejected_rows(self) -> int:
        """Rows rejected (a problem can stand for a run of blank rows)."""
        return sum(p.rows for p in self.rejected)

    @cached_property
    def levels(self) -> np.ndarray:
        """Each scored person's level, as text (worked out once: counts, store and reports
        all read it)."""
        return self.assessed.level_texts()

    def assessment(self, i: int) -> dict[str, Any]:
        """What the review keeps of the i-th scored person (an Assessment's review fields)."""
        pattern = self.assessed.patterns[self.assessed.pattern[i]]
        return {
            "risk_level": self.assessed.level[i],
            "score": pattern.score,
            "rule_ids": list(pattern.rule_ids),
            "interventions": pattern.interventions,
            "data_gaps": pattern.data_gaps,
            "model": self.assessed.model[i] if self.assessed.model else None,
        }

    def problem_lists(self) -> list[tuple[str, list[Problem]]]:
        """Every data problem, by kind: rejected rows first, then the quality lists."""
        quality = self.quality
        return list(
            zip(
                KINDS,
                (
                    self.rejected,
                    quality.duplicates,
                    quality.invalid_ids,
                    quality.age_conflicts,
                    quality.missing_values,
                ),
                strict=True,
            )
        )

    def counts(self) -> dict[str, int]:
        levels = pd.Series(self.levels).value_counts()
        return {
            "rows_in": self.rows_in,
            "scored": self.scored,
            "rejected": self.rejected_rows,
            **{name: int(levels.get(name, 0)) for name in ("critical", "high", "medium", "low")},
        }


class Patterns:
    """The review's patterns, numbered once across its pieces (the store's
    ``review_pattern``): a piece's pattern k is the review's ``codes(patterns)[k]``.
    Kept: each pattern's key and points (a pattern itself only while its piece is
    handed on: ``new``, the ones first seen in that piece)."""

    def __init__(self) -> None:
        self.scores: list[int] = []
        self.new: list[tuple[int, Pattern]] = []  # (number, pattern) first seen just now
        self._index: dict[tuple, int] = {}

    def codes(self, patterns: list[Pattern]) -> np.ndarray:
        out = np.empty(len(patterns) + 1, dtype=np.int64)
        self.new = []
        for k, pattern in enumerate(patterns):
            key = pattern.key or (id(pattern),)  # a pattern made outside assess_table
            number = self._index.get(key)
            if number is None:
                number = self._index[key] = len(self.scores)
                self.scores.append(pattern.score)
                self.new.append((number, pattern))
            out[k] = number
        out[-1] = -1
        return out

    def __len__(self) -> int:
        return len(self.scores)


@dataclass
class ReviewPiece:
    """One batch, scored, its duplicates taken out: what every sink receives."""

    first: int  # data rows of the sheet before this piece
    rows_in: int
    people: pd.DataFrame  # scored rows, sheet order: PEOPLE_COLUMNS + MASKED
    facts: pd.DataFrame
    assessed: Assessed  # piece-local pattern codes
    codes: np.ndarray  # the review's number of each person's pattern
    levels: np.ndarray  # each person's level as text
    problems: dict[str, list[Problem]]  # by kind (KINDS), each in row order
    patterns: Patterns  # the review's patterns so far (``new``: those first seen here)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def scored(self) -> int:
        return len(self.people)


class Sink(Protocol):
    def add(self, piece: ReviewPiece) -> None: ...


@dataclass
class ReviewSummary:
    """What a review ends with, whatever its size (the lists live in the sinks)."""

    township: str
    village: str
    period: str
    rows_in: int = 0
    scored: int = 0
    rejected: int = 0
    levels: Counter = field(default_factory=Counter)
    by_category: Counter = field(default_factory=Counter)  # (category, level) -> people
    first_rejected: list[Problem] = field(default_factory=list)  # the first FIRST_REJECTED
    ignored_columns: list[str] = field(default_factory=list)
    pieces: int = 0
    largest_piece: int = 0  # rows in the largest batch read (memory is bounded by it)

    def counts(self) -> dict[str, int]:
        return {
            "rows_in": self.rows_in,
            "scored": self.scored,
            "rejected": self.rejected,
            **{name: self.levels[name] for name in ("critical", "high", "medium", "low")},
        }


FIRST_REJECTED = 100


class Duplicates:
    """The identity numbers seen in earlier pieces, as 64-bit hashes (pandas' hash_array,
    SipHash) with the sheet row they were first on, kept as its offset from the piece's
    first row (two bytes where a piece spans fewer than 65,536 rows): 10 bytes a person,
    one sorted array per piece, found through a fixed 16 MiB bitmap first (so that a piece is
    looked up in the few earlier pieces that may hold its numbers, not in all).
    Within a piece duplicates are exact (``models.quality.split_duplicates``); across
    pieces two different numbers with the same 64-bit hash would be taken for one
    person: about 7e-7 for a 5,000,000-row sheet."""

    BITS = 1 << 27

    def __init__(self) -> None:
        self.bitmap = np.zeros(self.BITS // 8, dtype=np.uint8)
        # (sorted hashes, their rows' offsets from ``base``, base)
        self.pieces: list[tuple[np.ndarray, np.ndarray, int]] = []

    @staticmethod
    def hashes(numbers: np.ndarray) -> np.ndarray:
        return pd.util.hash_array(numbers.astype(object), categorize=False)

    def split(self, people: pd.DataFrame) -> tuple[np.ndarray, list[Problem]]:
        """Which rows to keep (first of their number in the sheet so far), and the rest as
        duplicates, as ``split_duplicates`` says them: a number seen in an earlier piece
        names the row it was first on there."""
        numbers = people["id_number"].to_numpy()
        rows = np.flatnonzero(pd.notna(numbers))
        hashes = self.hashes(numbers[rows]) if len(rows) else np.zeros(0, np.uint64)
        bit = (hashes % self.BITS).astype(np.int64)
        maybe = (self.bitmap[bit >> 3] >> (bit & 7).astype(np.uint8)) & 1 == 1
        earlier = np.full(len(rows), -1, dtype=np.int64)
        for seen, offsets, base in self.pieces if maybe.any() else ():
            asked = np.flatnonzero(maybe & (earlier < 0))
            at = np.searchsorted(seen, hashes[asked])
            found = (at < len(seen)) & (seen[np.minimum(at, len(seen) - 1)] == hashes[asked])
            earlier[asked[found]] = base + offsets[at[found]].astype(np.int64)
        again = earlier >= 0
        rest = np.ones(len(people), dtype=bool)
        rest[rows[again]] = False
        kept, duplicates = split_duplicates(people[rest])  # within the piece: exact
        keep = np.zeros(len(people), dtype=bool)
        keep[np.flatnonzero(rest)[kept]] = True
        if again.any():
            sheet_rows = people["row"].to_numpy()
            label = column_label("id_number")
            duplicates = sorted(
                duplicates
                + [
                    Problem(
                        int(sheet_rows[r]),
                        label,
                        f"duplicate identity number (first on row {int(first)})",
                    )
                    for r, first in zip(rows[again], earlier[again], strict=True)
                ],
                key=lambda p: p.row,
            )
        new = keep[rows]  # first in the sheet: remembered for the pieces to come
        if new.any():
            order = np.argsort(hashes[new], kind="stable")
            first_rows = people["row"].to_numpy()[rows[new]].astype(np.int64)
            base = int(first_rows.min())
            offsets = first_rows - base
            kind = np.uint16 if offsets.max() < 2**16 else np.uint32
            self.pieces.append((hashes[new][order], offsets[order].astype(kind), base))
            bits = bit[new]
            np.bitwise_or.at(self.bitmap, bits >> 3, (1 << (bits & 7)).astype(np.uint8))
        return keep, duplicates

    @property
    def nbytes(self) -> int:
        return self.bitmap.nbytes + sum(h.nbytes + r.nbytes for h, r, _ in self.pieces)


def run_review(
    batches: Iterable,
    assessor: Any,
    *,
    township: str,
    village: str,
    period: str,
    sinks: Iterable[Sink] = (),
    progress=None,
) -> ReviewSummary:
    """Score every batch of the sheet and hand each finished piece to the sinks, in
    sheet order; see the module. ``batches``: frames or Arrow batches of text cells."""
    if not PERIOD.match(period):
        raise ValueError(f"period {period!r} must look like 2026Q4")
    with collecting_less():  # a batch makes many objects and no cycles
        return _run(
            batches, assessor, ReviewSummary(township, village, period), list(sinks), progress
        )


def _run(batches, assessor, summary: "ReviewSummary", sinks: list, progress) -> "ReviewSummary":
    duplicates, patterns = Duplicates(), Patterns()
    bounds = category_ages(assessor.ruleset.values)
    held: list[Problem] = []  # a run of blank rows that may go on in the next piece
    for batch in batches:
        scored = score_piece(
            batch, assessor.ruleset, assessor.model, first=summary.rows_in, progress=progress
        )
        rejected = merge_blank_runs(held + scored.rejected)
        end = summary.rows_in + scored.rows_in + 1  # the sheet row of the piece's last row
        held = []
        if rejected and rejected[-1].reason.startswith(BLANK_ROW):
            last = rejected[-1]
            if last.row + last.rows - 1 == end:
                held = [rejected.pop()]
        piece = _piece(scored, rejected, duplicates, patterns, bounds)
        summary.rows_in += scored.rows_in
        summary.pieces += 1
        summary.largest_piece = max(summary.largest_piece, scored.rows_in)
        summary.ignored_columns = summary.ignored_columns or scored.ignored_columns
        del scored, batch
        _deliver(piece, sinks, summary)
        del piece
        release_free_memory()  # the piece's cells are garbage now
    if held or not summary.pieces:  # the sheet ends in blank rows, or has no batch at all
        empty = score_piece(pd.DataFrame(), assessor.ruleset, first=summary.rows_in)
        _deliver(_piece(empty, held, duplicates, patterns, bounds), sinks, summary)
    assert summary.rows_in == summary.scored + summary.rejected, "a row was lost"
    return summary


def _piece(scored: ScoredPiece, rejected, duplicates: Duplicates, patterns, bounds) -> ReviewPiece:
    keep, repeated = duplicates.split(scored.people)
    people = scored.people[keep].reset_index(drop=True)
    facts = scored.facts[keep].reset_index(drop=True)
    assessed = _kept(scored.assessed, keep)
    codes = patterns.codes(assessed.patterns)[assessed.pattern]
    gaps = gaps_of(people["row"].to_numpy(), assessed.pattern, assessed.patterns)
    quality = check_quality(people, rejected, repeated, gaps, bounds)
    problems = dict(
        zip(
            KINDS,
            (
                sorted(rejected + repeated, key=lambda p: p.row),
                quality.duplicates,
                quality.invalid_ids,
                quality.age_conflicts,
                quality.missing_values,
            ),
            strict=True,
        )
    )
    levels = assessed.level_texts()
    return ReviewPiece(
        scored.first,
        scored.rows_in,
        people,
        facts,
        assessed,
        codes,
        levels,
        problems,
        patterns,
        scored.ignored_columns,
    )


def _kept(assessed: Assessed, keep: np.ndarray) -> Assessed:
    if keep.all():
        return assessed
    return Assessed(
        assessed.pattern[keep],
        assessed.patterns,
        assessed.level[keep],
        [b for b, k in zip(assessed.model, keep, strict=True) if k] if assessed.model else None,
        assessed.fires,
    )


def _deliver(piece: ReviewPiece, sinks: list, summary: ReviewSummary) -> None:
    summary.scored += piece.scored
    summary.rejected += sum(p.rows for p in piece.problems["rejected row"])
    summary.levels.update(piece.levels)
    if piece.scored:
        summary.by_category.update(zip(piece.people["category"], piece.levels, strict=True))
    room = FIRST_REJECTED - len(summary.first_rejected)
    summary.first_rejected += piece.problems["rejected row"][: max(room, 0)]
    for sink in sinks:
        sink.add(piece)


def whole_piece(result: ReviewResult) -> ReviewPiece:
    """A whole ReviewResult as one piece (to write it, or report it, as a stream would)."""
    patterns = Patterns()
    codes = patterns.codes(result.assessed.patterns)
    return ReviewPiece(
        0,
        result.rows_in,
        result.people,
        result.facts,
        result.assessed,
        codes[result.assessed.pattern] if result.scored else np.zeros(0, np.int64),
        result.levels,
        dict(result.problem_lists()),
        patterns,
        result.ignored_columns,
    )


class Collector:
    """A sink that keeps every piece: the whole ``ReviewResult``."""

    def __init__(self) -> None:
        self.pieces: list[ReviewPiece] = []
        self.patterns: list[Pattern] = []

    def add(self, piece: ReviewPiece) -> None:
        self.pieces.append(piece)
        self.patterns += [pattern for _, pattern in piece.patterns.new]

    def result(self, summary: ReviewSummary) -> ReviewResult:
        pieces = self.pieces
        patterns = self.patterns
        people = pd.concat([p.people for p in pieces], ignore_index=True)
        facts = pd.concat([p.facts for p in pieces], ignore_index=True)
        models = [p.assessed.model for p in pieces]
        assessed = Assessed(
            np.concatenate([p.codes for p in pieces]).astype(np.int64),
            patterns,
            np.concatenate([p.assessed.level for p in pieces]),
            [b for m in models for b in m] if all(m is not None for m in models) else None,
        )
        problems = {k: [x for p in pieces for x in p.problems[k]] for k in KINDS}
        quality = Quality(
            problems["duplicate"],
            problems["invalid identity number"],
            problems["age contradicts category"],
            problems["missing value"],
        )
        return ReviewResult(
            summary.township,
            summary.village,
            summary.period,
            summary.rows_in,
            people,
            facts,
            assessed,
            problems["rejected row"],
            quality,
            summary.ignored_columns,
        )


def review(
    frame: pd.DataFrame | Iterable,
    assessor: Any,
    *,
    township: str,
    village: str,
    period: str,
    progress=None,
) -> ReviewResult:
    """The whole review in memory (a village's list): ``run_review`` keeping every piece."""
    batches = [frame] if isinstance(frame, pd.DataFrame) else frame
    collector = Collector()
    summary = run_review(
        batches,
        assessor,
        township=township,
        village=village,
        period=period,
        sinks=[collector],
        progress=progress,
    )
    result = collector.result(summary)
    assert result.rows_in == result.scored + result.rejected_rows, "a row was lost"
    return result
