"""Welcome email delivery against a real SMTP server (aiosmtpd) on its own database."""

import asyncio
import email
import email.policy
import uuid
from collections.abc import AsyncIterator, Iterator
from email.message import EmailMessage
from typing import Any

import asyncpg
import msgspec
import pytest
from aiosmtpd.controller import Controller
from litestar.testing import AsyncTestClient

from service.app import create_app
from service.auth import TokenVerifier
from service.backoff import retry_delay
from service.database import create_pool, queries
from service.email import BeforeTransmit, SmtpSender, render_welcome, welcome_message_id
from service.settings import Settings
from service.system_config import SystemConfig
from service.worker.email_delivery import NO_ADDRESS, WELCOME, WelcomeEmailDelivery
from tests.factories import fixtures
from tests.plans import plan_of
from tests.processes import free_port


class Mailbox:
    """An SMTP handler that keeps what it accepts and can refuse on demand."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse_recipients = 0
        self.refuse_data = 0

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:  # noqa: N802
        if self.refuse_recipients > 0:
            self.refuse_recipients -= 1
            return "451 4.3.0 Mailbox temporarily unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.refuse_data > 0:
            self.refuse_data -= 1
            return "554 5.6.0 Message rejected"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def received_by(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


@pytest.fixture(scope="module")
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield mailbox, controller.port
    controller.stop()


@pytest.fixture
def mailbox(smtp_server: tuple[Mailbox, int]) -> Mailbox:
    box = smtp_server[0]
    box.refuse_recipients = box.refuse_data = 0
    return box


@pytest.fixture(scope="module")
def smtp_settings(module_database: str, smtp_server: tuple[Mailbox, int]) -> Settings:
    return Settings(
        database_url=module_database,
        auth_jwt_secret="s" * 40,
        email_backend="smtp",
        email_from="Influencer Platform <hello@influencer.example>",
        smtp_host="127.0.0.1",
        smtp_port=smtp_server[1],
        smtp_tls="none",
        dashboard_url="https://app.influencer.example/dashboard",
        run_worker=False,
    )


@pytest.fixture(scope="module")
async def outbox_pool(module_database: str, smtp_settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    db_pool = await create_pool(module_database, smtp_settings)
    yield db_pool
    await db_pool.close()


def delivery(pool: asyncpg.Pool, settings: Settings, sender: Any = None) -> WelcomeEmailDelivery:
    return WelcomeEmailDelivery(pool, SystemConfig(pool), sender or SmtpSender(settings), settings)


async def sign_up(pool: asyncpg.Pool, email_address: str | None, business: str = "Acme <Tools>") -> str:
    user_id = f"user_{uuid.uuid4().hex}"
    async with pool.acquire() as conn:
        await queries.save_onboarding_step_one(
            conn, user_id=user_id, full_name="Ann Lee", business_name=business, email=email_address
        )
    return user_id


async def state(pool: asyncpg.Pool, user_id: str) -> dict[str, Any]:
    async with pool.acquire() as conn:
        value: dict[str, Any] = await fixtures.email_state(conn, user_id=user_id, email_type=WELCOME)
        return value


async def make_due(pool: asyncpg.Pool, user_id: str) -> None:
    async with pool.acquire() as conn:
        await fixtures.make_email_due_now(conn, user_id=user_id, email_type=WELCOME)


def address() -> str:
    return f"ann.{uuid.uuid4().hex[:8]}@acme.example"


async def test_the_welcome_email_arrives_and_is_recorded_sent(
    outbox_pool: asyncpg.Pool, smtp_settings: Settings, mailbox: Mailbox
) -> None:
    to = address()
    user_id = await sign_up(outbox_pool, to)
    assert await delivery(outbox_pool, smtp_settings).step()

    [message] = mailbox.received_by(to)
    assert message["Subject"] == "Welcome aboard, Ann Lee"
    assert message["From"] == "Influencer Platform <hello@influencer.example>"
    assert message["Message-ID"] == welcome_message_id(user_id, smtp_settings.email_from)
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None
    assert html is not None
    assert "Acme <Tools>" in text.get_content()
    assert "https://app.influencer.example/dashboard" in text.get_content()
    assert "Acme &lt;Tools&gt;" in html.get_content()
    assert 'href="https://app.influencer.example/dashboard"' in html.get_content()

    welcome = await state(outbox_pool, user_id)
    assert welcome["status"] == "sent"
    assert welcome["messageId"] == message["Message-ID"]
    assert welcome["timestamp"]
    assert welcome["attempts"] == 1
    assert not await delivery(outbox_pool, smtp_settings).step()


async def test_a_refusing_server_is_retried_with_backoff_until_it_accepts(
    outbox_pool: asyncpg.Pool, smtp_settings: Settings, mailbox: Mailbox
) -> None:
    to = address()
    user_id = await sign_up(outbox_pool, to)
    mailbox.refuse_recipients = 1
    assert await delivery(outbox_pool, smtp_settings).step()
    waiting = await state(outbox_pool, user_id)
    assert waiting["status"] == "scheduled"
    assert "451" in waiting["lastError"]
    assert waiting["nextAttemptAt"] > waiting["scheduledAt"]
    assert not await delivery(outbox_pool, smtp_settings).step(), "not due before its retry time"

    mailbox.refuse_data = 1
    await make_due(outbox_pool, user_id)
    assert await delivery(outbox_pool, smtp_settings).step()
    assert "554" in (await state(outbox_pool, user_id))["lastError"]

    await make_due(outbox_pool, user_id)
    assert await delivery(outbox_pool, smtp_settings).step()
    assert len(mailbox.received_by(to)) == 1
    sent = await state(outbox_pool, user_id)
    assert (sent["status"], sent["attempts"]) == ("sent", 3)
    assert "lastError" not in sent


async def test_after_the_last_attempt_the_email_is_failed(
    outbox_pool: asyncpg.Pool, smtp_settings: Settings, mailbox: Mailbox
) -> None:
    to = address()
    user_id = await sign_up(outbox_pool, to)
    mailbox.refuse_recipients = 100
    for _ in range(5):
        await make_due(outbox_pool, user_id)
        assert await delivery(outbox_pool, smtp_settings).step()
    failed = await state(outbox_pool, user_id)
    assert (failed["status"], failed["attempts"]) == ("failed", 5)
    assert "451" in failed["error"]
    await make_due(outbox_pool, user_id)
    assert not await delivery(outbox_pool, smtp_settings).step()
    assert mailbox.received_by(to) == []


async def test_without_an_address_it_fails_at_once_with_the_reason(
    outbox_pool: asyncpg.Pool, smtp_settings: Settings
) -> None:
    user_id = await sign_up(outbox_pool, None)
    assert await delivery(outbox_pool, smtp_settings).step()
    failed = await state(outbox_pool, user_id)
    assert (failed["status"], failed["error"], failed["attempts"]) == ("failed", NO_ADDRESS, 1)


async def test_two_workers_at_once_send_it_once(
    outbox_pool: asyncpg.Pool, smtp_settings: Settings, mailbox: Mailbox
) -> None:
    to = address()
    user_id = await sign_up(outbox_pool, to)
    results = await asyncio.gather(*(delivery(outbox_pool, smtp_settings).step() for _ in range(3)))
    assert sorted(results) == [False, False, True]
    assert len(mailbox.received_by(to)) == 1
    assert (await state(outbox_pool, user_id))["status"] == "sent"


class WorkerDied(BaseException):
    """Stands for the worker process being killed at that point."""


class DiesAfterTransmitting(SmtpSender):
    async def send(self, message: EmailMessage, before_transmit: BeforeTransmit) -> None:
        await super().send(message, before_transmit)
        raise WorkerDied


class DiesBeforeTransmitting(SmtpSender):
    async def send(self, message: EmailMessage, before_transmit: BeforeTransmit) -> None:
        raise WorkerDied


async def test_a_worker_dying_after_sending_never_causes_a_second_email(
    outbox_pool: asyncpg.Pool, smtp_settings: Settings, mailbox: Mailbox
) -> None:
    to = address()
    user_id = await sign_up(outbox_pool, to)
    with pytest.raises(WorkerDied):
        await delivery(outbox_pool, smtp_settings, DiesAfterTransmitting(smtp_settings)).step()
    assert len(mailbox.received_by(to)) == 1
    assert (await state(outbox_pool, user_id))["phase"] == "transmitting"

    await make_due(outbox_pool, user_id)  # the dead worker's lease runs out
    await delivery(outbox_pool, smtp_settings).step()
    assert len(mailbox.received_by(to)) == 1
    failed = await state(outbox_pool, user_id)
    assert failed["status"] == "failed"
    assert "not sent again" in failed["error"]


async def test_a_worker_dying_before_sending_is_taken_over(
    outbox_pool: asyncpg.Pool, smtp_settings: Settings, mailbox: Mailbox
) -> None:
    to = address()
    user_id = await sign_up(outbox_pool, to)
    with pytest.raises(WorkerDied):
        await delivery(outbox_pool, smtp_settings, DiesBeforeTransmitting(smtp_settings)).step()
    assert not await delivery(outbox_pool, smtp_settings).step(), "claimed until its lease runs out"

    await make_due(outbox_pool, user_id)
    assert await delivery(outbox_pool, smtp_settings).step()
    assert len(mailbox.received_by(to)) == 1
    sent = await state(outbox_pool, user_id)
    assert (sent["status"], sent["attempts"]) == ("sent", 2)


class PausesBeforeSending(SmtpSender):
    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.paused = asyncio.Event()
        self.resume = asyncio.Event()

    async def send(self, message: EmailMessage, before_transmit: BeforeTransmit) -> None:
        self.paused.set()
        await self.resume.wait()
        await super().send(message, before_transmit)


async def test_a_worker_that_lost_its_lease_sends_nothing(
    outbox_pool: asyncpg.Pool, smtp_settings: Settings, mailbox: Mailbox
) -> None:
    to = address()
    user_id = await sign_up(outbox_pool, to)
    slow = PausesBeforeSending(smtp_settings)
    slow_step = asyncio.create_task(delivery(outbox_pool, smtp_settings, slow).step())
    await slow.paused.wait()

    await make_due(outbox_pool, user_id)  # the slow worker's lease runs out; another takes over
    assert await delivery(outbox_pool, smtp_settings).step()
    slow.resume.set()
    assert await slow_step
    assert len(mailbox.received_by(to)) == 1
    sent = await state(outbox_pool, user_id)
    assert (sent["status"], sent["attempts"]) == ("sent", 2)


async def test_the_in_process_worker_delivers_after_step_one(module_database: str, outbox_pool: asyncpg.Pool) -> None:
    async with outbox_pool.acquire() as conn:
        await fixtures.store_raw_config(
            conn, category="worker", key="poll_interval", value="100ms", value_type="duration", is_hot_reloadable=True
        )
    settings = Settings(database_url=module_database, auth_jwt_secret="s" * 40, run_worker=True, access_log=False)
    verifier = TokenVerifier.from_settings(settings)
    user_id = f"user_{uuid.uuid4().hex}"
    headers = {"Authorization": f"Bearer {verifier.issue(user_id, email=address())}"}
    async with AsyncTestClient(app=create_app(settings, module_database, verifier)) as client:
        response = await client.patch(
            "/api/onboarding/step-1", json={"fullName": "Ann", "businessName": "Acme"}, headers=headers
        )
        assert response.status_code == 200
        for _ in range(100):
            profile = msgspec.json.decode((await client.get("/api/profile", headers=headers)).content)
            if profile["emailScheduleStatus"]["welcome"]["status"] == "sent":
                break
            await asyncio.sleep(0.05)
    assert profile["emailScheduleStatus"]["welcome"]["status"] == "sent"


def test_backoff_doubles_up_to_its_cap() -> None:
    from datetime import timedelta

    delays = [retry_delay(n, timedelta(seconds=30), timedelta(minutes=3)) for n in range(1, 6)]
    assert [d.total_seconds() for d in delays] == [30, 60, 120, 180, 180]


def test_the_template_escapes_html() -> None:
    message = render_welcome(
        to="a@b.example",
        sender="x@y.example",
        full_name="<script>",
        business_name="A & B",
        dashboard_url="https://x.example/?a=1&b=2",
        message_id="<m@y.example>",
    )
    html = message.get_body(("html",))
    assert html is not None
    assert "<script>" not in html.get_content()
    assert "A &amp; B" in html.get_content()


async def test_claiming_is_served_by_the_gin_index(outbox_pool: asyncpg.Pool) -> None:
    async with outbox_pool.acquire() as conn:
        plan = await plan_of(conn, "claim_due_email", email_type=WELCOME, lease_seconds=30)
    assert "user_profiles_email_status_gin" in plan


async def sign_up_poisoned(pool: asyncpg.Pool) -> str:
    """A profile whose name cannot go in a header (stored before the API refused such names)."""
    user_id = f"user_{uuid.uuid4().hex}"
    async with pool.acquire() as conn:
        await queries.save_onboarding_step_one(
            conn, user_id=user_id, full_name="Ann\r\nBcc: all@victims.example", business_name="B", email=address()
        )
    return user_id


async def test_a_message_that_cannot_be_built_counts_as_attempts_then_fails(
    outbox_pool: asyncpg.Pool, smtp_settings: Settings, mailbox: Mailbox
) -> None:
    user_id = await sign_up_poisoned(outbox_pool)
    assert await delivery(outbox_pool, smtp_settings).step()
    waiting = await state(outbox_pool, user_id)
    assert (waiting["status"], waiting["attempts"]) == ("scheduled", 1)
    assert "could not build" in waiting["lastError"]
    for _ in range(4):
        await make_due(outbox_pool, user_id)
        assert await delivery(outbox_pool, smtp_settings).step()
    failed = await state(outbox_pool, user_id)
    assert (failed["status"], failed["attempts"]) == ("failed", 5), "the configured attempts, then failed"
    assert "could not build" in failed["error"]
    await make_due(outbox_pool, user_id)
    assert not await delivery(outbox_pool, smtp_settings).step(), "never claimed again"
    assert not any("victims" in str(m["Bcc"]) for m in mailbox.messages)


async def test_failing_emails_do_not_delay_the_others(
    outbox_pool: asyncpg.Pool, smtp_settings: Settings, mailbox: Mailbox
) -> None:
    poisoned = [await sign_up_poisoned(outbox_pool) for _ in range(15)]
    to = address()
    ordinary = await sign_up(outbox_pool, to)
    worker = delivery(outbox_pool, smtp_settings)
    for _ in range(len(poisoned) + 1):
        assert await worker.step()
    assert (await state(outbox_pool, ordinary))["status"] == "sent", "sent within one pass, not after 30 minutes"
    assert len(mailbox.received_by(to)) == 1
    assert {(await state(outbox_pool, u))["status"] for u in poisoned} == {"scheduled"}, "waiting for their retry"


async def test_an_email_claimed_past_its_attempts_fails_without_trying(
    outbox_pool: asyncpg.Pool, smtp_settings: Settings, mailbox: Mailbox
) -> None:
    to = address()
    user_id = await sign_up(outbox_pool, to)
    async with outbox_pool.acquire() as conn:
        for _ in range(5):  # five workers died holding it
            await queries.claim_due_email(conn, email_type=WELCOME, lease_seconds=0)
    assert (await state(outbox_pool, user_id))["attempts"] == 5
    assert await delivery(outbox_pool, smtp_settings).step()
    failed = await state(outbox_pool, user_id)
    assert (failed["status"], failed["attempts"]) == ("failed", 6)
    assert "gave up after 5 attempts" in failed["error"]
    assert mailbox.received_by(to) == []
