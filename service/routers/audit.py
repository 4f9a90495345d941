"""The audit trail, for system keys: who uploaded, read, exported or reported what."""

from typing import Annotated

from fastapi import APIRouter, Query, Response

from models.audit import AuditEventPublic
from service.access import SystemCaller
from service.audit import events
from service.deps import StoreDep

router = APIRouter(prefix="/v1", tags=["audit"])
MAX_PAGE = 1000


@router.get("/audit", summary="A page of the audit trail (system keys)")
def get_audit(
    store: StoreDep,
    response: Response,
    caller: SystemCaller,
    after: Annotated[int, Query(ge=0, le=2**63 - 1, description="the last id already seen")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    review_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> list[AuditEventPublic]:
    found = events(store, after=after, limit=limit, review_id=review_id)
    if len(found) == limit:
        response.headers["X-Next-After"] = str(found[-1].id)
    return [AuditEventPublic.model_validate(e, from_attributes=True) for e in found]
