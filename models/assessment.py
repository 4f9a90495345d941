"""The assessment returned for one person (contract: "Assessment (the response)")."""

from datetime import date
from typing import Any
from uuid import UUID, uuid4

from pydantic import BaseModel, Field

from models.enums import RiskLevel


class Finding(BaseModel):
    rule_id: str
    title_zh: str
    clause: str
    level: RiskLevel | None = Field(None, description="the rule's level floor; null adds no floor")
    points: int = 0
    dimension: str | None = None
    evidence: dict[str, Any] = Field(default_factory=dict)


class Intervention(BaseModel):
    action: str
    title_zh: str
    department: str
    department_zh: str
    cooperating: list[str] = Field(default_factory=list)
    deadline_hours: int | None = Field(None, description="0 means at once (第一时间, 立即)")
    mandatory_report: bool = False
    clause: str
    rule_ids: list[str]
    clauses: list[str] = Field(default_factory=list, description="every clause behind this action")


class ScorePart(BaseModel):
    """Points of one dimension of the periodic assessment, and the rules that earned them."""

    dimension: str
    points: int
    rule_ids: list[str]


class DataGap(BaseModel):
    field: str
    message_zh: str


class ModelScore(BaseModel):
    """The optional calibrated model: probability of a serious adverse event in 12 months."""

    probability: float
    band: str  # low / elevated / high (cut-offs: parameters model.band.*)
    model_version: str
    raised_from: RiskLevel | None = None  # the rules' level, when the model raised it


class RulesetRef(BaseModel):
    id: str
    version: str
    sha256: str
    values_as_of: date | None = Field(
        None, description="the date the parameter values were taken at (the assessment_date)"
    )


class Assessment(BaseModel):
    assessment_id: UUID = Field(default_factory=uuid4)
    person_id: str | None = None
    category: str
    left_behind: bool | None = Field(
        None, description="meets the left-behind definition; null when the data cannot tell"
    )
    risk_level: RiskLevel
    risk_level_zh: str
    score: int
    score_breakdown: list[ScorePart] = Field(
        default_factory=list, description="points per dimension (income, support, health …)"
    )
    findings: list[Finding]
    interventions: list[Intervention]
    data_gaps: list[DataGap]
    model: ModelScore | None = None
    ruleset: RulesetRef
    assessment_date: date
