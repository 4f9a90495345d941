"""API keys and roles: ``system`` (scoring), ``village`` (its own reviews), ``analyst``.

Keys are configured hashed (sha256). With none configured the service is open,
and it runs on localhost only (the settings refuse a public host).
"""

import hashlib
import hmac
import ipaddress
from typing import Annotated

from fastapi import Depends, Request

from service.problems import ProblemError
from service.settings import ApiKey, Settings, is_local

OPEN = ApiKey(sha256="0" * 64, role="system")  # the caller when no keys are configured


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _presented(request: Request) -> str | None:
    key = request.headers.get("x-api-key")
    auth = request.headers.get("authorization", "")
    if not key and auth.lower().startswith("bearer "):
        key = auth[7:].strip()
    return key or None


def served_locally(scope) -> bool:
    """Open access answers only a connection made on this machine to a local host, however
    the server was started (``uvicorn --host 0.0.0.0`` too): the address connected to
    passes ``is_local`` (the test ``LIUSHOU_HOST`` passes) and the client is a loopback
    address. A name that is no IP address (a Unix socket, an in-process test transport)
    is no network peer."""
    return _passes(scope.get("server"), is_local) and _passes(scope.get("client"), _loopback)


def _passes(address, test) -> bool:
    host = address[0] if address else None
    try:
        ipaddress.ip_address(host or "")
    except ValueError:
        return True
    return test(host)


def _loopback(host: str) -> bool:
    return ipaddress.ip_address(host).is_loopback


def identify(settings: Settings, request: Request) -> ApiKey:
    if settings.open_access:
        if not served_locally(request.scope):
            raise ProblemError(
                403,
                "Open access is local only",
                "no API keys are configured (LIUSHOU_API_KEYS): only localhost is served",
            )
        return OPEN
    key = _presented(request)
    if key is None:
        raise ProblemError(401, "API key required", "send X-API-Key (or Authorization: Bearer)")
    known = configured(settings, hash_key(key))
    if known is None:
        raise ProblemError(401, "Unknown API key", "the key is not configured")
    return known


def configured(settings: Settings, digest: str) -> ApiKey | None:
    """The configured key with this sha256 (compared in constant time), or None.
    The API looks up the key a request presents; the web pages the one a session holds."""
    found = None
    for known in settings.api_keys:
        if hmac.compare_digest(known.sha256, digest) and found is None:
            found = known
    return found


def authorize(request: Request, *roles: str) -> ApiKey:
    """The caller, if it holds one of ``roles`` (anyone while no keys are configured)."""
    caller = identify(request.app.state.settings, request)
    if not permits(caller, *roles):
        raise ProblemError(403, "Not allowed", f"this needs a {' or '.join(roles)} key")
    return caller


def permits(caller: ApiKey, *roles: str) -> bool:
    """Whether ``caller`` holds one of ``roles`` (anyone while no keys are configured)."""
    return caller.role in roles or caller is OPEN


def requires(*roles: str):
    async def dependency(request: Request) -> ApiKey:
        return authorize(request, *roles)

    return Depends(dependency)


SystemCaller = Annotated[ApiKey, requires("system")]
ReviewCaller = Annotated[ApiKey, requires("system", "village", "analyst")]


def may_see(caller: ApiKey, township: str, village: str) -> bool:
    """A village key sees only its own village; other roles see every village."""
    if caller.role != "village":
        return True
    return (caller.township, caller.village) == (township, village)


TaskCaller = Annotated[ApiKey, requires("system", "village", "analyst", "department")]
