"""The typed seams between the layers: what a person, a ruleset and a model are.

``PersonInput`` is a validated contract person (models.person); ``RuleSet`` is the
loaded ruleset (rules.loader); ``ModelScorer`` is what the optional calibrated model
must offer the rules (evaluation.serving.ModelScorer implements it), passed in where
it is used, never set on an object afterwards.
"""

from datetime import date
from typing import Any, Protocol

import pandas as pd

from models.person import ChildInput, ElderInput, WomanInput

PersonInput = ChildInput | ElderInput | WomanInput
Day = date  # an assessment date; values are taken as in force on it


class ModelScorer(Protocol):
    """The optional model beside the rules: a block per person, or None where its
    categories do not cover the person; its ``high`` band may raise a level one step."""

    version: str

    def score_fact(self, fact: dict[str, Any]) -> dict[str, Any] | None: ...

    def blocks(self, frame: pd.DataFrame) -> list[dict[str, Any] | None]: ...
