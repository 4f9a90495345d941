"""The lock file is what `make test` ran with: every package the project needs, at the
version installed (Makefile installs with `-c requirements.lock`; `make lock` rewrites it)."""

import re
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

LOCK = Path(__file__).resolve().parents[1] / "requirements.lock"
# the installer's own, which pip-compile leaves out of a lock (pip-tools needs them)
INSTALLER = {"pip", "setuptools", "wheel"}
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


def pins() -> dict[str, str]:
    found = {}
    for line in LOCK.read_text().splitlines():
        match = PIN.match(line.strip())
        if match:
            found[canonicalize_name(match[1])] = match[2]
    return found


def needed(name: str, extras: frozenset[str] = frozenset(), seen=None) -> set[str]:
    """The installed distributions ``name`` needs, with its extras, all the way down."""
    seen = set() if seen is None else seen
    key = canonicalize_name(name)
    if key in seen:
        return seen
    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return seen  # an optional extra not installed here
    seen.add(key)
    for text in dist.requires or []:
        requirement = Requirement(text)
        markers = [{"extra": e} for e in extras] or [{"extra": ""}]
        if requirement.marker and not any(requirement.marker.evaluate(m) for m in markers):
            continue
        needed(requirement.name, frozenset(requirement.extras), seen)
    return seen


def test_every_installed_package_the_project_needs_is_locked_at_its_version():
    locked = pins()
    project = needed("liushou-risk", frozenset({"dev"})) - {"liushou-risk", *INSTALLER}
    assert project, "the project is not installed"
    unlocked = sorted(project - set(locked))
    assert not unlocked, f"not in requirements.lock (run `make lock`): {unlocked}"
    other = {
        name: (metadata.version(name), locked[name])
        for name in project
        if metadata.version(name) != locked[name]
    }
    assert not other, f"installed version differs from the lock (installed, locked): {other}"


def test_scikit_learn_is_locked_to_the_minor_version_compiled_reads():
    assert pins()["scikit-learn"].startswith("1.9.")
