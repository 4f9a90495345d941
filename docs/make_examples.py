"""Write docs/examples.md: worked examples from the scenario suite, run through the API.

    python docs/make_examples.py            # rewrite docs/examples.md
    python docs/make_examples.py --check    # exit 1 if the doc is not what the API answers

tests/test_docs.py runs the check, so the doc stays true when a rule changes.
"""

import json
import sys
from pathlib import Path

import yaml
from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "examples.md"
EXAMPLES = [  # (scenario person_id, what it shows)
    (
        "S-X06",
        "a boy of 4 abandoned by his parents: a 3.1.4 emergency (不履行监护责任) with its 3.1.5 "
        "handling — mandatory police report, police respond, parents contacted to return, "
        "temporary care if they cannot be reached, the township notified and its 3.1.6 "
        "evaluation — and 3.1.7's penalty and admonition.",
    ),
    (
        "S-E03",
        "an elder of 74 whose two sons work away and have not paid support for 14 months "
        "despite the village committee's admonition; income 5,200 元/year. High twice over: "
        "by its 3.2.1 floors and by its points (3 + 3 = 6), which also bring 3.2.3's targeted "
        "measures (periodic_assessment).",
    ),
    (
        "S-C03",
        "a boy of 12 looked after by a grandfather of 78 of limited capacity, no agreement "
        "signed, parents who never call. Four guardianship findings give 5 points, under the "
        "high cut-off of 6: medium. An analyst who thinks that too low changes "
        "`score.child.high` or a weight (a parameter), not the code.",
    ),
]
VOLATILE = {"assessment_id": "…", "sha256": "…"}


def scenarios() -> dict[str, dict]:
    found = {}
    for path in sorted((ROOT / "fixtures" / "scenarios").glob("*.yaml")):
        for case in yaml.safe_load(path.read_text("utf-8")):
            found[case["input"]["person_id"]] = case["input"]
    return found


def _steady(value):
    if isinstance(value, dict):
        return {k: VOLATILE.get(k, _steady(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_steady(v) for v in value]
    return value


def render() -> str:
    from service.app import create_app
    from service.settings import Settings

    people = scenarios()
    parts = [
        "# Worked examples",
        "",
        "Made by `python docs/make_examples.py` from `fixtures/scenarios/` through the API "
        "(`tests/test_docs.py` checks that this page is what the API answers; "
        "`assessment_id` and the ruleset's sha256 are shown as …).",
        "",
    ]
    with TestClient(create_app(Settings())) as client:
        for person_id, what in EXAMPLES:
            person = people[person_id]
            body = client.post("/v1/assessments", json=person).json()
            parts += [
                f"## {person_id}",
                "",
                what,
                "",
                "```sh",
                "curl -s -X POST http://127.0.0.1:8000/v1/assessments "
                "-H 'content-type: application/json' -d '"
                + json.dumps(person, ensure_ascii=False)
                + "'",
                "```",
                "",
                "```json",
                json.dumps(_steady(body), ensure_ascii=False, indent=2),
                "```",
                "",
            ]
    return "\n".join(parts)


if __name__ == "__main__":
    text = render()
    if "--check" in sys.argv:
        sys.exit(0 if DOC.read_text("utf-8") == text else 1)
    DOC.write_text(text, "utf-8")
