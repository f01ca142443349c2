"""Who calls the platform service: the hub says, for a token or a signed-in browser.

:class:`HubIdentity` is the service's :class:`~hub.service.deps.Identity`. A request
carries a hub token in ``Authorization: token <t>`` (or ``Bearer <t>``), or the HttpOnly
cookie the hub's OAuth flow left in a browser; either way the service asks the hub who
owns the token (``GET {api_url}/user``) and keeps the answer for a minute. A token must
carry access to this service (``access:services!service=quant``, the
``JUPYTERHUB_OAUTH_ACCESS_SCOPES`` the hub gives the service); one without it counts as
no credentials. A hub that does not answer gives 503.

Browsers sign in through the hub: ``login`` redirects to the hub's authorize page with
a state (and a PKCE challenge), ``oauth_callback`` exchanges the code for a token and
keeps it in the cookie, and the service root ``/`` shows a small landing page.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import logging
import os
import secrets
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlparse

import httpx
from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jupyterhub.services.auth import check_scopes

from quantlib.platform.identity import Principal, PrincipalKind

log = logging.getLogger("hub.service.auth")

#: Seconds the hub's answer about a token is kept.
CACHE_SECONDS = 60.0
#: Tokens whose answers are kept at most (the oldest go first).
CACHE_ENTRIES = 1024
#: Seconds a browser has to come back from the hub's authorize page.
STATE_SECONDS = 600.0
#: Seconds to wait for the hub's API.
HUB_TIMEOUT = 10.0
#: Methods that change nothing; cookie-authenticated requests of other methods must
#: come from the service's own pages.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_PREFIXES = ("token ", "bearer ")


class HubIdentityError(RuntimeError):
    """The environment lacks what the service needs to ask the hub; the message names it."""


class _Expiring:
    """A bounded mapping whose entries vanish ``seconds`` after they were stored."""

    def __init__(self, seconds: float, entries: int) -> None:
        self.seconds = seconds
        self.entries = entries
        self._items: OrderedDict[str, tuple[float, Any]] = OrderedDict()

    def get(self, key: str) -> tuple[bool, Any]:
        """``(True, value)`` for a live entry, else ``(False, None)``."""
        found = self._items.get(key)
        if found is None:
            return False, None
        stored, value = found
        if time.monotonic() - stored > self.seconds:
            del self._items[key]
            return False, None
        return True, value

    def put(self, key: str, value: Any) -> None:
        """Store ``value``; drop the oldest entry beyond the bound."""
        self._items[key] = (time.monotonic(), value)
        self._items.move_to_end(key)
        while len(self._items) > self.entries:
            self._items.popitem(last=False)

    def pop(self, key: str) -> Any:
        """Remove and return a live entry's value (``None`` if there is none)."""
        live, value = self.get(key)
        self._items.pop(key, None)
        return value if live else None


@dataclass(frozen=True)
class _Credentials:
    token: str
    from_cookie: bool


def _json_list(raw: str, variable: str) -> frozenset[str]:
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        raise HubIdentityError(f"{variable} must be a JSON list of scopes, got {raw!r}") from None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise HubIdentityError(f"{variable} must be a JSON list of scopes, got {raw!r}")
    return frozenset(value)


def _with_slash(path: str) -> str:
    path = path if path.startswith("/") else "/" + path
    return path if path.endswith("/") else path + "/"


