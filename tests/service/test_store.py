"""The review store on SQLite and, where LIUSHOU_TEST_DATABASE_URL is set, PostgreSQL."""

import os
import uuid
import zlib

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from models.review_tables import Review, ReviewFacts, ReviewPattern, ReviewProblem, ReviewRecord
from models.sheets.files import sheet_batches
from models.task_tables import Task
from service import store, task_store
from service.review import review
from service.reviewing import review_file
from service.store import make_engine, migrate, person_key, save_review

SECRET = b"test-secret"
ELDER_A, ELDER_B, ELDER_C = "342422194503020133", "342422193807160245", "341521195209100354"
CHILD = "340422201603150032"


def _postgres():
    base = os.environ.get("LIUSHOU_TEST_DATABASE_URL")
    if not base:
        pytest.skip("LIUSHOU_TEST_DATABASE_URL not set (no PostgreSQL for this run)")
    name = f"liushou_{uuid.uuid4().hex[:10]}"
    _admin(base, f'CREATE DATABASE "{name}"')
    url = sa.engine.make_url(base).set(database=name)
    return url.render_as_string(hide_password=False), base, name


def _admin(base: str, statement: str) -> None:
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(statement))
    finally:
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
        migrate(engine)
        yield engine
        engine.dispose()
        return
    url, base, name = _postgres()
    engine = make_engine(url)
    migrate(engine)
    yield engine
    engine.dispose()
    _admin(base, f'DROP DATABASE "{name}"')


COLUMNS = ["类别", "身份证号码", "外出流浪乞讨", "自理能力", "年收入（元）"]


def _quarter(assessor, period, rows):
    frame = pd.DataFrame(rows, columns=COLUMNS)
    return review(frame, assessor, township="寿春镇", village="城东村", period=period)


def test_two_quarters_give_the_expected_changes(engine, assessor):
    q3 = _quarter(
        assessor,
        "2026Q3",
        [
            ["老人", ELDER_A, "是", "", ""],  # critical
            ["老人", ELDER_B, "否", "自理", "30000"],  # low
            ["老人", ELDER_C, "否", "失能", "3000"],  # high
        ],
    )
    q4 = _quarter(
        assessor,
        "2026Q4",
        [
            ["老人", ELDER_A, "是", "", ""],  # still critical
            ["老人", ELDER_B, "否", "失能", "3000"],  # low -> high
            ["儿童", CHILD, "", "", ""],  # new
        ],
    )
    save_review(engine, q3, assessor.ruleset, SECRET)
    stored, changes = save_review(engine, q4, assessor.ruleset, SECRET)
    counts = changes.counts()
    assert (
        counts["new"],
        counts["gone"],
        counts["up"],
        counts["down"],
        counts["still_critical"],
    ) == (1, 1, 1, 0, 1)
    assert changes.up[0]["from_level"] == "low" and changes.up[0]["to_level"] == "high"
    assert changes.gone[0]["id_masked"] == "341521**********54"
    with Session(engine) as session:
        problems = session.exec(select(ReviewProblem).where(ReviewProblem.review_id == stored.id))
        assert "missing since last quarter" in {p.kind for p in problems}


def test_no_identity_number_is_stored(engine, assessor):
    stored, _ = save_review(
        engine,
        _quarter(assessor, "2026Q4", [["老人", ELDER_A, "是", "", ""]]),
        assessor.ruleset,
        SECRET,
    )
    with Session(engine) as session:
        (record,) = store.records_of(session, stored.id)
        stored_facts = session.get(ReviewFacts, stored.id).data
        shared = session.exec(select(ReviewPattern)).all()
    assert record.person_key == person_key(SECRET, ELDER_A) != ELDER_A
    assert store.person_keys(SECRET, [ELDER_A, None, ""]) == [record.person_key, None, None]
    assert ELDER_A not in str(record.model_dump()) + str(shared)
    assert ELDER_A.encode() not in zlib.decompress(stored_facts)
    assert record.risk_level == "critical" and record.rule_ids[0] == "elder.wandering_begging"


