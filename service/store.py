"""The review store: engine, migrations (alembic), and writing a review in one transaction.

SQLite file by default (embedded, nothing to start); PostgreSQL through
``LIUSHOU_DATABASE_URL`` (``postgresql+psycopg://…``).
"""

import hashlib
import hmac
from pathlib import Path
from types import SimpleNamespace

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, insert
from sqlmodel import Session, create_engine, select

from models.changes import Changes, compare
from models.identity import mask_id_number, mask_name
from models.review_tables import Review, ReviewProblem, ReviewRecord
from rules.facts import build_fact

MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        return create_engine(url, connect_args={"check_same_thread": False})
    return create_engine(url, pool_pre_ping=True)


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (alembic upgrade head)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def person_key(secret: bytes, id_number: str | None) -> str | None:
    """HMAC-SHA256 of the identity number: the same person across quarters, no number stored."""
    if not id_number:
        return None
    return hmac.new(secret, id_number.encode(), hashlib.sha256).hexdigest()


def save_review(engine: Engine, result, ruleset, secret: bytes) -> tuple[Review, Changes]:
    """Write the review, its records and problems in one transaction (all or nothing),
    with the changes since the village's previous review; people gone since then are
    listed as data problems too (不漏报)."""
    counts = result.counts()
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
        records = _records(review.id, result, secret, ruleset.values)
        # Core bulk inserts: the ORM's unit of work costs ~0.5 ms a row (benchmarks/review.py).
        session.execute(insert(ReviewRecord), [vars(r) for r in records])
        problems = _problems(review.id, result)
        changes = changes_since_previous(session, review, records)
        problems += [
            ReviewProblem(
                review_id=review.id,
                kind="missing since last quarter",
                column=gone["id_masked"] or "",
                reason=f"was {gone['from_level']}",
            )
            for gone in changes.gone
        ]
        if problems:
            session.execute(insert(ReviewProblem), [p.model_dump(exclude={"id"}) for p in problems])
        session.flush()
        session.expunge(review)
    return review, changes


def records_of(session: Session, review_id: int, level: str | None = None) -> list[ReviewRecord]:
    statement = select(ReviewRecord).where(ReviewRecord.review_id == review_id)
    if level:
        statement = statement.where(ReviewRecord.risk_level == level)
    return list(session.exec(statement.order_by(ReviewRecord.row)))


def changes_since_previous(session: Session, review: Review, records=None) -> Changes:
    previous = previous_review(session, review)
    current = records if records is not None else records_of(session, review.id)
    return compare(records_of(session, previous.id) if previous else [], current)


def _records(review_id: int, result, secret: bytes, values: dict) -> list[SimpleNamespace]:
    """Rows of review_record as plain namespaces (building ORM objects cost ~0.2 ms each)."""
    records = []
    for item in result.scored:
        person, data = item.record.person, item.assessment
        records.append(
            SimpleNamespace(
                review_id=review_id,
                row=item.record.row,
                person_key=person_key(secret, person.id_number),
                person_id=person.person_id,
                name_masked=mask_name(person.name),
                id_masked=mask_id_number(person.id_number),
                category=person.category,
                risk_level=str(data["risk_level"]),
                score=data["score"],
                rule_ids=[f["rule_id"] for f in data["findings"]],
                interventions=[_action(i) for i in data["interventions"]],
                data_gaps=[g["field"] for g in data["data_gaps"]],
                facts=build_fact(person, values),
            )
        )
    return records


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


def _problems(review_id: int, result) -> list[ReviewProblem]:
    return [
        ReviewProblem(
            review_id=review_id, kind=kind, row=p.row, column=p.column[:512], reason=p.reason[:2000]
        )
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
