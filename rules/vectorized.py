"""The same compiled conditions, evaluated column-wise over a DataFrame of facts.

No Python loop over rows: each condition becomes numpy operations on whole
columns (OpenFisca's way). Numbers are float64 (NaN unknown); booleans and
enum values are int8 codes (-1 unknown). Unknown behaves as in ``rules.conditions.holds``: a
comparison on it is false, ``known: false`` is true.

Twin with a speed reason of the per-person engine, durable_rules (``rules.adapter``),
and of ``rules.conditions.holds``: tests/rules/test_vectorized.py holds the three equal
on every case row, every scenario and 20,000 generated persons.

>>> frame = fact_frame([{"category": "child", "age": 10, "lives_alone": True}])
>>> fired_lists(evaluate(load_ruleset(), frame))      # doctest: +SKIP
[('child.lives_alone',)]
"""

import itertools
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from models.fields import catalogue
from rules.conditions import (
    COMPARISONS,
    AllOf,
    AnyOf,
    Compare,
    Condition,
    Known,
    OneOf,
    resolve,
)

CATEGORIES = ("child", "elder", "woman")
UNKNOWN_CODE = -1
_BOOL_CODES = {True: 1, False: 0}


@cache
def field_kinds() -> dict[str, str]:
    """Every fact field of every category and its kind (a name has one kind everywhere)."""
    return {name: spec.kind for c in CATEGORIES for name, spec in catalogue(c).items()}


@cache
def vocabularies() -> dict[str, dict[str, int]]:
    """``{field: {value: code}}`` for every enum field, and for ``category``."""
    codes: dict[str, dict[str, int]] = {"category": {c: i for i, c in enumerate(CATEGORIES)}}
    for category in CATEGORIES:
        for name, spec in catalogue(category).items():
            if spec.kind in ("enum", "str"):
                codes.setdefault(name, {v: i for i, v in enumerate(spec.values)})
    return codes


@cache
def fact_fields() -> tuple[str, ...]:
    return tuple(sorted({name for c in CATEGORIES for name in catalogue(c)} | {"category"}))


def fact_frame(facts: list[dict[str, Any]]) -> pd.DataFrame:
    """Facts (as rules.facts.build_fact makes them) as float64 columns."""
    return encode(pd.DataFrame.from_records(facts))


def encode(frame: Any, coded: dict | None = None) -> pd.DataFrame:
    """Encode fact values (bool, numbers, enum text, None) column by column: a frame, or
    a dict of columns (no frame of Python objects made first).

    Booleans and enum values become int8 codes (booleans 1 / 0, enums their index in
    the vocabulary) with -1 for unknown; numbers become float64 with NaN for unknown.
    ``coded``: ``{field: (codes, distinct)}`` for columns known as codes into their
    distinct values (``models.sheets.table.TableRead.coded``: ``distinct[codes]`` is the
    column), each distinct value then encoded once without hashing the column again.
    """
    vocab, kinds = vocabularies(), field_kinds()
    coded = coded or {}
    columns = {}
    for name in fact_fields():
        if name not in frame:
            continue
        column = frame[name]
        if name in vocab or kinds[name] == "bool":
            # codes by hashing against the vocabulary (False, True for booleans); -1 otherwise
            known = vocab.get(name, _BOOL_CODES)
            if name in coded:
                codes, distinct = coded[name]
                columns[name] = _codes_table(distinct, known)[codes]
            else:
                columns[name] = as_codes(column, known)
            continue
        if name in coded:
            codes, distinct = coded[name]
            columns[name] = as_numbers(distinct)[codes]
        else:
            columns[name] = as_numbers(column)
    index = frame.index if isinstance(frame, pd.DataFrame) else None
    return pd.DataFrame(columns, index=index)


def as_codes(column: Any, known: dict) -> np.ndarray:
    """A column of values as int8 codes of ``known`` ({value: code}), -1 for None and for
    values outside it: each distinct value looked up once."""
    codes, uniques = pd.factorize(np.asarray(column, dtype=object), use_na_sentinel=True)
    return _codes_table(uniques, known)[codes]


def _codes_table(uniques: Any, known: dict) -> np.ndarray:
    """Each distinct value's int8 code, and -1 last (for the code -1: no value)."""
    table = np.array([known.get(u, UNKNOWN_CODE) for u in uniques] + [UNKNOWN_CODE])
    return table.astype(np.int8)


