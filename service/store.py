"""The review store: engine, migrations (alembic), and writing a review in one transaction.

SQLite file by default (embedded, nothing to start); PostgreSQL through
``LIUSHOU_DATABASE_URL`` (``postgresql+psycopg://…``).
"""

import hashlib
import pickle
import tempfile
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import chain, islice, repeat
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pandas as pd
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine
from sqlmodel import Session, SQLModel, create_engine, select

from models import reasons
from models.changes import (
    ENTRY_COLUMNS,
    RANK,
    RECORD_COLUMNS,
    Changes,
    compare,
)
from models.changes import (
    KINDS as CHANGE_KINDS,
)
from models.errors import LiushouError
from models.review_tables import (
    Review,
    ReviewFacts,
    ReviewFactsPart,
    ReviewPattern,
    ReviewProblem,
    ReviewRecord,
)
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
    """``person_key`` for many numbers: HMAC-SHA256 (RFC 2104) from the key's inner and
    outer SHA-256 states, made once and copied per number (``hmac.digest``, the one-shot
    call, sets the key up again for every number: about twice the time).
    tests/service/test_hashes.py holds it to ``hmac`` and to RFC 4231."""
    key = hashlib.sha256(secret).digest() if len(secret) > BLOCK else secret
    key = key.ljust(BLOCK, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))

    def one(number: str) -> str:
        hashed = inner.copy()
        hashed.update(number.encode())
        keyed = outer.copy()
        keyed.update(hashed.digest())
        return keyed.hexdigest()

    return [one(n) if n else None for n in numbers]


