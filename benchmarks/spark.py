"""Spark local[2] against this machine alone, on the same generated county, in one run.

For each size (default 1,000,000 and 5,000,000 rows of fixtures.population with names
and valid identity numbers, English headers, made in a child process as
benchmarks/review.py makes them) it times:

- ``streamed``: the single-machine streaming review (``service.reviewing.review_file``
  on ``sheet_batches``: Arrow batches scored by ``service.bulk.score_piece``,
  duplicates taken out as they come, results to one Parquet file; no store, as Spark
  writes none);
- ``review()``: ``service.review.review`` as ``liushou review`` runs it (1,000,000 rows
  only: it holds the whole sheet, and the sheet limit is 1,048,576 rows);
- ``spark``: ``service.spark.review.run_review`` on ``local[2]`` (session start-up
  apart), writing its Parquet datasets and summary;

then checks the results: every aggregate equal (counts by level, rejected rows,
workload per department and deadline, levels per village; with ``review()``, the data
problems of each kind) and, on a random sample of persons, every result column equal
person by person. Prints the ratios.

    python benchmarks/spark.py [--rows 1000000 5000000] [--master local[2]] [--sample 20000]
"""

import argparse
import multiprocessing
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from fixtures.population import population, with_identities
from models.sheets.files import SheetLimits, sheet_batches, sheet_chunks
from rules.assess import Assessor
from service.bulk import RESULT_COLUMNS
from service.review import review
from service.reviewing import review_file

SECRET = b"bench"
BLOCK = 1_000_000  # rows generated at a time (seed = block number)
UNLIMITED = SheetLimits(rows=10**9, cells=10**12)


