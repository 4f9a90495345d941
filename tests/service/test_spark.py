"""The Spark engine (service.spark) gives what the single-machine review and simulation give,
person by person and in every aggregate; rows keep their sheet numbers across splits.

Skipped, saying why, where pyspark or Java is missing (`.ci/run` installs the extra; the
CI machines have Java 17). One local[2] session serves every test (start-up is slow).
"""

import json
from collections import Counter
from pathlib import Path

import numpy as np
import orjson
import pandas as pd
import pytest

pytest.importorskip("pyspark", reason="pyspark is not installed (pip install '.[spark]')")

from service.spark import java_missing

if why := java_missing():
    pytest.skip(why, allow_module_level=True)

from fixtures.population import population, with_identities
from models.changes import compare
from models.sheets.files import sheet_chunks
from models.sheets.rows import column_label
from service.report_data import from_result
from service.review import KINDS, review
from service.spark.review import OutputExists, run_review
from service.store import person_keys
from tests.models.test_sheet_bulk import as_sheet

SECRET = b"spark-test-secret"
PLACE = {"township": "寿春镇", "village": "城东村", "period": "2026Q4"}


@pytest.fixture(scope="session")
def spark():
    from service.spark import session

    spark = session("local[2]", "liushou-tests")
    # small splits: a 20,000-row file is read by several tasks, so row numbers must
    # carry across splits
    spark.conf.set("spark.sql.files.maxPartitionBytes", str(1 << 20))
    spark.conf.set("spark.sql.shuffle.partitions", "4")
    yield spark
    spark.stop()


def parquet(path, by: str = "row", keys=("township", "village")) -> pd.DataFrame:
    """A Parquet dataset (hive partitions, null ones too) as one frame, by row."""
    import pyarrow as pa
    import pyarrow.dataset as ds

    partitions = ds.partitioning(pa.schema([(k, pa.string()) for k in keys]), flavor="hive")
    table = ds.dataset(str(path), format="parquet", partitioning=partitions).to_table()
    frame = table.to_pandas()
    return frame.sort_values(by, kind="stable").reset_index(drop=True) if by else frame


def county(n: int, seed: int) -> pd.DataFrame:
    return as_sheet(with_identities(population(n, seed=seed), seed=seed))


def write_csv(frame: pd.DataFrame, path: Path, blank_at=(), junk_at=()) -> Path:
    """The frame as CSV, with blank lines (and lines of empty cells) at these line indexes
    of the file written (line 0 is the header)."""
    lines = frame.to_csv(index=False).splitlines()
    for k in sorted([*blank_at, *junk_at]):
        lines.insert(k, "" if k in blank_at else ",,,")
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


@pytest.fixture(scope="module")
def reviewed(spark, assessor, tmp_path_factory):
    """A 20,000-person county, with a bad cell, invalid identity numbers, duplicates (of a
    person with an age conflict and missing values) and blank rows, reviewed on Spark and
    on this machine."""
    where = tmp_path_factory.mktemp("spark-review")
    frame = county(20_000, seed=11)
    frame.iat[900, frame.columns.get_loc("age")] = "abc"
    at = frame.columns.get_loc("id_number")
    number = frame.iat[12_000, at]
    frame.iat[12_000, at] = number[:17] + ("1" if number[17] == "0" else "0")  # check digit
    frame.iat[16_000, at] = frame.iat[16_000, at][:17]  # 17 characters
    # 不重报: person 50 has missing values, person 13 an age conflict (sheet rows 52 and
    # 15); their duplicates are rejected rows, with no warnings of their own
    for later, first in ((15_000, 50), (15_001, 50), (19_998, 13), (19_999, 7_000)):
        frame.iloc[later] = frame.iloc[first]
    path = write_csv(frame, where / "people.csv", blank_at=(3000, 3001, 3002), junk_at=(9000,))
    local = review(sheet_chunks(path, path.name), assessor, **PLACE)
    out = where / "out"
    summary = run_review(spark, str(path), str(out), assessor, period="2026Q4", secret=SECRET)
    return frame, path, local, out, summary