BLOCK = 64  # SHA-256's block size in bytes


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
    ``task_counts``, a TaskCounts, receives what was created, carried over, resolved).

    A whole ``ReviewResult`` written as one piece by ``ReviewWriter``, the sink a
    streamed review writes through."""
    from service.review import whole_piece  # the review builds on this module

    piece = whole_piece(result)
    with ReviewWriter(
        engine,
        result.township,
        result.village,
        result.period,
        ruleset,
        secret,
        tasks=tasks,
        task_counts=task_counts,
    ) as writer:
        writer.add(piece)
        return writer.finish(result.counts())


class ReviewWriter:
    """A review written as its pieces come (service.review.run_review's store sink), in
    one transaction: the review row first, then per piece its records (the new patterns
    once), tasks, facts (one blob per piece) and the changes of its people since the
    village's previous review; at the end the counts, the problems (spooled to
    temporary files per kind, written in kind and row order) and the people gone since
    last quarter. Nothing is committed unless ``finish`` is reached.

    Memory across pieces: the previous review's people as 64-bit keys with their
    level (10 bytes each, ``PreviousLevels``), the problems on disk, and the lists of
    changes cut at report_data.CHANGE_LIMIT (the counts are whole)."""

    def __init__(
        self,
        engine: Engine,
        township: str,
        village: str,
        period: str,
        ruleset,
        secret: bytes,
        *,
        tasks: bool = True,
        task_counts=None,
    ):
        self.engine, self.ruleset, self.secret = engine, ruleset, secret
        self.place = (township, village, period)
        self.tasks, self.task_counts = tasks, task_counts
        self.review: Review | None = None

    def __enter__(self) -> "ReviewWriter":
        from service.task_store import TaskWriter  # it builds on this module

        township, village, period = self.place
        self._session = Session(self.engine)
        self._transaction = self._session.begin()
        review = Review(
            township=township,
            village=village,
            period=period,
            ruleset_version=self.ruleset.version,
            ruleset_sha256=self.ruleset.sha256,
            **dict.fromkeys(COUNTS, 0),
        )
        self._session.add(review)
        self._session.flush()
        self.review = review
        self.connection = self._session.connection()
        previous = previous_review(self._session, review)
        self.previous = PreviousLevels(self.connection, previous.id if previous else None)
        self.changes = ChangeCollector(self.previous)
        self.task_writer = TaskWriter(self.connection, review) if self.tasks else None
        self.spool = ProblemSpool()
        self._parts = 0
        self.review_id = int(review.id)
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="review-store")
        self._writing: Future | None = None
        return self

    def add(self, piece) -> None:
        """The piece's rows are made here, in the scoring's thread; the store's thread
        writes them while the next piece is scored (the piece before is waited for
        first: one piece in flight). Its statements parse their rows in C (``_bulk``,
        ``INSERT … SELECT``), where the GIL is released: the two run on two cores."""
        current = record_frame(piece, self.secret)
        records = _record_rows(self.review_id, current, piece.patterns)
        tasks = None
        if self.task_writer is not None:
            tasks = self.task_writer.prepare(current, piece.codes, piece.patterns.new)
        facts = None
        if len(piece.facts) or not self._parts:
            facts = (self._parts, facts_blob.dumps(piece.facts))
            self._parts += 1
        self.changes.add(current)
        self.spool.add(piece.problems)
        del current
        self.wait()
        self._writing = self._thread.submit(self._write, records, tasks, facts)

    def _write(self, records, tasks, facts) -> None:
        """The store's thread: one piece's patterns, records, tasks and facts."""
        patterns, people = records
        _bulk(self.connection, "review_pattern", PATTERN_INSERT, patterns)
        _bulk(self.connection, "review_record", RECORD_INSERT, people)
        if tasks is not None:
            self.task_writer.write(tasks)
        if facts is not None:
            part, blob = facts
            table = ReviewFacts if part == 0 else ReviewFactsPart
            values = {"review_id": self.review_id, "data": blob} | ({"part": part} if part else {})
            self.connection.execute(sa.insert(table.__table__).values(**values))

    def wait(self) -> None:
        """The piece being written, finished (its error raised here)."""
        writing, self._writing = self._writing, None
        if writing is not None:
            writing.result()

    def finish(self, counts: dict) -> tuple[Review, Changes]:
        self.wait()
        review, session = self.review, self._session
        for key in COUNTS:
            setattr(review, key, counts[key])
        session.add(review)
        if self.task_writer is not None:
            made = self.task_writer.finish()
            if self.task_counts is not None:
                vars(self.task_counts).update(vars(made))
        _bulk(self.connection, "review_problem", PROBLEM_INSERT, self.spool.rows(review.id))

        def missing(gone: list[dict]) -> None:  # 不漏报: every one of them, page by page
            rows = [
                (
                    review.id,
                    "missing since last quarter",
                    None,
                    entry["id_masked"] or "",
                    reasons.GONE(level=entry["from_level"]),
                )
                for entry in gone
            ]
            _bulk(self.connection, "review_problem", PROBLEM_INSERT, rows)

        changes = self.changes.finish(self.connection, missing)
        session.flush()
        session.expunge(review)
        self._transaction.commit()
        self._done = True
        release_free_memory()  # the rows written are garbage now
        return review, changes

    def __exit__(self, kind, error, trace) -> None:
        try:
            try:
                self.wait()  # nothing may touch the connection while the thread writes
            except Exception:
                if kind is None:
                    raise
            finally:
                self._thread.shutdown()
            if not getattr(self, "_done", False):
                self._transaction.rollback()
        finally:
            self.spool.close()
            self._session.close()


LEVELS = ["low", "medium", "high", "critical"]  # by models.changes.RANK
COUNTS = ("rows_in", "scored", "rejected", "critical", "high", "medium", "low")


class ProblemSpool:
    """A review's problems by kind, on disk until the end (written in kind, row order):
    each piece's as three columns, cut to the columns' lengths."""

    def __init__(self) -> None:
        self.files: dict[str, Any] = {}

    def add(self, problems: dict) -> None:
        for kind, items in problems.items():
            if not items:
                continue
            handle = self.files.get(kind)
            if handle is None:
                handle = self.files[kind] = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close())
            columns = (
                [p.row for p in items],
                [p.column[:512] for p in items],
                [p.reason[:2000] for p in items],
            )
            pickle.dump(columns, handle)

    def rows(self, review_id: int) -> Iterator[tuple]:
        """The review_problem rows (PROBLEM_INSERT), kind by kind (KINDS), each in row order."""
        from service.review import KINDS

        return chain.from_iterable(
            zip(repeat(review_id), repeat(kind), *columns, strict=False)
            for kind in KINDS
            for columns in self._read(kind)
        )

    def _read(self, kind: str):
        handle = self.files.get(kind)
        if handle is None:
            return
        handle.seek(0)
        while True:
            try:
                yield pickle.load(handle)  # our own file, written above
            except EOFError:
                return

    def close(self) -> None:
        for handle in self.files.values():
            handle.close()


class PreviousLevels:
    """The village's previous review, as its people's 64-bit keys (the first 16 hex
    digits of ``person_key``, an HMAC) sorted, with their level, and which of them this
    review has seen: 10 bytes a person. Two people of one village with the same first
    64 bits of their key: about 1e-7 for a province's five million."""

    def __init__(self, connection, review_id: int | None):
        self.review_id = review_id
        keys, levels = [], []
        pages = _record_pages(connection, review_id) if review_id is not None else ()
        for frame in pages:
            frame = frame[frame["person_key"].notna().to_numpy()]
            keys.append(key_numbers(frame["person_key"]))
            levels.append(np.array([RANK.get(v, -1) for v in frame["risk_level"]], np.int8))
        keys_ = np.concatenate(keys) if keys else np.zeros(0, np.uint64)
        levels_ = np.concatenate(levels) if levels else np.zeros(0, np.int8)
        # a key twice (records written before duplicates were taken out): the last counts
        order = np.argsort(keys_[::-1], kind="stable")
        keys_, levels_ = keys_[::-1][order], levels_[::-1][order]
        first = np.ones(len(keys_), dtype=bool)
        first[1:] = keys_[1:] != keys_[:-1]
        self.keys, self.levels = keys_[first], levels_[first]
        self.seen = np.zeros(len(self.keys), dtype=bool)

    def find(self, numbers: np.ndarray) -> np.ndarray:
        """Each key's place among the previous review's, -1 where it was not there."""
        if not len(self.keys):
            return np.full(len(numbers), -1, dtype=np.int64)
        at = np.searchsorted(self.keys, numbers)
        clipped = np.minimum(at, len(self.keys) - 1)
        return np.where(self.keys[clipped] == numbers, clipped, -1)


