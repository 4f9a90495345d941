"""The web pages' session: a signed cookie (itsdangerous) holding which key signed in.

The cookie holds the sha256 of the key (never the key), a CSRF token and the time
of sign-in; it is HttpOnly, SameSite=Lax, and expires after ``session_hours``
both in the browser (Max-Age) and here (the signature carries its time). It is
written at sign-in only, so the expiry is absolute, not renewed by use.

    sessions = Sessions(secret, hours=8)
    sessions.write(response, WebSession.signed_in(digest))
    session = sessions.read(request)            # None: no cookie, forged or expired
"""

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from service.settings import DEV_PERSON_KEY_SECRET, Settings

COOKIE = "liushou_session"
CSRF_FIELD = "csrf_token"


@dataclass(frozen=True)
class WebSession:
    key: str | None  # sha256 of the signed-in key; None before sign-in
    csrf: str
    issued: float

    @classmethod
    def anonymous(cls) -> "WebSession":
        return cls(None, secrets.token_urlsafe(32), time.time())

    @classmethod
    def signed_in(cls, digest: str) -> "WebSession":
        """A fresh token at sign-in: a token seen before signing in is worth nothing after."""
        return cls(digest, secrets.token_urlsafe(32), time.time())

    def csrf_ok(self, token: object) -> bool:
        return isinstance(token, str) and hmac.compare_digest(self.csrf, token)


class Sessions:
    def __init__(self, secret: bytes, hours: float):
        self.serializer = URLSafeTimedSerializer(secret, salt="liushou-web-session")
        self.max_age = int(hours * 3600)

    def read(self, request: Request) -> WebSession | None:
        value = request.cookies.get(COOKIE)
        if not value or len(value) > 4096:
            return None
        try:
            data = self.serializer.loads(value, max_age=self.max_age)
            return WebSession(data["k"], data["c"], float(data["t"]))
        except (BadSignature, KeyError, TypeError, ValueError):
            return None

    def write(self, response: Response, session: WebSession, secure: bool) -> None:
        value = self.serializer.dumps({"k": session.key, "c": session.csrf, "t": session.issued})
        response.set_cookie(
            COOKIE,
            value,
            max_age=self.max_age,
            path="/",
            httponly=True,
            samesite="lax",
            secure=secure,
        )

    @staticmethod
    def clear(response: Response) -> None:
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax")


def session_secret(settings: Settings) -> bytes:
    """LIUSHOU_SESSION_SECRET; else one derived from the person-key secret (HMAC, its own
    purpose); else, while that is the development value, a random one for this process."""
    if settings.session_secret is not None:
        return settings.session_secret.get_secret_value().encode()
    person = settings.person_key_secret.get_secret_value()
    if person != DEV_PERSON_KEY_SECRET:
        return hmac.digest(person.encode(), b"liushou web session cookies", hashlib.sha256)
    return secrets.token_bytes(32)
