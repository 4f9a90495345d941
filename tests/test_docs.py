"""The docs say what the code does."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_worked_examples_are_what_the_api_answers():
    """docs/examples.md is regenerated from the scenario suite; a rule change that alters
    an example without regenerating the page fails here."""
    done = subprocess.run(
        [sys.executable, "docs/make_examples.py", "--check"], cwd=ROOT, capture_output=True
    )
    assert done.returncode == 0, "docs/examples.md is stale: run python docs/make_examples.py"
