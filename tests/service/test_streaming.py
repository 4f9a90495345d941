"""The streamed review (service.reviewing.review_file, batch by batch) against the whole
review (service.review.review of the whole sheet, then save_review and from_result):
the same people, levels, rule ids, interventions, problems, duplicates across batches,
changes since last quarter, tasks and report, in CSV, XLSX and Parquet, on SQLite and
PostgreSQL."""

import random

import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from fixtures.population import population, with_identities
from models.review_tables import ReviewProblem, ReviewRecord
from models.sheets.files import load_sheet, sheet_batches
from models.task_tables import Task
from service.bulk import RESULT_COLUMNS
from service.report_data import PROBLEM_LIMIT, from_result
from service.review import review
from service.reviewing import review_file
from service.store import facts_of, make_engine, migrate, records_of, save_review
from tests.models.test_sheet_bulk import NOISE, as_sheet
from tests.service.test_store import _admin, _postgres

SECRET = b"stream-secret"
PLACE = {"township": "寿春镇", "village": "城东村"}
BATCH = 250


def _sheet(rows: int, seed: int) -> pd.DataFrame:
    """Generated people with corrupted cells, repeated identity numbers (some in the same
    batch, most in later batches), blank rows (a run across a batch boundary)."""
    frame = as_sheet(with_identities(population(rows, seed=seed), seed=seed))
    rng = random.Random(seed)
    for _ in range(rows // 3):
        frame.iat[rng.randrange(rows), rng.randrange(frame.shape[1])] = rng.choice(NOISE)
    for _ in range(rows // 40):  # the same person again, on a later row
        source = rng.randrange(rows // 2)
        frame.iloc[rng.randrange(source + 1, rows)] = frame.iloc[source]
    frame.iloc[BATCH + 1] = frame.iloc[BATCH]  # in the same batch
    frame.iloc[BATCH * 2 - 3 : BATCH * 2 + 4] = ""  # blank rows across a batch boundary
    return frame


DANGER = {"elder": "wandering_begging", "child": "lives_alone"}  # each one critical


def _write(frame: pd.DataFrame, path) -> None:
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    elif path.suffix == ".xlsx":
        frame.to_excel(path, index=False)
    else:
        arrays = [pa.array(frame[c].tolist(), pa.string()) for c in frame.columns]
        pq.write_table(pa.Table.from_arrays(arrays, names=list(frame.columns)), path)


@pytest.fixture(params=["sqlite", "postgresql"])
def engines(request, tmp_path):
    """Two empty stores of one kind: one for the whole review, one for the streamed."""
    made, dropped = [], []
    for name in ("whole", "streamed"):
        if request.param == "sqlite":
            engine = make_engine(f"sqlite:///{tmp_path / name}.db")
        else:
            url, base, database = _postgres()
            engine = make_engine(url)
            dropped.append((base, database))
        migrate(engine)
        made.append(engine)
    yield made
    for engine in made:
        engine.dispose()
    for base, database in dropped:
        _admin(base, f'DROP DATABASE "{database}"')


def _stored(engine, review_id):
    with Session(engine) as session:
        records = [
            (r.row, r.person_key, r.risk_level, r.score, r.rule_ids, r.interventions, r.data_gaps)
            for r in records_of(session, review_id)
        ]
        problems = [
            (p.kind, p.row, p.column, p.reason)
            for p in session.exec(
                select(ReviewProblem)
                .where(ReviewProblem.review_id == review_id)
                .order_by(ReviewProblem.id)
            )
        ]
        tasks = sorted(
            (t.row, t.action, t.department, t.status, t.due_ts - t.created_ts)
            for t in session.exec(select(Task).where(Task.last_review_id == review_id))
        )
        facts = facts_of(session, review_id)
    return records, problems, tasks, facts


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet"])
def test_streamed_review_equals_the_whole_review(engines, assessor, tmp_path, suffix):
    whole_store, streamed_store = engines
    last_quarter = _sheet(900, seed=11)
    this_quarter = _sheet(1400, seed=12)
    # some of last quarter's people again (the changes), the rest gone
    for i in range(0, 600, 2):
        category = last_quarter["category"].iloc[i]
        if i % 6 == 2 and category in DANGER:  # critical last quarter, not now: down
            last_quarter.at[i, DANGER[category]] = "True"
        this_quarter.iloc[i + 700] = last_quarter.iloc[i]
        if i % 6 == 0 and category in DANGER:  # critical now: up, or still critical
            this_quarter.at[i + 700, DANGER[category]] = "True"
            this_quarter.at[i + 700, DANGER[category]] = "True"
    before = tmp_path / "q3.csv"
    last_quarter.to_csv(before, index=False)
    path = tmp_path / f"people{suffix}"
    _write(this_quarter, path)
    for engine in engines:  # last quarter: stored the same way in both
        q3 = review(
            load_sheet(before.read_bytes(), before.name), assessor, period="2026Q3", **PLACE
        )
        save_review(engine, q3, assessor.ruleset, SECRET)

    whole = review(load_sheet(path.read_bytes(), path.name), assessor, period="2026Q4", **PLACE)
    assert whole.rows_in == 1400 and whole.quality.duplicates  # duplicates there are
    stored, changes = save_review(whole_store, whole, assessor.ruleset, SECRET)
    report = from_result(whole, changes=changes)

    done = review_file(
        sheet_batches(path, path.name, rows=BATCH),
        assessor,
        period="2026Q4",
        engine=streamed_store,
        secret=SECRET,
        out_parquet=tmp_path / "results.parquet",
        **PLACE,
    )
    assert done.summary.pieces >= 1400 // BATCH and done.summary.largest_piece == BATCH
    assert (
        done.summary.counts() == whole.counts() == {k: getattr(stored, k) for k in whole.counts()}
    )
    # person by person: rows, keys, levels, points, rule ids, interventions, data gaps
    ours, theirs = _stored(streamed_store, done.review.id), _stored(whole_store, stored.id)
    assert ours[0] == theirs[0] and len(ours[0]) == whole.scored
    assert ours[1] == theirs[1]  # every problem, in the same order (kind, then row)
    kinds = {kind for kind, *_ in ours[1]}
    assert {"rejected row", "duplicate", "missing since last quarter"} <= kinds
    blank = [p for p in ours[1] if p[0] == "rejected row" and p[3].startswith("blank rows")]
    start = BATCH * 2 - 1  # sheet row of frame row BATCH * 2 - 3
    assert [(p[1], p[3]) for p in blank] == [(start, f"blank rows {start}-{start + 6} (7 rows)")]
    assert ours[2] == theirs[2] and ours[2]  # the same tasks
    pd.testing.assert_frame_equal(ours[3], theirs[3])  # the facts, for simulations
    assert done.changes.counts() == changes.counts()
    assert changes.counts()["up"] + changes.counts()["down"] + changes.counts()["gone"]
    for kind in ("new", "gone", "up", "down", "still_critical"):
        assert done.changes.entries(kind) == changes.entries(kind)
    assert done.tasks.created + done.tasks.carried_over == len(ours[2])  # carried: linked here
    assert done.tasks.carried_over and done.tasks.resolved_by_review
    # the report: the same most urgent actions, departments, problems, counts
    assert (
        done.report.actions == report.actions and done.report.actions_total == report.actions_total
    )
    assert done.report.departments == report.departments
    assert done.report.problems[:PROBLEM_LIMIT] == report.problems[:PROBLEM_LIMIT]
    assert done.report.problem_count == report.problem_count
    # the analysts' Parquet: one row per scored person, masked, the same outcomes
    results = pq.read_table(tmp_path / "results.parquet").to_pandas()
    assert list(results.columns) == RESULT_COLUMNS
    assert results["row"].tolist() == whole.people["row"].tolist()
    assert results["risk_level"].tolist() == whole.levels.tolist()
    for i in range(0, whole.scored, 37):
        kept = whole.assessment(i)
        assert orjson.loads(results["rule_ids"][i]) == kept["rule_ids"]
        assert orjson.loads(results["interventions"][i]) == kept["interventions"]
    names = set(whole.people["name"].dropna())
    assert not names & set(results["name_masked"].dropna())


def test_a_batch_is_never_more_than_its_rows(tmp_path):
    """The review holds at most one batch of the sheet's rows (plus what the sinks keep)."""
    frame = as_sheet(with_identities(population(1001, seed=4), seed=4))
    path = tmp_path / "people.csv"
    frame.to_csv(path, index=False)
    sizes = [b.num_rows for b in sheet_batches(path, path.name, rows=100)]
    assert sizes == [100] * 10 + [1]
    parquet = tmp_path / "people.parquet"
    _write(frame, parquet)
    assert [b.num_rows for b in sheet_batches(parquet, parquet.name, rows=300)] == [
        300,
        300,
        300,
        101,
    ]


def test_a_short_row_is_read_on_by_pandas_as_before(assessor, tmp_path):
    """A row with fewer fields than the header: pandas pads it; the batches after it
    come from pandas, the rows and outcomes the same as a whole read."""
    frame = as_sheet(with_identities(population(700, seed=8), seed=8))
    text = frame.to_csv(index=False).splitlines()
    text[500] = ",".join(text[500].split(",")[:5])  # row 500: five fields only
    path = tmp_path / "short.csv"
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    pieces = list(sheet_batches(path, path.name, rows=200))
    assert [p.num_rows for p in pieces] == [200, 200, 200, 100]
    streamed = review(sheet_batches(path, path.name, rows=200), assessor, period="2026Q4", **PLACE)
    expected = pd.read_csv(path, dtype=str, keep_default_na=False)
    whole = review(expected.fillna(""), assessor, period="2026Q4", **PLACE)
    assert streamed.people["row"].tolist() == whole.people["row"].tolist()
    assert streamed.levels.tolist() == whole.levels.tolist()
    assert [(p.row, p.reason) for p in streamed.rejected] == [
        (p.row, p.reason) for p in whole.rejected
    ]


def test_parquet_with_typed_columns_reads_as_its_text(assessor, tmp_path):
    """An analyst's Parquet file with numbers, booleans and dates reads as the same sheet
    written as text."""
    people = with_identities(population(300, seed=9), seed=9)
    typed = people.copy()
    typed["assessment_date"] = pd.to_datetime(typed["assessment_date"]).dt.date
    path = tmp_path / "typed.parquet"
    typed.to_parquet(path, index=False)
    text = tmp_path / "text.csv"
    as_sheet(people).to_csv(text, index=False)
    a = review(sheet_batches(path, path.name), assessor, period="2026Q4", **PLACE)
    b = review(load_sheet(text.read_bytes(), text.name), assessor, period="2026Q4", **PLACE)
    assert a.scored == b.scored == 300
    assert a.levels.tolist() == b.levels.tolist()
    assert [a.assessment(i)["rule_ids"] for i in range(300)] == [
        b.assessment(i)["rule_ids"] for i in range(300)
    ]


def test_stored_streamed_review_keeps_no_identity_number(assessor, tmp_path):
    frame = _sheet(600, seed=13)
    path = tmp_path / "people.csv"
    frame.to_csv(path, index=False)
    engine = make_engine(f"sqlite:///{tmp_path / 's.db'}")
    migrate(engine)
    done = review_file(
        sheet_batches(path, path.name, rows=BATCH),
        assessor,
        period="2026Q4",
        engine=engine,
        secret=SECRET,
        **PLACE,
    )
    numbers = {n for n in frame["id_number"] if len(n) == 18}
    with engine.connect() as connection:
        stored = connection.execute(sa.select(ReviewRecord.__table__)).all()
    assert len(stored) == done.summary.scored
    assert not numbers & {v for row in stored for v in row if isinstance(v, str)}


def test_the_most_urgent_actions_survive_the_cut_across_batches(assessor, tmp_path, monkeypatch):
    """With a limit far below the person-actions, the streamed report keeps exactly the
    most urgent ones the whole review's action list gives."""
    from service import report_data

    monkeypatch.setattr(report_data, "ACTION_LIMIT", 300)
    frame = _sheet(1200, seed=14)
    path = tmp_path / "people.csv"
    frame.to_csv(path, index=False)
    whole = review(load_sheet(path.read_bytes(), path.name), assessor, period="2026Q4", **PLACE)
    expected, total, departments = report_data.action_list(
        whole.people["row"].to_numpy(),
        whole.people["person_id"].to_numpy(),
        whole.people["name_masked"].to_numpy(),
        whole.people["id_masked"].to_numpy(),
        whole.levels,
        whole.assessed.pattern,
        [p.interventions for p in whole.assessed.patterns],
    )
    done = review_file(sheet_batches(path, path.name, rows=100), assessor, period="2026Q4", **PLACE)
    assert total > 1000 and len(expected) == 300
    assert done.report.actions == expected and done.report.actions_total == total
    assert done.report.departments == departments


def test_a_batch_whose_people_have_no_identity_number(engines, assessor, tmp_path):
    """A batch of people without identity numbers is stored, given tasks and counted as
    untracked across quarters (no key to follow them by), beside batches with numbers."""
    frame = with_identities(population(6, seed=1), seed=1).astype(object)
    frame.loc[:1, "id_number"] = None
    path = tmp_path / "people.csv"
    frame.to_csv(path, index=False)
    done = []
    for period in ("2026Q3", "2026Q4"):
        batches = sheet_batches(path, path.name, rows=2)
        done.append(
            review_file(
                batches, assessor, township="t", village="v", period=period,
                engine=engines[0], secret=b"s",
            )
        )  # fmt: skip
    first, second = done
    assert first.summary.counts()["scored"] == 6 and first.tasks.created > 0
    assert second.changes.counts()["untracked"] == 2 and second.changes.counts()["new"] == 0
    with Session(engines[0]) as session:
        keys = session.exec(select(Task.person_key).where(Task.review_id == first.review.id))
        keys = list(keys)
    assert None in keys and any(k is not None for k in keys)
    assert second.tasks.carried_over == len([k for k in keys if k is not None])
