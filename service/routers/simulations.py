"""Analysts: what a change of parameters would do, on an inline population or a stored review.

The rules in force are never changed. Overrides are checked by their guard rails
(unknown parameter, fixed by law, wrong type or unit, out of range): a 422 whose
errors name ``overrides.<parameter>``. Inline persons that do not validate are
listed in ``rejected`` with their index and field errors; the rest are simulated.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Body

from service.access import requires
from service.deps import AssessorDep, SessionDep, SettingsDep
from service.problems import ProblemError, _documented
from service.responses import SimulationOut
from service.simulations import SimulationRequest, checked, compute, population_of
from service.strict_json import StrictJSONRoute

router = APIRouter(prefix="/v1", tags=["simulations"], route_class=StrictJSONRoute)
AnalystCaller = Annotated[Any, requires("analyst", "system")]


@router.post(
    "/simulations",
    response_model=SimulationOut,
    summary="Baseline against proposal (and sweeps) on the vectorized engine",
    response_model_exclude_unset=True,  # a simulation or a sweep: the other's fields absent
    responses={409: _documented("apply_model asked for and no model is loaded")},
)
def create_simulation(
    caller: AnalystCaller,
    body: Annotated[SimulationRequest, Body()],
    assessor: AssessorDep,
    settings: SettingsDep,
    session: SessionDep,
) -> dict:
    ruleset = assessor.ruleset
    overrides, swept = checked(body.overrides, body.sweep, ruleset)
    limit = settings.max_simulation_records
    population, rejected = population_of(session, caller, body, ruleset, limit)
    model = assessor.model if body.apply_model else None
    if body.apply_model and model is None:
        raise ProblemError(409, "No model loaded", "apply_model needs LIUSHOU_MODEL_PATH")
    result = compute(population, ruleset, overrides, swept, body.plot, body.changed_limit, model)
    result["rejected"] = rejected
    return result