def as_numbers(column: Any) -> np.ndarray:
    """A column of numbers (int, float, bool, numeric text; None or NaN unknown) as
    float64 with NaN for unknown: each distinct value converted once (a sheet's columns
    repeat their values), as ``pd.to_numeric`` converts it; a column of numbers already
    (bool, int or float dtype) is only made float64."""
    if isinstance(column, np.ndarray) and column.dtype.kind in "biuf":
        return np.asarray(column, dtype=np.float64)
    values = np.asarray(column, dtype=object)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if not len(uniques):
        return np.full(len(values), np.nan)
    known = pd.to_numeric(pd.Series(np.asarray(uniques, dtype=object)))
    return np.append(np.asarray(known, dtype="float64"), np.nan)[codes]


def _constant(field: str, value: Any) -> float | int:
    """A condition's constant in the column encoding."""
    vocab = vocabularies().get(field)
    if vocab is not None:
        return vocab.get(value, -2)  # a value outside the vocabulary matches nothing
    if isinstance(value, bool):
        return _BOOL_CODES[value]
    return float(value)


def unknown(frame: pd.DataFrame, field: str) -> np.ndarray:
    """Where ``field`` is unknown in an encoded fact frame (everywhere, if it is absent)."""
    if field not in frame:
        return np.ones(len(frame), dtype=bool)
    return ~_known(frame[field].to_numpy())


def _known(column: np.ndarray) -> np.ndarray:
    if column.dtype == np.int8:
        return column != UNKNOWN_CODE
    return ~np.isnan(column)


class _Columns:
    """A frame's columns as numpy arrays, at ``rows`` only (gathered when first asked for)."""

    def __init__(self, frame: pd.DataFrame, rows: np.ndarray | None = None):
        self.frame, self.rows = frame, rows
        self.length = len(frame) if rows is None else len(rows)
        self.cache: dict[str, np.ndarray] = {}

    def __contains__(self, name: str) -> bool:
        return name in self.frame

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, name: str) -> np.ndarray:
        column = self.cache.get(name)
        if column is None:
            column = self.frame[name].to_numpy()
            column = self.cache[name] = column if self.rows is None else column[self.rows]
        return column


def mask(
    node: Condition,
    frame: "pd.DataFrame | _Columns",
    params: dict[str, Any],
    memo: dict | None = None,
) -> np.ndarray:
    """A boolean array: where ``node`` holds. ``memo`` shares equal sub-conditions."""
    memo = {} if memo is None else memo
    frame = frame if isinstance(frame, _Columns) else _Columns(frame)
    if node in memo:
        return memo[node]
    if isinstance(node, AllOf | AnyOf):
        combine = np.logical_and if isinstance(node, AllOf) else np.logical_or
        result = mask(node.items[0], frame, params, memo)
        for item in node.items[1:]:
            result = combine(result, mask(item, frame, params, memo))
    else:
        result = _leaf(node, frame, params)
    memo[node] = result
    return result


def _leaf(node: Compare | OneOf | Known, frame: _Columns, params: dict[str, Any]) -> np.ndarray:
    rows = len(frame)
    if node.field not in frame:
        return np.full(rows, isinstance(node, Known) and not node.known)
    column = frame[node.field]
    if isinstance(node, Known):
        known = _known(column)
        return known if node.known else ~known
    if isinstance(node, OneOf):
        return np.isin(column, [_constant(node.field, v) for v in node.values])
    value = _constant(node.field, resolve(node.value, params))
    if node.op == "ne":
        return _known(column) & (column != value)
    # rules.conditions' operator table works on arrays too; NaN and -1 never match
    return COMPARISONS[node.op](column, value)