def write_county(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for block, start in enumerate(range(0, rows, BLOCK)):
            n = min(BLOCK, rows - start)
            frame = with_identities(population(n, seed=block), seed=block)
            handle.write(frame.to_csv(index=False, header=block == 0, float_format="%.10g"))


def generated(rows: int) -> Path:
    """The CSV, made in a child process (its memory is not this one's)."""
    path = Path(tempfile.mkdtemp()) / "people.csv"
    child = multiprocessing.get_context("fork").Process(target=write_county, args=(path, rows))
    child.start()
    child.join()
    if child.exitcode != 0:
        raise SystemExit("generating the CSV failed")
    return path


def streamed(path: Path, assessor, out: Path) -> dict:
    """The single-machine streaming review (``service.reviewing.review_file``, as
    ``liushou review --out-parquet`` runs it without a store: Spark writes none either):
    Arrow batches, scored, duplicates taken out, results to one Parquet file."""
    done = review_file(
        sheet_batches(path, path.name, limits=UNLIMITED),
        assessor,
        township="寿春镇",
        village="城东村",
        period="2026Q4",
        out_parquet=out,
    )
    counts = done.summary.counts()
    return {"rows_in": counts["rows_in"], "rejected": counts["rejected"]}


def workload(results: Path) -> Counter:
    """Person-actions per (department, deadline) in a results file (not timed)."""
    work: Counter = Counter()
    for batch in pq.ParquetFile(results).iter_batches(columns=["interventions"]):
        for text, n in Counter(batch.column(0).to_pylist()).items():
            for action in orjson.loads(text):
                work[(action["department"], action["deadline_hours"])] += n
    return work


def check(local: dict, local_file: Path, summary: dict, spark_out: Path, sample: int) -> list:
    """What differs between the two runs (empty: equal)."""
    problems = []
    ours = ds.dataset(local_file)
    theirs = ds.dataset(
        str(spark_out / "results"),
        format="parquet",
        partitioning=ds.partitioning(
            pa.schema([("township", pa.string()), ("village", pa.string())]), flavor="hive"
        ),
    )
    levels = ours.to_table(columns=["row", "risk_level", "township", "village"]).to_pandas()
    counted = levels["risk_level"].value_counts()
    for name in ("critical", "high", "medium", "low"):
        if int(counted.get(name, 0)) != summary["counts"][name]:
            problems.append(f"{name}: {counted.get(name, 0)} here, {summary['counts'][name]} Spark")
    scored = len(levels)
    expected = {"rows_in": local["rows_in"], "scored": scored, "rejected": local["rejected"]}
    for name, value in expected.items():
        if summary["counts"][name] != value:
            problems.append(f"{name}: {value} here, {summary['counts'][name]} on Spark")
    work = workload(local_file)
    spark_work = {
        (w["department"], w["deadline_hours"]): w["person_actions"] for w in summary["workload"]
    }
    if {k: v for k, v in work.items() if v} != spark_work:
        problems.append("workload differs")
    villages = levels.groupby(["township", "village"])["risk_level"].value_counts().unstack()
    theirs_v = pd.read_parquet(spark_out / "villages").set_index(["township", "village"])
    for name in ("critical", "high", "medium", "low"):
        a = villages[name].fillna(0).astype(int).sort_index()
        b = theirs_v[name].reindex(a.index).fillna(0).astype(int)
        if not (a == b).all():
            problems.append(f"villages differ at {name}")
    rng = np.random.default_rng(0)
    chosen = np.sort(rng.choice(levels["row"].to_numpy(), min(sample, scored), replace=False))
    mine = ours.to_table(filter=ds.field("row").isin(chosen)).to_pandas()
    other = theirs.to_table(filter=ds.field("row").isin(chosen)).to_pandas()
    mine = mine.sort_values("row").reset_index(drop=True)
    other = other.sort_values("row").reset_index(drop=True)
    for column in RESULT_COLUMNS:
        a, b = mine[column].astype(object), other[column].astype(object)
        same = (a == b) | (a.isna() & b.isna())
        if len(a) != len(b) or not same.all():
            problems.append(f"sample: {column} differs for {int((~same).sum())} persons")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 5_000_000])
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--sample", type=int, default=20_000)
    args = parser.parse_args()
    from service.spark import java_missing, session
    from service.spark.review import run_review

    if why := java_missing():
        raise SystemExit(f"benchmarks/spark.py: {why}")
    assessor = Assessor.build()
    t = time.perf_counter()
    spark = session(args.master, "liushou-benchmark")
    startup = time.perf_counter() - t
    print(f"Spark {spark.version} on {args.master}: session start-up {startup:.1f} s (apart)")
    lines = []
    for rows in args.rows:
        path = generated(rows)
        where = Path(tempfile.mkdtemp())
        size = path.stat().st_size / 2**20
        t = time.perf_counter()
        local = streamed(path, assessor, where / "local.parquet")
        local_s = time.perf_counter() - t
        whole_s = listed = None  # listed: review()'s data problems of every kind, counted
        if rows <= 1_048_576:
            t = time.perf_counter()
            whole = review(
                sheet_chunks(path, path.name),
                assessor,
                township="寿春镇",
                village="城东村",
                period="2026Q4",
            )
            whole_s = time.perf_counter() - t
            listed = {kind: len(items) for kind, items in whole.problem_lists()}
            del whole
        t = time.perf_counter()
        summary = run_review(
            spark, str(path), str(where / "spark"), assessor, period="2026Q4", secret=SECRET
        )
        spark_s = time.perf_counter() - t
        problems = check(local, where / "local.parquet", summary, where / "spark", args.sample)
        if listed is not None and summary["problems"] != listed:
            problems.append(f"problems: {listed} in review(), {summary['problems']} on Spark")
        verdict = "equal" if not problems else "DIFFER: " + "; ".join(problems)
        lines.append((rows, size, local_s, whole_s, spark_s, verdict))
        print(
            f"{rows:>10,} rows ({size:,.0f} MB CSV): streamed review {local_s:7.1f} s, "
            + (
                f"review() {whole_s:7.1f} s, "
                if whole_s
                else "review() n/a (over the sheet limit), "
            )
            + f"Spark {spark_s:7.1f} s; Spark/streamed {spark_s / local_s:.2f}x"
            + (f", Spark/review() {spark_s / whole_s:.2f}x" if whole_s else "")
            + f"; results {verdict} (aggregates, {args.sample:,}-person sample)",
            flush=True,
        )
        shutil.rmtree(where, ignore_errors=True)
        shutil.rmtree(path.parent, ignore_errors=True)
    if len(lines) > 1:
        (r0, _, l0, _, s0, _), (r1, _, l1, _, s1, _) = lines[0], lines[-1]
        print(
            f"from {r0:,} to {r1:,} rows ({r1 / r0:.0f}x): streamed {l1 / l0:.2f}x the time, "
            f"Spark {s1 / s0:.2f}x"
        )
    spark.stop()


if __name__ == "__main__":
    main()
