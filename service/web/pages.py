"""What every page shares: the templates, the session, who the caller is, errors as pages.

A route asks for ``Caller`` (signed in, or open access) or ``Role("analyst", …)``,
for a ``PostedForm`` (CSRF-checked) and answers with ``page``:

    @router.get("/reviews")
    async def reviews(request: Request, caller: Caller):
        return page(request, "reviews.html", caller, reviews=[...])
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import FormData
from starlette.responses import HTMLResponse, RedirectResponse, Response

from service.access import OPEN, configured, permits
from service.problems import ProblemError
from service.report_data import LEVEL_ZH
from service.settings import ApiKey, Settings
from service.web.session import CSRF_FIELD, Sessions, WebSession, session_secret

HERE = Path(__file__).parent
ROLE_ZH = {"system": "系统", "village": "村委会", "analyst": "分析人员", "department": "部门"}
# Content-Security-Policy: nothing from elsewhere, no inline script; charts are data: PNGs.
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
MAX_FORM_FIELDS = 200  # the longest form (a child) has under 60


@dataclass
class Web:
    """Built once (service.web.install): the templates and the session signer."""

    templates: Environment
    sessions: Sessions

    @classmethod
    def build(cls, settings: Settings) -> "Web":
        templates = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(default=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        templates.globals.update(level_zh=LEVEL_ZH, role_zh=ROLE_ZH, csrf_field=CSRF_FIELD)
        templates.filters["deadline"] = deadline_zh
        return cls(templates, Sessions(session_secret(settings), settings.session_hours))


class SignInRequired(Exception):
    """No valid session: the pages send the browser to the sign-in page."""


class PageError(Exception):
    """An error shown as a page (404, 403, 400) in the person's words."""

    def __init__(self, status: int, title: str, message: str = ""):
        self.status, self.title, self.message = status, title, message


async def get_web(request: Request) -> Web:
    return request.app.state.web


WebDep = Annotated[Web, Depends(get_web)]


def session_of(request: Request) -> WebSession:
    """The request's session: the cookie's, or a new anonymous one (written with the page)."""
    if not hasattr(request.state, "web_session"):
        web: Web = request.app.state.web
        found = web.sessions.read(request)
        request.state.web_session_new = found is None
        request.state.web_session = found or WebSession.anonymous()
    return request.state.web_session


def caller_of(request: Request) -> ApiKey | None:
    """The signed-in key (looked up again each time: a key removed from the settings
    ends its sessions), OPEN while no keys are configured, else None."""
    settings: Settings = request.app.state.settings
    if settings.open_access:
        return OPEN
    digest = session_of(request).key
    return configured(settings, digest) if digest else None


async def signed_in(request: Request) -> ApiKey:
    caller = caller_of(request)
    if caller is None:
        raise SignInRequired
    return caller


Caller = Annotated[ApiKey, Depends(signed_in)]


def Role(*roles: str):
    """A dependency: the caller, if it holds one of ``roles`` (as service.access.requires)."""

    async def dependency(caller: Caller) -> ApiKey:
        if not permits(caller, *roles):
            names = "、".join(ROLE_ZH.get(r, r) for r in roles)
            raise PageError(403, "没有权限", f"此页面需要{names}的密钥。")
        return caller

    return Annotated[ApiKey, Depends(dependency)]


async def checked_form(request: Request):
    """The posted form, after its CSRF token is checked against the session's; its
    uploaded files are closed after the response."""
    form = await request.form(max_fields=MAX_FORM_FIELDS, max_files=2)
    try:
        if not session_of(request).csrf_ok(form.get(CSRF_FIELD)):
            raise PageError(
                403, "页面已过期", "请返回上一页，刷新后重新提交（表单校验码不符或已过期）。"
            )
        yield form
    finally:
        await form.close()


PostedForm = Annotated[FormData, Depends(checked_form)]


def page(request: Request, name: str, caller: ApiKey | None, status: int = 200, **context):
    """Render a template, with what every page needs, and the security headers."""
    web: Web = request.app.state.web
    session = session_of(request)
    html = web.templates.get_template(name).render(
        caller=caller,
        open_access=request.app.state.settings.open_access,
        csrf_token=session.csrf,
        path=request.url.path,
        **context,
    )
    response = HTMLResponse(html, status_code=status)
    if request.state.web_session_new:
        web.sessions.write(response, session, secure=request.url.scheme == "https")
    return secured(response)


def secured(response: Response) -> Response:
    response.headers["content-security-policy"] = CSP
    response.headers["x-content-type-options"] = "nosniff"
    response.headers["referrer-policy"] = "same-origin"
    response.headers["cache-control"] = "no-store"  # pages may show masked personal data
    return response


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def from_problem(exc: ProblemError) -> PageError:
    """An API error raised by a shared function, in the words of a page."""
    titles = {404: "找不到此页面", 403: "没有权限", 409: "无法完成", 413: "文件太大"}
    messages = {404: "没有这条记录，或您的密钥无权查看。"}
    title = titles.get(exc.status, "无法完成")
    return PageError(exc.status, title, messages.get(exc.status, exc.detail))


def deadline_zh(hours: Any) -> str:
    """0 → 立即; 24 → 24 小时内; 720 → 30 天内."""
    if hours is None:
        return "未定"
    hours = int(hours)
    if hours == 0:
        return "立即"
    if hours % 24 == 0 and hours >= 48:
        return f"{hours // 24} 天内"
    return f"{hours} 小时内"


def install_handlers(app) -> None:
    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, exc: SignInRequired):
        return secured(see_other("/signin"))

    @app.exception_handler(PageError)
    async def _page_error(request: Request, exc: PageError):
        caller = caller_of(request)
        return page(request, "error.html", caller, exc.status, error=exc)
