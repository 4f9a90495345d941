"""A whole review end to end against the physical floor: pyarrow parsing the same CSV.

Generates a CSV of ``--rows`` people of the synthetic county (fixtures.population,
with names and valid identity numbers; English headers) in a child process, then, each
in its own fresh child process (spawned: nothing inherited, so that its peak memory is
its own):

- the floor: ``pyarrow.csv.open_csv`` over the whole file, every column as text (the
  best of ``--floor-runs``, each in its own child: the shortest figure, and the noisiest);
- the review as ``liushou review`` runs it (service.reviewing.review_file: read,
  validate, score, store in SQLite or ``--database``, tasks, XLSX report), with its
  stages and its peak RSS (``ru_maxrss``);
- the same review with no store (read, validate, score, the XLSX report): what the
  scoring's side costs alone;
- the store's own floor, when the review had a SQLite store of its own (not with
  ``--database``, which may hold other reviews): the rows that review stored, every table
  of the models' schema (records, patterns, tasks, facts, problems…), copied by SQLite
  alone into a fresh store with the same schema, one ``INSERT … SELECT`` a table and the
  commit, no Python per row; also without the tasks, and with the task table's indexes
  dropped (``FLOORS``). It is what SQLite needs to write a review of this size with this
  schema, however fast the scoring: while issue 13's tasks are made in the review's
  transaction, the review's store cannot take much less (this figure also counts SQLite
  reading the stored rows).

Targets (issue 15, this 2-core machine): end to end ≤ 8× the floor, peak < 600 MB, and
the peak at 5,000,000 rows within 15 % of the peak at 1,000,000 (``--sizes
1000000,5000000`` runs both in one run and prints the ratio).

    python benchmarks/review.py [--rows 1000000] [--database sqlite:////tmp/bench.db]
    python benchmarks/review.py --sizes 1000000,5000000 [--keep /tmp/bench]
"""

import argparse
import multiprocessing
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.sheets.files import CHUNK_ROWS

PART = 1_000_000  # people generated at a time (each part its own seed)


def write_csv(path: Path, rows: int, coverage: bool = False) -> None:
    """The synthetic county's people, ``PART`` at a time (a 5,000,000-row file is five
    parts with seeds 0-4, each under its own region code: identity numbers unique)."""
    import csv

    from fixtures.generate import generate
    from fixtures.population import NEIGHBOURS, population, with_identities
    from models.sheets.columns import all_fields

    with path.open("w", encoding="utf-8", newline="") as handle:
        if coverage:
            people = generate(min(rows, 50_000), seed=0)
            writer = csv.DictWriter(handle, fieldnames=list(all_fields()))
            writer.writeheader()
            for i in range(rows):
                writer.writerow(people[i % len(people)])
            return
        for seed, start in enumerate(range(0, rows, PART)):
            region = NEIGHBOURS[seed % len(NEIGHBOURS)]  # each million its own numbers
            people = population(min(PART, rows - start), seed=seed)
            frame = with_identities(people, seed=seed, region=region)
            frame.to_csv(handle, index=False, header=seed == 0, float_format="%.10g")


def make_csv(rows: int, coverage: bool = False) -> bytes:
    """The CSV as bytes (benchmarks/tasks.py and tests use it)."""
    path = Path(tempfile.mkdtemp()) / "people.csv"
    write_csv(path, rows, coverage)
    return path.read_bytes()


