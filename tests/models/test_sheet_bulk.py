"""The column-wise reader against the row-by-row one: the same rows, values and rejections."""

import random
from pathlib import Path

import pandas as pd
import pytest

from fixtures.generate import generate
from fixtures.population import population, with_identities
from models.sheets.columns import all_fields
from models.sheets.files import load_sheet
from models.sheets.rows import parse_cell, read_rows
from models.sheets.table import _AS_TEXT, read_table

MESSY = Path(__file__).resolve().parents[2] / "fixtures" / "sheets" / "messy_village.csv"
NOISE = [
    "", "abc", "-1", "999999", "是", "否", "1e3", "3.5", " 12 ", "2026-13-01", "2026-11-30",
    "儿童", "老人", "妇女", "x" * 200, "340422201603150032", "11010519491231002X",
    "340422201603150033", "3.40422e+17", "female", "male", "migrant", "外出务工", "0", "131",
]  # fmt: skip


def as_sheet(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.astype(object)
    return frame.where(frame.notna(), "").astype(str).replace({"None": "", "nan": ""})


def same(frame: pd.DataFrame) -> None:
    slow, fast = read_rows(frame), read_table(frame)
    assert [(p.row, p.column, p.reason) for p in fast.rejected] == [
        (p.row, p.column, p.reason) for p in slow.rejected
    ]
    assert fast.table["row"].tolist() == [r.row for r in slow.records]
    assert fast.ignored_columns == slow.ignored_columns
    for record, (_, row) in zip(slow.records, fast.table.iterrows(), strict=True):
        for name in all_fields():
            assert row[name] == getattr(record.person, name, None), (record.row, name)
    assert fast.rows_in == len(fast.table) + len(fast.rejected) == len(frame)


def test_messy_village_sheet():
    same(load_sheet(MESSY.read_bytes(), MESSY.name))


def test_synthetic_county_with_identities():
    same(as_sheet(with_identities(population(3000, seed=3), seed=3)))


def test_coverage_generator():
    same(as_sheet(pd.DataFrame(generate(3000, seed=5))))


@pytest.mark.parametrize("seed", [0, 1])
def test_cells_corrupted_at_random(seed):
    frame = as_sheet(with_identities(population(3000, seed=seed), seed=seed))
    rng = random.Random(seed)
    for _ in range(1500):
        frame.iat[rng.randrange(len(frame)), rng.randrange(frame.shape[1])] = rng.choice(NOISE)
    same(frame)


def test_two_headers_for_one_field_and_blank_rows():
    frame = pd.DataFrame(
        {"类别": ["儿童", "", "老人"], "age": ["10", "", ""], "年龄": ["", "", "70"]}
    )
    same(frame)


def test_pieces_number_rows_from_where_they_start():
    frame = pd.DataFrame({"类别": ["儿童", "外星人"], "年龄": ["10", "9"]})
    read = read_table(frame, first=100_000)
    assert read.table["row"].tolist() == [100_002]
    assert [p.row for p in read.rejected] == [100_003]


@pytest.mark.parametrize("name", sorted(_AS_TEXT))
def test_free_text_fields_are_their_text(name):
    assert parse_cell(name, "王小明 12") == "王小明 12"


def test_real_dates_are_the_calendars():
    """``_real_dates`` (arithmetic) against pandas parsing the same yyyymmdd texts, leap
    days included; years outside 1678-2261 go the per-row way."""
    import numpy as np

    from models.sheets.table import _real_dates

    rng = np.random.default_rng(5)
    edges = [20000229, 19000229, 20240229, 20230229, 19991231, 20000001, 20001300, 20000431]
    ymd = np.concatenate([rng.integers(16780101, 22611232, 200_000), edges])
    parsed = pd.to_datetime(pd.Series(ymd.astype(str)), format="%Y%m%d", errors="coerce")
    assert (_real_dates(ymd) == parsed.notna().to_numpy()).all()
    assert not _real_dates(np.array([16771231, 22620101, 10000101])).any()