def test_review_equals_the_single_machine_review_person_by_person(reviewed):
    frame, _, local, out, summary = reviewed
    results = parquet(out / "results")
    people = local.people
    # a bad cell, two invalid identity numbers, four duplicates
    assert len(results) == local.scored == 20_000 - 1 - 2 - 4
    assert results["row"].tolist() == people["row"].tolist()
    assert results["risk_level"].tolist() == local.levels.tolist()
    assert set(results["risk_level"]) == {"critical", "high", "medium", "low"}
    for i in range(local.scored):
        kept = local.assessment(i)
        assert results["score"][i] == kept["score"]
        assert orjson.loads(results["rule_ids"][i]) == kept["rule_ids"]
        assert orjson.loads(results["interventions"][i]) == kept["interventions"]
        assert orjson.loads(results["data_gaps"][i]) == kept["data_gaps"]
    assert results["name_masked"].tolist() == people["name_masked"].tolist()
    assert results["id_masked"].tolist() == people["id_masked"].tolist()
    assert results["person_key"].tolist() == person_keys(SECRET, people["id_number"])
    # each person filed under the township and village of their own row
    rows = results["row"].to_numpy()
    position = rows - 2 - (rows > 3003) * 3 - (rows > 9001)
    assert results["village"].tolist() == frame["village"].to_numpy()[position].tolist()
    assert summary["counts"] == local.counts()
    assert summary["ignored_columns"] == local.ignored_columns


def test_problems_of_every_kind_equal_the_single_machine_review(reviewed):
    _, _, local, out, summary = reviewed
    problems = parquet(out / "problems")
    assert set(problems["kind"]) == set(KINDS)
    for kind, expected in local.problem_lists():
        got = problems[problems["kind"] == kind]
        assert len(expected) > 0, kind
        assert [(r.row, r.rows, r.column, r.reason) for r in got.itertuples()] == [
            (p.row, p.rows, p.column, p.reason) for p in expected
        ], kind
    assert summary["problems"] == {kind: len(items) for kind, items in local.problem_lists()}
    assert sum(summary["problems"].values()) == from_result(local).problem_count
    duplicates = problems[problems["kind"] == "duplicate"]
    assert duplicates["row"].tolist() == [15_006, 15_007, 20_004, 20_005]
    assert duplicates["reason"].tolist()[0] == "duplicate identity number (first on row 52)"
    blank = problems[problems["reason"].str.startswith("blank row")]
    assert blank[["row", "rows"]].values.tolist() == [[3001, 3], [9001, 1]]
    invalid = problems[problems["kind"] == "invalid identity number"]
    assert invalid["row"].tolist() == [12_006, 16_006]
    # the persons duplicated have warnings; their duplicates none (the single machine's)
    warned = problems[problems["kind"].isin(["age contradicts category", "missing value"])]
    assert {15, 52} <= set(warned["row"])
    assert not set(warned["row"]) & set(duplicates["row"])
    # each problem filed under the township and village of its row
    results = parquet(out / "results").set_index("row")
    on_person = warned.set_index("row")
    assert (on_person["village"] == results.loc[on_person.index, "village"]).all()


def test_a_hand_made_sheet_gives_each_kind_of_problem(spark, assessor, tmp_path):
    people = population(60, seed=21).iloc[[3, 10, 23, 7]].reset_index(drop=True)
    assert (people["category"] == "child").all()
    people.loc[1, "age"] = 17  # a child by category, 17 by age and identity number
    frame = as_sheet(with_identities(people, seed=21))
    number = frame.loc[2, "id_number"]
    frame.loc[2, "id_number"] = number[:17] + ("1" if number[17] == "0" else "0")
    frame.loc[3, "lives_alone"] = ""  # a child of migrant parents: a safety rule needs it
    frame.loc[4] = frame.loc[1]  # a duplicate: rejected, no age warning of its own
    path = write_csv(frame, tmp_path / "people.csv")
    summary = run_review(
        spark, str(path), str(tmp_path / "out"), assessor, period="2026Q4", secret=SECRET
    )
    problems = parquet(tmp_path / "out" / "problems")
    got = sorted(zip(problems["kind"], problems["row"], problems["column"], strict=True))
    duplicate = "duplicate identity number (first on row 3)"
    assert got == [
        ("age contradicts category", 3, column_label("age")),
        ("duplicate", 6, column_label("id_number")),
        ("invalid identity number", 4, column_label("id_number")),
        ("missing value", 5, column_label("lives_alone")),
        ("rejected row", 4, column_label("id_number")),
        ("rejected row", 6, column_label("id_number")),
    ]
    keys = zip(problems["kind"], problems["row"], strict=True)
    reasons = dict(zip(keys, problems["reason"], strict=True))
    assert reasons["age contradicts category", 3] == "age 17 contradicts category child (0-15)"
    assert reasons["invalid identity number", 4].startswith("invalid identity number: check")
    assert reasons["invalid identity number", 4] == reasons["rejected row", 4]
    assert reasons["missing value", 5] == "unknown, needed by a safety rule"
    assert reasons["duplicate", 6] == reasons["rejected row", 6] == duplicate
    assert summary["problems"] == {
        "rejected row": 2,
        "duplicate": 1,
        "invalid identity number": 1,
        "age contradicts category": 1,
        "missing value": 1,
    }
    assert summary["counts"]["rows_in"] == 5 and summary["counts"]["rejected"] == 2
    local = review(frame, assessor, **PLACE)
    assert got == sorted((k, p.row, p.column) for k, items in local.problem_lists() for p in items)


