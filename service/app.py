"""The FastAPI application, built once per process.

>>> app = create_app()          # rules load and compile in the lifespan
"""

import gc
import logging
from contextlib import asynccontextmanager
from importlib.metadata import version as package_version

from fastapi import FastAPI

from rules.assess import Assessor
from service import metrics, problems
from service.assessor import build_assessor
from service.limits import BodySizeLimit
from service.observe import Observe
from service.routers import (
    assessments,
    audit,
    catalog,
    health,
    model,
    reviews,
    simulations,
    tasks,
    templates,
)
from service.settings import Settings, get_settings
from service.store import make_engine, migrate
from service.tasks import TaskRules, check_department_keys
from service.web import UPLOAD_PATHS
from service.web import install as install_web

log = logging.getLogger("liushou")

DESCRIPTION = """
寿县农村“三留守”人员风险评估服务（寿政秘〔2016〕278号）。

Scores each left-behind child's and elder's risk level from declarative rules
taken from the policy, each citing its clause, and returns the interventions
with the responsible department and deadline.
"""


def create_app(settings: Settings | None = None, assessor: Assessor | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.assessor, app.state.model_error = build_assessor(settings, assessor)
        ruleset = app.state.assessor.ruleset
        log.info("rules compiled: %d rules, sha256 %s", len(ruleset.rules), ruleset.sha256[:12])
        metrics.MODEL_LOADED.set(app.state.assessor.model is not None)
        if app.state.model_error:
            log.error("model not loaded: %s", app.state.model_error)
        elif app.state.assessor.model is not None:
            log.info("model loaded: version %s", app.state.assessor.model.version)
        check_department_keys(settings.api_keys, ruleset)
        app.state.task_rules = TaskRules.build(ruleset, settings.rules_dir)
        app.state.store = make_engine(settings.database_url)
        migrate(app.state.store)
        if settings.open_access:
            log.warning(
                "no API keys configured (LIUSHOU_API_KEYS): open access, answering only "
                "connections from this machine to localhost"
            )
        gc.freeze()  # the rules and the model live as long as the process: out of the
        # collector's sight, so a full collection no longer stalls every request
        yield
        app.state.store.dispose()

    app = FastAPI(
        title="liushou — 农村“三留守”人员风险评估",
        version=package_version("liushou-risk"),  # one number: pyproject.toml's
        description=DESCRIPTION,
        lifespan=lifespan,
        responses=problems.RESPONSES,
    )
    app.state.settings = settings
    problems.install(app)
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        upload_bytes=settings.max_upload_bytes,
        upload_paths=("/v1/reviews", "/v1/simulations", "/v1/tasks/import", *UPLOAD_PATHS),
    )
    app.add_middleware(Observe)  # request id, access log, metrics, last-resort 500 (only the
    # web's ProblemPages, added by install_web, sits outside it: errors at a page's address)
    for module in (
        health,
        assessments,
        catalog,
        model,
        templates,
        reviews,
        simulations,
        tasks,
        audit,
    ):
        app.include_router(module.router)
    install_web(app, settings)  # the pages for people, at /
    return app
