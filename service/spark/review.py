"""A review on Spark: every row of a (province-sized) file scored or rejected, results as Parquet.

    summary = run_review(spark, "hdfs:///lists/2026Q4.csv", "hdfs:///liushou/2026Q4",
                         assessor, period="2026Q4", secret=b"…", previous=None)

Each task scores its Arrow batches with ``service.bulk.score_piece`` (the batch function
of every bulk path) and emits one row per person (``service.bulk.results_frame``, with
the keyed hash of the identity number, ``person_key``, as the store keeps it), one per
rejected row, and the data-quality lists (3.4) of ``models.quality.check_quality``:
invalid identity numbers, ages that contradict the category, safety values missing.
Decided in Spark, over the whole file:

- duplicates (不重报): the rows of each identity number, bucketed by its key, go through
  ``models.quality.split_duplicates`` (the first row is kept, later rows rejected, with
  its reason); a village review does the same on its whole sheet. A duplicate row is
  listed as a rejected row and as a duplicate, and keeps no age or missing-value
  warning, as in the single-machine review (``service.review.KINDS``);
- blank rows: a run of them is one problem, as ``models.sheets.rows.merge_blank_runs``;
- the counts (as ``ReviewResult.counts``), the workload (person-actions per department
  and deadline, from each person's interventions, as ``service.report_data.action_list``
  counts its departments), the levels per township and village;
- the changes since a previous run (``--previous``: its results) per village, as
  ``models.changes.compare`` defines them (this module's ``_changes`` is its Spark twin;
  tests/service/test_spark.py holds the two equal).

Written under ``out``: ``results/`` and ``problems/`` (Parquet, partitioned by township
and village), ``villages/`` (levels per village), ``changes/`` (with ``--previous``), and
``summary.json``. Names and identity numbers appear masked only; nothing personal is
logged.
"""

import math
from collections import Counter
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa

from models.changes import KINDS as CHANGE_KINDS
from models.changes import RANK
from models.quality import check_quality, gaps_of, split_duplicates
from models.sheets.rows import BLANK_ROW, Problem, merge_blank_runs
from rules.facts import category_ages
from service.bulk import RESULT_COLUMNS, results_frame, score_piece
from service.review import KINDS as PROBLEM_KINDS
from service.spark.sheet import Source, batches, open_source, place_of

LEVELS = ("critical", "high", "medium", "low")
PERSON = "person"
# the problem kinds, as the single-machine review lists them (service.review.KINDS)
REJECTED, DUPLICATE, INVALID_ID, AGE_CONFLICT, MISSING_VALUE = PROBLEM_KINDS
KEY_BUCKET_ROWS = 200_000  # identity keys per duplicate-check group

_TYPES = {
    "row": pa.int64(),
    "age": pa.int64(),
    "assessment_date": pa.date32(),
    "score": pa.int64(),
    "model_probability": pa.float64(),
    "rows": pa.int64(),
}
SCORED_COLUMNS = [
    "kind",
    *RESULT_COLUMNS,
    "person_key",
    "workload_key",
    "rows",
    "column",
    "reason",
]
SCORED_SCHEMA = pa.schema([(c, _TYPES.get(c, pa.string())) for c in SCORED_COLUMNS])
RESULTS = [*RESULT_COLUMNS, "person_key", "workload_key"]  # what results/ holds
PROBLEMS = ["kind", "row", "rows", "column", "reason", "township", "village"]


class OutputExists(ValueError):
    """--out-dir is there already, or --previous is not (nothing is overwritten)."""


def _spark_schema(columns: list[str] | None = None):
    from pyspark.sql.pandas.types import from_arrow_schema

    names = columns or SCORED_COLUMNS
    return from_arrow_schema(pa.schema([SCORED_SCHEMA.field(c) for c in names]))


def read_back(spark, where: str, columns: list[str]):
    """A dataset this module wrote, with its schema given (an empty one has no files to
    infer it from, and a village named 12 stays text)."""
    return spark.read.schema(_spark_schema(columns)).parquet(where)


