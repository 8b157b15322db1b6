"""Bearer tokens: what is accepted, what is refused (401), and who the caller is."""

import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from litestar.exceptions import NotAuthorizedException
from litestar.testing import AsyncTestClient

from service.app import create_app
from service.auth import Principal, TokenVerifier, principal_from_claims, resolve_jwt_secret
from service.settings import Settings
from tests.conftest import SECRET
from tests.stubs import Stub, serve

RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())


def jwk_of(private_key: Any, kid: str) -> dict[str, Any]:
    algorithm = (
        jwt.algorithms.RSAAlgorithm if isinstance(private_key, rsa.RSAPrivateKey) else jwt.algorithms.ECAlgorithm
    )
    public = json.loads(algorithm.to_jwk(private_key.public_key()))
    return {**public, "kid": kid, "use": "sig"}


JWKS = {"keys": [jwk_of(RSA_KEY, "rsa-1"), jwk_of(EC_KEY, "ec-1")]}


def claims(**extra: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"sub": "user_2zb4wFmyH7n6rV7ByOGNhexQVfi", "exp": now + 600, **extra}


def hs256(payload: dict[str, Any], secret: str = SECRET) -> str:
    return jwt.encode(payload, secret, algorithm="HS256")


def rs256(payload: dict[str, Any], kid: str = "rsa-1") -> str:
    return jwt.encode(payload, RSA_KEY, algorithm="RS256", headers={"kid": kid})


def es256(payload: dict[str, Any], kid: str = "ec-1") -> str:
    return jwt.encode(payload, EC_KEY, algorithm="ES256", headers={"kid": kid})


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(payload: dict[str, Any]) -> str:
    header = {"alg": "none", "typ": "JWT"}
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}."


def forged_hs256(payload: dict[str, Any], key: bytes, kid: str) -> str:
    """HS256 with an arbitrary key (PyJWT itself refuses to sign with a PEM)."""
    header = {"alg": "HS256", "typ": "JWT", "kid": kid}
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


async def verify(verifier: TokenVerifier, token: str) -> Principal:
    return await verifier.verify(token)


async def test_hs256_token_without_iat_is_accepted() -> None:
    principal = await verify(TokenVerifier(secret=SECRET), hs256(claims()))
    assert principal == Principal(user_id="user_2zb4wFmyH7n6rV7ByOGNhexQVfi", is_admin=False, email=None)


@pytest.mark.parametrize(
    ("token", "message"),
    [
        (hs256(claims(exp=int(time.time()) - 60)), "expired"),
        (hs256(claims(nbf=int(time.time()) + 600)), "not valid yet"),
        (hs256(claims(), secret="another-secret-" + "y" * 40), "Invalid token"),
        (hs256({"sub": "user_a"}), "Invalid token"),
        (hs256({"exp": int(time.time()) + 60}), "Invalid token"),
        (hs256(claims(sub="")), "subject"),
        (unsigned(claims()), "algorithm"),
        ("garbage", "Malformed"),
        (rs256(claims()), "algorithm"),
    ],
)
async def test_hs256_setup_refuses(token: str, message: str) -> None:
    with pytest.raises(NotAuthorizedException, match=message):
        await verify(TokenVerifier(secret=SECRET), token)


async def test_issuer_and_audience_are_checked_when_configured() -> None:
    verifier = TokenVerifier(secret=SECRET, issuer="https://clerk.example", audience="influencer")
    good = claims(iss="https://clerk.example", aud="influencer")
    assert (await verify(verifier, hs256(good))).user_id
    for bad in (claims(iss="https://evil.example", aud="influencer"), claims(iss="https://clerk.example")):
        with pytest.raises(NotAuthorizedException):
            await verify(verifier, hs256(bad))


async def test_jwks_file_accepts_rs256_and_es256(tmp_path: Path) -> None:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(JWKS))
    verifier = TokenVerifier.from_settings(Settings(database_url="postgresql://x@/y", auth_jwks_file=path))
    assert (await verify(verifier, rs256(claims()))).user_id
    assert (await verify(verifier, es256(claims(public_metadata={"role": "admin"})))).is_admin


async def test_jwks_setup_refuses_algorithm_confusion_and_unknown_keys() -> None:
    verifier = TokenVerifier(secret=None, jwks=JWKS)
    public_pem = RSA_KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    # An HS256 token "signed" with the RSA public key must never be checked with it.
    for token in (
        forged_hs256(claims(), key=public_pem, kid="rsa-1"),
        unsigned(claims()),
        rs256(claims(), kid="unknown"),
        jwt.encode(claims(), RSA_KEY, algorithm="RS256", headers={"kid": "ec-1"}),
        es256(claims(), kid="rsa-1"),
    ):
        with pytest.raises(NotAuthorizedException):
            await verify(verifier, token)


@pytest.fixture
def jwks_server() -> Iterator[str]:
    body = json.dumps(JWKS).encode()
    with serve(Stub(lambda path, query, headers: (200, body, {}))) as stub:
        yield f"{stub.url}/.well-known/jwks.json"


async def test_jwks_url_is_fetched_once_and_reused(jwks_server: str) -> None:
    verifier = TokenVerifier(secret=None, jwks_url=jwks_server)
    await verifier.refresh_jwks()
    assert (await verify(verifier, rs256(claims()))).user_id
    assert (await verify(verifier, es256(claims()))).user_id


