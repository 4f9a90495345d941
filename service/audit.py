"""Writing and reading the audit trail (``models.audit``): one short insert per action.

note(engine, caller, "read", review_id=3, rows=1000, route="/v1/reviews/{review_id}/records")
"""

from sqlalchemy import Engine
from sqlmodel import Session, select

from models.audit import AuditEvent
from service.logs import request_id
from service.settings import ApiKey

CLI_KEY_ID = "cli"  # the command line acts as the machine's operator


def key_id(caller: ApiKey | None) -> str:
    """The first 12 hex digits of the key's sha256 (``open`` without keys, ``cli``)."""
    if caller is None:
        return CLI_KEY_ID
    return "open" if set(caller.sha256) == {"0"} else caller.sha256[:12]


def note(
    engine: Engine,
    caller: ApiKey | None,
    action: str,
    *,
    review_id: int | None = None,
    rows: int | None = None,
    route: str = "",
) -> None:
    event = AuditEvent(
        key_id=key_id(caller),
        role=caller.role if caller else "operator",
        action=action,
        review_id=review_id,
        rows=rows,
        route=route[:128],
        request_id=request_id.get(),
    )
    with Session(engine) as session, session.begin():
        session.add(event)


def events(
    engine: Engine, after: int = 0, limit: int = 100, review_id: int | None = None
) -> list[AuditEvent]:
    """The trail in order, ``limit`` events after id ``after``."""
    statement = select(AuditEvent).where(AuditEvent.id > after)
    if review_id is not None:
        statement = statement.where(AuditEvent.review_id == review_id)
    with Session(engine) as session:
        return list(session.exec(statement.order_by(AuditEvent.id).limit(limit)))
