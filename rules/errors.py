"""The rules' errors: RulesError, RuleFileError, PeriodError, EngineError (the whole
tree of liushou's errors is drawn in models/errors.py)."""

import difflib
from collections.abc import Iterable

from models.errors import LiushouError

__all__ = [
    "EngineError",
    "LiushouError",
    "PeriodError",
    "RuleFileError",
    "RulesError",
    "UnknownRule",
]


class RulesError(LiushouError):
    """The rules, parameters, actions or departments cannot be loaded."""


class RuleFileError(RulesError):
    """One problem in one data file, at one key."""

    def __init__(self, file: str, key: str, message: str):
        self.file, self.key, self.message = file, key, message
        super().__init__(f"{file}: {key}: {message}")


class PeriodError(LiushouError):
    """A date before the first day on which every parameter has a value."""

    def __init__(self, day, first_day):
        self.day, self.first_day = day, first_day
        super().__init__(
            f"no parameter values are in force on {day}: the rules start on {first_day}"
        )


class UnknownRule(LiushouError, KeyError):
    """No rule with this id (the message suggests a close one)."""

    def __init__(self, rule_id: str, known: Iterable[str]):
        self.rule_id = rule_id
        super().__init__(f"no rule `{rule_id}`.{did_you_mean(rule_id, known)}")

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class EngineError(LiushouError):
    """durable_rules failed while evaluating one fact."""


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` Did you mean `x`?`` when a close match exists, else an empty string."""
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" Did you mean `{close[0]}`?" if close else ""