def generated(rows: int, coverage: bool = False, keep: Path | None = None) -> Path:
    """The CSV, made in a child process: its memory must not count in anyone's peak.
    With ``keep`` a file made before for the same size is used again."""
    folder = keep or Path(tempfile.mkdtemp())
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"people-{rows}{'-coverage' if coverage else ''}.csv"
    if keep and path.exists():
        return path
    child = multiprocessing.get_context("spawn").Process(
        target=write_csv, args=(path, rows, coverage)
    )
    child.start()
    child.join()
    if child.exitcode != 0:
        raise SystemExit("generating the CSV failed")
    return path


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def floor(path: str, out) -> None:
    """pyarrow alone: the whole file parsed, every column as text."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    start = time.perf_counter()
    with open(path, encoding="utf-8") as handle:
        names = next(iter(__import__("csv").reader([handle.readline()])))
    convert = pcsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()))
    rows = 0
    with pcsv.open_csv(path, convert_options=convert) as reader:
        for batch in reader:
            rows += batch.num_rows
    out.send({"seconds": time.perf_counter() - start, "rows": rows, "peak": peak_mb()})


def review(path: str, url: str | None, batch_rows: int, out) -> None:
    """The review as ``liushou review`` runs it, its stages timed (``url`` None: no store)."""
    from models.sheets.files import SheetLimits, sheet_batches
    from rules.assess import Assessor
    from service.report_xlsx import write_report
    from service.reviewing import review_file
    from service.store import make_engine, migrate

    assessor = Assessor.build()
    engine = make_engine(url) if url else None
    if engine is not None:
        migrate(engine)
    before = peak_mb()
    start = time.perf_counter()
    limits = SheetLimits(rows=2**62, cells=2**62)  # as the command: no row limit
    done = review_file(
        sheet_batches(Path(path), "people.csv", rows=batch_rows, limits=limits),
        assessor,
        township="寿春镇",
        village="城东村",
        period="2026Q4",
        engine=engine,
        secret=b"bench",
    )
    scored = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        write_report(done.report, Path(folder) / "report.xlsx")
        end = time.perf_counter()
    out.send(
        {
            "seconds": end - start,
            "review": scored - start,
            "report": end - scored,
            "peak": peak_mb(),
            "peak_before": before,
            "counts": done.summary.counts(),
            "tasks": done.tasks.created,
            "largest_piece": done.summary.largest_piece,
        }
    )


# The store's floor, three ways (``store_floor``): every stored row; every row but the
# tasks (were they made outside the review's transaction); every row with the task
# table's indexes dropped first (were the lists served otherwise)
FLOORS = ("every row", "no tasks", "tasks unindexed")


def store_floor(path: str, variant: str, out) -> None:
    """SQLite alone: the review stored at ``path`` (a store of its own: nothing else in it)
    copied into a fresh, migrated store, one ``INSERT … SELECT`` a table of the models'
    schema (each index kept up as the review keeps it, unless ``variant`` says so: see
    FLOORS), then the commit (WAL, as make_engine sets it). The rows are read from the
    stored file (just written: in the page cache) in the same statements: SQLite's reading
    is counted with its writing."""
    import sqlite3

    from sqlmodel import SQLModel

    from models.task_tables import Task
    from service.store import make_engine, migrate

    folder = Path(tempfile.mkdtemp())
    try:
        fresh = folder / "floor.db"
        migrate(make_engine(f"sqlite:///{fresh}"))
        db = sqlite3.connect(fresh, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("ATTACH ? AS stored", (path,))
        tables = [t.name for t in SQLModel.metadata.sorted_tables]  # every model's table
        if variant == "no tasks":
            tables.remove(Task.__tablename__)
        if variant == "tasks unindexed":
            for index in Task.__table__.indexes:
                db.execute(f"DROP INDEX main.{index.name}")
        columns = {  # by name, never *: SQLite's page-copying shortcut would skip the work
            table: ", ".join(f'"{r[1]}"' for r in db.execute(f"PRAGMA main.table_info({table})"))
            for table in tables
        }
        start = time.perf_counter()
        db.execute("BEGIN")
        each = {}
        for table in tables:
            began = time.perf_counter()
            names = columns[table]
            db.execute(f"INSERT INTO main.{table} ({names}) SELECT {names} FROM stored.{table}")
            each[table] = time.perf_counter() - began
        began = time.perf_counter()
        db.execute("COMMIT")
        each["commit"] = time.perf_counter() - began
        seconds = time.perf_counter() - start
        db.close()
        out.send({"seconds": seconds, "each": each, "size": fresh.stat().st_size})
    finally:
        shutil.rmtree(folder)  # a county's store is gigabytes


def in_child(target, *args) -> dict:
    receive, send = multiprocessing.get_context("spawn").Pipe(duplex=False)
    child = multiprocessing.get_context("spawn").Process(target=target, args=(*args, send))
    child.start()
    while not receive.poll(1):  # a child that failed sends nothing
        if not child.is_alive() and not receive.poll():
            raise SystemExit(f"{target.__name__} failed")
    answer = receive.recv()
    child.join()
    if child.exitcode != 0:
        raise SystemExit(f"{target.__name__} failed")
    return answer


def run(rows: int, args) -> dict:
    path = generated(rows, args.coverage, args.keep)
    scratch = None if args.database else Path(tempfile.mkdtemp())
    url = args.database or f"sqlite:///{scratch}/bench.db"
    size = path.stat().st_size / 2**20
    print(f"{rows:,} rows ({size:,.0f} MB CSV), store {url.split(':')[0]}")
    floors = sorted(in_child(floor, str(path))["seconds"] for _ in range(args.floor_runs))
    base = {"seconds": floors[0]}
    stored: dict = {}
    try:
        done = in_child(review, str(path), url, args.batch_rows)
        if scratch:  # the store's floor needs a store of this review alone
            stored = {v: in_child(store_floor, str(scratch / "bench.db"), v) for v in FLOORS}
    finally:
        if scratch:
            shutil.rmtree(scratch)  # the review's own store, measured: gigabytes
    ratio = done["seconds"] / base["seconds"]
    alone = in_child(review, str(path), None, args.batch_rows) if args.scoring_alone else None
    print(
        f"  floor: pyarrow open_csv, all text   {base['seconds']:8.2f} s"
        f"   (best of {len(floors)}: {', '.join(f'{f:.2f}' for f in floors)})"
    )
    print(
        f"  review (score and store)           {done['review']:8.2f} s"
        f"   {rows / done['review']:>10,.0f} rows/s"
    )
    print(f"  report (XLSX)                      {done['report']:8.2f} s")
    print(f"  end to end                         {done['seconds']:8.2f} s   {ratio:.1f}× the floor")
    if alone:
        print(
            f"  the same review with no store      {alone['seconds']:8.2f} s   "
            f"{alone['seconds'] / base['seconds']:.1f}× the floor (read, score, report; "
            f"peak {alone['peak']:,.0f} MB)"
        )
    for variant, floor_of in stored.items():
        slowest = sorted(floor_of["each"].items(), key=lambda kv: -kv[1])[:3]
        print(
            f"  {'SQLite alone, ' + variant:35}{floor_of['seconds']:8.2f} s"
            f"   {floor_of['seconds'] / base['seconds']:.1f}× the floor "
            f"({', '.join(f'{k} {v:.1f} s' for k, v in slowest)}; "
            f"store {floor_of['size'] / 2**20:,.0f} MB)"
        )
    if args.database:
        print("  SQLite alone: not measured (--database may hold other reviews)")
    print(
        f"  peak RSS of the review's process   {done['peak']:8,.0f} MB"
        f"   (after imports {done['peak_before']:,.0f} MB; batches of "
        f"{done['largest_piece']:,} rows)"
    )
    print(f"  counts {done['counts']}, tasks {done['tasks']:,}")
    met = ratio <= 8 and done["peak"] < 600
    print(f"  targets met: {met} (≤ 8× the floor, peak < 600 MB)")
    return done | {"floor": base["seconds"], "ratio": ratio, "store_floor": stored, "alone": alone}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--sizes", default=None, help="e.g. 1000000,5000000: each, then ratios")
    parser.add_argument("--database", default=None)
    parser.add_argument("--batch-rows", type=int, default=CHUNK_ROWS)
    parser.add_argument("--keep", type=Path, default=None, help="keep (reuse) the CSVs here")
    parser.add_argument("--coverage", action="store_true", help="the coverage generator's people")
    parser.add_argument(
        "--floor-runs",
        type=lambda text: max(1, int(text)),
        default=3,
        help="the floor: best of this many (at least 1)",
    )
    parser.add_argument(
        "--no-scoring-alone",
        dest="scoring_alone",
        action="store_false",
        help="skip the review with no store",
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else [args.rows]
    results = [run(rows, args) for rows in sizes]
    if len(results) > 1:
        small, large = results[0], results[-1]
        growth = large["peak"] / small["peak"] - 1
        print(
            f"peak at {sizes[-1]:,} / at {sizes[0]:,}: {large['peak']:,.0f} / "
            f"{small['peak']:,.0f} MB = {1 + growth:.3f} ({growth:+.1%}; target within 15 %): "
            f"{'met' if abs(growth) <= 0.15 else 'missed'}"
        )


if __name__ == "__main__":
    main()
