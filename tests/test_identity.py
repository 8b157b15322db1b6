"""The welcome email's address from Clerk's Backend API, against a stub answering as Clerk documents."""

import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import asyncpg
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from litestar.testing import AsyncTestClient

from service.app import create_app
from service.database import create_pool
from service.email import BeforeTransmit, ClaimLostError
from service.identity import AddressLookup, ClerkDirectory, directory_for, primary_address
from service.settings import Settings
from service.system_config import SystemConfig
from service.worker.email_delivery import WELCOME, WelcomeEmailDelivery
from tests.factories import fixtures
from tests.stubs import CLERK_SECRET, ManualClock, Stub, clerk_stub, doc, json_of

WITH_EMAIL = "user_withmail_2cSSCzV7948rhPJMsY601tXsEU4"
WITHOUT_EMAIL = "user_nomail_2noEmail000000000000"


@pytest.fixture(scope="module")
def clerk() -> Iterator[Stub]:
    with clerk_stub() as running:
        yield running


@pytest.fixture
def stub(clerk: Stub) -> Stub:
    return clerk.reset()


@pytest.fixture
async def directory(stub: Stub) -> AsyncIterator[tuple[ClerkDirectory, ManualClock]]:
    clock = ManualClock()
    found = ClerkDirectory(api_url=stub.url, secret_key=CLERK_SECRET, clock=clock)
    yield found, clock
    await found.close()


def test_the_primary_address_is_the_one_primary_email_address_id_names() -> None:
    user = json_of((200, doc("clerk/user_with_email.json"), {}))
    assert user["email_addresses"][0]["email_address"] == "old.address@example.com"
    assert primary_address(user) == "testclerk123@gmail.com"
    assert primary_address(json_of((200, doc("clerk/user_without_email.json"), {}))) is None
    assert primary_address({"primary_email_address_id": "idn_x", "email_addresses": "oops"}) is None
    assert primary_address(None) is None


async def test_a_found_user_gives_its_primary_address_and_is_cached(
    stub: Stub, directory: tuple[ClerkDirectory, ManualClock]
) -> None:
    clerk, clock = directory
    assert await clerk.primary_email(WITH_EMAIL) == AddressLookup("testclerk123@gmail.com")
    path, _, headers = stub.requests[0]
    assert (path, headers["authorization"]) == (f"/v1/users/{WITH_EMAIL}", f"Bearer {CLERK_SECRET}")
    assert await clerk.primary_email(WITH_EMAIL) == AddressLookup("testclerk123@gmail.com")
    assert len(stub.requests) == 1, "the second answer came from the cache"
    clock.now += 601
    await clerk.primary_email(WITH_EMAIL)
    assert len(stub.requests) == 2, "the cache entry expired"


@pytest.mark.parametrize(
    ("user_id", "reason"),
    [
        (WITHOUT_EMAIL, "the Clerk user has no primary email address"),
        ("user_unknown_0000", "Clerk has no user user_unknown_0000"),
    ],
)
async def test_no_address_is_a_final_answer(
    directory: tuple[ClerkDirectory, ManualClock], user_id: str, reason: str
) -> None:
    clerk, _ = directory
    assert await clerk.primary_email(user_id) == AddressLookup(None, reason)


async def test_a_refused_key_and_rate_limits_are_worth_retrying_and_not_cached(
    stub: Stub, directory: tuple[ClerkDirectory, ManualClock]
) -> None:
    clerk, _ = directory
    stub.script = [
        (401, doc("clerk/error_401.json"), {}),
        (429, doc("clerk/error_429.json"), {"Retry-After": "42"}),
        (500, b"{}", {}),
    ]
    refused = await clerk.primary_email(WITH_EMAIL)
    assert (refused.address, refused.retry) == (None, True)
    assert refused.reason is not None
    assert "Unable to authenticate the request" in refused.reason
    limited = await clerk.primary_email(WITH_EMAIL)
    assert (limited.retry, limited.retry_after) == (True, 42.0)
    assert (await clerk.primary_email(WITH_EMAIL)).retry
    assert await clerk.primary_email(WITH_EMAIL) == AddressLookup("testclerk123@gmail.com")
    assert len(stub.requests) == 4


async def test_a_wrong_secret_is_refused_by_the_stub(stub: Stub) -> None:
    clerk = ClerkDirectory(api_url=stub.url, secret_key="sk_test_wrong")
    assert (await clerk.primary_email(WITH_EMAIL)).retry
    await clerk.close()


def test_clerk_is_asked_only_when_its_secret_key_is_set() -> None:
    assert directory_for(Settings()) is None
    assert isinstance(directory_for(Settings(clerk_secret_key="sk_test_x")), ClerkDirectory)


