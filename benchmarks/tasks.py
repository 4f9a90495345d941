"""A county-sized review with its follow-up tasks, and the task lists on that store.

For each store (SQLite, and PostgreSQL with ``--postgres URL``) the whole review of
``--rows`` people (read, validate, score, store, XLSX report, as benchmarks/review.py)
runs twice, each in its own process so that each peak memory is its own: without
tasks (the baseline), then with them; the ratios are printed. Then, on the store
with tasks, the lists people ask for, each ``--repeat`` times at a frozen time
100 hours after the review (every task overdue, critical ones escalated): p50/p95.
Targets (issue 13): the review with tasks under 60 s and 2 GB at 1,000,000 rows;
each list under 100 ms p95.

    python benchmarks/tasks.py [--rows 1000000] [--postgres postgresql+psycopg://…/db]

(The stores and the CSV are made in temporary folders and databases, dropped after.)
"""

import argparse
import multiprocessing
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa
from sqlmodel import Session

from benchmarks.review import generated
from rules.assess import Assessor
from service import task_store
from service import tasks as tk
from service.report_data import from_result
from service.report_xlsx import write_report
from service.review import review
from service.settings import ApiKey
from service.sheets import sheet_chunks
from service.store import make_engine, migrate, save_review

VILLAGE = ApiKey(sha256="1" * 64, role="village", township="寿春镇", village="城东村")


def department(code: str, township: str | None = None) -> ApiKey:
    return ApiKey(sha256="2" * 64, role="department", department=code, township=township)


LISTS = {
    "village: my open tasks (first page)": (VILLAGE, {}),
    "village: my open tasks (page 2)": (VILLAGE, {"page": 2}),
    "police: my open tasks": (department("county_public_security"), {}),
    "police: overdue": (department("county_public_security"), {"overdue": True}),
    "school (cooperating, one township): open": (department("school", "寿春镇"), {}),
    "township government (lead + escalated): overdue": (
        department("township_government"),
        {"overdue": True},
    ),
    "civil affairs: overdue": (department("county_civil_affairs"), {"overdue": True}),
    "analyst: overdue by department (health)": (
        ApiKey(sha256="3" * 64, role="analyst"),
        {"overdue": True, "department": "county_health"},
    ),
}


def reviewed(data: Path, url: str, with_tasks: bool, out) -> None:
    """One whole review in this (child) process; sends back the stages and the peak."""
    assessor = Assessor.build()
    engine = make_engine(url)
    migrate(engine)
    stages, start = {}, time.perf_counter()
    result = review(
        sheet_chunks(data, "people.csv"),
        assessor,
        township="寿春镇",
        village="城东村",
        period="2026Q4",
    )
    stages["read, validate, score"] = time.perf_counter() - start
    t, counts = time.perf_counter(), task_store.TaskCounts()
    stored, changes = save_review(
        engine, result, assessor.ruleset, b"bench", tasks=with_tasks, task_counts=counts
    )
    stages["store"] = time.perf_counter() - t
    t = time.perf_counter()
    write_report(from_result(result, changes=changes), Path(tempfile.mkdtemp()) / "report.xlsx")
    stages["report"] = time.perf_counter() - t
    stages["total"] = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out.send((stages, peak, counts.created, int(stored.created_at.timestamp())))


def in_child(*args):
    receive, send = multiprocessing.Pipe(duplex=False)
    child = multiprocessing.get_context("fork").Process(target=reviewed, args=(*args, send))
    child.start()
    got = receive.recv()
    child.join()
    return got


def timed_lists(url: str, created_ts: int, repeat: int) -> dict[str, tuple[float, float, int]]:
    """p50, p95 (ms) and the page size of each list."""
    engine = make_engine(url)
    rules = tk.TaskRules.build(Assessor.build().ruleset)
    now_ts = created_ts + 100 * 3600
    out = {}
    with Session(engine) as session:
        for name, (caller, options) in LISTS.items():
            filters = tk.TaskFilters(
                overdue=options.get("overdue"), department=options.get("department")
            )
            after = None
            if options.get("page") == 2:
                first = tk.list_tasks(session, caller, rules, now_ts=now_ts, filters=filters)
                after = first.next
            times, size = [], 0
            for _ in range(repeat):
                t = time.perf_counter()
                page = tk.list_tasks(
                    session, caller, rules, now_ts=now_ts, filters=filters, after=after
                )
                times.append((time.perf_counter() - t) * 1000)
                size = len(page.items)
            times.sort()
            out[name] = (statistics.median(times), times[int(0.95 * (len(times) - 1))], size)
        task_id = session.connection().execute(sa.text("SELECT min(id) FROM task")).scalar()
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            tk.get_task(session, VILLAGE, rules, task_id, now_ts=now_ts)
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        out["one task with its history"] = (statistics.median(times), times[-1 - repeat // 20], 1)
    engine.dispose()
    return out


def bench_store(label: str, data: Path, urls: tuple[str, str], rows: int, repeat: int) -> None:
    base, tasks = in_child(data, urls[0], False), in_child(data, urls[1], True)
    print(f"\n{label}: {rows:,} rows; {tasks[2]:,} tasks")
    print(f"  {'stage':<24}{'no tasks':>10}{'with tasks':>12}{'ratio':>8}")
    for stage in base[0]:
        a, b = base[0][stage], tasks[0][stage]
        print(f"  {stage:<24}{a:>9.1f}s{b:>11.1f}s{b / a:>8.2f}")
    print(f"  {'peak RSS':<24}{base[1]:>8,.0f}MB{tasks[1]:>10,.0f}MB{tasks[1] / base[1]:>8.2f}")
    met = rows >= 1_000_000 and tasks[0]["total"] < 60 and tasks[1] < 2048
    print(f"  review targets met with tasks: {met} (1,000,000 rows or more, < 60 s, < 2 GB)")
    lists = timed_lists(urls[1], tasks[3], repeat)
    print(f"  {'list (50 a page, at due + 100 h)':<52}{'p50':>8}{'p95':>8}  rows")
    for name, (p50, p95, size) in lists.items():
        print(f"  {name:<52}{p50:>6.1f}ms{p95:>6.1f}ms  {size}")
    print(f"  lists under 100 ms p95: {all(p95 < 100 for _, p95, _ in lists.values())}")


def _admin(base: str, *statements: str) -> None:
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as connection:
        for statement in statements:
            connection.execute(sa.text(statement))
    admin.dispose()


def _fresh_postgres(base: str, name: str) -> str:
    _admin(base, f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
    return sa.engine.make_url(base).set(database=name).render_as_string(hide_password=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--postgres", default=None, help="a server URL; two databases are made")
    args = parser.parse_args()
    data = generated(args.rows, False)
    folder = Path(tempfile.mkdtemp())
    sqlite = (f"sqlite:///{folder}/base.db", f"sqlite:///{folder}/tasks.db")
    bench_store("SQLite", data, sqlite, args.rows, args.repeat)
    for url in sqlite:
        Path(url.removeprefix("sqlite:///")).unlink()
    if args.postgres:
        names = ("bench_tasks_base", "bench_tasks_with")
        urls = tuple(_fresh_postgres(args.postgres, name) for name in names)
        bench_store("PostgreSQL", data, urls, args.rows, args.repeat)
        _admin(args.postgres, *(f'DROP DATABASE "{name}"' for name in names))


if __name__ == "__main__":
    main()
