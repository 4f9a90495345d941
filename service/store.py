"""The review store: engine, migrations (alembic), and writing a review in one transaction.

SQLite file by default (embedded, nothing to start); PostgreSQL through
``LIUSHOU_DATABASE_URL`` (``postgresql+psycopg://…``).
"""

import hmac
from pathlib import Path

import orjson
import pandas as pd
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine
from sqlmodel import Session, create_engine, select

from models import reasons
from models.changes import RECORD_COLUMNS, Changes, compare
from models.errors import LiushouError
from models.review_tables import Review, ReviewFacts, ReviewPattern, ReviewProblem, ReviewRecord
from rules.adapter import release_free_memory
from service import facts_blob
from service.access import may_see
from service.settings import ApiKey

MIGRATIONS = Path(__file__).parent / "migrations"


BUSY_TIMEOUT_MS = 30_000  # SQLite: how long a writer waits for another writer
CONNECT_TIMEOUT_S = 5  # PostgreSQL: a database that is gone is a 503 soon, not a hang


def make_engine(url: str) -> Engine:
    """SQLite in WAL mode (readers never block the writer, nor it them) with a busy
    timeout; PostgreSQL with connections checked before use (the service recovers by
    itself when the database comes back)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_timeout=10,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_S},
    )


def _sqlite_pragmas(connection, _record) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # stays "memory" for an in-memory database
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()


def ping(engine: Engine) -> None:
    """One round trip to the database (``/readyz``); raises SQLAlchemy's error if down."""
    with engine.connect() as connection:
        connection.execute(sa.text("SELECT 1"))


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (alembic upgrade head)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def person_key(secret: bytes, id_number: str | None) -> str | None:
    """HMAC-SHA256 of the identity number: the same person across quarters, no number stored."""
    return person_keys(secret, [id_number])[0]


def person_keys(secret: bytes, numbers) -> list[str | None]:
    """``person_key`` for many numbers."""
    digest = hmac.digest  # one C call per number
    return [digest(secret, n.encode(), "sha256").hex() if n else None for n in numbers]


RECORD_INSERT = (
    "review_id",
    "row",
    "person_key",
    "person_id",
    "name_masked",
    "id_masked",
    "category",
    "risk_level",
    "score",
    "pattern",
)
PROBLEM_INSERT = ("review_id", "kind", "row", "column", "reason")


def save_review(
    engine: Engine, result, ruleset, secret: bytes, *, tasks: bool = True, task_counts=None
) -> tuple[Review, Changes]:
    """Write the review, its records, facts and problems in one transaction (all or
    nothing), with the changes since the village's previous review; people gone since
    then are listed as data problems too (不漏报). With ``tasks`` every intervention
    becomes a follow-up task in the same transaction (service.task_store;
    ``task_counts``, a TaskCounts, receives what was created, carried over, resolved)."""
    counts = result.counts()
    current = record_frame(result, secret)
    with Session(engine) as session, session.begin():
        review = Review(
            township=result.township,
            village=result.village,
            period=result.period,
            ruleset_version=ruleset.version,
            ruleset_sha256=ruleset.sha256,
            **{
                k: counts[k]
                for k in ("rows_in", "scored", "rejected", "critical", "high", "medium", "low")
            },
        )
        session.add(review)
        session.flush()
        connection = session.connection()
        _insert_records(connection, review.id, current, result)
        if tasks:
            from service.task_store import create_for_review  # it builds on this module

            made = create_for_review(
                connection, review, current, result.levels, result.assessed.patterns
            )
            if task_counts is not None:
                vars(task_counts).update(vars(made))
        session.add(ReviewFacts(review_id=review.id, data=facts_blob.dumps(result.facts)))
        previous = previous_review(session, review)
        changes = compare(record_columns(session, previous.id) if previous else [], current)
        problems = _problems(review.id, result)
        problems += [
            (
                review.id,
                "missing since last quarter",
                None,
                gone["id_masked"] or "",
                reasons.GONE(level=gone["from_level"]),
            )
            for gone in changes.gone
        ]
        _bulk(connection, "review_problem", PROBLEM_INSERT, problems)
        session.flush()
        session.expunge(review)
    release_free_memory()  # the rows written are garbage now
    return review, changes


def record_frame(result, secret: bytes) -> pd.DataFrame:
    """The review's records as columns: masked, keyed, no name or number kept."""
    people = result.people
    return pd.DataFrame(
        {
            "row": people["row"].to_numpy(),
            "person_key": person_keys(secret, people["id_number"]),
            "person_id": people["person_id"].to_numpy(),
            "name_masked": people["name_masked"].to_numpy(),
            "id_masked": people["id_masked"].to_numpy(),
            "category": people["category"].to_numpy(),
            "risk_level": result.levels,
            "pattern": result.assessed.pattern,
        },
        dtype=object,  # keeps None as None (pandas would infer "str" columns with NaN)
    )


def _insert_records(connection, review_id: int, current: pd.DataFrame, result) -> None:
    """The patterns once, then one short row per person pointing at its pattern (ORM
    objects cost ~0.2 ms a row; JSON per row would be most of the bytes)."""
    patterns = [
        (
            review_id,
            k,
            orjson.dumps(list(p.rule_ids)).decode(),
            orjson.dumps([_action(i) for i in p.interventions]).decode(),
            orjson.dumps([g["field"] for g in p.data_gaps]).decode(),
        )
        for k, p in enumerate(result.assessed.patterns)
    ]
    _bulk(connection, "review_pattern", PATTERN_INSERT, patterns)
    scores = [p.score for p in result.assessed.patterns]
    columns = [current[c].tolist() for c in RECORD_INSERT[1:-2]]
    pattern = current["pattern"].tolist()
    rows = (
        (review_id, *values, scores[k], k) for *values, k in zip(*columns, pattern, strict=True)
    )
    _bulk(connection, "review_record", RECORD_INSERT, rows)


