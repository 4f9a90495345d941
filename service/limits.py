"""Request body size limit as a pure ASGI middleware: 413 before the body is parsed.

A declared ``Content-Length`` over the limit is refused at once; a body without
one (chunked) is read up to the limit and replayed to the app.
"""

import json

from service.problems import PROBLEM_TYPE


class BodySizeLimit:
    def __init__(self, app, max_bytes: int, upload_bytes: int | None = None, upload_paths=()):
        self.app, self.max_bytes = app, max_bytes
        self.upload_bytes, self.upload_paths = upload_bytes or max_bytes, tuple(upload_paths)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        upload = scope["path"] in self.upload_paths
        limit = self.upload_bytes if upload else self.max_bytes
        name = "LIUSHOU_MAX_UPLOAD_BYTES" if upload else "LIUSHOU_MAX_BODY_BYTES"
        return await self._limited(scope, receive, send, limit, name)

    async def _limited(self, scope, receive, send, limit: int, name: str):
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None:
            if declared.isdigit() and int(declared) > limit:
                return await self._reject(send, limit, name)
            return await self.app(scope, receive, send)
        messages, size = [], 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > limit:
                return await self._reject(send, limit, name)
            if not message.get("more_body", False):
                break

        async def replay():
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)

    async def _reject(self, send, limit: int, name: str):
        body = json.dumps(
            {
                "type": "about:blank",
                "title": "Request body too large",
                "status": 413,
                "detail": f"the request body is over the limit of {limit} bytes ({name})",
                "limit_bytes": limit,
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", PROBLEM_TYPE.encode()),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