@dataclass(frozen=True)
class RuleMatrix:
    """Which rules fire for which rows, as bits: rule ``rule_ids[j]`` is bit ``j % 64``
    of word ``j // 64`` of the row's key (``keys``: uint64, shape (rows, words))."""

    keys: np.ndarray
    rule_ids: tuple[str, ...]

    @classmethod
    def from_values(cls, values: np.ndarray, rule_ids: tuple[str, ...]) -> "RuleMatrix":
        keys = np.zeros((len(values), key_words(len(rule_ids))), dtype=np.uint64, order="F")
        for j in range(len(rule_ids)):
            _set_bit(keys, j, values[:, j])
        return cls(keys, rule_ids)

    @property
    def values(self) -> np.ndarray:
        """``values[i, j]``: rule j fires for row i (bool, column-major)."""
        values = np.empty((len(self.keys), len(self.rule_ids)), dtype=bool, order="F")
        for j in range(len(self.rule_ids)):
            values[:, j] = (self.keys[:, j // 64] >> np.uint64(j % 64)) & np.uint64(1)
        return values

    def to_frame(self, index=None) -> pd.DataFrame:
        return pd.DataFrame(self.values, columns=list(self.rule_ids), index=index)


def key_words(rules: int) -> int:
    """uint64 words per row key for ``rules`` bits."""
    return max(1, -(-rules // 64))


def condition_mask(node: Condition, frame: pd.DataFrame, values: dict) -> np.ndarray:
    """Where one condition holds, over a whole encoded fact frame (as ``conditions.holds``)."""
    return mask(node, _Columns(frame), values, {})


def _set_bit(keys: np.ndarray, j: int, holds: np.ndarray) -> None:
    keys[:, j // 64] |= holds.astype(np.uint64) << np.uint64(j % 64)


PARALLEL_FROM = 200_000  # rows; numpy releases the GIL, so large frames use every core


def evaluate(
    ruleset: Any, frame: pd.DataFrame, workers: int | None = None, values: dict | None = None
) -> RuleMatrix:
    """One key per fact, one bit per rule (in rule order), under ``values`` (default
    ``ruleset.values``: callers with several assessment dates evaluate each period's rows
    with ``ruleset.values_at``).

    Frames of ``PARALLEL_FROM`` rows or more are cut into one contiguous slice per
    core, evaluated in threads (numpy's element-wise work runs without the GIL).
    """
    keys = np.zeros((len(frame), key_words(len(ruleset.rules))), dtype=np.uint64, order="F")
    workers = workers or (os.cpu_count() or 1)
    values = ruleset.values if values is None else values
    if len(frame) < PARALLEL_FROM or workers == 1:
        _evaluate_into(ruleset, frame, keys, values)
    else:
        bounds = np.linspace(0, len(frame), workers + 1).astype(int)
        with ThreadPoolExecutor(workers) as pool:
            jobs = [
                pool.submit(_evaluate_into, ruleset, frame.iloc[a:b], keys[a:b], values)
                for a, b in itertools.pairwise(bounds)
            ]
            for job in jobs:
                job.result()
    return RuleMatrix(keys, tuple(r.id for r in ruleset.rules))


def _evaluate_into(ruleset: Any, frame: pd.DataFrame, keys: np.ndarray, values: dict) -> None:
    """Each category's rules on that category's rows only, gathering just the columns
    those rules read; their bits are set in a local key block scattered back once."""
    category = frame["category"].to_numpy()
    for code, name in enumerate(CATEGORIES):
        rules = [(j, rule) for j, rule in enumerate(ruleset.rules) if rule.category == name]
        rows = np.flatnonzero(category == code)
        if len(rows) == 0 or not rules:
            continue
        whole = len(rows) == len(frame)  # one category: no gathering or scattering
        columns = _Columns(frame, None if whole else rows)
        local = keys if whole else np.zeros((len(rows), keys.shape[1]), np.uint64, order="F")
        memo: dict = {}  # rules share conditions (3.1.6 repeats the 3.1.4 situations)
        for j, rule in rules:
            _set_bit(local, j, mask(rule.when, columns, values, memo))
        if not whole:
            keys[rows] = local


def fired_lists(matrix: RuleMatrix) -> list[tuple[str, ...]]:
    """The rule ids that fire for each row, in rule order, as shared immutable tuples.

    Rows with the same key share one tuple: the distinct keys are found by hashing
    (one word) or np.unique (several), and each is decoded once.
    """
    keys = matrix.keys
    if len(keys) == 0:
        return []
    patterns: np.ndarray
    if keys.shape[1] == 1:
        codes, uniques = pd.factorize(keys[:, 0])  # hashing: O(rows)
        patterns = np.asarray(uniques).reshape(-1, 1)
    else:
        patterns, codes = np.unique(keys, return_inverse=True, axis=0)
        codes = codes.ravel()
    fires = RuleMatrix(patterns, matrix.rule_ids).values  # (patterns, rules) bool
    ids = np.asarray(matrix.rule_ids, dtype=object)
    tuples = np.empty(len(patterns), dtype=object)
    tuples[:] = [tuple(ids[row]) for row in fires]
    return tuples[codes].tolist()
