"""Liveness and readiness."""

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from service import metrics
from service.problems import DATABASE_DOWN, RETRY_AFTER_S, ProblemError
from service.responses import Alive, Ready
from service.store import ping

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness")
async def healthz() -> Alive:
    return Alive(status="ok")


@router.get(
    "/readyz", summary="Readiness: rules compiled, the database answering, the model loaded if set"
)
async def readyz(request: Request) -> Ready:
    # app.state read directly, not through the deps: before the lifespan has built the
    # assessor, or after the model was refused, readiness is what is being asked
    assessor = getattr(request.app.state, "assessor", None)
    if assessor is None:
        raise ProblemError(503, "Not ready", "the rules are not compiled yet")
    model_error = getattr(request.app.state, "model_error", None)
    if model_error:
        raise ProblemError(503, "Not ready", f"the configured model is not loaded: {model_error}")
    try:
        await run_in_threadpool(ping, request.app.state.store)
    except DATABASE_DOWN as exc:
        metrics.DATABASE_ERRORS.inc()
        raise ProblemError(
            503,
            "Not ready",
            f"the database does not answer ({type(exc).__name__})",
            headers={"Retry-After": str(RETRY_AFTER_S)},
        ) from None
    return Ready(
        status="ready",
        rules=len(assessor.ruleset.rules),
        sha256=assessor.ref["sha256"],
        model_version=assessor.model.version if assessor.model else None,
    )


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "the exposition format"}},
)
async def get_metrics() -> Response:
    body, content_type = metrics.exposition()
    return Response(body, media_type=content_type)
