"""The score of the last ``mutmut run`` and its survivors, each with the line it changed.

    .venv/bin/python -m tests.mutation_summary      # after `mutmut run` (make mutation)

Score = killed (a test failed, or it timed out) / every mutant that ran. A survivor is a
change to the code that every selected test let through; docs/testing.md says how to
read them.
"""

import collections
import re
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent
KILLED = {"killed", "timeout", "segfault"}
_LINE = re.compile(r"^\s*(?P<name>[\w.ǁ]+__mutmut_\d+): (?P<status>.+)$")


def statuses() -> dict[str, str]:
    out = subprocess.run(
        [BIN / "mutmut", "results", "--all", "true"], capture_output=True, text=True, check=True
    ).stdout
    return {m["name"]: m["status"].strip() for m in map(_LINE.match, out.splitlines()) if m}


def changed_lines(name: str) -> list[str]:
    diff = subprocess.run([BIN / "mutmut", "show", name], capture_output=True, text=True).stdout
    return [
        line
        for line in diff.splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def main() -> int:
    found = statuses()
    ran = {n: s for n, s in found.items() if s not in ("not checked", "skipped")}
    if not ran:
        print("no mutmut results: run `make mutation` first")
        return 1
    modules = collections.defaultdict(collections.Counter)
    for name, status in ran.items():
        modules[name.split(".x")[0]][status in KILLED] += 1
    print("code mutants (mutmut):")
    for module, counts in sorted(modules.items()):
        total, share = counts[True] + counts[False], 100 * counts[True] / sum(counts.values())
        print(f"  {module:20s} {counts[True]:4d} / {total:4d} killed ({share:.1f} %)")
    killed = sum(c[True] for c in modules.values())
    print(f"  {'all':20s} {killed:4d} / {len(ran):4d} killed ({100 * killed / len(ran):.1f} %)")
    other = collections.Counter(s for s in ran.values() if s not in KILLED | {"survived"})
    if other:
        print(f"  not killed without surviving: {dict(other)}")
    survivors = sorted(n for n, s in ran.items() if s not in KILLED)
    print(f"\nsurvivors ({len(survivors)}; `mutmut show NAME` for the whole diff):")
    for name in survivors:
        print(f"  {name} [{ran[name]}]")
        for line in changed_lines(name)[:4]:
            print(f"      {line.strip()[:110]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
