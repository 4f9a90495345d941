"""A whole village review end to end: read, validate, score, store, report.

Generates a CSV of ``--rows`` people of the synthetic county (fixtures.population,
with names and valid identity numbers; English headers), then times each stage of
``liushou review`` on it and prints the peak memory. Target (issue 4): 1,000,000
rows in under 60 s and 2 GB on a 2-core machine. ``--coverage`` uses the coverage
generator instead (fixtures.generate: 74 % critical, ~10 actions each).

    python benchmarks/review.py [--rows 1000000] [--database sqlite:////tmp/bench.db]
"""

import argparse
import csv
import io
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fixtures.generate import generate
from fixtures.population import population, with_identities
from models.sheets.columns import all_fields
from models.sheets.files import sheet_chunks
from rules.assess import Assessor
from service.report_data import from_result
from service.report_xlsx import write_report
from service.review import review
from service.store import make_engine, migrate, save_review


def make_csv(rows: int, coverage: bool = False) -> bytes:
    if not coverage:
        frame = with_identities(population(rows, seed=0), seed=0)
        return frame.to_csv(index=False, float_format="%.10g").encode()
    people = generate(min(rows, 50_000), seed=0)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(all_fields()))
    writer.writeheader()
    for i in range(rows):
        writer.writerow(people[i % len(people)])
    return buffer.getvalue().encode()


def rss_now() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * resource.getpagesize() / 2**20


def peak_rss() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generated(rows: int, coverage: bool) -> Path:
    """The CSV, made in a child process: its memory must not count in this one's peak."""
    path = Path(tempfile.mkdtemp()) / "people.csv"
    child = multiprocessing.get_context("fork").Process(
        target=lambda: path.write_bytes(make_csv(rows, coverage))
    )
    child.start()
    child.join()
    if child.exitcode != 0:
        raise SystemExit("generating the CSV failed")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--database", default=None)
    parser.add_argument("--coverage", action="store_true", help="the coverage generator's people")
    args = parser.parse_args()
    data = generated(args.rows, args.coverage)
    assessor = Assessor.build()
    url = args.database or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    engine = make_engine(url)
    migrate(engine)
    stages = {}
    start = time.perf_counter()
    chunks = sheet_chunks(data, "people.csv")  # from the file, as `liushou review` reads it
    result = review(chunks, assessor, township="寿春镇", village="城东村", period="2026Q4")
    stages["read, validate, score"] = time.perf_counter() - start
    print(f"  after scoring: RSS {rss_now():,.0f} MB, peak {peak_rss():,.0f} MB", file=sys.stderr)
    t = time.perf_counter()
    _, changes = save_review(engine, result, assessor.ruleset, b"bench")
    stages["store"] = time.perf_counter() - t
    print(f"  after storing: RSS {rss_now():,.0f} MB, peak {peak_rss():,.0f} MB", file=sys.stderr)
    t = time.perf_counter()
    write_report(from_result(result, changes=changes), Path(tempfile.mkdtemp()) / "report.xlsx")
    stages["report"] = time.perf_counter() - t
    total = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{args.rows:,} rows ({data.stat().st_size / 2**20:.0f} MB CSV), store {url.split(':')[0]}"
    )
    for name, seconds in stages.items():
        print(f"  {name:<18} {seconds:8.1f} s   {args.rows / seconds:>10,.0f} rows/s")
    print(f"  {'total':<18} {total:8.1f} s   peak RSS {peak:,.0f} MB")
    print(f"counts {result.counts()}")
    met = args.rows >= 1_000_000 and total < 60 and peak < 2048
    print(f"targets met: {met} (1,000,000 rows or more, under 60 s and 2 GB)")


if __name__ == "__main__":
    main()
