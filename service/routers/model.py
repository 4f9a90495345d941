"""The optional calibrated model's card: what it is, what it was trained on, how it scored."""

from fastapi import APIRouter

from service.deps import AssessorDep
from service.problems import ProblemError
from service.responses import ModelCard

router = APIRouter(prefix="/v1", tags=["model"])

CARD_KEYS = (
    "model_version",
    "trained_at",
    "categories",
    "training_data_sha256",
    "training_rows",
    "calibration",
    "metrics",
    "rule_baseline",
    "intended_use",
    "limits",
    "feature_schema_sha256",
)


@router.get(
    "/model",
    summary="The model card's metadata (404 when no model is configured)",
    response_model=ModelCard,
)
async def model_card(assessor: AssessorDep) -> dict:
    if assessor.model is None:
        raise ProblemError(
            404, "No model", "no calibrated model is loaded (set LIUSHOU_MODEL_PATH)"
        )
    metadata = assessor.model.model.metadata
    card = {key: metadata.get(key) for key in CARD_KEYS}
    card["bands"] = dict(assessor.model.cutoffs)
    card["features"] = [name for name, _, _ in metadata.get("feature_schema", [])]
    return card
