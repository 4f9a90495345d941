"""One person: a form generated from the contract, and the assessment it gives.

The answer is the same as POST /v1/assessments (``Assessor.assess_data``), shown
with each finding's policy sentence. Nothing is stored, and nothing typed goes
into a URL or a log (the form is a POST; the page is not cached).
"""

import logging

from fastapi import APIRouter, Request

from service.web.forms import CATEGORY_ZH, PersonForm, parse_person
from service.web.pages import Caller, PageError, PostedForm, page

router = APIRouter(include_in_schema=False)
log = logging.getLogger("liushou.web")


def _category(text: str) -> str:
    if text not in CATEGORY_ZH:
        raise PageError(404, "找不到此页面", "类别应为儿童、老人或妇女。")
    return text


@router.get("/person")
async def choose(request: Request, caller: Caller):
    return page(request, "person_choose.html", caller, categories=CATEGORY_ZH)


@router.get("/person/{category}")
async def person_form(request: Request, caller: Caller, category: str):
    form = PersonForm(_category(category))
    return page(request, "person.html", caller, form=form, category_zh=CATEGORY_ZH)


@router.post("/person/{category}")
async def assess(request: Request, caller: Caller, category: str, posted: PostedForm):
    form, person = parse_person(_category(category), posted)
    if person is None:
        return page(request, "person.html", caller, 400, form=form, category_zh=CATEGORY_ZH)
    assessor = request.app.state.assessor
    data = assessor.assess_data(person)
    log.info("web assessment category=%s level=%s", data["category"], data["risk_level"])
    policy = {rule.id: rule.text for rule in assessor.ruleset.rules}
    gaps_zh = {g["field"] for g in data["data_gaps"]}
    return page(
        request,
        "person.html",
        caller,
        form=form,
        category_zh=CATEGORY_ZH,
        result=data,
        policy=policy,
        gap_fields=gaps_zh,
        departments={d.code: d.zh for d in assessor.ruleset.departments.values()},
    )
