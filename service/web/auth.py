"""Home, sign-in with an API key (once), sign-out."""

from fastapi import APIRouter, Request

from service.access import configured, hash_key
from service.web.pages import Caller, PostedForm, WebDep, caller_of, page, see_other
from service.web.session import WebSession

router = APIRouter(include_in_schema=False)
MAX_KEY = 512


@router.get("/")
async def home(request: Request, caller: Caller):
    return page(request, "home.html", caller)


@router.get("/signin")
async def sign_in_form(request: Request):
    if request.app.state.settings.open_access or caller_of(request) is not None:
        return see_other("/")
    return page(request, "signin.html", None)


@router.post("/signin")
async def sign_in(request: Request, web: WebDep, form: PostedForm):
    key = str(form.get("api_key") or "").strip()
    settings = request.app.state.settings
    known = configured(settings, hash_key(key)) if key and len(key) <= MAX_KEY else None
    if known is None:
        error = "请填写您的密钥" if not key else "密钥不正确，请核对后重新填写"
        return page(request, "signin.html", None, 400, errors={"api_key": error})
    response = see_other("/")
    web.sessions.write(response, WebSession.signed_in(known.sha256), request.url.scheme == "https")
    return response


@router.post("/signout")
async def sign_out(request: Request, web: WebDep, form: PostedForm):
    response = see_other("/signin")
    web.sessions.clear(response)
    return response
