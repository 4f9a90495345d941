"""Scoring: one person, or a batch. Logs carry counts and levels, never personal data."""

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from models.assessment import Assessment
from models.examples import examples
from models.person import Person
from service import metrics
from service.access import authorize
from service.batch import BatchResult, score_records
from service.deps import AssessorDep, SettingsDep
from service.problems import ProblemError
from service.render import render
from service.strict_json import StrictJSONRoute

router = APIRouter(prefix="/v1/assessments", tags=["assessments"], route_class=StrictJSONRoute)
log = logging.getLogger("liushou.assessments")

_EXAMPLES = {
    "child_lives_alone": (
        "留守儿童独自居住（寿春镇）",
        "父母均外出务工，10岁儿童脱离监护单独居住：紧急，强制报告",
    ),
    "child_grandparent_ok": ("祖父母监护的留守儿童（安丰镇）", "委托祖母监护并签订协议"),
    "elder_critical_condition": (
        "留守老人危重病情（正阳关镇）",
        "子女均外出，独居老人发生危重病情",
    ),
    "woman_services": ("留守妇女（瓦埠镇）", "有创业意愿和培训需求"),
}
PERSON_EXAMPLES = {
    key: {"summary": summary, "description": description, "value": examples()[key]}
    for key, (summary, description) in _EXAMPLES.items()
}


class BatchRequest(BaseModel):
    records: list[Any]


@router.post("", response_model=Assessment, summary="Score one person (child, elder or woman)")
async def assess_one(
    person: Annotated[Person, Body(openapi_examples=PERSON_EXAMPLES)], request: Request
) -> Response:
    # The hot path, measured in benchmarks/api.py: an async def calling the engine directly
    # (faster than a def route in the threadpool); the assessor read from app state rather
    # than through a dependency; serialised once (pydantic-core), not re-validated.
    authorize(request, "system")
    data = request.app.state.assessor.assess_data(person)
    metrics.count_assessment(data["category"], data["risk_level"])
    # category and level are counted in /metrics and the request is in the access log:
    # a second JSON line per request at info cost ~30 µs (benchmarks/observe.py)
    log.debug(
        "assessed category=%s level=%s rules=%d",
        data["category"],
        data["risk_level"],
        len(data["findings"]),
    )
    return Response(render(data), media_type="application/json")


@router.post(
    "/batch", response_model=BatchResult, summary="Score many; bad records are reported, not fatal"
)
async def assess_batch(
    body: Annotated[
        BatchRequest,
        Body(
            openapi_examples={
                "village": {
                    "summary": "一个村的两条记录（第二条身份证号校验位错误）",
                    "value": {
                        "records": [
                            examples()["child_lives_alone"],
                            {"category": "elder", "id_number": "110105194912310021"},
                        ]
                    },
                }
            }
        ),
    ],
    assessor: AssessorDep,
    settings: SettingsDep,
    request: Request,
) -> Response:
    authorize(request, "system")
    limit = settings.max_batch_records
    if len(body.records) > limit:
        raise ProblemError(
            413,
            "Too many records",
            f"{len(body.records)} records sent; the limit is {limit} per batch "
            "(LIUSHOU_MAX_BATCH_RECORDS)",
            limit_records=limit,
        )
    # scored and serialised in a worker thread: a batch of 1,000 must not hold up
    # health checks and other requests (FastAPI would re-validate the result in the loop)
    result, body_json = await run_in_threadpool(_scored_json, body.records, assessor)
    log.info(
        "batch received=%d scored=%d rejected=%d", result.received, result.scored, result.rejected
    )
    return Response(body_json, media_type="application/json")


def _scored_json(records: list, assessor) -> tuple[BatchResult, bytes]:
    result = score_records(records, assessor)
    for item in result.results:
        if item.assessment is not None:
            metrics.count_assessment(item.assessment.category, str(item.assessment.risk_level))
    return result, result.model_dump_json().encode()
