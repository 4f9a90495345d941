"""A review's facts stored as a blob: the same frame back, even after a vocabulary grows."""

import numpy as np
import pandas as pd

from fixtures.generate import generate
from models.person import PERSON_ADAPTER
from rules.facts import build_fact
from rules.vectorized import fact_frame, vocabularies
from service import facts_blob


def test_round_trip(ruleset):
    persons = [PERSON_ADAPTER.validate_python(p) for p in generate(500, seed=2)]
    frame = fact_frame([build_fact(p, ruleset) for p in persons])
    back = facts_blob.loads(facts_blob.dumps(frame))
    pd.testing.assert_frame_equal(back, frame.reset_index(drop=True))


def test_codes_follow_the_values_not_the_positions(monkeypatch):
    frame = fact_frame(
        [{"category": "child", "guardian_type": "grandparent"}, {"category": "elder"}]
    )
    data = facts_blob.dumps(frame)
    vocab = dict(vocabularies())
    grown = {"newcomer": 0, **{k: v + 1 for k, v in vocab["guardian_type"].items()}}
    monkeypatch.setattr(facts_blob, "vocabularies", lambda: {**vocab, "guardian_type": grown})
    back = facts_blob.loads(data)
    assert back["guardian_type"].tolist() == [grown["grandparent"], -1]
    assert back["guardian_type"].dtype == np.int8
