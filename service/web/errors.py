"""The service's error documents, for a page's address, as pages in Chinese.

The API answers errors as ``application/problem+json`` wherever they arise: the
body-size limit (service.limits, before the app reads a byte), a form the parser
refuses (too many fields, a field too long: 400), an unknown address or method,
the database down (503), the last-resort 500 (service.observe). A person at a form
must never be shown that JSON: this middleware, outermost, turns a problem document
answered to a browser (it asks for text/html) at an address of the pages into a page
with the same status, in plain words, with a link back to the form it came from (a
request id with a 500). The API's addresses (``/v1``, health, metrics, OpenAPI), and
a program that does not ask for HTML, keep their documents.

    app.add_middleware(ProblemPages, uploads=UPLOAD_PATHS)   # service.web.install, last

Every form of the pages posts to the address it is shown at, so "back to the form"
is the address posted to.
"""

import json
import logging
from dataclasses import dataclass

from starlette.requests import Request

from models.sheets.files import SheetTooLarge
from service.problems import PROBLEM_TYPE
from service.web.pages import PageError, caller_of, page

log = logging.getLogger("liushou.web")
API_PREFIXES = ("/v1/", "/docs/")
API_PATHS = frozenset(
    {"/v1", "/healthz", "/readyz", "/metrics", "/openapi.json", "/docs", "/redoc"}
)
NOT_FORMS = frozenset({"/signout"})  # posted from a button on every page
MAX_PROBLEM_BYTES = 64 * 1024  # a problem document is a few hundred bytes
TITLES = {
    400: "无法读取提交的内容",
    401: "请先登录",
    403: "没有权限",
    404: "找不到此页面",
    405: "找不到此页面",
    409: "无法完成",
    413: "提交的内容太大",
    422: "填写有误",
    429: "请求太频繁",
    500: "系统出错了",
    503: "暂时无法使用",
}
MESSAGES = {
    400: "表单内容无法读取（项目太多或某一项太长）。请返回表单，检查后重新提交。",
    404: "没有这个页面，或您的密钥无权查看。",
    405: "这个地址不能这样打开。请从页面上的链接或按钮进入。",
    409: "请返回上一页，刷新后再试。",
    422: "提交的内容有误。请返回表单，检查后重新提交。",
    429: "请稍等片刻再试。",
    500: "系统出了错。请稍后再试；如果一直这样，请把下面的错误编号告诉管理员。",
    503: "数据库暂时连不上。请过一会儿再试。",
}


def is_page_path(path: str) -> bool:
    """An address of the pages (everything but the API's own)."""
    return path not in API_PATHS and not path.startswith(API_PREFIXES)


def wants_page(scope) -> bool:
    """A browser's request for a page's address: a browser asks for text/html (a form
    posted, a link followed); a program asking anything else gets the document."""
    if scope["type"] != "http" or not is_page_path(scope["path"]):
        return False
    accept = dict(scope.get("headers", [])).get(b"accept", b"")
    return b"text/html" in accept


def size_zh(limit: int) -> str:
    """Bytes in plain words: 52428800 → 50 MB; 1048576 → 1 MB; 1500 → 1.5 KB."""
    for unit, size in (("MB", 2**20), ("KB", 2**10)):
        if limit >= size:
            return f"{limit / size:.1f}".removesuffix(".0") + f" {unit}"
    return f"{limit} 字节"


# models.sheets.files.SheetTooLarge.limit (which limit) -> what a person is told
SHEET_LIMITS_ZH = {
    "LIUSHOU_MAX_REVIEW_ROWS": "行数太多：一个文件最多 {limit:,} 行。请分成几个文件上传",
    "columns per sheet": "列太多：最多 {limit:,} 列。请删去不需要的列",
    "characters per cell": "有一格的字太多：每格最多 {limit:,} 个字",
    "cells per sheet": "单元格太多：最多 {limit:,} 格。请分成几个文件上传",
    "unzipped bytes per XLSX": "文件解压后太大：最多 {size}。请分成几个文件上传",
    "unzipped bytes of shared strings per XLSX": "文件里的文字太多：解压后最多 {size}",
}


def sheet_too_large_zh(exc: SheetTooLarge) -> str:
    """A sheet over one of its limits, in plain words."""
    words = SHEET_LIMITS_ZH.get(exc.limit, "文件太大：超过了 {limit:,} 的上限")
    return "文件太大。" + words.format(limit=exc.value, size=size_zh(exc.value)) + "。"


@dataclass
class Refused:
    """What a problem document says, as a page says it."""

    status: int
    title: str
    message: str
    back: str  # the form to go back to, or "/"


def refused(path: str, method: str, document: dict, status: int, uploads=()) -> Refused:
    title = "文件太大" if status == 413 and path in uploads else TITLES.get(status, "无法完成")
    message = MESSAGES.get(status, "请返回上一页再试。")
    if status == 413:
        limit = document.get("limit_bytes")
        what = "上传的文件" if path in uploads else "提交的内容"
        size = f"：不能超过 {size_zh(limit)}" if isinstance(limit, int) else ""
        message = f"{what}太大{size}。"
        if path in uploads:
            message += "请把名单分成几个较小的文件，或删去空行和不需要的列，再上传。"
    back = path if method == "POST" and path not in NOT_FORMS else "/"
    return Refused(status, title, message, back)


class ProblemPages:
    """ASGI middleware: see the module's docstring."""

    def __init__(self, app, uploads=()):
        self.app, self.uploads = app, tuple(uploads)

    async def __call__(self, scope, receive, send):
        if not wants_page(scope):
            return await self.app(scope, receive, send)
        held: dict = {}
        body = bytearray()

        async def send_page_for_problem(message):
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers", []))
                if headers.get(b"content-type", b"").startswith(PROBLEM_TYPE.encode()):
                    held["start"] = message  # a problem document: the page is sent instead
                    return
            elif "start" in held and message["type"] == "http.response.body":
                if len(body) < MAX_PROBLEM_BYTES:
                    body.extend(message.get("body", b""))
                if message.get("more_body", False):
                    return
                return await self._send_page(scope, send, held["start"], bytes(body))
            await send(message)

        await self.app(scope, receive, send_page_for_problem)

    async def _send_page(self, scope, send, start: dict, body: bytes) -> None:
        status = start["status"]
        headers = dict(start.get("headers", []))
        try:
            document = json.loads(body) if body else {}
        except ValueError:
            document = {}
        rid = headers.get(b"x-request-id", b"").decode("latin-1")
        try:
            response = _render(scope, status, document, rid, self.uploads)
        except Exception:  # the page could not be drawn: the document as it was
            log.exception("error page failed", extra={"status": status})
            await send(start)
            await send({"type": "http.response.body", "body": body})
            return
        for name in (b"x-request-id", b"retry-after"):
            if name in headers:
                response.raw_headers.append((name, headers[name]))
        await response(scope, _no_body, send)


async def _no_body():
    return {"type": "http.request", "body": b"", "more_body": False}


def _render(scope, status: int, document: dict, request_id: str, uploads):
    request = Request(scope)
    said = refused(scope["path"], scope["method"], document, status, uploads)
    return page(
        request,
        "error.html",
        caller_of(request),
        status,
        error=PageError(status, said.title, said.message),
        back=said.back,
        request_id=request_id if status >= 500 else "",
    )
