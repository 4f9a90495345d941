"""The review's XLSX report: rustpy-xlsxwriter against xlsxwriter, the writer it replaced.

A county-sized review's report is full whatever the county's size: the ACTION_LIMIT
(50,000) most urgent person-actions, the changes since last quarter (up to CHANGE_LIMIT
of each kind) and PROBLEM_LIMIT (20,000) data problems (service.report_data). This
reviews ``--people`` of the synthetic county (fixtures.population, names and identity
numbers: more person-actions than the limit), compares them with a previous quarter
made from them (models.changes.compare: a tenth not there before, a few more gone, the
others' levels drawn anew), takes ``--problems`` of benchmarks/reasons.py's data problems
(each quoting its own cell: few repeat, the translation's worst case), then times, in the
same run, best of ``--repeat`` (the two writers taking turns):

- the rows (service.report_xlsx.report_sheets: the summary, the changes' rows, the data
  problems in Chinese), which both writers are given;
- baseline: xlsxwriter writing those rows as service/report_xlsx.py did before issue 15
  (``write_row``, text never a formula or a link), kept here only as the baseline;
- rustpy-xlsxwriter writing the same rows (service.report_xlsx.write_sheets);
- the whole report each way (the rows, then the writing), as ``write_report`` does.

Each writer also writes once in a forked child (before the timings), which says how far
writing raised its peak RSS. Then both files are read back with openpyxl and every cell
compared: the same value, and the same kind (text, number, empty); the run stops if one
differs.

    python benchmarks/report.py [--people 40000] [--problems 20000] [--no-changes] [--repeat 3]
"""

import argparse
import hashlib
import io
import multiprocessing
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import pandas as pd
import xlsxwriter
from openpyxl import load_workbook

from benchmarks.reasons import problems
from fixtures.population import population, with_identities
from models.changes import compare
from models.sheets import explain
from models.sheets.files import load_sheet
from rules.assess import Assessor
from service import report_xlsx
from service.report_data import ReportData, from_result
from service.review import review


