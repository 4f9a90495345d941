"""Typed dependencies: the objects built once in the lifespan, and the store's sessions.

Routes never read ``app.state`` themselves: they declare what they need here
(``AssessorDep``, ``SettingsDep``, ``StoreDep`` for the engine, ``SessionDep`` for one
session per request, closed when the response is sent).

``async def`` on purpose: FastAPI runs a plain ``def`` dependency in the threadpool,
which cost more than the whole assessment (benchmarks/api.py).
"""

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.engine import Engine
from sqlmodel import Session

from rules.assess import Assessor
from service import tasks
from service.settings import Settings


async def get_assessor(request: Request) -> Assessor:
    return request.app.state.assessor


async def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_store(request: Request) -> Engine:
    return request.app.state.store


def get_session(store: Annotated[Engine, Depends(get_store)]) -> Iterator[Session]:
    """One session per request (a plain ``def``: it opens a connection, in the threadpool)."""
    with Session(store) as session:
        yield session


async def get_task_rules(request: Request) -> tasks.TaskRules:
    return request.app.state.task_rules


async def get_clock() -> Callable[[], int]:
    """The clock tasks are due and overdue by (tests freeze it)."""
    return tasks.now


AssessorDep = Annotated[Assessor, Depends(get_assessor)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
StoreDep = Annotated[Engine, Depends(get_store)]
SessionDep = Annotated[Session, Depends(get_session)]
TaskRulesDep = Annotated[tasks.TaskRules, Depends(get_task_rules)]
ClockDep = Annotated[Callable[[], int], Depends(get_clock)]