def key_numbers(keys) -> np.ndarray:
    """``person_key`` hex texts as their first 64 bits."""
    return np.array([int(k[:16], 16) for k in keys], dtype=np.uint64)


class ChangeCollector:
    """The changes since the previous review (models.changes.compare), piece by piece:
    whole counts, each kind's first entries (CHANGE_LIMIT) in sheet order."""

    def __init__(self, previous: PreviousLevels):
        from service.report_data import CHANGE_LIMIT

        self.previous, self.limit = previous, CHANGE_LIMIT
        self.totals = dict.fromkeys(CHANGE_KINDS, 0)
        self.frames: dict[str, list[pd.DataFrame]] = {k: [] for k in CHANGE_KINDS}
        self.kept = dict.fromkeys(CHANGE_KINDS, 0)
        self.untracked = 0

    def add(self, current: pd.DataFrame) -> None:
        keyed = current["person_key"].notna().to_numpy()
        self.untracked += int((~keyed).sum())
        now = current[keyed]
        if not len(now):
            return
        place = self.previous.find(key_numbers(now["person_key"]))
        found = place >= 0
        self.previous.seen[place[found]] = True
        known = np.append(self.previous.levels, -1)  # place -1: the last slot
        from_rank = known[place]
        to_rank = now["risk_level"].map(RANK).to_numpy()
        levels = np.array([*LEVELS, None], dtype=object)
        entries = now[list(ENTRY_COLUMNS)].assign(
            from_level=levels[from_rank], to_level=now["risk_level"].to_numpy()
        )
        for kind, chosen in (
            ("new", ~found),
            ("up", found & (to_rank > from_rank)),
            ("down", found & (to_rank < from_rank)),
            ("still_critical", found & (to_rank == 3) & (from_rank == 3)),
        ):
            self._keep(kind, entries[chosen])

    def _keep(self, kind: str, entries: pd.DataFrame) -> None:
        self.totals[kind] += len(entries)
        room = self.limit - self.kept[kind]
        if room > 0 and len(entries):
            self.frames[kind].append(entries.iloc[:room])
            self.kept[kind] += min(room, len(entries))

    def finish(self, connection, gone_page) -> Changes:
        """The changes, with the people gone since the previous review, found page by
        page; ``gone_page(entries)`` is called with each page's gone people."""
        gone: list[dict] = []
        total = 0
        review_id = self.previous.review_id
        for frame in _record_pages(connection, review_id) if review_id is not None else ():
            frame = frame[frame["person_key"].notna().to_numpy()]
            place = self.previous.find(key_numbers(frame["person_key"]))
            seen = np.append(self.previous.seen, False)[place]  # place -1: not seen
            entries = frame[~seen].rename(columns={"risk_level": "from_level"}).to_dict("records")
            total += len(entries)
            gone += entries[: self.limit - len(gone)]
            if entries:
                gone_page(entries)
        frame = pd.DataFrame(gone, columns=[*ENTRY_COLUMNS, "from_level"], dtype=object)
        self.frames["gone"] = [frame.assign(to_level=None)]
        self.totals["gone"] = total
        frames = {
            k: pd.concat(v, ignore_index=True) if v else _no_entries()
            for k, v in self.frames.items()
        }
        return Changes(frames, self.untracked, totals=dict(self.totals))


