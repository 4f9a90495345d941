"""Interventions, defined once and referenced by code from the rules."""

from dataclasses import dataclass
from pathlib import Path

from rules.clauses import quotes_clause
from rules.datafile import check_clause, check_keys, read_yaml
from rules.departments import Department
from rules.errors import RuleFileError, did_you_mean
from rules.parameters import Parameter

_KEYS = {
    "title",
    "department",
    "cooperating",
    "deadline",
    "mandatory_report",
    "clause",
    "text",
    "note",
}
_REQUIRED = {"title", "department", "deadline", "clause", "text"}


@dataclass(frozen=True)
class Action:
    code: str
    title: str
    department: str
    cooperating: tuple[str, ...]
    deadline: str  # the name of an hour parameter
    mandatory_report: bool
    clause: str
    text: str
    note: str | None = None


def check_department(file: str, where: str, code: object, departments: dict) -> str:
    if code not in departments:
        hint = did_you_mean(str(code), departments)
        raise RuleFileError(file, where, f"unknown department `{code}`.{hint}")
    return str(code)


def check_parameter(file: str, where: str, name: object, params: dict, unit: str) -> str:
    if name not in params:
        hint = did_you_mean(str(name), params)
        raise RuleFileError(file, where, f"unknown parameter `{name}`.{hint}")
    if params[name].unit != unit:
        raise RuleFileError(
            file, where, f"parameter `{name}` is in {params[name].unit}, not {unit}"
        )
    return str(name)


def _action(file, code, entry, clauses, departments, params) -> Action:
    where = f"action {code}"
    check_keys(file, where, entry, _KEYS, _REQUIRED)
    clause = check_clause(file, f"{where}.clause", entry["clause"], clauses)
    if not quotes_clause(str(entry["text"]), clauses[clause]):
        raise RuleFileError(file, f"{where}.text", f"is not verbatim in clause {clause}")
    cooperating = entry.get("cooperating", [])
    if not isinstance(cooperating, list):
        raise RuleFileError(file, f"{where}.cooperating", "must be a list of department codes")
    return Action(
        code=code,
        title=str(entry["title"]),
        department=check_department(file, f"{where}.department", entry["department"], departments),
        cooperating=tuple(
            check_department(file, f"{where}.cooperating", c, departments) for c in cooperating
        ),
        deadline=check_parameter(file, f"{where}.deadline", entry["deadline"], params, "hour"),
        mandatory_report=bool(entry.get("mandatory_report", False)),
        clause=clause,
        text=str(entry["text"]),
        note=entry.get("note"),
    )


def load_actions(
    path: Path,
    clauses: dict[str, str],
    departments: dict[str, Department],
    params: dict[str, Parameter],
) -> dict[str, Action]:
    raw = read_yaml(path)
    if not isinstance(raw, dict):
        raise RuleFileError(path.name, "(file)", "must map action codes to entries")
    return {
        str(code): _action(path.name, str(code), entry, clauses, departments, params)
        for code, entry in raw.items()
    }
