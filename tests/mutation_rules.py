"""Mutation testing of the rule data: do the case tables notice a changed rule?

One change at a time, in a copy of rules/data: each rule's level (one step lower;
a rule without a level gets ``medium``), each action's department (another one),
cooperating departments (emptied, or one added), deadline (another deadline
parameter with a different value) and mandatory flag (flipped), and each
parameter's value in force ±1 (±0.01 for a fraction). Each mutant is loaded
(a mutant the loader refuses counts as killed "at load"), compiled, and run
against every case row (tests/cases/*.yaml and fixtures/scenarios/*.yaml, through
tests/case_check.py) and against the assignments table
(tests/rules/assignments.yaml). Prints both scores and every survivor.

    .venv/bin/python -m tests.mutation_rules [--workers 2] [--only WORDS]

``make mutation`` runs it after mutmut; docs/testing.md says how to read it.
"""

import argparse
import copy
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "rules" / "data"
CASE_FILES = sorted((ROOT / "tests" / "cases").glob("*.yaml")) + sorted(
    (ROOT / "fixtures" / "scenarios").glob("*.yaml")
)
LOWER = {"critical": "high", "high": "medium", "medium": None, None: "medium"}
OTHER_DEADLINE = {
    "deadline.immediate": "deadline.prompt",
    "deadline.prompt": "deadline.routine",
    "deadline.routine": "deadline.prompt",
    "deadline.court_application": "deadline.prompt",
    "deadline.written_report": "deadline.routine",
    "deadline.quarterly": "deadline.routine",
}


@dataclass(frozen=True)
class Mutant:
    label: str
    file: str  # relative to rules/data
    change: Callable[[object], None]  # edits the parsed file in place


def _set(entry: dict, key: str, value) -> None:
    if value is None:
        entry.pop(key, None)
    else:
        entry[key] = value


def rule_mutants() -> Iterator[Mutant]:
    for path in sorted((DATA / "policy").glob("*.yaml")):
        for i, rule in enumerate(yaml.safe_load(path.read_text("utf-8"))):
            old, new = rule.get("level"), LOWER[rule.get("level")]

            def change(rules, i=i, new=new):
                _set(rules[i], "level", new)

            yield Mutant(f"rule {rule['id']}: level {old} -> {new}", f"policy/{path.name}", change)


def action_mutants() -> Iterator[Mutant]:
    actions = yaml.safe_load((DATA / "actions.yaml").read_text("utf-8"))
    for code, entry in actions.items():
        department = entry["department"]
        other = "township_government" if department == "village_committee" else "village_committee"
        cooperating = entry.get("cooperating", [])
        more = [] if cooperating else ["guidance_center"]
        deadline = OTHER_DEADLINE[entry["deadline"]]
        flag = not entry.get("mandatory_report", False)
        yield from (
            Mutant(f"action {code}: department {department} -> {other}", "actions.yaml",
                   lambda a, c=code, v=other: _set(a[c], "department", v)),
            Mutant(f"action {code}: cooperating {cooperating} -> {more}", "actions.yaml",
                   lambda a, c=code, v=more: _set(a[c], "cooperating", v)),
            Mutant(f"action {code}: deadline {entry['deadline']} -> {deadline}", "actions.yaml",
                   lambda a, c=code, v=deadline: _set(a[c], "deadline", v)),
            Mutant(f"action {code}: mandatory_report -> {flag}", "actions.yaml",
                   lambda a, c=code, v=flag: _set(a[c], "mandatory_report", v)),
        )  # fmt: skip


def parameter_mutants(today: date) -> Iterator[Mutant]:
    params = yaml.safe_load((DATA / "parameters.yaml").read_text("utf-8"))
    for name, entry in params.items():
        dates = sorted((k for k in entry["values"] if date.fromisoformat(str(k)) <= today), key=str)
        if not dates:
            continue
        key, value = dates[-1], entry["values"][dates[-1]]
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        step = 1 if isinstance(value, int) or abs(value) >= 10 else 0.01
        for new in (value - step, value + step):
            new = round(new, 6)

            def change(p, name=name, key=key, new=new):
                p[name]["values"][key] = new

            yield Mutant(f"parameter {name}: {value} -> {new}", "parameters.yaml", change)


def all_mutants() -> list[Mutant]:
    return [*rule_mutants(), *action_mutants(), *parameter_mutants(date.today())]


# --- running one mutant (in a worker process, with its own copy of rules/data) ---

_BASE: Path | None = None  # one temporary folder for the run; each worker copies rules/data in
_WORK: Path | None = None
_CASES: list[dict] = []
_MUTANTS: list[Mutant] = []  # set before the workers fork; they are sent indexes


