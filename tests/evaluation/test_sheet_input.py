"""Labelled sheets read column-wise give what the per-person path gives."""

import numpy as np
import pandas as pd

from evaluation import cohort, dataset
from fixtures.population import population, records, with_identities
from models.person import PERSON_ADAPTER
from models.sheets.labelled import read


def sheet(tmp_path, n=1500, seed=13):
    frame = with_identities(population(n, seed=seed, outcomes=True), seed=seed)
    frame = frame.astype(object)
    frame.iat[7, frame.columns.get_loc("outcome")] = "maybe"  # a bad label
    frame.iat[9, frame.columns.get_loc("age")] = "abc"  # a bad cell
    path = tmp_path / "people.csv"
    frame.to_csv(path, index=False)
    return frame, path


def test_dataset_from_a_sheet_equals_the_per_person_dataset(tmp_path, assessor):
    frame, path = sheet(tmp_path)
    got = dataset.from_sheet(path, assessor)
    (row_9, why_9), (row_11, why_11) = got.skipped
    assert (row_9, why_9) == (9, "outcome 'maybe' is not 0 or 1")
    assert row_11 == 11 and "'abc' is not a number" in why_11
    good = frame.drop(index=[7, 9]).reset_index(drop=True)
    persons = [PERSON_ADAPTER.validate_python(r) for r in records(good.drop(columns="outcome"))]
    expected = dataset.from_persons(persons, good["outcome"].astype(int), assessor, "x")
    np.testing.assert_array_equal(got.X, expected.X)
    np.testing.assert_array_equal(got.y, expected.y)
    np.testing.assert_array_equal(got.rule_rank, expected.rule_rank)
    pd.testing.assert_frame_equal(got.groups, expected.groups)


def test_cohort_from_a_sheet_equals_the_per_person_cohort(tmp_path, ruleset):
    frame, path = sheet(tmp_path, n=800, seed=14)
    labelled = read(path)
    got = cohort.from_table(labelled.table, ruleset, labelled.outcomes, labelled.sha256)
    good = frame.drop(index=[7, 9]).reset_index(drop=True)
    persons = [PERSON_ADAPTER.validate_python(r) for r in records(good.drop(columns="outcome"))]
    expected = cohort.from_persons(
        persons, ruleset, good["outcome"].astype(int), rows=got.people["row"]
    )
    for column in expected.facts.columns:
        np.testing.assert_array_equal(
            got.facts[column].to_numpy(), expected.facts[column].to_numpy()
        )
    np.testing.assert_array_equal(got.gaps, expected.gaps)
    np.testing.assert_array_equal(got.outcome, expected.outcome)
    assert got.people["name"].tolist() == expected.people["name"].tolist()
    assert got.sha256 == labelled.sha256 and len(got) == 798