def score_task(source: Source, shared):
    """The function mapInArrow runs on each partition: its batches scored, one row per
    person and per problem (SCORED_SCHEMA): rejected rows, and the data-quality lists
    ``models.quality.check_quality`` makes of each run, as the single-machine review's
    ``service.review._piece`` makes them (duplicates are decided afterwards, in Spark)."""

    def run(frames):
        from service.store import person_keys

        ruleset, model, secret, (town, village) = shared.value
        bounds = category_ages(ruleset.values)
        for piece in batches(frames, source):
            if piece.problems:
                yield from _problem_batch(
                    REJECTED,
                    piece.problems,
                    [town] * len(piece.problems),
                    [village] * len(piece.problems),
                )
            for first, cells in piece.runs:
                scored = score_piece(cells, ruleset, model, first=first)
                out = results_frame(scored)
                out.insert(0, "kind", PERSON)
                out["person_key"] = person_keys(secret, scored.people["id_number"])
                out["workload_key"] = _workload_keys(scored)
                _fill(out, town, village)
                yield from _batches(out)
                rows = out["row"].to_numpy()
                gaps = gaps_of(rows, scored.assessed.pattern, scored.assessed.patterns)
                quality = check_quality(scored.people, scored.rejected, (), gaps, bounds)
                if scored.rejected:
                    at = np.array([p.row for p in scored.rejected]) - first - 2
                    places = pd.DataFrame(
                        dict(
                            zip(
                                ("township", "village"),
                                place_of(cells.iloc[at].reset_index(drop=True)),
                                strict=True,
                            )
                        ),
                        index=[p.row for p in scored.rejected],
                    )
                    _fill(places, town, village)
                    for kind, problems in (
                        (REJECTED, scored.rejected),
                        (INVALID_ID, quality.invalid_ids),
                    ):
                        if problems:
                            filed = places.loc[[p.row for p in problems]]
                            yield from _problem_batch(
                                kind, problems, filed["township"], filed["village"]
                            )
                for kind, problems in (
                    (AGE_CONFLICT, quality.age_conflicts),
                    (MISSING_VALUE, quality.missing_values),
                ):
                    if problems:  # filed where the person's result is
                        at = np.searchsorted(rows, [p.row for p in problems])
                        yield from _problem_batch(
                            kind,
                            problems,
                            out["township"].to_numpy()[at],
                            out["village"].to_numpy()[at],
                        )

    return run


def _fill(frame: pd.DataFrame, town: str | None, village: str | None) -> None:
    """--township / --village for the rows that name none."""
    for column, value in (("township", town), ("village", village)):
        if value:
            frame[column] = frame[column].where(frame[column].notna(), value)


def _workload_keys(piece) -> np.ndarray:
    """Per person, the (department, deadline) of each intervention, as a short JSON text:
    people with the same one are counted together (``workload``)."""
    keys = [
        orjson.dumps([[i["department"], i["deadline_hours"]] for i in p.interventions]).decode()
        for p in piece.assessed.patterns
    ]
    column = np.array([*keys, None], dtype=object)
    return column[piece.assessed.pattern] if piece.scored else np.array([], dtype=object)


def _problem_batch(kind: str, problems: list[Problem], towns, villages) -> list[pa.RecordBatch]:
    n = len(problems)
    frame = pd.DataFrame(
        {
            "kind": [kind] * n,
            "row": [p.row for p in problems],
            "rows": [p.rows for p in problems],
            "column": [p.column for p in problems],
            "reason": [p.reason for p in problems],
            "township": np.asarray(towns, dtype=object),
            "village": np.asarray(villages, dtype=object),
        }
    )
    return _batches(frame)


def _batches(frame: pd.DataFrame) -> list[pa.RecordBatch]:
    n = len(frame)
    arrays = [
        _array(frame[c], f.type) if c in frame else pa.nulls(n, f.type)
        for c, f in zip(SCORED_SCHEMA.names, SCORED_SCHEMA, strict=True)
    ]
    return [pa.RecordBatch.from_arrays(arrays, schema=SCORED_SCHEMA)]


def _array(column: pd.Series, kind: pa.DataType) -> pa.Array:
    array = pa.array(column, kind, from_pandas=True)
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def _duplicates(frame: pd.DataFrame) -> pd.DataFrame:
    """A bucket of (person_key, row): split_duplicates' later rows, as problems."""
    table = frame.sort_values("row").rename(columns={"person_key": "id_number"})
    _, problems = split_duplicates(table.reset_index(drop=True))
    return pd.DataFrame(
        {
            "row": np.array([p.row for p in problems], dtype=np.int64),
            # object, not pandas 3's Arrow-backed str: pyspark 4.3 cannot convert that
            "column": np.array([p.column for p in problems], dtype=object),
            "reason": np.array([p.reason for p in problems], dtype=object),
        }
    )


def _blank_runs(frame: pd.DataFrame) -> pd.DataFrame:
    """Runs (first row, rows) of blank rows as merge_blank_runs words them."""
    reasons = []
    for start, rows in zip(frame["row"], frame["rows"], strict=True):
        parts = [Problem(int(start), "", BLANK_ROW)]
        if rows > 1:
            parts.append(Problem(int(start) + 1, "", BLANK_ROW, int(rows) - 1))
        reasons.append(merge_blank_runs(parts)[0].reason)
    return frame.assign(reason=np.array(reasons, dtype=object))


