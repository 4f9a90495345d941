"""Typed dependencies: the objects built once in the lifespan.

``async def`` on purpose: FastAPI runs a plain ``def`` dependency in the threadpool,
which cost more than the whole assessment (benchmarks/api.py).
"""

from typing import Annotated

from fastapi import Depends, Request

from rules.assess import Assessor
from service.settings import Settings


async def get_assessor(request: Request) -> Assessor:
    return request.app.state.assessor


async def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings


AssessorDep = Annotated[Assessor, Depends(get_assessor)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