def county(people: int, wanted: int, changes: bool) -> ReportData:
    """The report of a reviewed synthetic county, with its changes (unless not
    ``changes``) and ``wanted`` data problems."""
    sheet = io.StringIO()  # a CSV, as the review reads one
    with_identities(population(people, seed=3), seed=3).to_csv(sheet, index=False)
    place = {"township": "寿春镇", "village": "城东村", "period": "2026Q4"}
    result = review(load_sheet(sheet.getvalue().encode(), "people.csv"), Assessor.build(), **place)
    seen = result.people
    now = pd.DataFrame(
        {
            "person_key": [hashlib.sha256(str(n).encode()).hexdigest() for n in seen["id_number"]],
            "row": seen["row"].to_numpy(),
            "person_id": seen["person_id"].to_numpy(),
            "name_masked": seen["name_masked"].to_numpy(),
            "id_masked": seen["id_masked"].to_numpy(),
            "risk_level": [str(v) for v in result.levels],
        },
        dtype=object,
    )
    rng = np.random.default_rng(1)
    before = now.sample(frac=0.9, random_state=1)
    gone = before.iloc[: len(now) // 40].assign(person_key=lambda f: f["person_key"] + "-gone")
    before = pd.concat([before, gone])
    before["risk_level"] = rng.choice(["low", "medium", "high", "critical"], len(before))
    data = from_result(result, changes=compare(before, now) if changes else None)
    data.problems = problems(wanted) if wanted else []
    data.problems_total = len(data.problems)
    return data


def old_writer(sheets, out) -> None:
    """The report's writer before issue 15 (xlsxwriter), the baseline."""
    book = xlsxwriter.Workbook(
        out, {"strings_to_urls": False, "strings_to_formulas": False, "in_memory": True}
    )
    bold = book.add_format({"bold": True})
    for title, headers, rows in sheets:
        sheet = book.add_worksheet(title)
        sheet.write_row(0, 0, headers, bold)
        for number, row in enumerate(rows, start=1):
            sheet.write_row(number, 0, list(row))
    book.close()


def best(works, repeat: int) -> list[tuple[float, object]]:
    """Each work's best time and its last result, the works taking turns (the machine's
    load changes during a run: each sees the same)."""
    times: list[list[float]] = [[] for _ in works]
    out: list[object] = [None] * len(works)
    for _ in range(repeat):
        for i, work in enumerate(works):
            explain.explain.cache_clear()  # each run translates the problems afresh
            start = time.perf_counter()
            out[i] = work()
            times[i].append(time.perf_counter() - start)
    return [(min(t), o) for t, o in zip(times, out, strict=True)]


def written(writer, sheets) -> bytes:
    buffer = io.BytesIO()
    writer(sheets, buffer)
    return buffer.getvalue()


def grown(writer, sheets, out) -> None:
    """In a forked child: how far writing raises the process's peak RSS (MB) above what
    it holds before (the rows, inherited)."""
    start = int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    writer(sheets, io.BytesIO())
    out.send(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - start / 2**20)


def peak(writer, sheets) -> float:
    receive, send = multiprocessing.Pipe(duplex=False)
    child = multiprocessing.get_context("fork").Process(target=grown, args=(writer, sheets, send))
    child.start()
    got = receive.recv()
    child.join()
    return got


def kind(value) -> str:
    return "empty" if value is None else "text" if isinstance(value, str) else "number"


def same_cells(old: bytes, new: bytes) -> int:
    """How many cells both files hold, each the same; raises at the first that differs."""
    a, b = (load_workbook(io.BytesIO(x), read_only=True) for x in (old, new))
    assert a.sheetnames == b.sheetnames, (a.sheetnames, b.sheetnames)
    cells = 0
    for title in a.sheetnames:
        rows = zip(
            a[title].iter_rows(values_only=True), b[title].iter_rows(values_only=True), strict=True
        )
        for number, (x, y) in enumerate(rows, start=1):
            width = max(len(x), len(y))
            x, y = x + (None,) * (width - len(x)), y + (None,) * (width - len(y))
            for u, v in zip(x, y, strict=True):
                assert u == v and kind(u) == kind(v), (title, number, u, v)
            cells += width
    return cells


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=40_000)
    parser.add_argument("--problems", type=int, default=20_000)
    parser.add_argument("--no-changes", action="store_true", help="no previous quarter")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    data = county(args.people, args.problems, not args.no_changes)
    [(rows_time, sheets)] = best([lambda: report_xlsx.report_sheets(data)], args.repeat)
    sizes = {title: len(rows) for title, _, rows in sheets}
    # before the timings, whose freed memory the children would reuse
    old_peak, new_peak = peak(old_writer, sheets), peak(report_xlsx.write_sheets, sheets)
    (old_time, old), (new_time, new) = best(
        [lambda: written(old_writer, sheets), lambda: written(report_xlsx.write_sheets, sheets)],
        args.repeat,
    )
    (old_whole, _), (new_whole, _) = best(
        [
            lambda: written(old_writer, report_xlsx.report_sheets(data)),
            lambda: report_xlsx.write_report(data, io.BytesIO()),
        ],
        args.repeat,
    )
    cells = same_cells(old, new)
    print(
        f"XLSX report of {args.people:,} people ({data.actions_total:,} person-actions), "
        f"best of {args.repeat}: rows " + ", ".join(f"{title} {n:,}" for title, n in sizes.items())
    )
    print(f"  the rows (both writers' input)        {rows_time:6.2f} s")
    print(f"  writing: baseline xlsxwriter          {old_time:6.2f} s   1.00")
    print(
        f"  writing: rustpy-xlsxwriter            {new_time:6.2f} s   {new_time / old_time:.2f}"
        f"   ({old_time / new_time:.1f}x faster)"
    )
    print(f"  whole report: baseline xlsxwriter     {old_whole:6.2f} s   1.00")
    print(
        f"  whole report: rustpy-xlsxwriter       {new_whole:6.2f} s   {new_whole / old_whole:.2f}"
        f"   ({old_whole / new_whole:.1f}x faster)"
    )
    print(
        f"  peak RSS while writing: xlsxwriter +{old_peak:.0f} MB, "
        f"rustpy-xlsxwriter +{new_peak:.0f} MB"
    )
    print(f"  read back with openpyxl: {cells:,} cells, each the same in both files")


if __name__ == "__main__":
    main()
