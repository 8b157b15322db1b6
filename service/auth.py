"""Token authentication: HS256 with a shared secret, RS256/ES256 with a JWKS.

The token comes in `Authorization: Bearer`, or in the `__session` cookie that
Clerk sets for the old frontend (the same session JWT); the header wins when
both are sent. A cookie-authenticated request that may change anything must
come from an allowed origin (service/origins.py).

Each algorithm family has its own key material, so a token can never be
verified with a key meant for another algorithm (no `none`, no HS256 token
checked against an RSA public key).
"""

import asyncio
import logging
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import jwt
import msgspec
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.types import ASGIApp

from service.origins import request_origin
from service.settings import Settings

log = logging.getLogger(__name__)

HMAC_ALGORITHM = "HS256"
# Verified tokens remembered per process: bounded in number, and in time so that
# a key removed from the JWKS stops being honoured within minutes.
VERIFIED_TOKEN_CACHE_SIZE = 10_000
VERIFIED_TOKEN_SECONDS = 300.0
# Key type of a JWK -> the one algorithm we accept with it.
ASYMMETRIC_ALGORITHMS = {"RSA": "RS256", "EC": "ES256"}
SECRET_FILE_NAME = "jwt_secret"  # noqa: S105 (the file that holds it, not a secret)
JWKS_REFRESH_MIN_SECONDS = 30.0
SESSION_COOKIE = "__session"
# Methods that never change anything: a cookie-authenticated request with
# another method must come from an allowed origin.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Principal(msgspec.Struct, frozen=True):
    """The authenticated caller."""

    user_id: str
    is_admin: bool = False
    email: str | None = None


AuthRequest = Request[Principal, Any, Any]
"""A request that passed the bearer-token middleware: `request.user` is the caller."""


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    """Who the verified claims describe; raises for an unusable subject."""
    subject = claims.get("sub")
    if not isinstance(subject, str) or not 1 <= len(subject) <= 255:
        raise NotAuthorizedException("Token subject must be a user id string")
    email = claims.get("email")
    return Principal(
        user_id=subject,
        is_admin=_has_admin_role(claims),
        email=email if isinstance(email, str) and email else None,
    )


def _has_admin_role(claims: dict[str, Any]) -> bool:
    # Clerk puts custom claims under metadata / public_metadata.
    for holder in (claims, claims.get("metadata"), claims.get("public_metadata")):
        if isinstance(holder, dict) and holder.get("role") == "admin":
            return True
    return False


def resolve_jwt_secret(settings: Settings) -> str | None:
    """The HS256 secret: configured, or generated once and kept with embedded data."""
    if settings.auth_jwt_secret:
        return settings.auth_jwt_secret
    if not settings.uses_embedded_database:
        return None
    path = settings.data_dir / SECRET_FILE_NAME
    if not path.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(48))
    return path.read_text().strip()


