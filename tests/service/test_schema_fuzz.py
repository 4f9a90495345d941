"""schemathesis against the app's own OpenAPI schema: no 5xx, no response that breaks it."""

import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from rules.assess import Assessor
from service.app import create_app
from service.settings import Settings
from service.store import make_engine, migrate
from service.tasks import TaskRules

_STORE = Path(tempfile.mkdtemp(prefix="liushou-fuzz-")) / "store.db"
app = create_app(Settings(max_batch_records=20, database_url=f"sqlite:///{_STORE}"))
app.state.assessor = Assessor.build()  # the lifespan does this in a server
app.state.task_rules = TaskRules.build(app.state.assessor.ruleset)
app.state.store = make_engine(f"sqlite:///{_STORE}")
migrate(app.state.store)
schema = schemathesis.openapi.from_asgi("/openapi.json", app)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case):
    # Valid-by-schema data may still be refused (a checksum, a contradiction): that is a
    # documented 422, so only these checks apply.
    case.call_and_validate(checks=CHECKS)
