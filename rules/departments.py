"""The responsible departments (contract: "Department codes")."""

from dataclasses import dataclass
from pathlib import Path

from rules.datafile import check_keys, read_yaml
from rules.errors import RuleFileError

LEVELS = frozenset({"county", "township", "village", "institution"})


@dataclass(frozen=True)
class Department:
    code: str
    zh: str
    level: str


def load_departments(path: Path) -> dict[str, Department]:
    raw = read_yaml(path)
    if not isinstance(raw, dict):
        raise RuleFileError(path.name, "(file)", "must map department codes to entries")
    departments = {}
    for code, entry in raw.items():
        check_keys(path.name, f"department {code}", entry, {"zh", "level"}, {"zh", "level"})
        if entry["level"] not in LEVELS:
            raise RuleFileError(
                path.name, f"department {code}.level", f"must be one of {sorted(LEVELS)}"
            )
        departments[str(code)] = Department(str(code), str(entry["zh"]), entry["level"])
    return departments
