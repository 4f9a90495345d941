"""Hostile files and a client per test module: spreadsheets built byte by byte."""

import io
import zipfile

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook

from service.app import create_app
from service.settings import Settings

FORM = {"township": "寿春镇", "village": "城东村", "period": "2026Q4"}
HEADER = ["类别 (category)", "姓名 (name)", "身份证号 (id_number)", "年龄 (age)"]


def xlsx_bytes(rows, edit=None) -> bytes:
    """A real workbook (openpyxl), optionally edited: ``edit(sheet)`` before saving."""
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    if edit:
        edit(sheet)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def rezip(data: bytes, replace: dict[str, bytes | None]) -> bytes:
    """The same zip with some parts replaced (None: removed) or added."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            if info.filename in replace:
                continue
            target.writestr(info, source.read(info.filename))
        for name, content in replace.items():
            if content is not None:
                target.writestr(name, content)
    return out.getvalue()


def part(data: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read(name)


def upload(client, content: bytes, filename: str = "people.xlsx", headers=None):
    files = {"file": (filename, content, "application/octet-stream")}
    return client.post("/v1/reviews", data=FORM, files=files, headers=headers or {})


def is_problem(response) -> bool:
    return response.headers["content-type"].startswith("application/problem+json")


@pytest.fixture(scope="module")
def app_client(assessor, tmp_path_factory):
    """An app with a small rows limit for the API (LIUSHOU_MAX_REVIEW_ROWS=5000)."""
    db = tmp_path_factory.mktemp("security") / "store.db"
    settings = Settings(database_url=f"sqlite:///{db}", max_review_rows=5000)
    with TestClient(create_app(settings, assessor=assessor)) as client:
        yield client


@pytest.fixture
def anyio_backend():
    return "asyncio"
