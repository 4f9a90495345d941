"""SQLite in WAL mode: uploads go on while large reads run; /records is paged and the
full export streams; no 500, counts right."""

import csv
import io
import threading

import sqlalchemy as sa
from fastapi.testclient import TestClient

from fixtures.population import population, with_identities
from service.app import create_app
from service.settings import Settings
from service.store import make_engine
from tests.security.conftest import FORM


def _csv(rows: int, seed: int) -> bytes:
    frame = with_identities(population(rows, seed=seed), seed=seed)
    return frame.to_csv(index=False, float_format="%.10g").encode()


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with engine.connect() as connection:
        assert connection.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(sa.text("PRAGMA busy_timeout")).scalar() == 30_000


def _post(client, data: bytes, village: str):
    files = {"file": ("people.csv", data, "text/csv")}
    return client.post("/v1/reviews", data={**FORM, "village": village}, files=files)


def test_uploads_and_large_reads_side_by_side(assessor, tmp_path):
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'c.db'}")
    big, small = _csv(20_000, 1), _csv(50, 2)
    with TestClient(create_app(settings, assessor=assessor)) as client:
        first = _post(client, big, "大村").json()["review"]
        statuses, exported, uploaded = [], [], []

        def read():
            for _ in range(2):
                response = client.get(f"/v1/reviews/{first['id']}/records.csv")
                statuses.append(response.status_code)
                exported.append(len(list(csv.reader(io.StringIO(response.text)))) - 1)
                page = client.get(f"/v1/reviews/{first['id']}/records", params={"limit": 1000})
                statuses.append(page.status_code)
                assert len(page.json()) == 1000 and page.headers["x-next-after"]

        def write(k: int):
            response = _post(client, small, f"小村{k}")
            statuses.append(response.status_code)
            uploaded.append(response.json()["review"])

        threads = [threading.Thread(target=read) for _ in range(3)]
        threads += [threading.Thread(target=write, args=(k,)) for k in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
    assert set(statuses) == {200}
    assert exported == [first["scored"]] * 6
    assert [(r["rows_in"], r["scored"] + r["rejected"]) for r in uploaded] == [(50, 50)] * 4


def test_pages_walk_the_whole_review_once(app_client):
    files = {"file": ("people.csv", _csv(2500, 3), "text/csv")}
    review = app_client.post("/v1/reviews", data=FORM, files=files).json()["review"]
    rows, after = [], 0
    while True:
        page = app_client.get(
            f"/v1/reviews/{review['id']}/records", params={"limit": 1000, "after": after}
        )
        rows += [r["row"] for r in page.json()]
        if "x-next-after" not in page.headers:
            break
        after = int(page.headers["x-next-after"])
    assert len(rows) == len(set(rows)) == review["scored"] and rows == sorted(rows)
    too_big = app_client.get(f"/v1/reviews/{review['id']}/records", params={"limit": 5000})
    assert too_big.status_code == 422
    lines = app_client.get(f"/v1/reviews/{review['id']}/records.ndjson").text.splitlines()
    assert len(lines) == review["scored"]