@pytest.mark.parametrize(
    ("extra", "admin"),
    [
        ({"role": "admin"}, True),
        ({"metadata": {"role": "admin"}}, True),
        ({"public_metadata": {"role": "admin"}}, True),
        ({"role": "member"}, False),
        ({"metadata": "admin"}, False),
    ],
)
def test_admin_role_claims(extra: dict[str, Any], admin: bool) -> None:
    assert principal_from_claims(claims(**extra)).is_admin is admin


def test_email_claim_is_kept() -> None:
    assert principal_from_claims(claims(email="ann@brand.example")).email == "ann@brand.example"


def test_embedded_secret_is_generated_once(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    first = resolve_jwt_secret(settings)
    assert first is not None
    assert len(first) >= 32
    assert resolve_jwt_secret(settings) == first
    assert (tmp_path / "jwt_secret").stat().st_mode & 0o077 == 0
    assert resolve_jwt_secret(Settings(database_url="postgresql://x@/y")) is None


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer",
        "Basic dXNlcjpwYXNz",
        f"Bearer {hs256(claims(exp=int(time.time()) - 5))}",
        f"Bearer {hs256(claims(), secret='wrong-secret-' + 'z' * 40)}",
        f"Bearer {unsigned(claims())}",
    ],
)
async def test_api_routes_answer_401_without_a_valid_token(client: AsyncTestClient[Any], header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    for method, path in (
        ("GET", "/api/campaigns"),
        ("POST", "/api/campaigns"),
        ("GET", "/api/campaigns/stats"),
    ):
        response = await client.request(method, path, headers=headers, json={} if method == "POST" else None)
        assert response.status_code == 401
        assert set(response.json()) == {"error"}
        assert "Traceback" not in response.text


@pytest.fixture
async def jwks_client(dsn: str, tmp_path: Path) -> AsyncIterator[AsyncTestClient[Any]]:
    """The app as a Clerk deployment runs it: JWKS only, issuer and audience required."""
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(JWKS))
    settings = Settings(
        database_url=dsn,
        auth_jwks_file=path,
        auth_issuer="https://clerk.example",
        auth_audience="influencer",
        run_worker=False,
        access_log=False,
    )
    async with AsyncTestClient(app=create_app(settings, dsn)) as client:
        yield client


GOOD = {"iss": "https://clerk.example", "aud": "influencer"}


@pytest.mark.parametrize(
    "token",
    [
        rs256(claims(iss="https://evil.example", aud="influencer")),
        rs256(claims(iss="https://clerk.example", aud="someone-else")),
        rs256(claims(exp=int(time.time()) - 60, **GOOD)),
        rs256(claims(nbf=int(time.time()) + 600, **GOOD)),
        rs256({"exp": int(time.time()) + 60, **GOOD}),
        hs256(claims(**GOOD), secret="an-hs256-secret-" + "q" * 32),
        unsigned(claims(**GOOD)),
        "garbage.garbage.garbage",
    ],
)
async def test_an_rs256_deployment_answers_bad_tokens_with_401(jwks_client: AsyncTestClient[Any], token: str) -> None:
    response = await jwks_client.get("/api/campaigns", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    body = response.json()
    assert set(body) == {"error"}
    assert not any(word in body["error"] for word in ("jwt", "PyJWT", "Error", "Traceback", "key"))


async def test_an_rs256_deployment_accepts_a_good_token(jwks_client: AsyncTestClient[Any]) -> None:
    response = await jwks_client.get("/api/campaigns", headers={"Authorization": f"Bearer {rs256(claims(**GOOD))}"})
    assert response.status_code == 200


async def test_a_remembered_token_still_expires() -> None:
    now = [time.time()]
    verifier = TokenVerifier(secret=SECRET, clock=lambda: now[0])
    token = hs256(claims(exp=int(now[0]) + 1))
    assert (await verify(verifier, token)).user_id == claims()["sub"]
    now[0] += 2  # exp has whole seconds
    with pytest.raises(NotAuthorizedException, match="expired"):
        await verify(verifier, token)


async def test_a_remembered_token_is_not_decoded_again(monkeypatch: pytest.MonkeyPatch) -> None:
    verifier = TokenVerifier(secret=SECRET)
    token = hs256(claims())
    first = await verify(verifier, token)

    def no_decoding(*_: Any, **__: Any) -> None:
        raise AssertionError("decoded twice")

    monkeypatch.setattr(jwt, "decode", no_decoding)
    assert await verify(verifier, token) == first


async def test_a_refused_token_is_refused_every_time() -> None:
    verifier = TokenVerifier(secret=SECRET)
    forged = hs256(claims(), secret="not-the-secret-" * 3)
    for _ in range(2):
        with pytest.raises(NotAuthorizedException):
            await verify(verifier, forged)


async def test_remembered_tokens_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("service.auth.VERIFIED_TOKEN_CACHE_SIZE", 3)
    verifier = TokenVerifier(secret=SECRET)
    tokens = [hs256(claims(sub=f"user_{n}")) for n in range(5)]
    for token in tokens:
        await verify(verifier, token)
    for number, token in enumerate(tokens):  # every token still verifies, remembered or not
        assert (await verify(verifier, token)).user_id == f"user_{number}"
    assert len(verifier._verified) <= 3
