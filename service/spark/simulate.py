"""A simulation on Spark: baseline against proposal over a (province-sized) population file.

    result = run_simulate(spark, "hdfs:///lists/2026Q4.csv", ruleset, {"score.elder.high": 5})

What ``evaluation.simulate.run`` reports, person for person the same: each task reads
its pieces as a population sheet is read (``models.sheets.labelled.read_piece``),
builds their cohort (``evaluation.cohort.from_table``) and scores it under the rules
in force and under the proposal (``evaluation.levels.score_cohort``, the overridden
values applied by ``evaluation.overrides.apply`` in the task). Spark adds up the
per-person levels, fired rules and actions; the figures are then made by the
functions the single-machine simulation makes them with (``transition_dict``,
``rule_changes``, ``levels.action_workload`` and ``workload_changes``, ``backtest``
with each (level, points, outcome) weighted by its persons). The changes by township
and village and the list of persons whose level changed are grouped in Spark SQL
here, twins of ``simulate._divisions`` and ``simulate._changed``;
tests/service/test_spark.py holds the whole result equal to ``simulate.run``.
"""

import hashlib
from typing import Any

import numpy as np
import pyarrow as pa

from evaluation import levels as lv
from evaluation.cohort import from_table
from evaluation.overrides import apply
from evaluation.simulate import (
    CHANGED_LIMIT,
    model_used,
    rule_changes,
    transition_dict,
    workload_changes,
)
from models.sheets.labelled import OUTCOME, read_piece
from service.spark.sheet import Source, batches, open_source

PEOPLE = ["row", "person_id", "name", "id_number", "township", "village"]  # Cohort.people
SIDES = ("base", "proposal")
_LIST = pa.list_(pa.int32())
SIM_SCHEMA = pa.schema(
    [
        ("row", pa.int64()),
        *[(c, pa.string()) for c in PEOPLE[1:]],
        ("outcome", pa.int8()),
        *[(f"{s}_level", pa.int8()) for s in SIDES],
        *[(f"{s}_score", pa.int64()) for s in SIDES],
        *[(f"{s}_fires", _LIST) for s in SIDES],
        *[(f"{s}_actions", _LIST) for s in SIDES],
        ("reason", pa.string()),  # a rejected row: only row and reason
    ]
)


def _indices(matrix: np.ndarray) -> pa.ListArray:
    """Each row's True columns, as a list (fired rules, actions)."""
    offsets = np.r_[0, np.cumsum(matrix.sum(axis=1))].astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), pa.array(np.nonzero(matrix)[1], pa.int32()))


def simulate_task(source: Source, shared):
    def run(frames):
        ruleset, overrides, model = shared.value
        proposal_rules = apply(ruleset, overrides)
        for piece in batches(frames, source):
            rejected = [(p.row, p.reason) for p in piece.problems]
            for first, cells in piece.runs:
                table, outcome, problems = read_piece(cells, first)
                rejected += problems
                if len(table):
                    yield _people(table, outcome, ruleset, proposal_rules, model)
            if rejected:
                yield pa.RecordBatch.from_pydict(
                    {"row": [r for r, _ in rejected], "reason": [w for _, w in rejected]}
                    | {
                        n: pa.nulls(len(rejected), SIM_SCHEMA.field(n).type)
                        for n in SIM_SCHEMA.names
                        if n not in ("row", "reason")
                    },
                    schema=SIM_SCHEMA,
                )

    return run


def _people(table, outcome, ruleset, proposal_rules, model) -> pa.RecordBatch:
    cohort = from_table(table, ruleset, outcome, sha256="-")  # the sheet's is taken whole
    scored = [lv.score_cohort(r, cohort, model) for r in (ruleset, proposal_rules)]
    people = cohort.people
    n = len(people)
    columns: dict[str, Any] = {
        "row": people["row"].to_numpy(dtype=np.int64),
        **{c: pa.array(people[c].to_numpy(), pa.string(), from_pandas=True) for c in PEOPLE[1:]},
        "outcome": cohort.outcome if cohort.outcome is not None else pa.nulls(n, pa.int8()),
        "reason": pa.nulls(n, pa.string()),
    }
    for side, s in zip(SIDES, scored, strict=True):
        columns[f"{side}_level"] = s.level
        columns[f"{side}_score"] = s.score
        columns[f"{side}_fires"] = _indices(s.fires)
        columns[f"{side}_actions"] = _indices(s.actions)
    return pa.RecordBatch.from_pydict(columns, schema=SIM_SCHEMA)


