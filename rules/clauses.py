"""The clause ids of the policy and their paragraphs, read from its text.

>>> clauses = load_clauses()
>>> "3.1.4" in clauses and "强制报告" in clauses["3.1.4"]
True
"""

import re
from functools import cache
from pathlib import Path

POLICY_TEXT = Path(__file__).parent / "data" / "policy-text.md"
_CLAUSE = re.compile(r"^\*\*\[(?P<id>[\d.]+)\]\*\*\s*(?P<text>.+)$", re.MULTILINE)


@cache
def load_clauses(path: Path = POLICY_TEXT) -> dict[str, str]:
    """``{clause id: paragraph}`` for every ``**[id]**`` paragraph."""
    return {m["id"]: m["text"].strip() for m in _CLAUSE.finditer(path.read_text("utf-8"))}


def quotes_clause(text: str, paragraph: str) -> bool:
    """Whether ``text`` is verbatim in ``paragraph``; "……" joins fragments in order."""
    position = 0
    for fragment in (f.strip() for f in text.split("……")):
        found = paragraph.find(fragment, position)
        if not fragment or found < 0:
            return False
        position = found + len(fragment)
    return True
