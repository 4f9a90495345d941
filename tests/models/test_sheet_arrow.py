"""The column-wise reader on Arrow batches (models.sheets.files.sheet_batches) against the
row-by-row reader: the same rows, values and rejections as on a pandas frame."""

import random

import pandas as pd
import pyarrow as pa
import pytest

from fixtures.population import population, with_identities
from models.sheets.columns import all_fields
from models.sheets.rows import read_rows
from models.sheets.table import read_table
from tests.models.test_sheet_bulk import NOISE, as_sheet, same

# spaces Python strips and Arrow's own trimming might not, identity numbers Python reads
# differently from ASCII regular expressions (full-width digits), marks of a number
EDGES = [
    "\u3000儿童", "老人\u3000", "\t10 ", "\x1c5", " 340422201603150032", "３4042220160315003２",
    "340422201603150032 [number]", "3.40422E+17", "340422201603150032.0", "王小明\u3000",
    "\u00a0是", "11010519491231002x",
]  # fmt: skip


def batch_of(frame: pd.DataFrame) -> pa.RecordBatch:
    arrays = [pa.array(frame.iloc[:, i].tolist(), pa.string()) for i in range(frame.shape[1])]
    return pa.RecordBatch.from_arrays(arrays, names=[str(c) for c in frame.columns])


def same_on_arrow(frame: pd.DataFrame) -> None:
    slow, fast = read_rows(frame), read_table(batch_of(frame))
    assert [(p.row, p.column, p.reason) for p in fast.rejected] == [
        (p.row, p.column, p.reason) for p in slow.rejected
    ]
    assert fast.table["row"].tolist() == [r.row for r in slow.records]
    assert fast.ignored_columns == slow.ignored_columns
    for record, (_, row) in zip(slow.records, fast.table.iterrows(), strict=True):
        for name in all_fields():
            assert row[name] == getattr(record.person, name, None), (record.row, name)
    assert fast.rows_in == len(fast.table) + len(fast.rejected) == len(frame)


@pytest.mark.parametrize("seed", [0, 1])
def test_corrupted_cells_read_from_arrow_as_row_by_row(seed):
    frame = as_sheet(with_identities(population(2000, seed=seed), seed=seed))
    rng = random.Random(seed)
    for _ in range(1500):
        frame.iat[rng.randrange(len(frame)), rng.randrange(frame.shape[1])] = rng.choice(
            NOISE + EDGES
        )
    for column in ("id_number", "name", "person_id"):  # the columns read in Arrow
        for _ in range(60):
            frame.at[rng.randrange(len(frame)), column] = rng.choice(EDGES + NOISE)
    same_on_arrow(frame)


def test_two_headers_for_one_field_and_blank_rows_from_arrow():
    frame = pd.DataFrame(
        {"类别": ["儿童", "", "老人"], "age": ["10", "", ""], "年龄": ["", "", "70"]}
    )
    same_on_arrow(frame)


NUMBER_TEXTS = [
    "1,000", "3元", "1e5", " 12.5", "-3", "0012.50", "１２", "12.", ".5", "-", "1.2.3", "+5",
    "5000.123456789012345678", "123456789012345678901234567890", "nan", "inf", "-0", "0.1",
    "4523.17", "９.５", "1 000", "",
]  # fmt: skip


@pytest.mark.parametrize("seed", [2, 3])
def test_number_texts_read_from_arrow_as_row_by_row(seed):
    """Incomes are read by Arrow when they are plain decimals (models.sheets.table
    ``_plain_numbers``) and by Python otherwise: the same values and rejections."""
    frame = as_sheet(with_identities(population(1500, seed=seed), seed=seed))
    rng = random.Random(seed)
    for column in ("household_income_per_capita", "annual_income"):
        for _ in range(400):
            frame.at[rng.randrange(len(frame)), column] = rng.choice(NUMBER_TEXTS)
    same_on_arrow(frame)
    same(frame)  # and on a pandas frame ("nan": float() takes it, the models do not)
