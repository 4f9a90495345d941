"""Liveness and readiness."""

from fastapi import APIRouter, Request

from service.problems import ProblemError

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness")
async def healthz() -> dict:
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness: rules compiled (and the model loaded, if configured)")
async def readyz(request: Request) -> dict:
    assessor = getattr(request.app.state, "assessor", None)
    if assessor is None:
        raise ProblemError(503, "Not ready", "the rules are not compiled yet")
    model_error = getattr(request.app.state, "model_error", None)
    if model_error:
        raise ProblemError(503, "Not ready", f"the configured model is not loaded: {model_error}")
    return {
        "status": "ready",
        "rules": len(assessor.ruleset.rules),
        "sha256": assessor.ref["sha256"],
        "model_version": assessor.model.version if assessor.model else None,
    }
