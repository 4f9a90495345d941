"""What saying the data problems in Chinese costs a report (models.sheets.explain).

A county-sized sheet's report lists up to 20,000 data problems (service.report_data.
PROBLEM_LIMIT). This takes that many rejected rows from a randomly corrupted synthetic
sheet (each quoting its own cell, so the translation's cache rarely helps), then times,
in the same run:

- baseline: the XLSX report with the reasons written as stored (English, as before);
- Chinese: the same report as written now (each reason read back and said in Chinese).

    python benchmarks/reasons.py [--problems 20000]
"""

import argparse
import io
import random
import sys
import time
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fixtures.population import population, with_identities
from models.sheets import explain
from models.sheets.table import read_table
from service import report_xlsx
from service.report_data import ReportData

NOISE = ["abc", "-1", "999999", "3.5", "2026-13-01", "131", "x" * 50, "3.40422e+17", "在外"]


def problems(wanted: int) -> list[tuple]:
    rows = wanted + wanted // 4
    frame = with_identities(population(rows, seed=7), seed=7).astype(object)
    frame = frame.where(frame.notna(), "").astype(str).replace({"None": "", "nan": ""})
    rng = random.Random(7)
    for _ in range(2 * rows):
        cell = rng.choice(NOISE) + str(rng.randrange(10**6))
        frame.iat[rng.randrange(len(frame)), rng.randrange(frame.shape[1])] = cell
    read = read_table(frame)
    out = [("rejected row", p.row, p.column, p.reason) for p in read.rejected]
    return (out * (wanted // max(len(out), 1) + 1))[:wanted]


def timed(data: ReportData, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        explain.explain.cache_clear()
        start = time.perf_counter()
        report_xlsx.write_report(data, io.BytesIO())
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", type=int, default=20_000)
    args = parser.parse_args()
    listed = problems(args.problems)
    data = ReportData("寿春镇", "城东村", "2026Q4", {"rows_in": len(listed)}, problems=listed)
    as_stored = [[k, r, c, why, ""] for k, r, c, why in listed]
    with mock.patch.object(report_xlsx, "problem_rows", lambda rows: as_stored[: len(rows)]):
        baseline = timed(data)
    chinese = timed(data)
    explain.explain.cache_clear()
    start = time.perf_counter()
    for kind, _, column, reason in listed:
        explain.explain(kind, column, reason)
    alone = time.perf_counter() - start
    distinct = len({(kind, column, reason) for kind, _, column, reason in listed})
    print(f"{len(listed):,} data problems ({distinct:,} distinct), XLSX report, best of 3")
    print(f"  baseline: reasons as stored   {baseline:6.2f} s   1.00")
    print(f"  reasons in Chinese            {chinese:6.2f} s   {chinese / baseline:.2f}")
    print(f"  the translation alone         {alone:6.2f} s   {alone / baseline:.2f}")


if __name__ == "__main__":
    main()
