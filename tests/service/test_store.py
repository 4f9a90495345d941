"""The review store on SQLite and, where LIUSHOU_TEST_DATABASE_URL is set, PostgreSQL."""

import os
import uuid
import zlib

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from models.review_tables import Review, ReviewFacts, ReviewPattern, ReviewProblem, ReviewRecord
from service import store
from service.review import review
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


def _quarter(assessor, period, rows):
    frame = pd.DataFrame(
        rows, columns=["类别", "身份证号码", "外出流浪乞讨", "自理能力", "年收入（元）"]
    )
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
    with Session(engine) as session:
        assert session.exec(select(Review)).all() == []
        assert session.exec(select(ReviewRecord)).all() == []


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
