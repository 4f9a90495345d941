"""Reading the YAML data files with closed sets of keys.

>>> check_keys("x.yaml", "rule child.a", {"id": 1}, allowed={"id", "title"}, required={"id"})
"""

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from rules.errors import RuleFileError, did_you_mean


def read_yaml(path: Path) -> Any:
    """Parse one file; a syntax error names the file and the line."""
    try:
        return yaml.safe_load(path.read_text("utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "(file)"
        raise RuleFileError(path.name, where, f"not valid YAML: {exc}") from exc


def check_keys(
    file: str, where: str, entry: Any, allowed: Iterable[str], required: Iterable[str] = ()
) -> None:
    """Refuse a non-mapping, an unknown key (with a suggestion) or a missing key."""
    if not isinstance(entry, dict):
        raise RuleFileError(file, where, f"must be a mapping, got {type(entry).__name__}")
    allowed = set(allowed)
    for key in entry:
        if key not in allowed:
            hint = did_you_mean(str(key), allowed)
            raise RuleFileError(file, f"{where}.{key}", f"unknown key `{key}`.{hint}")
    for key in required:
        if key not in entry:
            raise RuleFileError(file, f"{where}.{key}", "required key is missing")


def check_clause(file: str, where: str, clause: Any, clauses: dict[str, str]) -> str:
    """A clause id must be one of the policy's paragraphs."""
    clause = str(clause)
    if clause not in clauses:
        hint = did_you_mean(clause, clauses)
        raise RuleFileError(file, where, f"clause `{clause}` is not in the policy.{hint}")
    return clause