class TokenVerifier:
    """Verifies bearer tokens against the configured secret and/or JWKS."""

    def __init__(
        self,
        *,
        secret: str | None,
        jwks: dict[str, Any] | None = None,
        jwks_url: str | None = None,
        issuer: str | None = None,
        audience: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`clock` gives the time in epoch seconds (tests pass their own)."""
        if not (secret or jwks or jwks_url):
            raise ValueError("authentication needs AUTH_JWT_SECRET, AUTH_JWKS_URL or AUTH_JWKS_FILE")
        self._secret = secret
        self._jwks_url = jwks_url
        self._issuer = issuer
        self._audience = audience
        self._clock = clock
        self._keys: dict[str | None, jwt.PyJWK] = {}
        self._refreshed_at = 0.0
        self._refresh_lock = asyncio.Lock()
        self._verified: dict[str, tuple[Principal, float]] = {}
        if jwks is not None:
            self._set_keys(jwks)

    @classmethod
    def from_settings(cls, settings: Settings) -> "TokenVerifier":
        jwks = None
        if settings.auth_jwks_file is not None:
            jwks = msgspec.json.decode(Path(settings.auth_jwks_file).read_bytes())
        return cls(
            secret=resolve_jwt_secret(settings),
            jwks=jwks,
            jwks_url=settings.auth_jwks_url,
            issuer=settings.auth_issuer,
            audience=settings.auth_audience,
        )

    def _set_keys(self, jwks: dict[str, Any]) -> None:
        keys: dict[str | None, jwt.PyJWK] = {}
        for entry in jwks.get("keys", []):
            if entry.get("kty") not in ASYMMETRIC_ALGORITHMS or entry.get("use", "sig") != "sig":
                continue
            try:
                key = jwt.PyJWK(entry, algorithm=ASYMMETRIC_ALGORITHMS[entry["kty"]])
            except jwt.PyJWTError as exc:
                log.warning("ignoring unusable JWKS key %s: %s", entry.get("kid"), exc)
                continue
            keys[entry.get("kid")] = key
        self._keys = keys

    async def refresh_jwks(self) -> None:
        """Fetch the JWKS from its URL (at start-up, and when an unknown kid arrives)."""
        if self._jwks_url is None:
            return
        async with self._refresh_lock:
            if time.monotonic() - self._refreshed_at < JWKS_REFRESH_MIN_SECONDS and self._keys:
                return
            try:
                async with httpx.AsyncClient(timeout=5.0) as client:
                    response = await client.get(self._jwks_url)
                    response.raise_for_status()
                self._set_keys(response.json())
            except (httpx.HTTPError, ValueError) as exc:
                log.warning("could not fetch JWKS from %s: %s", self._jwks_url, exc)
            finally:
                self._refreshed_at = time.monotonic()

    async def verify(self, token: str) -> Principal:
        """The caller the token names; NotAuthorizedException for any invalid token.

        A client sends the same token with every request until it expires, so a
        verified token is remembered (until its expiry, at most
        VERIFIED_TOKEN_SECONDS) instead of being decoded and its signature
        checked again: that was an eighth of the service's time per request.
        """
        remembered = self._verified.get(token)
        if remembered is not None:
            principal, valid_until = remembered
            if self._clock() < valid_until:
                return principal
            del self._verified[token]
        principal, expires_at = await self._verify_token(token)
        if len(self._verified) >= VERIFIED_TOKEN_CACHE_SIZE:
            del self._verified[next(iter(self._verified))]  # the oldest entry
        self._verified[token] = (principal, min(expires_at, self._clock() + VERIFIED_TOKEN_SECONDS))
        return principal

    async def _verify_token(self, token: str) -> tuple[Principal, float]:
        """Decode and check the token: its caller and when it expires (epoch seconds)."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise NotAuthorizedException("Malformed token") from exc
        algorithm = header.get("alg")
        if algorithm == HMAC_ALGORITHM and self._secret is not None:
            key: Any = self._secret
        elif algorithm in ASYMMETRIC_ALGORITHMS.values() and (self._keys or self._jwks_url):
            jwk = await self._key_for(header.get("kid"))
            if jwk is None or jwk.algorithm_name != algorithm:
                raise NotAuthorizedException("Token signed with an unknown key")
            key = jwk.key
        else:
            raise NotAuthorizedException("Token algorithm not accepted")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                issuer=self._issuer,
                audience=self._audience,
                # exp and nbf are checked below against self._clock (PyJWT reads the wall clock).
                options={
                    "require": ["exp", "sub"],
                    "verify_aud": self._audience is not None,
                    "verify_exp": False,
                    "verify_nbf": False,
                },
            )
        except jwt.PyJWTError as exc:
            raise NotAuthorizedException("Invalid token") from exc
        expires_at, not_before = claims["exp"], claims.get("nbf", 0)
        if not all(isinstance(t, int | float) and not isinstance(t, bool) for t in (expires_at, not_before)):
            raise NotAuthorizedException("Invalid token")
        now = self._clock()
        if now >= expires_at:
            raise NotAuthorizedException("Token has expired")
        if now < not_before:
            raise NotAuthorizedException("Token is not valid yet")
        return principal_from_claims(claims), float(expires_at)

    async def _key_for(self, kid: str | None) -> jwt.PyJWK | None:
        key = self._keys.get(kid)
        if key is None and self._jwks_url is not None:
            await self.refresh_jwks()
            key = self._keys.get(kid)
        return key

    def issue(self, user_id: str, *, admin: bool = False, email: str | None = None, ttl_seconds: int = 86_400) -> str:
        """An HS256 token for local use and scripts (`python main.py token`)."""
        if self._secret is None:
            raise ValueError("issuing tokens needs AUTH_JWT_SECRET (or the embedded database's secret)")
        now = int(self._clock())
        claims: dict[str, Any] = {"sub": user_id, "iat": now, "nbf": now, "exp": now + ttl_seconds}
        if self._issuer:
            claims["iss"] = self._issuer
        if self._audience:
            claims["aud"] = self._audience
        if admin:
            claims["role"] = "admin"
        if email:
            claims["email"] = email
        return jwt.encode(claims, self._secret, algorithm=HMAC_ALGORITHM)


class BearerTokenMiddleware(AbstractAuthenticationMiddleware):
    """Puts the verified Principal on `request.user`, or answers 401 (403 for a cookie from another site)."""

    def __init__(
        self, app: ASGIApp, verifier: TokenVerifier, exclude: list[str], allowed_origins: frozenset[str] = frozenset()
    ) -> None:
        super().__init__(app, exclude=exclude)
        self.verifier = verifier
        self.allowed_origins = allowed_origins

    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthenticationResult:
        header = connection.headers.get("authorization")
        if header:
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise NotAuthorizedException("Authorization header must be 'Bearer <token>'")
            return AuthenticationResult(user=await self.verifier.verify(token.strip()), auth="bearer")
        cookie = connection.cookies.get(SESSION_COOKIE)
        if not cookie:
            raise NotAuthorizedException("Missing bearer token")
        principal = await self.verifier.verify(cookie.strip())
        if connection.scope.get("method") not in SAFE_METHODS:
            origin = request_origin(connection.headers.get("origin"), connection.headers.get("referer"))
            if origin not in self.allowed_origins:
                raise PermissionDeniedException(
                    "A request authenticated by the session cookie must come from an allowed origin "
                    f"(this one came from {origin or 'an unknown origin'})"
                )
        return AuthenticationResult(user=principal, auth="cookie")


def admin_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard for administration routes. OPTIONS (CORS preflight) carries no token and shows no data."""
    if connection.scope.get("method") == "OPTIONS":
        return
    if not connection.user.is_admin:
        raise PermissionDeniedException("This route needs an admin token")