def run_review(
    spark,
    path: str,
    out: str,
    assessor: Any,
    *,
    period: str,
    secret: bytes,
    previous: str | None = None,
    input_format: str | None = None,
    place: tuple[str | None, str | None] = (None, None),
) -> dict:
    """Score the file at ``path`` and write everything under ``out``; the summary.
    ``place``: the township and village of rows that name none."""
    from pyspark import StorageLevel
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    if exists(spark, out):
        raise OutputExists(f"{out} exists: give a new --out-dir (nothing is overwritten)")
    if previous and not exists(spark, f"{previous}/results"):
        raise OutputExists(f"--previous {previous}: no results/ there")
    source, frame = open_source(spark, path, input_format)
    shared = spark.sparkContext.broadcast((assessor.ruleset, assessor.model, secret, place))
    scored = frame.mapInArrow(score_task(source, shared), _spark_schema())
    scored = scored.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        people = scored.filter(F.col("kind") == PERSON)
        rejected = scored.filter(F.col("kind") == REJECTED).select(*PROBLEMS)
        buckets = max(1, math.ceil(source.rows_in / KEY_BUCKET_ROWS))
        keyed = people.filter(F.col("person_key").isNotNull()).select("person_key", "row")
        duplicates = (
            keyed.groupBy(F.pmod(F.hash("person_key"), F.lit(buckets)).alias("_bucket"))
            .applyInPandas(
                lambda f: _duplicates(f[["person_key", "row"]]),
                "row long, column string, reason string",
            )
            .join(people.select("row", "township", "village"), "row")
            .select(
                F.lit(DUPLICATE).alias("kind"),
                "row",
                F.lit(1).cast("long").alias("rows"),
                "column",
                "reason",
                "township",
                "village",
            )
        )
        blank = rejected.filter(F.col("reason") == BLANK_ROW)
        runs = (
            blank.withColumn("_run", F.col("row") - F.row_number().over(Window.orderBy("row")))
            .groupBy("_run")
            .agg(F.min("row").alias("row"), F.count("*").alias("rows"))
            .select("row", "rows")
            .mapInPandas(
                lambda frames: map(_blank_runs, frames), "row long, rows long, reason string"
            )
            .select(
                F.lit(REJECTED).alias("kind"),
                "row",
                "rows",
                F.lit("").alias("column"),
                "reason",
                F.lit(None).cast("string").alias("township"),
                F.lit(None).cast("string").alias("village"),
            )
        )
        duplicates = duplicates.persist(StorageLevel.MEMORY_AND_DISK)
        # a duplicate is a rejected row too, listed under both kinds (as the single
        # machine lists it); the warnings on a person are the kept persons' only
        warnings = (
            scored.filter(F.col("kind").isin(AGE_CONFLICT, MISSING_VALUE))
            .select(*PROBLEMS)
            .join(duplicates.select("row"), "row", "left_anti")
        )
        problems = (
            rejected.filter(F.col("reason") != BLANK_ROW)
            .unionByName(runs)
            .unionByName(duplicates.withColumn("kind", F.lit(REJECTED)))
            .unionByName(duplicates)
            .unionByName(scored.filter(F.col("kind") == INVALID_ID).select(*PROBLEMS))
            .unionByName(warnings)
        )
        _write(problems, f"{out}/problems")
        kept = people.join(duplicates.select("row"), "row", "left_anti")
        _write(kept.select(*RESULTS), f"{out}/results")
        duplicates.unpersist()
    finally:
        scored.unpersist()
    results = read_back(spark, f"{out}/results", RESULTS)
    problems = read_back(spark, f"{out}/problems", PROBLEMS)
    summary = _summary(source, results, problems, assessor)
    by_village = results.groupBy("township", "village").pivot("risk_level", list(LEVELS)).count()
    by_village.fillna(0).write.mode("errorifexists").parquet(f"{out}/villages")
    summary.update(period=period, input=path, output=out)
    if previous:
        summary["changes"] = _changes(
            spark, read_back(spark, f"{previous}/results", RESULTS), results, f"{out}/changes"
        )
    write_text(spark, f"{out}/summary.json", orjson.dumps(summary, option=orjson.OPT_INDENT_2))
    return summary


def _write(frame, where: str) -> None:
    """Parquet partitioned by township and village, a file per village (not one per
    village and task)."""
    frame.repartition("township", "village").write.mode("errorifexists").partitionBy(
        "township", "village"
    ).parquet(where)