def test_a_failure_mid_write_leaves_no_partial_review(engine, assessor, monkeypatch):
    def broken(spool, review_id):  # the problems, written last, after records and tasks
        raise RuntimeError("disk full")

    monkeypatch.setattr(store.ProblemSpool, "rows", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        save_review(
            engine,
            _quarter(assessor, "2026Q4", [["老人", ELDER_A, "是", "", ""]]),
            assessor.ruleset,
            SECRET,
        )
    _nothing_stored(engine)


def _nothing_stored(engine) -> None:
    """No review, record or task of a review that failed."""
    with Session(engine) as session:
        for table in (Review, ReviewRecord, Task):
            assert session.exec(select(table)).all() == []


def test_migrations_match_the_models(engine):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert diff == []


def test_people_without_identity_numbers_are_stored_with_nulls(engine, assessor):
    result = _quarter(
        assessor, "2026Q3", [["老人", "", "是", "", ""], ["老人", ELDER_B, "", "", ""]]
    )
    stored, changes = save_review(engine, result, assessor.ruleset, SECRET)
    with Session(engine) as session:
        first, second = store.records_of(session, stored.id)
    assert first.person_key is None and first.id_masked is None and first.name_masked is None
    assert second.person_key == person_key(SECRET, ELDER_B)
    assert changes.untracked == 1 and changes.counts()["new"] == 1
    assert (
        changes.new[0]["from_level"] is None and changes.new[0]["id_masked"] == "342422**********45"
    )


def test_bulk_rows_arrive_whole_and_in_order(engine, monkeypatch):
    """``_bulk`` sends its rows as JSON for the database to unpack: every kind of value a
    store row holds arrives as it was sent (texts with quotes, backslashes, line breaks,
    Chinese and emoji; None; large integers), in order, across statements."""
    monkeypatch.setattr(store, "BULK_ROWS", 3)  # seven rows: three statements
    texts = ['引号"与\\反斜杠', "换行\n与\t制表", "😀 emoji", "", "'单引号'", "普通", "长" * 512]
    rows = [(None, "missing value", i * 10, text, f"原因 {i}") for i, text in enumerate(texts)]
    with Session(engine) as session:
        review = Review(
            township="寿春镇", village="城东村", period="2026Q4", ruleset_version="1",
            ruleset_sha256="0" * 64, **dict.fromkeys(store.COUNTS, 0),
        )  # fmt: skip
        session.add(review)
        session.flush()
        connection = session.connection()
        rows = [(review.id, *row[1:]) for row in rows]
        store._bulk(connection, "review_problem", store.PROBLEM_INSERT, iter(rows))
        stored = session.exec(select(ReviewProblem).order_by(ReviewProblem.id)).all()
        assert [(p.review_id, p.kind, p.row, p.column, p.reason) for p in stored] == rows
        nul = [(review.id, "missing value", 99, "NUL\x00在中间", "a\x00b")]  # a CSV may hold NUL
        if engine.dialect.name == "sqlite":  # kept whole (SQLite's JSON would end it at NUL)
            store._bulk(connection, "review_problem", store.PROBLEM_INSERT, nul)
            last = session.exec(select(ReviewProblem).where(ReviewProblem.row == 99)).one()
            assert (last.column, last.reason) == ("NUL\x00在中间", "a\x00b")
        else:  # PostgreSQL's texts hold no NUL: refused, as COPY refused it
            with pytest.raises(sa.exc.DBAPIError), connection.begin_nested():
                store._bulk(connection, "review_problem", store.PROBLEM_INSERT, nul)
            with pytest.raises(sa.exc.DataError), connection.begin_nested():  # too long: refused
                too_long = [(review.id, "missing value", 1, "长" * 513, "")]
                store._bulk(connection, "review_problem", store.PROBLEM_INSERT, too_long)
        late = 2**40 + 7  # seconds past 2**31: a BIGINT column
        task = (review.id, review.id, "寿春镇", "城东村", 2, None, None, None, "high", "visit")
        task += ("county_civil_affairs", "", "3.1.1", 72, late, late + 1, "open", 1, late)
        store._bulk(connection, "task", task_store.TASK_INSERT, [task])
        stored = session.exec(select(Task)).one()
        assert (stored.created_ts, stored.due_ts, stored.person_key) == (late, late + 1, None)
        session.rollback()


def test_a_failure_in_the_store_thread_leaves_no_partial_review(
    engine, assessor, monkeypatch, tmp_path
):
    """A piece's records and tasks are written by the store's thread while the next piece
    is scored: its failure is raised in the review, and nothing is kept."""
    calls = []

    def broken(writer, piece):
        calls.append(piece)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real(writer, piece)

    real = task_store.TaskWriter.write
    monkeypatch.setattr(task_store.TaskWriter, "write", broken)
    people = [["老人", ELDER_A, "是", "", ""], ["老人", ELDER_B, "否", "自理", "30000"]]
    people.append(["老人", ELDER_C, "否", "自理", "30000"])
    path = tmp_path / "people.csv"
    pd.DataFrame(people, columns=COLUMNS).to_csv(path, index=False)
    with pytest.raises(RuntimeError, match="disk full"):
        review_file(
            sheet_batches(path, path.name, rows=1), assessor, township="寿春镇",
            village="城东村", period="2026Q4", engine=engine, secret=SECRET,
        )  # fmt: skip
    assert len(calls) == 2
    _nothing_stored(engine)


def test_a_piece_whose_tasks_do_not_add_up_is_refused(engine, assessor, monkeypatch):
    """The database makes a piece's tasks from its records; if it makes more or fewer
    than the piece's patterns call for, the review fails rather than store them."""
    real = task_store.TaskWriter.prepare

    def off_by_one(writer, *args):
        made = real(writer, *args)
        made.due += 1
        return made

    monkeypatch.setattr(task_store.TaskWriter, "prepare", off_by_one)
    with pytest.raises(RuntimeError, match="tasks made where"):
        save_review(
            engine,
            _quarter(assessor, "2026Q4", [["老人", ELDER_A, "是", "", ""]]),
            assessor.ruleset,
            SECRET,
        )
    _nothing_stored(engine)