PAGE = 50_000


def _record_pages(connection, review_id: int, columns=RECORD_COLUMNS):
    """A review's records in row order, a page at a time (keyset paging on the
    (review_id, row) index: nothing held open between pages, so that the review's bulk
    statements can run between them)."""
    table = ReviewRecord.__table__
    after = -1
    while True:
        statement = (
            sa.select(*(table.c[c] for c in columns))
            .where(table.c.review_id == review_id, table.c.row > after)
            .order_by(table.c.row)
            .limit(PAGE)
        )
        page = connection.execute(statement).all()
        if not page:
            return
        frame = pd.DataFrame(page, columns=list(columns), dtype=object)
        yield frame
        after = int(frame["row"].iloc[-1])


def _no_entries() -> pd.DataFrame:
    return pd.DataFrame(columns=[*ENTRY_COLUMNS, "from_level", "to_level"], dtype=object)


def record_frame(piece, secret: bytes) -> pd.DataFrame:
    """The records of a piece (service.review.ReviewPiece) as columns: masked, keyed, no
    name or number kept; ``pattern`` is the review's number of the person's pattern."""
    people = piece.people
    return pd.DataFrame(
        {
            "row": people["row"].to_numpy(),
            "person_key": person_keys(secret, people["id_number"]),
            "person_id": people["person_id"].to_numpy(),
            "name_masked": people["name_masked"].to_numpy(),
            "id_masked": people["id_masked"].to_numpy(),
            "category": people["category"].to_numpy(),
            "risk_level": piece.levels,
            "pattern": piece.codes,
        },
        dtype=object,  # keeps None as None (pandas would infer "str" columns with NaN)
    )


def _record_rows(review_id: int, current: pd.DataFrame, patterns) -> tuple[list, Iterator]:
    """The rows of the patterns first seen in this piece (``patterns``: the review's
    service.review.Patterns), then one short row per person pointing at its pattern (ORM
    objects cost ~0.2 ms a row; JSON per row would be most of the bytes)."""
    rows_ = [
        (
            review_id,
            k,
            orjson.dumps(list(p.rule_ids)).decode(),
            orjson.dumps([_action(i) for i in p.interventions]).decode(),
            orjson.dumps([g["field"] for g in p.data_gaps]).decode(),
        )
        for k, p in patterns.new
    ]
    pattern = current["pattern"].to_numpy(dtype=np.int64)
    scores = np.array(patterns.scores, dtype=np.int64)[pattern]
    columns = [current[c].tolist() for c in RECORD_INSERT[1:-2]]
    columns += [scores.tolist(), pattern.tolist()]
    return rows_, zip(repeat(review_id), *columns, strict=False)  # no Python code per row


PATTERN_INSERT = ("review_id", "pattern", "rule_ids", "interventions", "data_gaps")


BULK_ROWS = 5_000  # rows a statement of _bulk: its JSON text about a megabyte
NUMPY = orjson.OPT_SERIALIZE_NUMPY