PATTERN_INSERT = ("review_id", "pattern", "rule_ids", "interventions", "data_gaps")


def _bulk(connection, table: str, columns: tuple[str, ...], rows) -> None:
    """Rows (tuples) straight to the driver: COPY for PostgreSQL, executemany for SQLite."""
    names = ", ".join(f'"{c}"' for c in columns)
    driver = connection.connection.driver_connection
    if connection.dialect.name == "postgresql":
        with driver.cursor().copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join("?" for _ in columns)
    driver.cursor().executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)


def records_of(
    session: Session,
    review_id: int,
    level: str | None = None,
    after: int = 0,
    limit: int | None = None,
) -> list[ReviewRecord]:
    """A review's records in row order, each with its pattern's lists filled in: all of
    them, or ``limit`` after sheet row ``after`` (a page: a short read)."""
    statement = select(ReviewRecord).where(ReviewRecord.review_id == review_id)
    if level:
        statement = statement.where(ReviewRecord.risk_level == level)
    if after:
        statement = statement.where(ReviewRecord.row > after)
    statement = statement.order_by(ReviewRecord.row)
    if limit is not None:
        statement = statement.limit(limit)
    records = list(session.exec(statement))
    patterns = {
        p.pattern: p
        for p in session.exec(select(ReviewPattern).where(ReviewPattern.review_id == review_id))
    }
    for record in records:
        shared = patterns.get(record.pattern)
        if shared is not None:
            record.rule_ids = shared.rule_ids
            record.interventions = shared.interventions
            record.data_gaps = shared.data_gaps
        session.expunge(record)  # filled in for reading, never written back
    return records


def problems_of(
    session: Session, review_id: int, after: int = 0, limit: int = 1000
) -> list[ReviewProblem]:
    """``limit`` of a review's data problems after problem id ``after``, in id order."""
    statement = (
        select(ReviewProblem)
        .where(ReviewProblem.review_id == review_id, ReviewProblem.id > after)
        .order_by(ReviewProblem.id)
        .limit(limit)
    )
    return list(session.exec(statement))


def record_columns(session: Session, review_id: int) -> pd.DataFrame:
    """What comparing quarters needs of a review's records, as columns (no ORM objects)."""
    table = ReviewRecord.__table__
    statement = (
        sa.select(*(table.c[c] for c in RECORD_COLUMNS))
        .where(table.c.review_id == review_id)
        .order_by(table.c.row)
    )
    rows = session.connection().execute(statement).all()
    return pd.DataFrame(rows, columns=list(RECORD_COLUMNS), dtype=object)


def facts_of(session: Session, review_id: int) -> pd.DataFrame | None:
    stored = session.get(ReviewFacts, review_id)
    return None if stored is None else facts_blob.loads(stored.data)


def changes_since_previous(session: Session, review: Review) -> Changes:
    previous = previous_review(session, review)
    current = record_columns(session, review.id)
    return compare(record_columns(session, previous.id) if previous else [], current)


def _action(item: dict) -> dict:
    keep = (
        "action",
        "title_zh",
        "department",
        "department_zh",
        "deadline_hours",
        "mandatory_report",
        "clauses",
        "rule_ids",
    )
    return {k: item[k] for k in keep}


def _problems(review_id: int, result) -> list[tuple]:
    return [
        (review_id, kind, p.row, p.column[:512], p.reason[:2000])
        for kind, problems in result.problem_lists()
        for p in problems
    ]


def previous_review(session: Session, review: Review) -> Review | None:
    """The newest review of the same village for an earlier period."""
    statement = (
        select(Review)
        .where(
            Review.township == review.township,
            Review.village == review.village,
            Review.period < review.period,
        )
        .order_by(Review.period.desc(), Review.id.desc())
    )
    return session.exec(statement).first()


class ReviewNotFound(LiushouError):
    """No such review, or none this key may see: the same answer (a 404), so that a
    village key cannot learn which ids other villages hold."""

    def __init__(self, review_id: int):
        super().__init__(f"no review {review_id} visible to this key")


def visible_review(session: Session, caller: ApiKey, review_id: int) -> Review:
    """The review, if ``caller`` may see its village."""
    review = session.get(Review, review_id)
    if review is None or not may_see(caller, review.township, review.village):
        raise ReviewNotFound(review_id)
    return review


def all_problems(session: Session, review_id: int) -> list[ReviewProblem]:
    """Every data problem of a review, in id order (the reports'; pages use problems_of)."""
    statement = (
        select(ReviewProblem).where(ReviewProblem.review_id == review_id).order_by(ReviewProblem.id)
    )
    return list(session.exec(statement))


def village_levels(session: Session, caller: ApiKey, review: Review) -> dict[str, dict[str, int]]:
    """Level counts of the newest review of each village of the township, same period,
    among the villages this key may see."""
    statement = (
        select(Review)
        .where(Review.township == review.township, Review.period == review.period)
        .order_by(Review.id)
    )
    newest = {
        r.village: r for r in session.exec(statement) if may_see(caller, r.township, r.village)
    }
    levels = ("critical", "high", "medium", "low")
    return {name: {k: getattr(r, k) for k in levels} for name, r in newest.items()}
