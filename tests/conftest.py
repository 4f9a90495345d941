"""Shared fixtures, and the YAML case tables collected as pytest items."""

import pytest
import yaml

from models.person import PERSON_ADAPTER
from rules.assess import Assessor
from rules.loader import load_ruleset


@pytest.fixture(scope="session")
def ruleset():
    return load_ruleset()


@pytest.fixture(scope="session")
def assessor(ruleset):
    return Assessor.build(ruleset)


@pytest.fixture(scope="session")
def client(assessor, tmp_path_factory):
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.settings import Settings

    store = tmp_path_factory.mktemp("store") / "liushou.db"
    settings = Settings(
        max_batch_records=50, max_body_bytes=64 * 1024, database_url=f"sqlite:///{store}"
    )
    app = create_app(settings, assessor=assessor)
    with TestClient(app) as test_client:
        yield test_client


def pytest_collect_file(parent, file_path):
    if file_path.suffix == ".yaml" and file_path.parent.name == "cases":
        return CaseFile.from_parent(parent, path=file_path)
    return None


class CaseFile(pytest.File):
    def collect(self):
        for case in yaml.safe_load(self.path.read_text("utf-8")):
            yield CaseItem.from_parent(self, name=case["name"], case=case)


class CaseItem(pytest.Item):
    """One row of a case table: input person, expected policy outcome."""

    def __init__(self, *, case, **kwargs):
        super().__init__(**kwargs)
        self.case = case

    def runtest(self):
        from tests.case_check import check_case

        check_case(self.case, _session_assessor())

    def reportinfo(self):
        return self.path, 0, f"case: {self.name}"

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, AssertionError):
            return f"case {self.name!r}: {excinfo.value}"
        return super().repr_failure(excinfo)


_ASSESSOR = []


def _session_assessor() -> Assessor:
    if not _ASSESSOR:
        _ASSESSOR.append(Assessor.build())
    return _ASSESSOR[0]


def person(**fields):
    return PERSON_ADAPTER.validate_python(fields)
