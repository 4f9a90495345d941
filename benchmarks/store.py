"""The store side of a streamed review alone: its sinks over pieces scored once, against
the floor.

The CSV of benchmarks/review.py (``--rows`` people of the synthetic county) is scored
once here, piece by piece as ``service.reviewing.review_file`` scores it, the pieces
kept; then, ``--repeat`` times, they are handed to the sinks ``review_file`` hands them
to, timed apart: the store (``service.store.ReviewWriter``: records, patterns, tasks,
facts, changes; at the end the problems and the commit, one transaction, into a fresh
SQLite file or a fresh database on the ``--postgres`` server) and the report
(``service.report_data.ReportCollector``). The floor, pyarrow's ``open_csv`` over the
same file in a child process (the best of ``--repeat``: a fraction of a second, the
noisiest figure), is measured in the same run: issue 15's budget for the whole review
is 8× it, and the ratios are the figures to read (the machine is shared). The
scoring's own time is printed beside, for scale. Every piece is kept in memory (the
process peaks near 630 MB at 200,000 rows): a benchmark of the store side, not of a
county.

    python benchmarks/store.py [--rows 200000] [--repeat 3] [--keep /tmp/bench]
                               [--postgres postgresql+psycopg://…/postgres]
"""

import argparse
import sys
import tempfile
import time
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.review import floor, generated, in_child
from benchmarks.tasks import _admin, _fresh_postgres
from models.sheets.files import CHUNK_ROWS, SheetLimits, sheet_batches
from rules.assess import Assessor
from service.report_data import ReportCollector
from service.review import run_review
from service.store import ReviewWriter, make_engine, migrate

PLACE = {"township": "寿春镇", "village": "城东村", "period": "2026Q4"}


class Keep:
    """A sink keeping each piece with the patterns first seen in it (a piece's
    ``patterns.new`` is the review's list of the moment: the next piece makes its own)."""

    def __init__(self) -> None:
        self.pieces: list = []

    def add(self, piece) -> None:
        self.pieces.append((piece, list(piece.patterns.new)))

    def replayable(self) -> list:
        scores = self.pieces[-1][0].patterns.scores if self.pieces else []
        for piece, new in self.pieces:
            piece.patterns = types.SimpleNamespace(scores=scores, new=new)
        return [piece for piece, _ in self.pieces]


def sinks(pieces, summary, assessor, url: str) -> dict[str, float]:
    """The pieces written to a fresh store and report: seconds in each sink."""
    engine = make_engine(url)
    migrate(engine)
    spent = dict.fromkeys(("store", "finish", "report"), 0.0)
    report = ReportCollector()
    writer = ReviewWriter(engine, **PLACE, ruleset=assessor.ruleset, secret=b"bench")
    with writer:
        for piece in pieces:
            t = time.perf_counter()
            report.add(piece)
            spent["report"] += time.perf_counter() - t
            t = time.perf_counter()
            writer.add(piece)
            spent["store"] += time.perf_counter() - t
        t = time.perf_counter()
        writer.wait()  # the last piece, written by the store thread: the store's time
        spent["store"] += time.perf_counter() - t
        t = time.perf_counter()
        writer.finish(summary.counts())
        spent["finish"] = time.perf_counter() - t
    t = time.perf_counter()
    report.data(summary)
    spent["report"] += time.perf_counter() - t
    engine.dispose()
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--batch-rows", type=int, default=CHUNK_ROWS)
    parser.add_argument("--keep", type=Path, default=None, help="keep (reuse) the CSV here")
    parser.add_argument("--postgres", default=None, help="a server URL; a database is made")
    args = parser.parse_args()
    path = generated(args.rows, keep=args.keep)
    base = min(in_child(floor, str(path))["seconds"] for _ in range(args.repeat))
    assessor = Assessor.build()
    kept = Keep()
    limits = SheetLimits(rows=2**62, cells=2**62)
    start = time.perf_counter()
    batches = sheet_batches(path, "people.csv", rows=args.batch_rows, limits=limits)
    summary = run_review(batches, assessor, **PLACE, sinks=[kept])
    scoring = time.perf_counter() - start
    pieces = kept.replayable()
    store = "postgresql" if args.postgres else "sqlite"
    print(f"{args.rows:,} rows in {len(pieces)} pieces, store {store}")

    def line(label: str, seconds: float, ratio: bool = True) -> None:
        times = f"   {seconds / base:5.1f}× the floor" if ratio else ""
        print(f"  {label:<36}{seconds:7.2f} s{times}")

    line(f"floor: pyarrow open_csv, best of {args.repeat}", base, ratio=False)
    line("scoring the pieces (once)", scoring)
    totals = []
    for run in range(args.repeat):
        if args.postgres:
            url = _fresh_postgres(args.postgres, "bench_store")
        else:
            url = f"sqlite:///{tempfile.mkdtemp()}/store.db"
        spent = sinks(pieces, summary, assessor, url)
        if args.postgres:
            _admin(args.postgres, 'DROP DATABASE "bench_store"')
        else:
            Path(url.removeprefix("sqlite:///")).unlink()
        total = sum(spent.values())
        totals.append(total)
        print(
            f"  run {run + 1}: store {spent['store']:.2f} s + finish {spent['finish']:.2f} s"
            f" + report {spent['report']:.2f} s = {total:.2f} s   {total / base:5.1f}× the floor"
        )
    best = min(totals)
    line(f"sinks (store and report), best of {len(totals)}", best)


if __name__ == "__main__":
    main()
