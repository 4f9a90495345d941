"""Example persons of the contract (the API's OpenAPI examples, the README's curl commands).

>>> examples()["child_lives_alone"]["category"]
'child'
"""

import json
from functools import cache
from pathlib import Path

EXAMPLES_DIR = Path(__file__).parent


@cache
def examples() -> dict[str, dict]:
    """``{name: person}`` for every example in models/examples."""
    return {p.stem: json.loads(p.read_text("utf-8")) for p in sorted(EXAMPLES_DIR.glob("*.json"))}
