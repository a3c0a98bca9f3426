"""Sign-in pages and the gate in front of the Gradio app.

`routes(auth)` are plain Starlette routes (a small HTML form, no Gradio): sign in, change the
initial password, sign out. `SignInGate` is ASGI middleware: when sign-in is required, every
other path (the page, Gradio's API, its files, its queue) answers 401 — or redirects a browser
to /login — unless the request carries a valid signed session cookie.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from simulator.web.auth import COOKIE, SESSION_TTL_SECONDS, Auth, Principal, TooManyAttempts
from simulator.web.services import blocking  # password hashing takes ~0.2 s of CPU: off the event loop

log = logging.getLogger("simulator.security")
# Gradio calls startup-events on itself while launching (idempotent: starts the queue once).
PUBLIC_PATHS = ("/login", "/favicon.ico", "/gradio_api/startup-events")  # and everything under /auth/

_PAGE = """<!doctype html><html lang="ja"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Sign in · サインイン</title>
<style>body{{font-family:"Noto Sans CJK JP",system-ui,sans-serif;max-width:26rem;margin:4rem auto;padding:0 1rem}}
label{{display:block;margin:.8rem 0 .2rem}}input{{width:100%;padding:.5rem;font-size:1rem;box-sizing:border-box}}
button{{margin-top:1rem;padding:.6rem 1.2rem;font-size:1rem}}.err{{color:#b00020;white-space:pre-line}}
.note{{color:#555}}</style></head><body><h1>{title}</h1>{message}<form method="post" action="{action}">
{fields}<button id="sim-signin-submit" type="submit">{button}</button></form>{extra}</body></html>"""


def _field(name: str, label: str, kind: str = "text", value: str = "") -> str:
    auto = {"password": "current-password", "new": "new-password"}.get(kind, "username")
    typ = "text" if kind == "text" else "password"
    return (f'<label for="{name}">{label}</label><input id="{name}" name="{name}" type="{typ}" '
            f'value="{html.escape(value)}" autocomplete="{auto}" required>')


def _page(title: str, action: str, fields: str, button: str, message: str = "", status: int = 200,
          extra: str = "") -> HTMLResponse:
    msg = f'<p class="err" id="sim-signin-error">{html.escape(message)}</p>' if message else ""
    return HTMLResponse(_PAGE.format(title=title, action=action, fields=fields, button=button, message=msg,
                                     extra=extra), status_code=status,
                        headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY"})


def signin_page(message: str = "", status: int = 200, login: str = "", sso: bool = False) -> HTMLResponse:
    link = ('<p><a id="sim-sso" href="/auth/oidc/start">組織のアカウントでサインイン · '
            'Sign in with your organisation</a></p>') if sso else ""
    return _page("サインイン · Sign in", "/auth/login",
                 _field("login", "ログインID · Login id", value=login) +
                 _field("password", "パスワード · Password", "password"),
                 "サインイン · Sign in", message, status, link)


def change_page(login: str, message: str = "", status: int = 200) -> HTMLResponse:
    hidden = f'<input type="hidden" name="login" value="{html.escape(login)}">'
    return _page("パスワードの変更 · Choose your password", "/auth/password",
                 hidden + _field("current", "いまのパスワード · Current (initial) password", "password") +
                 _field("new", "新しいパスワード（12文字以上）· New password (12+ characters)", "new") +
                 _field("repeat", "もう一度 · Repeat the new password", "new"),
                 "変更してサインイン · Change and sign in", message, status,
                 '<p class="note">初回サインインでは、渡されたパスワードを自分のものに変えてください。'
                 ' · At the first sign-in, replace the password you were given with your own.</p>')


def _address(request: Request) -> str:
    return request.client.host if request.client else "?"


def signed_in_response(auth: Auth, p: Principal | Any, request: Request) -> Response:
    """Back to the app with the signed session cookie set (p: a Principal or an accounts.Account)."""
    if not isinstance(p, Principal):
        p = auth.principal_of(p)
    r = RedirectResponse("/", status_code=303)
    r.set_cookie(COOKIE, auth.cookie_value(p), max_age=SESSION_TTL_SECONDS, httponly=True, samesite="lax",
                 secure=request.url.scheme == "https", path="/")
    return r


def routes(auth: Auth) -> list[Route]:
    sso = auth.oidc is not None

    async def get_login(request: Request) -> Response:
        if auth.principal(request) is not None:
            return RedirectResponse("/", status_code=303)
        return signin_page(sso=sso)

    async def post_login(request: Request) -> Response:
        form = await request.form()
        login, password = str(form.get("login", "")).strip(), str(form.get("password", ""))
        try:
            p = await blocking(auth.authenticate, login, password, _address(request))
        except TooManyAttempts as e:
            return signin_page(f"サインインの失敗が続いたため、しばらくお待ちください。 · {e}", 429, login, sso)
        if p is None:
            return signin_page("ログインIDまたはパスワードが違います。 · Wrong login id or password.", 401, login, sso)
        if p.must_change:
            return change_page(p.login)
        return signed_in_response(auth, p, request)

    async def post_password(request: Request) -> Response:
        from simulator.accounts import AccountError
        form = await request.form()
        login = str(form.get("login", "")).strip()
        current, new, repeat = (str(form.get(k, "")) for k in ("current", "new", "repeat"))
        if auth.accounts is None:
            return signin_page("Accounts are not enabled on this server.", 400)
        if new != repeat:
            return change_page(login, "新しいパスワードが一致しません。 · The two new passwords differ.", 400)
        try:
            auth.limiter.check(login, _address(request))
            if await blocking(auth.accounts.verify, login, current) is None:
                auth.limiter.failed(login, _address(request))
                return change_page(login, "いまのパスワードが違います。 · The current password is wrong.", 401)
            acc = await blocking(auth.accounts.change_password, login, current, new)
        except TooManyAttempts as e:
            return change_page(login, str(e), 429)
        except AccountError as e:
            return change_page(login, str(e), 400)
        log.info("password changed: account %r from %s", login, _address(request))
        return signed_in_response(auth, Principal(login=acc.login, name=acc.name, role=acc.role,
                                          fingerprint=acc.fingerprint), request)

    async def post_logout(request: Request) -> Response:
        r = RedirectResponse("/login" if auth.require_signin else "/", status_code=303)
        r.delete_cookie(COOKIE, path="/")
        return r

    async def whoami(request: Request) -> Response:
        p = auth.principal(request)
        return JSONResponse({"signed_in": p is not None, "login": p.login if p else None,
                             "role": p.role if p else None, "require_signin": auth.require_signin})

    extra: list[Route] = []
    if auth.oidc is not None:
        from simulator.web import oidc
        extra = oidc.routes(auth, auth.oidc)
    return extra + [Route("/login", get_login, methods=["GET"]), Route("/auth/login", post_login, methods=["POST"]),
            Route("/auth/password", post_password, methods=["POST"]),
            Route("/auth/logout", post_logout, methods=["POST"]), Route("/auth/whoami", whoami, methods=["GET"])]


class SignInGate:
    """ASGI middleware: without a valid session cookie, only the sign-in paths answer."""

    def __init__(self, app: Callable[..., Any], auth: Auth) -> None:
        self.app = app
        self.auth = auth

    async def __call__(self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        if scope["type"] not in ("http", "websocket") or not self.auth.require_signin:
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        if path in PUBLIC_PATHS or path.startswith("/auth/"):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if self.auth.principal(request) is not None:
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        wants_page = scope.get("method") == "GET" and "text/html" in request.headers.get("accept", "")
        response: Response = (RedirectResponse("/login", status_code=303) if wants_page
                              else JSONResponse({"error": "sign-in required: POST /auth/login first"}, status_code=401))
        await response(scope, receive, send)
