"""The same compiled conditions, evaluated column-wise over a DataFrame of facts.

No Python loop over rows: each condition becomes numpy operations on whole
columns (OpenFisca's way). Numbers are float64 (NaN unknown); booleans and
enum values are int8 codes (-1 unknown). Unknown behaves as in ``rules.conditions.holds``: a
comparison on it is false, ``known: false`` is true.

>>> frame = fact_frame([{"category": "child", "age": 10, "lives_alone": True}])
>>> fired_lists(evaluate(load_ruleset(), frame))      # doctest: +SKIP
[('child.lives_alone', 'child.evaluation_after_report')]
"""

import itertools
import operator
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from models.fields import catalogue
from rules.conditions import AllOf, AnyOf, Condition, Known, OneOf, resolve

_OPS = {
    "eq": operator.eq,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}
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


def encode(frame: pd.DataFrame) -> pd.DataFrame:
    """Encode a frame of fact values (bool, numbers, enum text, None) column by column.

    Booleans and enum values become int8 codes (booleans 1 / 0, enums their index in
    the vocabulary) with -1 for unknown; numbers become float64 with NaN for unknown.
    """
    vocab, kinds = vocabularies(), field_kinds()
    columns = {}
    for name in fact_fields():
        if name not in frame:
            continue
        column = frame[name]
        if name in vocab:
            codes = column.map(vocab[name])
        elif kinds[name] == "bool":
            codes = column.map(_BOOL_CODES)
        else:
            values = column.astype(object)
            columns[name] = pd.to_numeric(values.where(values.notna(), np.nan)).astype("float64")
            continue
        columns[name] = codes.fillna(UNKNOWN_CODE).astype(np.int8).to_numpy()
    return pd.DataFrame(columns, index=frame.index)


def _constant(field: str, value: Any) -> float | int:
    """A condition's constant in the column encoding."""
    vocab = vocabularies().get(field)
    if vocab is not None:
        return vocab.get(value, -2)  # a value outside the vocabulary matches nothing
    if isinstance(value, bool):
        return _BOOL_CODES[value]
    return float(value)


def _known(column: np.ndarray) -> np.ndarray:
    if column.dtype == np.int8:
        return column != UNKNOWN_CODE
    return ~np.isnan(column)


def mask(
    node: Condition, frame: pd.DataFrame, params: dict[str, Any], memo: dict | None = None
) -> np.ndarray:
    """A boolean array: where ``node`` holds. ``memo`` shares equal sub-conditions."""
    memo = {} if memo is None else memo
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


def _leaf(node: Condition, frame: pd.DataFrame, params: dict[str, Any]) -> np.ndarray:
    rows = len(frame)
    if node.field not in frame:
        return np.full(rows, isinstance(node, Known) and not node.known)
    column = frame[node.field].to_numpy()
    if isinstance(node, Known):
        known = _known(column)
        return known if node.known else ~known
    if isinstance(node, OneOf):
        return np.isin(column, [_constant(node.field, v) for v in node.values])
    value = _constant(node.field, resolve(node.value, params))
    if node.op == "ne":
        return _known(column) & (column != value)
    return _OPS[node.op](column, value)  # NaN and -1 never match: unknown never holds


@dataclass(frozen=True)
class RuleMatrix:
    """Which rules fire for which rows: ``values[i, j]`` for row i and ``rule_ids[j]``."""

    values: np.ndarray  # bool, column-major (n_rows, n_rules)
    rule_ids: tuple[str, ...]
    keys: np.ndarray | None = None  # each row's bits packed in uint64 words (_row_keys)

    def to_frame(self, index=None) -> pd.DataFrame:
        return pd.DataFrame(self.values, columns=list(self.rule_ids), index=index)


PARALLEL_FROM = 200_000  # rows; numpy releases the GIL, so large frames use every core


def evaluate(ruleset: Any, frame: pd.DataFrame, workers: int | None = None) -> RuleMatrix:
    """One row per fact, one column per rule (in rule order).

    Frames of ``PARALLEL_FROM`` rows or more are cut into one contiguous slice per
    core, evaluated in threads (numpy's element-wise work runs without the GIL).
    """
    values = np.empty((len(frame), len(ruleset.rules)), dtype=bool, order="F")
    keys = np.zeros((len(frame), -(-len(ruleset.rules) // 64)), dtype=np.uint64)
    workers = workers or (os.cpu_count() or 1)
    if len(frame) < PARALLEL_FROM or workers == 1:
        _evaluate_into(ruleset, frame, values, keys)
    else:
        bounds = np.linspace(0, len(frame), workers + 1).astype(int)
        with ThreadPoolExecutor(workers) as pool:
            jobs = [
                pool.submit(_evaluate_into, ruleset, frame.iloc[a:b], values[a:b], keys[a:b])
                for a, b in itertools.pairwise(bounds)
            ]
            for job in jobs:
                job.result()
    return RuleMatrix(values, tuple(r.id for r in ruleset.rules), keys)


def _evaluate_into(ruleset: Any, frame: pd.DataFrame, values: np.ndarray, keys: np.ndarray) -> None:
    category = frame["category"].to_numpy()
    by_category = {c: category == i for i, c in enumerate(CATEGORIES)}
    memo: dict = {}  # rules share conditions (3.1.6 repeats the 3.1.4 situations)
    for j, rule in enumerate(ruleset.rules):
        np.logical_and(
            by_category[rule.category],
            mask(rule.when, frame, ruleset.values, memo),
            out=values[:, j],
        )
    keys[:] = _row_keys(values)


def fired_lists(matrix: RuleMatrix) -> list[tuple[str, ...]]:
    """The rule ids that fire for each row, in rule order, as shared immutable tuples.

    Rows with the same pattern share one tuple: each row's bits are packed into
    64-bit words, the distinct patterns found with np.unique, and each row gets
    its pattern's tuple by one lookup.
    """
    values = matrix.values
    if len(values) == 0:
        return []
    keys = matrix.keys if matrix.keys is not None else _row_keys(values)
    keys = keys[:, 0] if keys.shape[1] == 1 else keys
    if keys.ndim == 1:
        codes, patterns = pd.factorize(keys)  # hashing: O(rows)
    else:
        _, codes = np.unique(keys, return_inverse=True, axis=0)
        codes, patterns = codes.ravel(), np.arange(codes.max() + 1)
    first = np.empty(len(patterns), dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)  # first row of each pattern
    rule_ids = np.asarray(matrix.rule_ids, dtype=object)
    tuples = np.empty(len(first), dtype=object)
    tuples[:] = [tuple(rule_ids[values[row]]) for row in first]
    return tuples[codes].tolist()


def _row_keys(values: np.ndarray) -> np.ndarray:
    """Each row's bits as uint64 words, shape (rows, words): 8 bits to a byte first."""
    rows, rules = values.shape
    words = np.zeros((rows, -(-rules // 64)), dtype=np.uint64)
    for start in range(0, rules, 8):
        byte = np.zeros(rows, dtype=np.uint8)
        for j in range(start, min(start + 8, rules)):
            byte |= values[:, j].view(np.uint8) << np.uint8(j - start)
        words[:, start // 64] |= byte.astype(np.uint64) << np.uint64(start % 64)
    return words
