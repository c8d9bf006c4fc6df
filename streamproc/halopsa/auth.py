"""OAuth2 client-credentials tokens for Halo: discovery, fetch, cache and renewal."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from streamproc.halopsa.config import HaloClientConfig, HaloCredentials
from streamproc.halopsa.errors import HaloError, HaloRateLimitedError, HaloUnavailableError
from streamproc.halopsa.transport import Transport

TOKEN_PATH = "/auth/token"
AUTHINFO_PATH = "/api/authinfo"


@dataclass(frozen=True)
class Token:
    """A bearer token and the monotonic time after which it must not be used any more."""

    access_token: str
    renew_at: float

    def __repr__(self) -> str:
        return f"Token(renew_at={self.renew_at!r})"


class TokenManager:
    """Hands out bearer tokens, cached per (base URL, client id, tenant).

    A token is renewed `min(token_refresh_margin, 10% of expires_in)` seconds before it expires;
    concurrent callers of one key share a single fetch. The token URL comes from
    ``GET {base}/api/authinfo`` (``{auth_url}/token``) and falls back to ``{base}/auth/token``.
    Raises HaloAuthError / HaloScopeError / HaloTenantError when Halo refuses the credentials,
    HaloUnavailableError when Halo cannot be reached.
    """

    def __init__(self, transport: Transport, config: HaloClientConfig) -> None:
        self._transport = transport
        self._config = config
        self._tokens: dict[tuple[str, str, str], Token] = {}
        self._token_urls: dict[tuple[str, str, str], str] = {}
        self._locks: dict[tuple[str, str, str], asyncio.Lock] = {}
        self.fetches = 0

    async def token(self, creds: HaloCredentials) -> str:
        """A valid access token for `creds` (cached, or fetched once for all waiting callers)."""
        key = creds.token_key
        cached = self._tokens.get(key)
        if cached is not None and time.monotonic() < cached.renew_at:
            return cached.access_token
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            cached = self._tokens.get(key)
            if cached is not None and time.monotonic() < cached.renew_at:
                return cached.access_token
            token = await self._fetch(creds)
            self._tokens[key] = token
            return token.access_token

    def invalidate(self, creds: HaloCredentials, access_token: str) -> None:
        """Drop the cached token if it is still `access_token` (Halo refused it with a 401)."""
        cached = self._tokens.get(creds.token_key)
        if cached is not None and cached.access_token == access_token:
            del self._tokens[creds.token_key]

    def forget(self, creds: HaloCredentials) -> None:
        """Drop the cached token for these credentials (e.g. after the secret changed)."""
        self._tokens.pop(creds.token_key, None)

    async def _fetch(self, creds: HaloCredentials) -> Token:
        url = await self._token_url(creds)
        form = {
            "grant_type": "client_credentials",
            "client_id": creds.client_id,
            "client_secret": creds.secret,
            "scope": creds.scope,
        }
        self.fetches += 1
        response = await self._transport.request(
            creds.tenant_key,
            "POST",
            url,
            urlsplit(url).path or TOKEN_PATH,
            idempotent=True,
            secrets=(creds.secret,),
            token_request=True,
            tenant_name=creds.tenant,
            data=form,
            headers={"Accept": "application/json"},
        )
        body = response.json()
        access = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(access, str) or not access:
            raise HaloError(
                "Halo's token endpoint answered without an access_token.",
                method="POST",
                path=response.path,
                status=response.status,
                secrets=(creds.secret,),
            )
        try:
            lifetime = float(body.get("expires_in") or 3600)
        except (TypeError, ValueError):
            lifetime = 3600.0
        margin = min(self._config.token_refresh_margin, lifetime * 0.1)
        return Token(access, time.monotonic() + lifetime - margin)

    async def _token_url(self, creds: HaloCredentials) -> str:
        key = creds.token_key
        if key not in self._token_urls:
            self._token_urls[key] = await self._discover(creds)
        return self._token_urls[key]

    async def _discover(self, creds: HaloCredentials) -> str:
        base = creds.base_url
        auth_url, tenant = f"{base}/auth", creds.tenant
        if self._config.discover_auth_url:
            try:
                response = await self._transport.request(
                    creds.tenant_key,
                    "GET",
                    base + AUTHINFO_PATH,
                    AUTHINFO_PATH,
                    idempotent=True,
                    headers={"Accept": "application/json"},
                )
                info = response.json()
            except (HaloUnavailableError, HaloRateLimitedError):
                raise  # not a verdict on discovery: try again with the next token fetch
            except HaloError:
                info = None  # older instances have no authinfo: use the default auth URL
            if isinstance(info, dict):
                found = info.get("auth_url") or info.get("authurl")
                if isinstance(found, str) and _acceptable(found, base):
                    auth_url = found.rstrip("/")
                if tenant is None and isinstance(info.get("tenant_id"), str) and info["tenant_id"]:
                    tenant = info["tenant_id"]
        url = f"{auth_url}/token"
        return f"{url}?{urlencode({'tenant': tenant})}" if tenant else url


def _acceptable(auth_url: str, base: str) -> bool:
    """Never send the secret over plain http when the instance itself uses https."""
    scheme = urlsplit(auth_url).scheme
    return scheme == "https" or (scheme == "http" and urlsplit(base).scheme == "http")
