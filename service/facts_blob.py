"""Encoded fact columns to bytes and back: compact, no pickle, readable after vocabularies change.

Layout: a 4-byte length, a JSON header (per column: name, dtype, byte count, and for
coded columns the values their codes stood for), then each column's bytes, the
whole compressed with zlib. Decoding maps stored codes to values and encodes them
again with today's vocabularies (rules.vectorized).
"""

import json
import struct
import zlib

import numpy as np
import pandas as pd

from rules.vectorized import UNKNOWN_CODE, vocabularies

LEVEL = 1  # zlib: fast; the columns are mostly small codes and compress well anyway


def dumps(facts: pd.DataFrame) -> bytes:
    vocab = vocabularies()
    header, parts = [], []
    for name in facts.columns:
        column = np.ascontiguousarray(facts[name].to_numpy())
        entry = {"name": name, "dtype": column.dtype.str, "bytes": column.nbytes}
        if name in vocab:
            entry["values"] = list(vocab[name])  # code i stood for values[i]
        header.append(entry)
        parts.append(column.tobytes())
    head = json.dumps({"rows": len(facts), "columns": header}).encode()
    return zlib.compress(struct.pack("<I", len(head)) + head + b"".join(parts), LEVEL)


def loads(data: bytes) -> pd.DataFrame:
    raw = zlib.decompress(data)
    (size,) = struct.unpack("<I", raw[:4])
    head = json.loads(raw[4 : 4 + size])
    offset, columns, vocab = 4 + size, {}, vocabularies()
    for entry in head["columns"]:
        dtype = np.dtype(entry["dtype"])
        count = entry["bytes"] // dtype.itemsize
        column = np.frombuffer(raw, dtype=dtype, count=count, offset=offset).copy()
        offset += entry["bytes"]
        if "values" in entry and entry["name"] in vocab:
            now = vocab[entry["name"]]
            recode = np.array([now.get(v, UNKNOWN_CODE) for v in entry["values"]] + [UNKNOWN_CODE])
            column = recode[column.astype(np.int64)].astype(np.int8)  # -1 picks the last slot
        columns[entry["name"]] = column
    return pd.DataFrame(columns, index=pd.RangeIndex(head["rows"]))
