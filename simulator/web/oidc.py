"""OpenID Connect single sign-on (authorization code flow with PKCE), configured by environment.

SIMULATOR_OIDC_ISSUER, SIMULATOR_OIDC_CLIENT_ID and SIMULATOR_OIDC_CLIENT_SECRET turn it on;
SIMULATOR_OIDC_ROLE_CLAIM (default `role`) names the claim whose value SIMULATOR_OIDC_SUPERVISOR_VALUES
(comma-separated, default `supervisor`) makes a supervisor; everyone else signs in as a trainee.
The ID token is checked with the provider's published keys (signature, issuer, audience,
expiry, nonce); the account is named by `preferred_username` (else `sub`) and gets the same
signed session cookie as a password sign-in.
"""

from __future__ import annotations

import os
import secrets
import time
from typing import Any

from pydantic import BaseModel, ConfigDict
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

STATE_COOKIE = "sim_oidc"
STATE_TTL_S = 600
DISCOVERY_TTL_S = 3600


class OIDCSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    issuer: str
    client_id: str
    client_secret: str
    role_claim: str = "role"
    supervisor_values: tuple[str, ...] = ("supervisor",)

    @classmethod
    def from_env(cls) -> "OIDCSettings | None":
        from simulator.web.auth import ConfigError
        names = ("SIMULATOR_OIDC_ISSUER", "SIMULATOR_OIDC_CLIENT_ID", "SIMULATOR_OIDC_CLIENT_SECRET")
        values = [os.environ.get(n, "").strip() for n in names]
        if not any(values):
            return None
        missing = [n for n, v in zip(names, values) if not v]
        if missing:
            raise ConfigError(f"single sign-on needs {', '.join(names)}; {', '.join(missing)} not set")
        if not values[0].startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise ConfigError(f"SIMULATOR_OIDC_ISSUER must be an https:// URL, got {values[0]!r}")
        sup = os.environ.get("SIMULATOR_OIDC_SUPERVISOR_VALUES", "supervisor")
        return cls(issuer=values[0].rstrip("/"), client_id=values[1], client_secret=values[2],
                   role_claim=os.environ.get("SIMULATOR_OIDC_ROLE_CLAIM", "").strip() or "role",
                   supervisor_values=tuple(v.strip() for v in sup.split(",") if v.strip()))

    def role_of(self, claims: dict[str, Any]) -> str:
        value = claims.get(self.role_claim)
        values = value if isinstance(value, list) else [value]
        return "supervisor" if any(str(v) in self.supervisor_values for v in values) else "trainee"


class OIDCError(Exception):
    """Why a single sign-on attempt was refused (shown on the sign-in page, logged)."""


