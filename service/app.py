"""The FastAPI application, built once per process.

>>> app = create_app()          # rules load and compile in the lifespan
"""

import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI

from evaluation.artifact import ModelError
from evaluation.artifact import load as load_model
from evaluation.serving import ModelScorer
from rules.assess import Assessor
from rules.loader import DATA_DIR, load_ruleset
from service import problems
from service.limits import BodySizeLimit
from service.routers import (
    assessments,
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


def build_assessor(settings: Settings) -> Assessor:
    """Load, check and compile the rules; a bad rule file raises RulesError here."""
    return Assessor.build(load_ruleset(settings.rules_dir or DATA_DIR))


def attach_model(app: FastAPI, settings: Settings) -> None:
    """Load the configured model into the assessor. A bad file fails readiness (with the
    reason on /readyz), not requests: assessments go on with the rules alone."""
    app.state.model_error = None
    if settings.model_path is None:
        return
    try:
        loaded = load_model(settings.model_path)
    except ModelError as exc:
        app.state.model_error = str(exc)
        log.error("model not loaded: %s", exc)
        return
    app.state.assessor.model = ModelScorer(loaded, app.state.assessor.ruleset.values)
    log.info("model loaded: version %s", loaded.version)


def create_app(settings: Settings | None = None, assessor: Assessor | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.assessor = assessor or build_assessor(settings)
        ruleset = app.state.assessor.ruleset
        log.info("rules compiled: %d rules, sha256 %s", len(ruleset.rules), ruleset.sha256[:12])
        attach_model(app, settings)
        check_department_keys(settings.api_keys, ruleset)
        app.state.task_rules = TaskRules.build(ruleset, settings.rules_dir)
        app.state.store = make_engine(settings.database_url)
        migrate(app.state.store)
        if settings.open_access:
            log.warning("no API keys configured (LIUSHOU_API_KEYS): open access, localhost only")
        yield
        app.state.store.dispose()

    app = FastAPI(
        title="liushou — 农村“三留守”人员风险评估",
        version="1.0.0",
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
    for module in (health, assessments, catalog, model, templates, reviews, simulations, tasks):
        app.include_router(module.router)
    install_web(app, settings)  # the pages for people, at /
    return app
