"""Score many records; one bad record never fails the others.

Every record ends either scored or rejected with its index and field errors:
``received == scored + rejected``, always.
"""

from typing import Any

from pydantic import BaseModel, Field, ValidationError

from models.assessment import Assessment
from models.person import PERSON_ADAPTER
from rules.assess import Assessor
from service.problems import FieldErrorOut, field_errors


class BatchItem(BaseModel):
    index: int = Field(description="0-based position of the record in `records`")
    person_id: str | None = None
    assessment: Assessment | None = None
    errors: list[FieldErrorOut] | None = None


class BatchResult(BaseModel):
    received: int
    scored: int
    rejected: int
    results: list[BatchItem]


def _person_id(record: Any) -> str | None:
    value = record.get("person_id") if isinstance(record, dict) else None
    return value if isinstance(value, str) else None


VECTORIZED_FROM = 64  # records; below this the per-person durable_rules path is as quick


def score_records(records: list[Any], assessor: Assessor) -> BatchResult:
    """Validate each record, score the valid ones (column-wise for larger batches)."""
    items: list[BatchItem] = []
    valid: list[tuple[int, Any]] = []
    for index, record in enumerate(records):
        try:
            valid.append((index, PERSON_ADAPTER.validate_python(record)))
        except ValidationError as exc:
            errors = field_errors(exc.errors(), ("records", str(index)))
            items.append(BatchItem(index=index, person_id=_person_id(record), errors=errors))
    persons = [person for _, person in valid]
    if len(persons) >= VECTORIZED_FROM:
        scored = assessor.assess_many(persons)
    else:
        scored = [assessor.assess_data(person) for person in persons]
    for (index, person), data in zip(valid, scored, strict=True):
        items.append(BatchItem(index=index, person_id=person.person_id, assessment=data))
    items.sort(key=lambda item: item.index)
    return BatchResult(
        received=len(records), scored=len(valid), rejected=len(records) - len(valid), results=items
    )
