"""Delivery of scheduled welcome emails from the outbox in user_profiles."""

import logging
from datetime import timedelta

import asyncpg

from service.backoff import retry_delay
from service.database import queries
from service.email import ClaimLostError, NotDeliveredError, Sender, render_welcome, welcome_message_id
from service.identity import EmailDirectory
from service.settings import Settings
from service.system_config import SystemConfig

log = logging.getLogger(__name__)

WELCOME = "welcome"
NO_ADDRESS = "no email address: the sign-in token had no email claim and the profile has no email"


class WelcomeEmailDelivery:
    """One step delivers one due welcome email (see sql/email_outbox.sql for the states)."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        config: SystemConfig,
        sender: Sender,
        settings: Settings,
        directory: EmailDirectory | None = None,
    ) -> None:
        self._pool = pool
        self._config = config
        self._sender = sender
        self._settings = settings
        self._directory = directory

    async def step(self) -> bool:
        """Deliver one due email; False when none was due."""
        lease = await self._config.duration("worker", "lease_duration")
        async with self._pool.acquire() as conn:
            interrupted = await queries.fail_interrupted_emails(conn, email_type=WELCOME)
            if interrupted:
                log.warning("%d welcome email(s) interrupted mid-transmission marked failed", interrupted)
            claim = await queries.claim_due_email(conn, email_type=WELCOME, lease_seconds=lease.total_seconds())
        if claim is None:
            return False
        user_id, attempt = claim.user_id, claim.attempt
        max_attempts = await self._config.number("email", "max_attempts")
        if attempt > max_attempts:
            # Claimed again after workers died holding it: it has had all its attempts.
            await self._record_failure(user_id, attempt, f"gave up after {max_attempts} attempts")
            return True
        to = claim.email
        if not to and self._directory is not None:
            lookup = await self._directory.primary_email(user_id)
            if lookup.retry:
                await self._after_failed_attempt(user_id, attempt, str(lookup.reason), lookup.retry_after)
                return True
            if not lookup.address:
                await self._record_failure(user_id, attempt, f"no email address: {lookup.reason}")
                return True
            to = lookup.address
        if not to:
            await self._record_failure(user_id, attempt, NO_ADDRESS)
            return True

        message_id = welcome_message_id(user_id, self._settings.email_from)
        transmitting = False

        async def before_transmit() -> bool:
            nonlocal transmitting
            async with self._pool.acquire() as conn:
                still_ours = await queries.mark_email_transmitting(
                    conn, user_id=user_id, email_type=WELCOME, attempt=attempt, message_id=message_id
                )
            transmitting = still_ours is True
            return transmitting

        try:
            message = render_welcome(
                to=to,
                sender=self._settings.email_from,
                full_name=claim.full_name or "there",
                business_name=claim.business_name or "your business",
                dashboard_url=self._settings.dashboard_url,
                message_id=message_id,
            )
            await self._sender.send(message, before_transmit)
        except ClaimLostError:
            log.info("welcome email of %s is now another worker's; nothing sent", user_id)
            return True
        except NotDeliveredError as exc:
            await self._after_failed_attempt(user_id, attempt, str(exc))
            return True
        except Exception as exc:
            # Any other failure (a message that cannot be built, a bug in a sender) is an attempt
            # too: retried with backoff, failed after the last one, never claimed again forever.
            if transmitting:  # it may have reached the mail server: never sent twice
                await self._record_failure(user_id, attempt, f"outcome unknown after handing over: {exc!r}")
            else:
                await self._after_failed_attempt(user_id, attempt, f"could not build or send the message: {exc!r}")
            return True
        async with self._pool.acquire() as conn:
            await queries.mark_email_sent(
                conn, user_id=user_id, email_type=WELCOME, attempt=attempt, message_id=message_id
            )
        log.info("welcome email sent to %s (attempt %d)", user_id, attempt)
        return True

    async def _after_failed_attempt(
        self, user_id: str, attempt: int, error: str, retry_after: float | None = None
    ) -> None:
        if attempt >= await self._config.number("email", "max_attempts"):
            await self._record_failure(user_id, attempt, error)
            return
        delay = retry_delay(
            attempt,
            await self._config.duration("email", "retry_base_delay"),
            await self._config.duration("email", "retry_max_delay"),
        )
        delay = max(delay, timedelta(seconds=retry_after or 0))
        log.warning("welcome email of %s failed (attempt %d), retrying in %s: %s", user_id, attempt, delay, error)
        async with self._pool.acquire() as conn:
            await queries.retry_email_later(
                conn,
                user_id=user_id,
                email_type=WELCOME,
                attempt=attempt,
                error=error,
                delay_seconds=delay.total_seconds(),
            )

    async def _record_failure(self, user_id: str, attempt: int, error: str) -> None:
        log.error("welcome email of %s failed for good after %d attempt(s): %s", user_id, attempt, error)
        async with self._pool.acquire() as conn:
            await queries.mark_email_failed(conn, user_id=user_id, email_type=WELCOME, attempt=attempt, error=error)