def test_workload_and_villages_equal_the_single_machine_review(reviewed):
    _, _, local, out, summary = reviewed
    report = from_result(local)
    assert summary["departments"] == report.departments
    expected = Counter()
    for k, count in Counter(local.assessed.pattern.tolist()).items():
        for action in local.assessed.patterns[k].interventions:
            expected[(action["department"], action["deadline_hours"])] += count
    got = {(w["department"], w["deadline_hours"]): w["person_actions"] for w in summary["workload"]}
    assert got == dict(expected) and min(h for _, h in got) == 0  # the 24-hour clauses count
    villages = parquet(out / "villages", by="", keys=()).set_index(["township", "village"])
    results = parquet(out / "results")
    counted = results.groupby(["township", "village"])["risk_level"].value_counts().unstack()
    for level in ("critical", "high", "medium", "low"):
        assert villages[level].sum() == summary["counts"][level]
        assert (villages[level] == counted[level].reindex(villages.index).fillna(0)).all()


def test_changes_since_a_previous_run_equal_models_changes(spark, assessor, reviewed, tmp_path):
    frame, _, _, previous, _ = reviewed
    now = frame.iloc[:6000].copy()  # the first villages' people, a quarter later
    now = now[~now.index.isin(range(100, 160))]  # gone
    children = now.index[(now["category"] == "child") & (now.index % 7 == 0)]
    now.loc[children, "lives_alone"] = "True"  # up, or still critical
    now.loc[now.index[:300], "suspected_abuse"] = "False"
    newcomers = county(400, seed=99)
    newcomers["village"] = now["village"].iloc[0]
    newcomers["township"] = now["township"].iloc[0]
    now = pd.concat([now, newcomers], ignore_index=True)
    now.loc[len(now) - 1, "id_number"] = ""  # untracked
    path = write_csv(now, tmp_path / "now.csv")
    out = tmp_path / "out"
    summary = run_review(
        spark,
        str(path),
        str(out),
        assessor,
        period="2027Q1",
        secret=SECRET,
        previous=str(previous),
    )
    before, current = parquet(previous / "results"), parquet(out / "results")
    expected, entries = Counter(), set()
    for (town, village), records in current.groupby(["township", "village"]):
        old = before[(before["township"] == town) & (before["village"] == village)]
        changes = compare(old, records)
        expected.update(changes.counts())
        for kind in ("new", "gone", "up", "down", "still_critical"):
            entries |= {(kind, e["row"], e["person_key"]) for e in changes.entries(kind)}
    assert summary["changes"] == dict(expected)
    assert all(expected[k] for k in ("new", "gone", "up", "still_critical", "untracked"))
    written = parquet(out / "changes", keys=("kind",))
    assert set(zip(written["kind"], written["row"], written["person_key"], strict=True)) == entries


def test_parquet_input_gives_the_csv_results(spark, assessor, reviewed, tmp_path):
    frame, _, _, out, _ = reviewed
    part = frame.iloc[1000:4000].reset_index(drop=True)  # no bad cell, no duplicate
    typed = part.assign(age=pd.to_numeric(part["age"], errors="coerce").astype("Int64"))
    typed.to_parquet(tmp_path / "people.parquet", index=False)
    run_review(
        spark,
        str(tmp_path / "people.parquet"),
        str(tmp_path / "out"),
        assessor,
        period="2026Q4",
        secret=SECRET,
    )
    got = parquet(tmp_path / "out" / "results")
    assert got["row"].tolist() == list(range(2, 3002))  # the dataset's own order
    csv = parquet(out / "results").set_index("person_key").loc[got["person_key"]]
    columns = [c for c in got.columns if c not in ("row", "person_key")]
    assert got[columns].reset_index(drop=True).equals(csv[columns].reset_index(drop=True))