class OIDCClient:
    """The provider's metadata and keys (cached) and the two steps of the code flow."""

    def __init__(self, settings: OIDCSettings) -> None:
        self.settings = settings
        self._meta: dict[str, Any] | None = None
        self._meta_at = 0.0

    async def metadata(self) -> dict[str, Any]:
        import httpx
        if self._meta is None or time.monotonic() - self._meta_at > DISCOVERY_TTL_S:
            url = f"{self.settings.issuer}/.well-known/openid-configuration"
            async with httpx.AsyncClient(timeout=10) as c:
                r = await c.get(url)
            if r.status_code != 200:
                raise OIDCError(f"the identity provider's discovery document {url} answered {r.status_code}")
            meta = r.json()
            if meta.get("issuer", "").rstrip("/") != self.settings.issuer:
                raise OIDCError(f"discovery at {url} names issuer {meta.get('issuer')!r}, expected "
                                f"{self.settings.issuer!r}")
            self._meta, self._meta_at = meta, time.monotonic()
        return self._meta

    def _client(self, redirect_uri: str) -> Any:
        from authlib.integrations.httpx_client import AsyncOAuth2Client
        return AsyncOAuth2Client(self.settings.client_id, self.settings.client_secret, scope="openid profile",
                                 redirect_uri=redirect_uri, code_challenge_method="S256", timeout=10)

    async def start(self, redirect_uri: str) -> tuple[str, dict[str, str]]:
        """The provider URL to send the browser to, and what the callback must see again."""
        meta = await self.metadata()
        pending = {"state": secrets.token_urlsafe(24), "nonce": secrets.token_urlsafe(24),
                   "verifier": secrets.token_urlsafe(48)}
        async with self._client(redirect_uri) as client:
            url, _ = client.create_authorization_url(meta["authorization_endpoint"], state=pending["state"],
                                                     nonce=pending["nonce"], code_verifier=pending["verifier"])
        return url, pending

    async def finish(self, redirect_uri: str, pending: dict[str, str], params: dict[str, str]) -> dict[str, Any]:
        """The verified ID-token claims for the provider's answer to `start`."""
        import httpx
        from joserfc import jwt
        from joserfc.errors import JoseError
        from joserfc.jwk import KeySet
        from joserfc.jwt import JWTClaimsRegistry
        if params.get("error"):
            raise OIDCError(f"the identity provider refused: {params.get('error')} {params.get('error_description', '')}")
        if not params.get("code") or not secrets.compare_digest(params.get("state", ""), pending.get("state", "")):
            raise OIDCError("the sign-in answer does not match this browser's request (state); start again")
        meta = await self.metadata()
        async with self._client(redirect_uri) as client:
            token = await client.fetch_token(meta["token_endpoint"], code=params["code"],
                                             code_verifier=pending["verifier"])
        async with httpx.AsyncClient(timeout=10) as c:
            keys = KeySet.import_key_set((await c.get(meta["jwks_uri"])).json())
        try:
            decoded = jwt.decode(token["id_token"], keys)
            JWTClaimsRegistry(iss={"essential": True, "value": self.settings.issuer},
                              aud={"essential": True, "value": self.settings.client_id},
                              nonce={"essential": True, "value": pending["nonce"]},
                              sub={"essential": True}, exp={"essential": True}).validate(decoded.claims)
        except (JoseError, KeyError, ValueError) as e:
            raise OIDCError(f"the ID token did not verify: {e}") from None
        claims = dict(decoded.claims)
        if meta.get("userinfo_endpoint"):  # providers often keep profile claims (name, role) there
            async with httpx.AsyncClient(timeout=10) as c:
                r = await c.get(meta["userinfo_endpoint"],
                                headers={"Authorization": f"Bearer {token['access_token']}"})
            info = r.json() if r.status_code == 200 else {}
            if info.get("sub") == claims["sub"]:  # userinfo about someone else is ignored
                claims = {**info, **claims}
        return claims


def routes(auth: Any, settings: OIDCSettings) -> list[Route]:
    """/auth/oidc/start and /auth/oidc/callback (sign-in gate lets /auth/* through)."""
    import logging

    from itsdangerous import BadSignature, URLSafeTimedSerializer

    from simulator.accounts import AccountError
    from simulator.web.signin import signed_in_response, signin_page
    from simulator.web.services import blocking
    log = logging.getLogger("simulator.security")
    client = OIDCClient(settings)
    pending_signer = URLSafeTimedSerializer(auth.secret, salt="sim-oidc")

    def callback_url(request: Request) -> str:
        return str(request.base_url).rstrip("/") + "/auth/oidc/callback"

    async def start(request: Request) -> Response:
        try:
            url, pending = await client.start(callback_url(request))
        except Exception as e:  # provider down or misconfigured: say so on the sign-in page
            log.warning("single sign-on start failed: %s", e)
            return signin_page(f"Single sign-on is unavailable: {e}", 502)
        r = RedirectResponse(url, status_code=303)
        r.set_cookie(STATE_COOKIE, pending_signer.dumps(pending), max_age=STATE_TTL_S, httponly=True,
                     samesite="lax", secure=request.url.scheme == "https", path="/auth/oidc/")
        return r

    async def callback(request: Request) -> Response:
        try:
            pending = pending_signer.loads(request.cookies.get(STATE_COOKIE, ""), max_age=STATE_TTL_S)
            claims = await client.finish(callback_url(request), pending, dict(request.query_params))
            login = str(claims.get("preferred_username") or claims["sub"])
            account = await blocking(auth.accounts.sso_account, login, str(claims.get("name") or login),
                                     settings.role_of(claims), settings.issuer)
        except BadSignature:
            return signin_page("The single sign-on attempt expired or came from another browser; start again.", 400)
        except (OIDCError, AccountError) as e:
            log.warning("single sign-on refused from %s: %s", request.client.host if request.client else "?", e)
            return signin_page(str(e), 401)
        log.info("signed in by single sign-on: account %r (%s)", account.login, account.role)
        r = signed_in_response(auth, account, request)
        r.delete_cookie(STATE_COOKIE, path="/auth/oidc/")
        return r

    return [Route("/auth/oidc/start", start, methods=["GET"]), Route("/auth/oidc/callback", callback, methods=["GET"])]