@dataclass
class HubIdentity:
    """The callers of the service, as the hub knows them.

    Parameters
    ----------
    api_url
        The hub's API, e.g. ``http://127.0.0.1:8081/hub/api``.
    api_token
        The service's own hub token (also its OAuth client secret).
    prefix
        The service's URL prefix, e.g. ``/services/quant/``.
    client_id
        The service's OAuth client id (``service-quant``).
    callback_url
        Where the hub sends browsers back with a code (``{prefix}oauth_callback``).
    authorize_url
        The hub's OAuth authorize page as the browser reaches it.
    access_scopes
        Scopes of which a token must carry one to use the service.

    Examples
    --------
    >>> identity = HubIdentity(
    ...     api_url="http://127.0.0.1:8081/hub/api",
    ...     api_token="secret",
    ...     prefix="/services/quant/",
    ...     client_id="service-quant",
    ...     callback_url="/services/quant/oauth_callback",
    ...     authorize_url="/hub/api/oauth2/authorize",
    ...     access_scopes=frozenset({"access:services!service=quant"}),
    ... )
    >>> identity.cookie_name
    'service-quant'
    """

    api_url: str
    api_token: str
    prefix: str
    client_id: str
    callback_url: str
    authorize_url: str
    access_scopes: frozenset[str]
    _answers: _Expiring = field(
        default_factory=lambda: _Expiring(CACHE_SECONDS, CACHE_ENTRIES), repr=False
    )
    _states: _Expiring = field(
        default_factory=lambda: _Expiring(STATE_SECONDS, CACHE_ENTRIES), repr=False
    )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> HubIdentity:
        """The identity of a hub-managed service, from the variables the hub sets.

        Raises
        ------
        HubIdentityError
            Naming the first required variable that is missing or malformed.
        """
        env = os.environ if environ is None else environ

        def required(name: str) -> str:
            value = env.get(name, "").strip()
            if not value:
                raise HubIdentityError(
                    f"{name} is not set: run the service from the hub "
                    "(a managed service in jupyterhub_config.py) or set it"
                )
            return value

        api_url = required("JUPYTERHUB_API_URL").rstrip("/")
        api_token = required("JUPYTERHUB_API_TOKEN")
        prefix = _with_slash(required("JUPYTERHUB_SERVICE_PREFIX"))
        client_id = required("JUPYTERHUB_CLIENT_ID")
        callback_url = env.get("JUPYTERHUB_OAUTH_CALLBACK_URL") or prefix + "oauth_callback"
        raw_scopes = env.get("JUPYTERHUB_OAUTH_ACCESS_SCOPES", "").strip()
        if raw_scopes:
            scopes = _json_list(raw_scopes, "JUPYTERHUB_OAUTH_ACCESS_SCOPES")
        else:
            scopes = frozenset({f"access:services!service={required('JUPYTERHUB_SERVICE_NAME')}"})
        hub_url = env.get("JUPYTERHUB_PUBLIC_HUB_URL", "").strip()
        if not hub_url:
            base = _with_slash(env.get("JUPYTERHUB_BASE_URL", "").strip() or "/")
            hub_url = env.get("JUPYTERHUB_HOST", "").strip() + base + "hub/"
        authorize_url = hub_url.rstrip("/") + "/api/oauth2/authorize"
        return cls(api_url, api_token, prefix, client_id, callback_url, authorize_url, scopes)

    @property
    def cookie_name(self) -> str:
        """The cookie holding a browser's OAuth token (named after the OAuth client)."""
        return self.client_id

    @property
    def state_cookie_name(self) -> str:
        """The cookie holding the state of a sign-in under way."""
        return self.client_id + "-oauth-state"

    # --- tokens --------------------------------------------------------------------------

    def _credentials(self, request: Request) -> _Credentials | None:
        header = request.headers.get("authorization", "").strip()
        lowered = header.lower()
        for prefix in _PREFIXES:
            if lowered.startswith(prefix) and header[len(prefix) :].strip():
                return _Credentials(header[len(prefix) :].strip(), from_cookie=False)
        cookie = request.cookies.get(self.cookie_name)
        return _Credentials(cookie, from_cookie=True) if cookie else None

    async def _ask_hub(self, token: str) -> dict[str, Any] | None:
        """The hub's model of the token's owner, ``None`` for a token it does not know."""
        url = f"{self.api_url}/user"
        try:
            async with httpx.AsyncClient(timeout=HUB_TIMEOUT) as client:
                answer = await client.get(url, headers={"Authorization": f"token {token}"})
        except httpx.HTTPError as error:
            log.error("the hub API at %s does not answer: %s", url, error)
            raise HTTPException(
                status.HTTP_503_SERVICE_UNAVAILABLE,
                detail=f"the hub does not answer at {self.api_url}; try again shortly",
            ) from None
        if answer.status_code in (401, 403, 404):
            return None
        if answer.status_code != 200:
            log.error("the hub answered %s to GET %s: %s", answer.status_code, url, answer.text)
            raise HTTPException(
                status.HTTP_503_SERVICE_UNAVAILABLE,
                detail=f"the hub could not check the token (HTTP {answer.status_code})",
            )
        model: dict[str, Any] = answer.json()
        return model

    async def user_model(self, token: str) -> dict[str, Any] | None:
        """The hub's model of ``token``'s owner (kept for a minute), ``None`` if unknown.

        Raises
        ------
        fastapi.HTTPException
            503 when the hub cannot be reached or fails.
        """
        key = hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()
        cached, model = self._answers.get(key)
        if not cached:
            model = await self._ask_hub(token)
            self._answers.put(key, model)
        return model

    def allowed(self, model: Mapping[str, Any]) -> bool:
        """Whether the token behind ``model`` carries access to this service."""
        return bool(check_scopes(set(self.access_scopes), set(model.get("scopes") or [])))

    async def principal(self, request: Request) -> Principal | None:
        """The caller of ``request``, or ``None`` without valid credentials for the service."""
        credentials = self._credentials(request)
        if credentials is None:
            return None
        if credentials.from_cookie and request.method not in SAFE_METHODS:
            site = request.headers.get("sec-fetch-site", "same-origin")
            if site not in ("same-origin", "none"):
                log.warning(
                    "refused a %s %s signed in by cookie from another site (%s)",
                    request.method,
                    request.url.path,
                    site,
                )
                return None
        model = await self.user_model(credentials.token)
        if model is None:
            return None
        if not self.allowed(model):
            log.warning(
                "refused %s %r: its token lacks %s",
                model.get("kind", "user"),
                model.get("name"),
                " or ".join(sorted(self.access_scopes)),
            )
            return None
        kind = PrincipalKind.SERVICE if model.get("kind") == "service" else PrincipalKind.USER
        return Principal.from_hub(
            str(model["name"]),
            groups=model.get("groups") or [],
            scopes=model.get("scopes") or [],
            kind=kind,
            admin=bool(model.get("admin")),
        )

    # --- browsers ------------------------------------------------------------------------

    def _local(self, target: str | None) -> str:
        """``target`` if it is a page of this service, else the service root."""
        if not target:
            return self.prefix
        parsed = urlparse(target)
        if parsed.scheme or parsed.netloc or target.startswith("//"):
            return self.prefix
        if not _with_slash(parsed.path).startswith(self.prefix):
            return self.prefix
        return target

    def _secure(self, request: Request) -> bool:
        scheme = request.headers.get("x-forwarded-proto", request.url.scheme)
        return scheme.split(",")[0].strip() == "https"

    async def login(self, request: Request) -> Response:
        """Send the browser to the hub's authorize page, remembering where it was going."""
        state = secrets.token_urlsafe(24)
        verifier = secrets.token_urlsafe(48)
        challenge = (
            base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            .decode()
            .rstrip("=")
        )
        self._states.put(state, (self._local(request.query_params.get("next")), verifier))
        query = urlencode(
            {
                "client_id": self.client_id,
                "redirect_uri": self.callback_url,
                "response_type": "code",
                "state": state,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
        response = RedirectResponse(f"{self.authorize_url}?{query}", status.HTTP_302_FOUND)
        response.set_cookie(
            self.state_cookie_name,
            state,
            max_age=int(STATE_SECONDS),
            path=self.prefix,
            httponly=True,
            samesite="lax",
            secure=self._secure(request),
        )
        return response

    async def _token_for_code(self, code: str, verifier: str) -> str:
        form = {
            "client_id": self.client_id,
            "client_secret": self.api_token,
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.callback_url,
            "code_verifier": verifier,
        }
        url = f"{self.api_url}/oauth2/token"
        try:
            async with httpx.AsyncClient(timeout=HUB_TIMEOUT) as client:
                answer = await client.post(url, data=form)
        except httpx.HTTPError as error:
            log.error("the hub API at %s does not answer: %s", url, error)
            raise HTTPException(
                status.HTTP_503_SERVICE_UNAVAILABLE,
                detail=f"the hub does not answer at {self.api_url}; try again shortly",
            ) from None
        if answer.status_code != 200:
            log.warning("the hub refused an OAuth code (%s): %s", answer.status_code, answer.text)
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail="the hub refused the sign-in code; sign in again",
            )
        token: str = answer.json()["access_token"]
        return token

    async def oauth_callback(self, request: Request) -> Response:
        """Finish the hub's OAuth flow: check the state, keep the token, go on."""
        params = request.query_params
        if params.get("error"):
            message = params.get("error_description") or params["error"]
            raise HTTPException(status.HTTP_400_BAD_REQUEST, detail=f"sign-in failed: {message}")
        code, state = params.get("code"), params.get("state")
        if not code or not state:
            raise HTTPException(
                status.HTTP_400_BAD_REQUEST, detail="the OAuth callback lacks its code or state"
            )
        remembered = self._states.pop(state)
        if remembered is None or request.cookies.get(self.state_cookie_name) != state:
            log.warning("refused an OAuth callback whose state does not match its cookie")
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail="the sign-in state does not match; sign in again",
            )
        next_url, verifier = remembered
        token = await self._token_for_code(code, verifier)
        model = await self.user_model(token)
        if model is None or not self.allowed(model):
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail="the hub's token does not give access to this service",
            )
        log.info("%s signed in through the hub", model["name"])
        response = RedirectResponse(next_url, status.HTTP_302_FOUND)
        response.delete_cookie(self.state_cookie_name, path=self.prefix)
        response.set_cookie(
            self.cookie_name,
            token,
            path=self.prefix,
            httponly=True,
            samesite="lax",
            secure=self._secure(request),
        )
        return response

    async def landing(self, request: Request) -> Response:
        """The service root: the sign-in redirect, or a page linking to the API docs."""
        who = await self.principal(request)
        if who is None:
            query = urlencode({"next": self.prefix})
            return RedirectResponse(f"{self.prefix}login?{query}", status.HTTP_302_FOUND)
        return HTMLResponse(landing_page(who))

    def router(self) -> APIRouter:
        """``/`` (landing page), ``/login`` and ``/oauth_callback``."""
        router = APIRouter(tags=["sign-in"], include_in_schema=False)
        router.add_api_route("/", self.landing, methods=["GET"])
        router.add_api_route("/login", self.login, methods=["GET"])
        router.add_api_route("/oauth_callback", self.oauth_callback, methods=["GET"])
        return router


def landing_page(who: Principal) -> str:
    """The bilingual page a signed-in browser sees at the service root."""
    name = html.escape(who.name)
    roles = html.escape(", ".join(who.role_names) or "—")
    return f"""<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>韬睿量化平台接口 · Taorui Quant platform API</title>
<style>
body {{ font-family: sans-serif; max-width: 40rem; margin: 3rem auto; line-height: 1.6; }}
code {{ background: #f3f3f3; padding: 0 .3em; }}
</style>
</head>
<body>
<h1>韬睿量化平台接口 · Taorui Quant platform API</h1>
<p id="who">已登录：<strong>{name}</strong> · Signed in as <strong>{name}</strong>
（角色 · roles: <span id="roles">{roles}</span>）</p>
<ul>
<li><a id="docs" href="docs">接口文档 · API documentation</a></li>
<li><a id="openapi" href="openapi.json">OpenAPI 描述 · OpenAPI document</a></li>
<li><a href="api/me">我的身份与权限 · My identity and permissions</a></li>
</ul>
<p>在笔记本中使用 <code>quantlib.client.PlatformClient</code>。 ·
In a notebook, use <code>quantlib.client.PlatformClient</code>.</p>
</body>
</html>
"""