def run_simulate(
    spark,
    path: str,
    ruleset,
    overrides: dict,
    *,
    model=None,
    changed_limit: int = CHANGED_LIMIT,
    input_format: str | None = None,
) -> dict:
    """``evaluation.simulate.run``'s result for the population at ``path``, with
    ``rejected`` as ``liushou simulate`` adds it."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import from_arrow_schema

    source, frame = open_source(spark, path, input_format)
    proposal_rules = apply(ruleset, overrides)  # refused overrides fail here, not in a task
    shared = spark.sparkContext.broadcast((ruleset, dict(overrides), model))
    out = frame.mapInArrow(simulate_task(source, shared), from_arrow_schema(SIM_SCHEMA))
    out = out.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        people = out.filter(F.col("reason").isNull())
        rejected = [
            (r["row"], r["reason"])
            for r in out.filter(F.col("reason").isNotNull())
            .select("row", "reason")
            .orderBy("row", "reason")
            .collect()
        ]
        pairs = people.groupBy("base_level", "proposal_level").count().collect()
        table = np.zeros((len(lv.LEVELS), len(lv.LEVELS)), dtype=np.int64)
        for b, p, count in pairs:
            table[b, p] = count
        persons = int(table.sum())
        result = {
            "reproduce": {
                "ruleset": {"id": ruleset.id, "version": ruleset.version, "sha256": ruleset.sha256},
                "overrides": dict(overrides),
                "population": {"persons": persons, "sha256": _sha256(path, source)},
                "model": model_used(model),
            },
            "levels": {
                "baseline": dict(zip(lv.LEVELS, map(int, table.sum(axis=1)), strict=True)),
                "proposal": dict(zip(lv.LEVELS, map(int, table.sum(axis=0)), strict=True)),
            },
            "transitions": transition_dict(table),
            "rules": rule_changes(
                ruleset, *(_counted(people, f"{s}_fires", len(ruleset.rules)) for s in SIDES)
            ),
            "divisions": _divisions(people),
            "workload": workload_changes(
                *(
                    lv.action_workload(r, codes, _counted(people, f"{s}_actions", len(codes)))
                    for r, s, codes in zip(
                        (ruleset, proposal_rules),
                        SIDES,
                        (tuple(ruleset.actions), tuple(proposal_rules.actions)),
                        strict=True,
                    )
                )
            ),
            "changed": _changed(people, changed_limit),
        }
        if any(h.strip().lower() == OUTCOME for h in source.header):
            result["backtest"] = {
                name: _backtest(people, side)
                for name, side in zip(("baseline", "proposal"), SIDES, strict=True)
            }
        result["rejected"] = [{"row": r, "reason": why} for r, why in rejected]
        return result
    finally:
        out.unpersist()


def _counted(people, column: str, size: int) -> np.ndarray:
    """Persons per index of a list column (rule or action index)."""
    from pyspark.sql import functions as F

    counts = np.zeros(size, dtype=np.int64)
    for index, count in people.select(F.explode(column).alias("i")).groupBy("i").count().collect():
        counts[index] = count
    return counts


def _divisions(people) -> list[dict]:
    """``simulate._divisions`` in Spark SQL."""
    from pyspark.sql import functions as F

    base, proposal = F.col("base_level"), F.col("proposal_level")
    sums = [
        F.sum((proposal > base).cast("long")).alias("up"),
        F.sum((proposal < base).cast("long")).alias("down"),
    ]
    for rank, name in enumerate(lv.LEVELS):
        sums.append(F.sum((base == rank).cast("long")).alias(f"baseline_{name}"))
        sums.append(F.sum((proposal == rank).cast("long")).alias(f"proposal_{name}"))
    rows = (
        people.groupBy("township", "village")
        .agg(F.count("*").alias("persons"), *sums)
        .orderBy("township", "village")
        .collect()
    )
    return [
        {k: (int(v) if k not in ("township", "village") else v) for k, v in r.asDict().items()}
        for r in rows
    ]


def _changed(people, limit: int) -> dict:
    """``simulate._changed`` in Spark SQL: the count, and the first ``limit`` in row order."""
    from pyspark.sql import functions as F

    moved = people.filter(F.col("base_level") != F.col("proposal_level"))
    listed = [
        {
            **{c: r[c] for c in PEOPLE},
            "from": lv.LEVELS[r["base_level"]],
            "to": lv.LEVELS[r["proposal_level"]],
        }
        for r in moved.select(*PEOPLE, "base_level", "proposal_level")
        .orderBy("row")
        .limit(limit)
        .collect()
    ]
    return {"count": moved.count(), "listed": listed}


def _backtest(people, side: str) -> dict:
    from evaluation.backtest import backtest

    level, score = f"{side}_level", f"{side}_score"
    counted = people.groupBy(level, score, "outcome").count().orderBy(level, score, "outcome")
    rows = counted.collect()  # a few hundred (level, points, outcome) at most
    return backtest(
        np.array([r[level] for r in rows], dtype=np.int8),
        np.array([r[score] for r in rows], dtype=np.int64),
        np.array([r["outcome"] for r in rows], dtype=np.int8),
        np.array([r["count"] for r in rows], dtype=np.int64),
    )


def _sha256(path: str, source: Source) -> str | None:
    """The file's sha256, as a single-machine simulation reports it, where it is one local
    file; None elsewhere (a folder, HDFS, S3)."""
    from pathlib import Path
    from urllib.parse import unquote, urlparse

    where = urlparse(source.files[0]) if len(source.files) == 1 else None
    if where is None or where.scheme != "file":
        return None
    local = Path(unquote(where.path))
    if not local.is_file():
        return None
    digest = hashlib.sha256()
    with local.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()