def test_rows_keep_their_numbers_across_many_splits_and_bad_lines(spark, assessor, tmp_path):
    frame = county(400, seed=3)
    lines = frame.to_csv(index=False).splitlines()
    width = len(frame.columns)
    lines[50] = lines[50] + ',"an unclosed cell'  # sheet row 51
    lines[120] = lines[120] + ",extra"  # row 121: one cell more than headers
    lines.insert(200, "")  # row 201: blank
    path = tmp_path / "bad.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode().replace(lines[300].encode(), b"\xff\xfe"))
    spark.conf.set("spark.sql.files.maxPartitionBytes", "8192")  # ~15 splits
    try:
        summary = run_review(
            spark, str(path), str(tmp_path / "out"), assessor, period="2026Q4", secret=SECRET
        )
    finally:
        spark.conf.set("spark.sql.files.maxPartitionBytes", str(1 << 20))
    problems = parquet(tmp_path / "out" / "problems")
    rejected = problems[problems["kind"] == "rejected row"]
    reasons = dict(zip(rejected["row"], rejected["reason"], strict=True))
    assert "runs past the end of the line" in reasons[51]
    assert reasons[121] == f"{width + 1} cells; the header has {width}"
    assert reasons[201] == "blank row"
    assert "not UTF-8" in reasons[301]
    results = parquet(tmp_path / "out" / "results")
    # every other row scored under its own number: person i of the frame is on row i + 2,
    # or i + 3 after the inserted blank line
    expected = [i + 2 + (i >= 199) for i in range(400) if i + 2 + (i >= 199) not in reasons]
    assert results["row"].tolist() == expected
    ids = frame["person_id"].to_numpy()
    assert results["person_id"].tolist() == [ids[r - 2 - (r > 201)] for r in expected]
    assert summary["counts"]["rows_in"] == 401 and summary["counts"]["rejected"] == 4


def test_results_carry_no_names_or_identity_numbers(reviewed):
    frame, _, _, out, _ = reviewed
    names, numbers = set(frame["name"]) - {""}, set(frame["id_number"]) - {""}
    for part in ("results", "problems"):
        table = parquet(out / part)
        for column in table.columns:
            values = set(table[column].dropna().astype(str))
            assert not values & names and not values & numbers, (part, column)
    text = (out / "summary.json").read_text("utf-8")
    assert not any(n in text for n in list(numbers)[:500])


def test_an_existing_output_is_never_overwritten(spark, assessor, reviewed):
    _, path, _, out, _ = reviewed
    with pytest.raises(OutputExists):
        run_review(spark, str(path), str(out), assessor, period="2026Q4", secret=SECRET)


def test_simulate_on_spark_equals_the_single_machine_simulation(spark, ruleset, tmp_path):
    from evaluation import cohort, simulate
    from fixtures.generate import generate
    from models.sheets.labelled import read
    from service.spark.simulate import run_simulate

    people = pd.DataFrame(generate(6000, seed=4))
    rng = np.random.default_rng(4)
    people["outcome"] = rng.integers(0, 2, len(people))
    people.loc[17, "outcome"] = 7  # rejected: not 0 or 1
    people.to_csv(tmp_path / "people.csv", index=False)
    overrides = {"income.subsistence_line": 9000, "score.elder.high": 5}
    sheet = read(tmp_path / "people.csv")
    population = cohort.from_table(sheet.table, ruleset, sheet.outcomes, sheet.sha256)
    local = simulate.run(population, ruleset, overrides)
    local["rejected"] = [{"row": r, "reason": why} for r, why in sheet.rejected]
    got = run_simulate(spark, str(tmp_path / "people.csv"), ruleset, overrides)
    assert local["changed"]["count"] > 0 and local["rejected"]
    assert json.dumps(got, sort_keys=True, default=str) == json.dumps(
        local, sort_keys=True, default=str
    )


def test_the_command_line_runs_on_spark(spark, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from service.cli import app

    county(500, seed=5).to_csv(tmp_path / "people.csv", index=False)
    monkeypatch.setenv("LIUSHOU_DATABASE_URL", f"sqlite:///{tmp_path}/db.sqlite")
    argv = ["review", str(tmp_path / "people.csv"), "--period", "2026Q4", "--engine", "spark"]
    runner = CliRunner()
    done = runner.invoke(app, [*argv, "--out-dir", str(tmp_path / "out")])
    assert done.exit_code == 0, done.output
    summary = json.loads((tmp_path / "out" / "summary.json").read_text("utf-8"))
    assert f"rows_in 500, scored {summary['counts']['scored']}" in done.output
    again = runner.invoke(app, [*argv, "--out-dir", str(tmp_path / "out")])
    assert again.exit_code == 2 and "exists" in again.output
    assert runner.invoke(app, argv).exit_code == 2  # no --out-dir
    done = runner.invoke(
        app,
        [
            "simulate",
            str(tmp_path / "people.csv"),
            "--engine",
            "spark",
            "--set",
            "score.elder.high=5",
            "--out",
            str(tmp_path / "sim.json"),
        ],
    )
    assert done.exit_code == 0, done.output
    assert "persons scored" in done.output and "transitions" in done.output


def test_missing_java_is_said(monkeypatch):
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    assert "Java" in java_missing()
