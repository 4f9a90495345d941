"""Score many records; one bad record never fails the others.

Every record ends either scored or rejected with its index and field errors:
``received == scored + rejected``, always.
"""

from typing import Any

from pydantic import BaseModel, Field, ValidationError

from models.assessment import Assessment
from models.person import PERSON_ADAPTER
from rules.assess import Assessor
from service.problems import field_errors


class FieldError(BaseModel):
    loc: list[str]
    msg: str
    type: str


class BatchItem(BaseModel):
    index: int = Field(description="0-based position of the record in `records`")
    person_id: str | None = None
    assessment: Assessment | None = None
    errors: list[FieldError] | None = None


class BatchResult(BaseModel):
    received: int
    scored: int
    rejected: int
    results: list[BatchItem]


def _person_id(record: Any) -> str | None:
    value = record.get("person_id") if isinstance(record, dict) else None
    return value if isinstance(value, str) else None


def score_records(records: list[Any], assessor: Assessor) -> BatchResult:
    items = []
    for index, record in enumerate(records):
        try:
            person = PERSON_ADAPTER.validate_python(record)
        except ValidationError as exc:
            errors = field_errors(exc.errors(), ("records", str(index)))
            items.append(BatchItem(index=index, person_id=_person_id(record), errors=errors))
            continue
        items.append(
            BatchItem(index=index, person_id=person.person_id, assessment=assessor.assess(person))
        )
    scored = sum(item.assessment is not None for item in items)
    return BatchResult(
        received=len(records), scored=scored, rejected=len(records) - scored, results=items
    )