def _bulk(connection, table: "str | sa.Table", columns: tuple[str, ...], rows) -> None:
    """Rows (tuples of ``columns``) into ``table``, ``BULK_ROWS`` a statement, each
    statement one JSON text unpacked by the database (SQLite ``json_each``, PostgreSQL
    ``json_array_elements``), in order: parsed and written in C with the GIL released,
    so that the review's store thread (ReviewWriter) runs beside the scoring.
    ``executemany`` and COPY's ``write_row`` take the GIL back at every row."""
    if isinstance(table, str):
        table = SQLModel.metadata.tables[table]
    statement = _json_insert(connection.dialect, table, columns)
    rows = iter(rows)
    while chunk := list(islice(rows, BULK_ROWS)):
        # bytes, not str: a Python str of Chinese text would be two to four times its size
        payload = orjson.dumps(chunk, option=NUMPY)
        if b"\\u0000" in payload and connection.dialect.name == "sqlite":
            _one_by_one(connection, table, columns, chunk)  # SQLite's JSON ends a text at NUL
            continue
        connection.execute(statement, {"rows": payload})


def _one_by_one(connection, table: sa.Table, columns: tuple[str, ...], chunk: list) -> None:
    """SQLite's ``executemany``, for the rare rows a JSON text cannot carry whole: a text
    holding NUL (a character a CSV cell may hold) comes out of ``json_extract`` cut there."""
    names = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join("?" for _ in columns)
    cursor = connection.connection.driver_connection.cursor()
    cursor.executemany(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", chunk)


def _cast(column: sa.Column, dialect) -> str:
    """The type a JSON value is cast to: a text as ``text``. A CAST to ``varchar(n)``
    would cut a longer one short in silence; the insert itself refuses it, as COPY did
    (SQL's one exception, as with COPY: spaces past ``n`` at the end are dropped)."""
    kind = getattr(column.type, "impl", column.type)  # sqlmodel's AutoString: a String
    if isinstance(kind, sa.String) and not isinstance(kind, sa.Enum):
        return "text"
    return column.type.compile(dialect=dialect)


def _json_insert(dialect, table: sa.Table, columns: tuple[str, ...]) -> sa.TextClause:
    """``INSERT … SELECT`` of the rows of a JSON array of arrays, bound as ``:rows``."""
    names = ", ".join(f'"{c}"' for c in columns)
    if dialect.name == "postgresql":
        values = ", ".join(
            f"CAST(value->>{i} AS {_cast(table.c[c], dialect)})" for i, c in enumerate(columns)
        )
        rows = "json_array_elements(CAST(convert_from(:rows, 'UTF8') AS json)) "
        rows += "WITH ORDINALITY AS e(value, at) ORDER BY e.at"
    else:
        # json_extract, not ->> (SQLite 3.38): JSON1 is in Python's SQLite builds long before
        values = ", ".join(f"json_extract(value, '$[{i}]')" for i in range(len(columns)))
        # json_each's ``key``: the place in the array
        rows = "json_each(CAST(:rows AS TEXT)) AS e ORDER BY e.key"
    return sa.text(f"INSERT INTO {table.name} ({names}) SELECT {values} FROM {rows}")


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
    session: Session, review_id: int, after: int = 0, limit: int | None = 1000
) -> list[ReviewProblem]:
    """``limit`` of a review's data problems after problem id ``after``, in id order (a page);
    ``limit=None``: every one of them (the reports)."""
    statement = (
        select(ReviewProblem)
        .where(ReviewProblem.review_id == review_id, ReviewProblem.id > after)
        .order_by(ReviewProblem.id)
    )
    if limit is not None:
        statement = statement.limit(limit)
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
    """A review's facts in record order: its first blob, then its parts (revision 0005)."""
    stored = session.get(ReviewFacts, review_id)
    if stored is None:
        return None
    parts = session.exec(
        select(ReviewFactsPart.data)
        .where(ReviewFactsPart.review_id == review_id)
        .order_by(ReviewFactsPart.part)
    ).all()
    first = facts_blob.loads(stored.data)
    if not parts:
        return first
    return pd.concat([first, *map(facts_blob.loads, parts)], ignore_index=True)


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
