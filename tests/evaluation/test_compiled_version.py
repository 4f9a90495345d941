"""evaluation/compiled.py reads scikit-learn's private tree internals: it is pinned to
one minor version, and this test says so clearly on another."""

import re
from pathlib import Path

from evaluation.compiled import SUPPORTED_SKLEARN, sklearn_minor

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_installed_scikit_learn_is_the_minor_version_the_compiled_model_reads():
    assert sklearn_minor() == SUPPORTED_SKLEARN, (
        f"scikit-learn {'.'.join(map(str, sklearn_minor()))} is installed, but "
        f"evaluation/compiled.py reads the private tree internals of "
        f"{'.'.join(map(str, SUPPORTED_SKLEARN))}: check CompiledModel.from_model against "
        "the new version (tests/evaluation/test_model.py compares it with scikit-learn), "
        "then move SUPPORTED_SKLEARN and the pin in pyproject.toml together"
    )


def test_pyproject_pins_the_same_minor_version():
    text = PYPROJECT.read_text("utf-8")
    major, minor = SUPPORTED_SKLEARN
    pin = re.search(r'"scikit-learn>=([\d.]+),<([\d.]+)"', text)
    assert pin, "pyproject.toml must pin scikit-learn to a range"
    assert pin.group(1) == f"{major}.{minor}" and pin.group(2) == f"{major}.{minor + 1}"
