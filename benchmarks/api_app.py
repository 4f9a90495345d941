"""The product app plus two comparison routes, for benchmarks/api.py only.

- ``/bench/echo``: validates the same Person model and returns a small body
  (the baseline: what parsing and validation alone cost);
- ``/bench/assess-threadpool``: the same scoring as ``/v1/assessments`` in a
  plain ``def`` route, run in Starlette's threadpool.
"""

import os
from typing import Annotated

from fastapi import Body, Request, Response

from models.assessment import Assessment
from models.person import Person
from service.app import create_app
from service.logs import configure
from service.render import render


def create_bench_app():
    if os.environ.get("LIUSHOU_BENCH_LOG"):  # benchmarks/api.py --log: JSON access lines on
        configure("info")
    app = create_app()

    @app.post("/bench/echo")
    async def echo(person: Annotated[Person, Body()]) -> dict:
        return {"category": person.category, "person_id": person.person_id, "age": person.age}

    @app.post("/bench/assess-threadpool", response_model=Assessment)
    def assess_threadpool(person: Annotated[Person, Body()], request: Request) -> Response:
        # The same work as /v1/assessments, in a def route (Starlette's threadpool).
        data = request.app.state.assessor.assess_data(person)
        return Response(render(data), media_type="application/json")

    return app