class Outbox:
    """A sender that keeps the messages (SMTP itself is tested in test_email_delivery)."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def send(self, message: EmailMessage, before_transmit: BeforeTransmit) -> None:
        if not await before_transmit():
            raise ClaimLostError
        self.messages.append(message)


# A Clerk deployment: session tokens are RS256, verified against the instance's JWKS, and carry
# Clerk's default claims (no email).
CLERK_ISSUER = "https://clerk.acme.example"
SIGNING_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def clerk_settings(module_database: str, clerk: Stub, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(SIGNING_KEY.public_key()))
    jwks = tmp_path_factory.mktemp("clerk") / "jwks.json"
    jwks.write_text(json.dumps({"keys": [{**jwk, "kid": "ins_test", "use": "sig", "alg": "RS256"}]}))
    return Settings(
        database_url=module_database,
        auth_jwks_file=jwks,
        auth_issuer=CLERK_ISSUER,
        run_worker=False,
        access_log=False,
        clerk_secret_key=CLERK_SECRET,
        clerk_api_url=clerk.url,
    )


def clerk_session_token(user_id: str, **extra: Any) -> str:
    """A token with the claims of Clerk's default session token."""
    now = int(time.time())
    claims = {
        "azp": "https://app.acme.example",
        "exp": now + 60,
        "iat": now,
        "iss": CLERK_ISSUER,
        "nbf": now - 5,
        "sid": f"sess_{uuid.uuid4().hex}",
        "sub": user_id,
        **extra,
    }
    return jwt.encode(claims, SIGNING_KEY, algorithm="RS256", headers={"kid": "ins_test"})


@pytest.fixture(scope="module")
async def db(module_database: str, clerk_settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(module_database, clerk_settings)
    yield pool
    await pool.close()


@pytest.fixture(scope="module")
async def api(module_database: str, clerk_settings: Settings, db: asyncpg.Pool) -> AsyncIterator[Any]:
    async with AsyncTestClient(app=create_app(clerk_settings, module_database)) as client:
        yield client


async def sign_up(api: Any, settings: Settings, user_id: str, email: str | None = None) -> None:
    token = clerk_session_token(user_id, **({"email": email} if email else {}))
    response = await api.patch(
        "/api/onboarding/step-1",
        json={"fullName": "Ann Lee", "businessName": "Acme"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text


async def deliver(db: asyncpg.Pool, settings: Settings, outbox: Outbox) -> None:
    directory = directory_for(settings)
    assert directory is not None
    try:
        while await WelcomeEmailDelivery(db, SystemConfig(db), outbox, settings, directory).step():
            pass
    finally:
        await directory.close()


async def welcome_of(db: asyncpg.Pool, user_id: str) -> dict[str, Any]:
    async with db.acquire() as conn:
        state: dict[str, Any] = await fixtures.email_state(conn, user_id=user_id, email_type=WELCOME)
        return state


async def test_a_clerk_session_token_without_email_claim_still_gets_its_welcome_email(
    api: Any, db: asyncpg.Pool, clerk_settings: Settings, stub: Stub
) -> None:
    user_id = f"{WITH_EMAIL}_{uuid.uuid4().hex[:8]}"
    await sign_up(api, clerk_settings, user_id)
    outbox = Outbox()
    await deliver(db, clerk_settings, outbox)
    [message] = [m for m in outbox.messages if m["To"] == "testclerk123@gmail.com"]
    assert message["Subject"] == "Welcome aboard, Ann Lee"
    assert (await welcome_of(db, user_id))["status"] == "sent"
    assert [p for p, _, _ in stub.requests] == [f"/v1/users/{user_id}"]


async def test_the_tokens_email_claim_wins_and_clerk_is_not_asked(
    api: Any, db: asyncpg.Pool, clerk_settings: Settings, stub: Stub
) -> None:
    user_id = f"{WITH_EMAIL}_{uuid.uuid4().hex[:8]}"
    await sign_up(api, clerk_settings, user_id, email="claim@acme.example")
    outbox = Outbox()
    await deliver(db, clerk_settings, outbox)
    assert [m["To"] for m in outbox.messages] == ["claim@acme.example"]
    assert stub.requests == []


@pytest.mark.parametrize(
    ("prefix", "reason"),
    [
        (WITHOUT_EMAIL, "no email address: the Clerk user has no primary email address"),
        ("user_gone", "no email address: Clerk has no user "),
    ],
)
async def test_without_an_address_the_email_fails_with_the_reason(
    api: Any, db: asyncpg.Pool, clerk_settings: Settings, prefix: str, reason: str
) -> None:
    user_id = f"{prefix}_{uuid.uuid4().hex[:8]}"
    await sign_up(api, clerk_settings, user_id)
    outbox = Outbox()
    await deliver(db, clerk_settings, outbox)
    failed = await welcome_of(db, user_id)
    assert failed["status"] == "failed"
    assert failed["error"].startswith(reason)
    assert outbox.messages == []


async def test_a_rate_limited_lookup_retries_the_email_no_sooner_than_retry_after(
    api: Any, db: asyncpg.Pool, clerk_settings: Settings, stub: Stub
) -> None:
    user_id = f"{WITH_EMAIL}_{uuid.uuid4().hex[:8]}"
    await sign_up(api, clerk_settings, user_id)
    stub.script = [(429, doc("clerk/error_429.json"), {"Retry-After": "3600"})]
    outbox = Outbox()
    await deliver(db, clerk_settings, outbox)
    waiting = await welcome_of(db, user_id)
    assert waiting["status"] == "scheduled"
    assert "rate limiting" in waiting["lastError"]
    retry_at = datetime.fromisoformat(waiting["nextAttemptAt"])
    assert retry_at >= datetime.now(UTC) + timedelta(seconds=3500), "Retry-After, not the 30 s backoff"
    assert outbox.messages == []
    async with db.acquire() as conn:
        await fixtures.make_email_due_now(conn, user_id=user_id, email_type=WELCOME)
    await deliver(db, clerk_settings, outbox)
    assert [m["To"] for m in outbox.messages] == ["testclerk123@gmail.com"]
