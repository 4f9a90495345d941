"""The web pages of one stored review against the API's own report of it, in the same run.

Uploads a synthetic county list of ``--rows`` people twice (two quarters, so the
changes are worked out) through the upload page, then times each page and, as the
baseline, GET /v1/reviews/{id}/report.html (the whole report the API renders); it
prints seconds and the ratio page / baseline. The pages list at most 500 rows each
and read column-wise, so they should stay well under the baseline as rows grow.

    python benchmarks/web.py [--rows 20000] [--repeat 3]
"""

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient

from fixtures.population import population, with_identities
from service.app import create_app
from service.settings import Settings


def best(client: TestClient, path: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(path)
        times.append(time.perf_counter() - start)
        assert response.status_code == 200, (path, response.status_code)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sheet = with_identities(population(args.rows, seed=0), seed=0).to_csv(index=False).encode()
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(database_url=f"sqlite:///{folder}/bench.db", max_upload_bytes=2**30)
        with TestClient(create_app(settings)) as client:
            form = client.get("/reviews/new").text
            token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
            for period in ("2026Q3", "2026Q4"):
                start = time.perf_counter()
                response = client.post(
                    "/reviews/new",
                    data={"csrf_token": token, "township": "寿春镇", "village": "城东村",
                          "period": period},
                    files={"file": ("people.csv", sheet, "text/csv")},
                    follow_redirects=False,
                )  # fmt: skip
                print(f"upload and review {args.rows:,} rows ({period}): "
                      f"{time.perf_counter() - start:.2f} s")  # fmt: skip
            review = response.headers["location"]
            number = review.rsplit("/", 1)[1]
            baseline = best(client, f"/v1/reviews/{number}/report.html", args.repeat)
            print(f"baseline GET /v1/reviews/{number}/report.html: {baseline:.2f} s")
            for path in (review, f"{review}/actions", f"{review}/actions?level=critical"):
                seconds = best(client, path, args.repeat)
                print(f"GET {path}: {seconds:.2f} s ({seconds / baseline:.2f} x baseline)")


if __name__ == "__main__":
    main()
