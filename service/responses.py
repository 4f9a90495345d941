"""The response models of the JSON routes that are not the contract's own (models/assessment.py).

Every JSON route declares one, so that the OpenAPI document says what comes back and
FastAPI checks it: a field a route forgets, or one it adds unannounced, fails the
tests (tests/service/test_responses.py) instead of reaching a county system.
Deeply nested analyst tables (a simulation's transitions, divisions and workload; the
supervision tables) are typed to their first level and described.
"""

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from models.enums import RiskLevel
from models.review_tables import ReviewPublic

Level = Literal["low", "medium", "high", "critical"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- health ------------------------------------------------------------------------------


class Alive(Strict):
    status: Literal["ok"]


class Ready(Strict):
    status: Literal["ready"]
    rules: int
    sha256: str
    model_version: str | None


# --- catalog -----------------------------------------------------------------------------


class RuleIntervention(Strict):
    """An intervention as assessments show it, with its deadline parameter and policy words."""

    action: str
    title_zh: str
    department: str
    department_zh: str
    cooperating: list[str]
    deadline_hours: int | None
    mandatory_report: bool
    clause: str
    deadline_parameter: str | None
    text: str | None


class RulePublic(Strict):
    rule_id: str
    title_zh: str
    clause: str
    text: str
    category: str
    conditions: Any = Field(description="the rule's conditions as rule data (docs/rules.md)")
    level: RiskLevel | None
    points: int | float
    points_parameter: str | None
    dimension: str | None
    interventions: list[RuleIntervention]
    note: str | None


class ParameterPublic(Strict):
    name: str
    description: str
    value: int | float | str | bool | None
    unit: str
    reference: str
    effective_date: date
    tunable: bool
    min: int | float | None
    max: int | float | None
    note: str | None
    history: dict[str, Any] = Field(description="effective date → value")


class DepartmentPublic(Strict):
    code: str
    zh: str
    level: str


class RulesetPublic(Strict):
    id: str
    version: str
    sha256: str
    as_of: date
    periods: list[date]
    rules: int
    parameters: int


class ModelCard(Strict):
    model_version: str | None
    trained_at: str | None
    categories: list[str] | None
    training_data_sha256: str | None
    training_rows: int | None
    calibration: Any
    metrics: Any
    rule_baseline: Any
    intended_use: str | None
    limits: Any
    feature_schema_sha256: str | None
    bands: dict[str, float]
    features: list[str]


# --- reviews -----------------------------------------------------------------------------


class RejectedRow(Strict):
    row: int
    column: str
    reason: str


class TaskCountsOut(Strict):
    created: int
    carried_over: int
    resolved_by_review: int


class ChangeCounts(Strict):
    new: int
    gone: int
    up: int
    down: int
    still_critical: int
    untracked: int


class ReviewCreated(Strict):
    review: ReviewPublic
    changes: ChangeCounts
    tasks: TaskCountsOut
    rejected_rows: list[RejectedRow] = Field(description="the first ones; the rest: `problems`")
    rejected_rows_listed: int
    problems: str = Field(description="where every data problem is listed, paged")


class StoredIntervention(Strict):
    action: str
    title_zh: str
    department: str
    department_zh: str
    deadline_hours: int | None
    mandatory_report: bool
    clauses: list[str]
    rule_ids: list[str]


class RecordPublic(Strict):
    """A scored person as a review keeps them: masked, known by a keyed hash."""

    row: int
    person_key: str | None
    person_id: str | None
    name_masked: str | None
    id_masked: str | None
    category: str
    risk_level: Level
    score: int
    rule_ids: list[str]
    interventions: list[StoredIntervention]
    data_gaps: list[str]
    pattern: int | None


class ProblemRow(Strict):
    id: int
    kind: str
    row: int | None
    column: str
    reason: str


class ChangeEntry(Strict):
    person_key: str | None
    row: int | None
    person_id: str | None
    name_masked: str | None
    id_masked: str | None
    from_level: Level | None
    to_level: Level | None


class ChangesOut(Strict):
    counts: ChangeCounts
    new: list[ChangeEntry]
    gone: list[ChangeEntry]
    up: list[ChangeEntry]
    down: list[ChangeEntry]
    still_critical: list[ChangeEntry]


# --- tasks -------------------------------------------------------------------------------


class TaskEventOut(Strict):
    at: datetime
    actor: str | None
    role: str | None
    kind: str
    from_status: str | None
    to_status: str | None
    review_id: int | None
    note: str | None


class TaskOut(Strict):
    id: int
    version: int
    status: str = Field(description="`escalated` when a critical task is past due (四(四))")
    stored_status: str
    overdue: bool
    escalated_to: str | None
    review_id: int
    last_review_id: int | None
    township: str
    village: str
    row: int | None
    person_key: str | None
    person_id: str | None
    name_masked: str | None
    risk_level: Level
    action: str
    department: str
    cooperating: list[str]
    clause: str
    deadline_hours: int
    deadline_class: Literal["immediate", "within_1_day", "within_7_days", "longer"]
    created_at: datetime | None
    due_at: datetime | None
    updated_at: datetime | None
    closed_at: datetime | None
    reason: str | None
    resolved_by_review: int | None
    history: list[TaskEventOut] | None = None


class TaskPage(Strict):
    items: list[TaskOut]
    next: str | None = Field(description="the `after` of the next page, or null")


class AppliedRow(Strict):
    row: int
    task_id: int
    status: str


class RefusedRow(Strict):
    row: int
    reason: str


class TasksImported(Strict):
    rows: int
    applied: list[AppliedRow]
    unchanged: int = Field(description="rows whose status was already the one asked for")
    rejected: list[RefusedRow]


class Supervision(Strict):
    period: str | None
    as_of: datetime
    total: int
    by_department: list[dict[str, Any]]
    by_township: list[dict[str, Any]]
    villages_with_overdue_critical: list[dict[str, Any]]


# --- simulations -------------------------------------------------------------------------


class SimulationOut(BaseModel):
    """A simulation (levels, transitions, rules, divisions, workload, changed, backtest) or,
    with a sweep, ``sweep``; ``reproduce`` always (ruleset, overrides, population, model)."""

    model_config = ConfigDict(extra="forbid")

    reproduce: dict[str, Any]
    levels: dict[str, Any] | None = None
    transitions: Any = None
    rules: list[dict[str, Any]] | None = None
    divisions: list[dict[str, Any]] | None = None
    workload: Any = None
    changed: dict[str, Any] | None = None
    backtest: dict[str, Any] | None = None
    sweep: dict[str, Any] | None = None
    rejected: list[dict[str, Any]] = Field(default_factory=list)