def _start() -> None:
    global _WORK, _CASES
    _WORK = (_BASE or Path(tempfile.mkdtemp(prefix="liushou-mutation-"))) / f"{os.getpid()}"
    shutil.copytree(DATA, _WORK, dirs_exist_ok=True)
    _CASES = [case for path in CASE_FILES for case in yaml.safe_load(path.read_text("utf-8"))]


def _write(relative: str, parsed: object) -> None:
    text = yaml.safe_dump(parsed, allow_unicode=True, sort_keys=False, width=10_000)
    (_WORK / relative).write_text(text, "utf-8")


def run_index(index: int) -> tuple[int, str, str]:
    return run((index, _MUTANTS[index]))


def run(index_and_mutant: tuple[int, Mutant]) -> tuple[int, str, str]:
    """``(index, "at load" | "cases" | "table" | "survived", first failure)``."""
    from rules.assess import Assessor
    from rules.errors import RulesError
    from rules.loader import load_ruleset
    from tests.case_check import check_case

    index, mutant = index_and_mutant
    relative = mutant.file
    parsed = copy.deepcopy(yaml.safe_load((DATA / relative).read_text("utf-8")))
    mutant.change(parsed)
    _write(relative, parsed)
    try:
        try:
            ruleset = load_ruleset(_WORK)
        except RulesError as exc:
            return index, "at load", str(exc).splitlines()[0][:160]
        assessor = Assessor.build(ruleset)
        for case in _CASES:
            try:
                check_case(case, assessor)
            except AssertionError as exc:
                return index, "cases", f"{case['name']}: {str(exc).splitlines()[0][:160]}"
        differences = table_differences(ruleset)
        if differences:
            return index, "table", differences[0]
        return index, "survived", ""
    finally:
        shutil.copyfile(DATA / relative, _WORK / relative)


def table_differences(ruleset) -> list[str]:
    """Where the loaded actions differ from the assignments table (tests/rules/test_assignments)."""
    from tests.rules.test_assignments import TABLE, action_fields, expected_fields

    found = []
    for code in TABLE:
        if code not in ruleset.actions:
            found.append(f"{code}: missing")
            continue
        data, expected = action_fields(ruleset, code), expected_fields(code)
        found += [
            f"{code}.{k}: {data[k]!r} != {expected[k]!r}" for k in data if data[k] != expected[k]
        ]
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", default="", help="run only mutants whose label contains this")
    args = parser.parse_args(argv)
    global _MUTANTS, _BASE
    mutants = _MUTANTS = [m for m in all_mutants() if args.only in m.label]
    started = time.monotonic()
    _BASE = Path(tempfile.mkdtemp(prefix="liushou-mutation-"))
    try:
        return _run_all(mutants, args.workers, started)
    finally:
        shutil.rmtree(_BASE, ignore_errors=True)


def _run_all(mutants: list[Mutant], workers: int, started: float) -> int:
    _start()
    for file in sorted({m.file for m in all_mutants()}):  # each file dumped, unmutated
        baseline = run((-1, Mutant("unmutated", file, lambda parsed: None)))
        if baseline[1] != "survived":
            print(f"{file} as dumped, unmutated, does not pass: {baseline}", file=sys.stderr)
            return 2
    with multiprocessing.get_context("fork").Pool(
        workers, initializer=_start, maxtasksperchild=40
    ) as pool:
        results = sorted(pool.imap_unordered(run_index, range(len(mutants)), chunksize=4))
    report(mutants, results, time.monotonic() - started)
    return 0


def report(mutants: list[Mutant], results: list[tuple[int, str, str]], seconds: float) -> None:
    kinds = [kind for _, kind, _ in results]
    total, at_load = len(results), kinds.count("at load")
    by_cases = at_load + kinds.count("cases")
    survivors = [(mutants[i], why) for i, kind, why in results if kind == "survived"]
    caught_by_table = [mutants[i] for i, kind, _ in results if kind == "table"]
    print(f"rule-data mutants: {total} in {seconds:.0f} s ({at_load} refused by the loader)")
    print(f"killed by the case tables:                       {by_cases:4d} / {total} "
          f"({100 * by_cases / total:.1f} %)")  # fmt: skip
    killed = total - len(survivors)
    print(f"killed by the case tables or assignments table:  {killed:4d} / {total} "
          f"({100 * killed / total:.1f} %)")  # fmt: skip
    print(f"\nmissed by the case tables, caught by the assignments table ({len(caught_by_table)}):")
    for mutant in caught_by_table:
        print(f"  {mutant.label}")
    print(f"\nsurvivors ({len(survivors)}):")
    for mutant, _ in survivors:
        print(f"  {mutant.label}")


if __name__ == "__main__":
    sys.exit(main())
