"""Analysts' simulations: the request, the population it names, and the run.

The API route (service/routers/simulations.py) and the analyst's web page
(service/web/analysis.py) both call these. The rules in force are never changed:
overrides go through their guard rails (``evaluation.overrides.check``; a refused one is
an ``OverrideError``, a 422 naming it through ``service.problems.as_problem``).
"""

import base64
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlmodel import Session

from evaluation import cohort, simulate, sweep
from evaluation.overrides import check
from models.person import PERSON_ADAPTER
from service.problems import ProblemError, field_errors
from service.settings import ApiKey
from service.store import facts_of, records_of, visible_review


class SimulationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    population: list[Any] | None = Field(
        None, description="persons as POST /v1/assessments takes them (or use review_id)"
    )
    outcomes: list[Annotated[int, Field(ge=0, le=1)]] | None = Field(
        None, description="0/1 per person of `population` (a serious adverse event), for a backtest"
    )
    review_id: int | None = Field(None, ge=1, le=2**31 - 1, description="a stored review")
    overrides: dict[str, float | int | str] = Field(
        default_factory=dict, examples=[{"income.subsistence_line": 9000, "score.elder.high": 5}]
    )
    sweep: str | None = Field(None, examples=["income.subsistence_line=4000:13500:500"])
    plot: bool = Field(False, description="with sweep: add the recall/workload plot (PNG, base64)")
    changed_limit: int = Field(
        100, ge=0, le=10_000, description="persons listed whose level changed"
    )
    apply_model: bool = Field(
        False,
        description="raise levels with the configured model, as assessments and reviews do "
        "(a 409 when none is loaded); default rules only. `reproduce.model` says which.",
    )

    @model_validator(mode="after")
    def _one_population(self):
        if (self.population is None) == (self.review_id is None):
            raise ValueError("give either population or review_id")
        if self.outcomes is not None and (
            self.population is None or len(self.outcomes) != len(self.population)
        ):
            raise ValueError("outcomes must have one 0/1 per person of population")
        return self


def checked(raw: dict, sweep_text: str | None, ruleset) -> tuple[dict, tuple | None]:
    """The overrides and the sweep through their guard rails (OverrideError names the
    parameter, and whether it came in the overrides or the sweep)."""
    overrides = check(raw, ruleset)
    swept = sweep.parse(sweep_text, ruleset) if sweep_text else None
    return overrides, swept


def compute(
    population, ruleset, overrides: dict, swept, plot: bool, changed_limit: int, model=None
) -> dict:
    """A simulation, or with ``swept`` (name, values) a sweep, of a population (a Cohort);
    ``model``: applied (and said in ``reproduce.model``) or None for the rules alone."""
    if not swept:
        return simulate.run(population, ruleset, overrides, changed_limit, model)
    name, values = swept
    result: dict = {
        "reproduce": {
            "ruleset": {"id": ruleset.id, "version": ruleset.version, "sha256": ruleset.sha256},
            "overrides": overrides,
            "population": {"persons": len(population), "sha256": population.sha256},
            "model": simulate.model_used(model),
        },
        "sweep": {
            "parameter": name,
            "rows": sweep.run(population, ruleset, name, values, overrides, model),
        },
    }
    if plot:
        png = sweep.plot(result["sweep"]["rows"], name)
        result["sweep"]["plot_png_base64"] = base64.b64encode(png).decode()
    return result


def population_of(session: Session, caller: ApiKey, body: SimulationRequest, ruleset, limit: int):
    """The cohort to simulate: a stored review this key may see (ReviewNotFound otherwise), or
    the inline persons (at most ``limit``), those that do not validate listed in ``rejected``
    with their index and field errors."""
    if body.review_id is not None:
        review = visible_review(session, caller, body.review_id)
        records = records_of(session, review.id)
        facts = facts_of(session, review.id)
        if facts is None or len(facts) != len(records):
            raise ProblemError(
                409,
                "Review without facts",
                "this review was stored before facts were kept; review the sheet again",
            )
        return cohort.from_records(records, review, facts, ruleset), []
    if len(body.population) > limit:
        raise ProblemError(
            413, "Too many persons", f"{len(body.population)} persons; at most {limit}"
        )
    persons, rows, outcomes, rejected = [], [], [], []
    for index, record in enumerate(body.population):
        try:
            persons.append(PERSON_ADAPTER.validate_python(record))
        except ValidationError as exc:
            rejected.append(
                {"index": index, "errors": field_errors(exc.errors(), ("population", str(index)))}
            )
            continue
        rows.append(index)
        if body.outcomes is not None:
            outcomes.append(body.outcomes[index])
    outcome = outcomes if body.outcomes is not None else None
    return cohort.from_persons(persons, ruleset, outcome, rows), rejected
