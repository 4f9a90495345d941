"""The model's features: the same facts the rules read, as one numeric column each.

Numbers and whole counts stay as they are, booleans are 1/0, and each enum value
(and each category) is its own 1/0 column; an unknown value is NaN everywhere,
which the gradient-boosted trees route on their own (unknown is not false). No
name, identity number, place or raw date is a feature: facts carry none of them.

The schema (names and their meaning) is saved with a model; a model whose
schema differs from this code's is refused at load.

>>> from rules.vectorized import fact_frame
>>> float(matrix(fact_frame([{"category": "child", "lives_alone": True}]))[0, index("lives_alone")])
1.0
"""

import hashlib
import json
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from rules.vectorized import UNKNOWN_CODE, fact_fields, vocabularies


@cache
def schema() -> tuple[tuple[str, str, str | None], ...]:
    """``(feature, fact field, enum value or None)`` in column order."""
    vocab = vocabularies()
    columns: list[tuple[str, str, str | None]] = []
    for name in fact_fields():
        if name in vocab:
            columns += [(f"{name}={value}", name, value) for value in vocab[name]]
        else:
            columns.append((name, name, None))
    return tuple(columns)


def names() -> list[str]:
    return [feature for feature, _, _ in schema()]


def schema_sha256() -> str:
    return hashlib.sha256(json.dumps(schema(), ensure_ascii=False).encode()).hexdigest()


@cache
def index(feature: str) -> int:
    return names().index(feature)


def matrix(frame: pd.DataFrame) -> np.ndarray:
    """Features of an encoded fact frame (``rules.vectorized.fact_frame``), float64."""
    vocab = vocabularies()
    out = np.full((len(frame), len(schema())), np.nan, order="F")  # filled column by column
    for j, (_, field, value) in enumerate(schema()):
        if field not in frame:
            continue
        column = frame[field].to_numpy()
        if value is None and column.dtype != np.int8:
            out[:, j] = column
        elif value is None:  # a boolean: 1 / 0, -1 unknown
            out[:, j] = np.where(column == UNKNOWN_CODE, np.nan, column)
        else:
            out[:, j] = np.where(column == UNKNOWN_CODE, np.nan, column == vocab[field][value])
    return out


def row(fact: dict[str, Any]) -> np.ndarray:
    """The features of one fact (``rules.facts.build_fact``), as ``matrix`` gives them."""
    out = np.full(len(schema()), np.nan)
    for j, (_, field, value) in enumerate(schema()):
        given = fact.get(field)
        if given is None:
            continue
        out[j] = (given == value) if value is not None else float(given)
    return out
