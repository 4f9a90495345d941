"""Facts and assessments for a whole table against the per-person functions."""

import numpy as np
import pandas as pd
import pytest

from fixtures.generate import generate
from fixtures.population import population, with_identities
from models.sheets.rows import read_rows
from models.sheets.table import read_table
from rules.assess_bulk import assess_table
from rules.fact_table import fact_table
from rules.facts import build_fact
from rules.vectorized import fact_frame
from tests.models.test_sheet_bulk import as_sheet


@pytest.fixture(scope="module", params=["county", "coverage"])
def sheet(request):
    if request.param == "county":
        return as_sheet(with_identities(population(4000, seed=7), seed=7))
    return as_sheet(pd.DataFrame(generate(4000, seed=8)))


def test_fact_table_equals_build_fact(sheet, ruleset):
    persons = [r.person for r in read_rows(sheet).records]
    expected = fact_frame([build_fact(p, ruleset) for p in persons])
    got = fact_table(read_table(sheet).table, ruleset)
    for column in got.columns:
        values = got[column].to_numpy()
        if column in expected:
            np.testing.assert_array_equal(values, expected[column].to_numpy(), column)
            assert values.dtype == expected[column].dtype
        else:  # a field no person of this sheet has: unknown for everyone
            assert ((values == -1) if values.dtype == np.int8 else np.isnan(values)).all()


def test_facts_from_codes_equal_facts_from_values(ruleset):
    """``TableRead.coded`` (each column as codes into its distinct values) gives the very
    facts the column values give, in one parameter period and across two (rows dated
    before and after 2026-01-01 take the rows apart)."""
    sheet = as_sheet(with_identities(population(3000, seed=11), seed=11)).drop(columns="age")
    sheet.loc[sheet.index % 3 == 0, "assessment_date"] = "2025-12-20"  # ages follow the ids
    born_later = {p.row - 2 for p in read_table(sheet).rejected}  # born after 2025-12-20
    sheet = sheet.drop(index=sorted(born_later)).reset_index(drop=True)
    for part in (sheet[sheet["assessment_date"] != "2025-12-20"], sheet):
        read = read_table(part.reset_index(drop=True))
        assert len(read.coded) > 40 and not read.rejected  # every row read column-wise
        days = {str(d) for d in read.table["assessment_date"]}
        with_codes = fact_table(read.table, ruleset, read.coded)
        pd.testing.assert_frame_equal(with_codes, fact_table(read.table, ruleset))
        assert len(days) == (2 if part is sheet else 1)


def test_assess_table_equals_one_by_one(sheet, assessor):
    """The column-wise assembler against durable_rules and the per-person assembly."""
    persons = [r.person for r in read_rows(sheet).records]
    expected = [assessor.assess_data(person) for person in persons]
    table = read_table(sheet).table
    assessed = assess_table(
        assessor.ruleset,
        fact_table(table, assessor.ruleset),
        table["assessment_date"].to_numpy(),
        model=assessor.model,
    )
    score = assessed.score()
    assert len(assessed.patterns) < len(persons)  # shared, not one per person
    for i, one in enumerate(expected):
        pattern = assessed.patterns[assessed.pattern[i]]
        assert assessed.level[i] == one["risk_level"] and score[i] == one["score"]
        assert list(pattern.rule_ids) == [f["rule_id"] for f in one["findings"]]
        assert pattern.interventions == one["interventions"]
        assert pattern.data_gaps == one["data_gaps"]