def _summary(source: Source, results, problems, assessor) -> dict:
    from pyspark.sql import functions as F

    by_key = results.groupBy("risk_level", "workload_key").count().collect()  # one pass
    levels: Counter = Counter()
    work, zh = Counter(), {k: d.zh for k, d in assessor.ruleset.departments.items()}
    for level, key, count in by_key:
        levels[level] += count
        for department, hours in orjson.loads(key) if key else []:
            work[(department, hours)] += count
    scored = sum(levels.values())
    by_kind = {
        r["kind"]: (r["count"], r["rows"])
        for r in problems.groupBy("kind")
        .agg(F.count("*").alias("count"), F.sum("rows").alias("rows"))
        .collect()
    }
    rejected = int(by_kind.get(REJECTED, (0, 0))[1] or 0)
    counts = {
        "rows_in": source.rows_in,
        "scored": scored,
        "rejected": rejected,
        **{name: int(levels.get(name, 0)) for name in LEVELS},
    }
    if source.rows_in != scored + rejected:
        raise RuntimeError(f"a row was lost: {source.rows_in} in, {scored} + {rejected} out")
    workload = [
        {"department": d, "department_zh": zh[d], "deadline_hours": h, "person_actions": n}
        for (d, h), n in sorted(work.items(), key=lambda item: (item[0][1], item[0][0]))
    ]
    departments: Counter = Counter()
    for row in workload:
        departments[row["department_zh"]] += row["person_actions"]
    ruleset = assessor.ruleset
    return {
        "engine": "spark",
        "counts": counts,
        "workload": workload,
        "departments": dict(departments.most_common()),
        # problems of each kind, as the report counts them (a run of blank rows is one)
        "problems": {kind: int(by_kind.get(kind, (0, 0))[0]) for kind in PROBLEM_KINDS},
        "ignored_columns": source.ignored_columns,
        "ruleset": {"id": ruleset.id, "version": ruleset.version, "sha256": ruleset.sha256},
        "model": None if assessor.model is None else assessor.model.version,
    }


def _changes(spark, before, now, where: str) -> dict:
    """``models.changes.compare`` per village, in Spark: people matched by person_key
    within their township and village; a village not in this run is not compared."""
    from pyspark.sql import functions as F

    entry = ["person_key", "row", "person_id", "name_masked", "id_masked"]
    place = ["township", "village"]
    untracked = now.filter(F.col("person_key").isNull()).count()
    now = now.filter(F.col("person_key").isNotNull())
    here = now.select(*place).distinct()
    before = before.filter(F.col("person_key").isNotNull()).join(here, place, "left_semi")
    rank = F.create_map(*[x for k, v in RANK.items() for x in (F.lit(k), F.lit(v))])
    joined = now.select(*place, *entry, F.col("risk_level").alias("to_level")).join(
        before.select(*place, "person_key", F.col("risk_level").alias("from_level")),
        [*place, "person_key"],
        "left",
    )
    up = rank[F.col("to_level")] > rank[F.col("from_level")]
    down = rank[F.col("to_level")] < rank[F.col("from_level")]
    kind = (
        F.when(F.col("from_level").isNull(), "new")
        .when(up, "up")
        .when(down, "down")
        .when(
            (F.col("to_level") == "critical") & (F.col("from_level") == "critical"),
            "still_critical",
        )
    )
    current = joined.withColumn("kind", kind).filter(F.col("kind").isNotNull())
    gone = (
        before.join(now.select(*place, "person_key"), [*place, "person_key"], "left_anti")
        .select(
            *place,
            *entry,
            F.col("risk_level").alias("from_level"),
            F.lit(None).cast("string").alias("to_level"),
        )
        .withColumn("kind", F.lit("gone"))
    )
    changes = current.unionByName(gone)
    changes.write.mode("errorifexists").partitionBy("kind").parquet(where)
    written = spark.read.schema("kind string").parquet(where)
    counts = {r["kind"]: r["count"] for r in written.groupBy("kind").count().collect()}
    return {k: int(counts.get(k, 0)) for k in CHANGE_KINDS} | {"untracked": int(untracked)}


def write_text(spark, where: str, data: bytes) -> None:
    """A small file at any path Spark writes (local, HDFS, S3), through Hadoop's FileSystem."""
    target, fs = _fs(spark, where)
    stream = fs.create(target, False)
    try:
        stream.write(bytearray(data))
    finally:
        stream.close()


def _fs(spark, where: str):
    jvm = spark.sparkContext._jvm
    target = jvm.org.apache.hadoop.fs.Path(where)
    return target, target.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())


def exists(spark, where: str) -> bool:
    target, fs = _fs(spark, where)
    return bool(fs.exists(target))
