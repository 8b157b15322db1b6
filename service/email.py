"""Email: the welcome template, and the senders (log or SMTP).

A sender is given a callback to call just before the message goes to the
mail server; the callback records that point of no return and may refuse
(the claim was lost), in which case nothing is sent. Failures before that
point are `NotDeliveredError` (safe to retry); an SMTP refusal of the message
itself is `NotDeliveredError` too. Anything else after it is an unknown outcome.
"""

import hashlib
import html
import logging
from collections.abc import Awaitable, Callable
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Protocol

import aiosmtplib

from service.settings import Settings

log = logging.getLogger(__name__)

BeforeTransmit = Callable[[], Awaitable[bool]]


class NotDeliveredError(Exception):
    """The mail server did not take the message; trying again cannot cause a duplicate."""


class ClaimLostError(Exception):
    """Another worker owns this email now; this one sent nothing."""


def welcome_message_id(user_id: str, sender: str) -> str:
    """A Message-ID fixed per user, so that even a manual resend is recognisable as the same email."""
    digest = hashlib.sha256(f"welcome:{user_id}".encode()).hexdigest()[:32]
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    return f"<welcome.{digest}@{domain}>"


def render_welcome(
    *, to: str, sender: str, full_name: str, business_name: str, dashboard_url: str, message_id: str
) -> EmailMessage:
    """The welcome email, as plain text with an HTML alternative."""
    message = EmailMessage()
    message["Subject"] = f"Welcome aboard, {full_name}"
    message["From"] = sender
    message["To"] = to
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = message_id
    message.set_content(
        f"Hi {full_name},\n\n"
        f"Welcome! Your workspace for {business_name} is ready.\n"
        "Create a campaign, launch a search on TikTok, Instagram or YouTube, and watch creators arrive.\n\n"
        f"Open your dashboard: {dashboard_url}\n"
    )
    name, business, url = html.escape(full_name), html.escape(business_name), html.escape(dashboard_url, quote=True)
    message.add_alternative(
        "<!DOCTYPE html><html><body>"
        f"<p>Hi {name},</p>"
        f"<p>Welcome! Your workspace for <strong>{business}</strong> is ready.</p>"
        "<p>Create a campaign, launch a search on TikTok, Instagram or YouTube, and watch creators arrive.</p>"
        f'<p><a href="{url}">Open your dashboard</a></p>'
        "</body></html>",
        subtype="html",
    )
    return message


class Sender(Protocol):
    async def send(self, message: EmailMessage, before_transmit: BeforeTransmit) -> None: ...


class LogSender:
    """Writes the rendered email to the log instead of sending it (the default backend)."""

    async def send(self, message: EmailMessage, before_transmit: BeforeTransmit) -> None:
        if not await before_transmit():
            raise ClaimLostError
        log.info("email to %s (%s):\n%s", message["To"], message["Message-ID"], message.as_string())


class SmtpSender:
    """Sends through an SMTP server, with the envelope settled before the point of no return."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    async def send(self, message: EmailMessage, before_transmit: BeforeTransmit) -> None:
        s = self._settings
        client = aiosmtplib.SMTP(
            hostname=s.smtp_host,
            port=s.smtp_port,
            use_tls=s.smtp_tls == "tls",
            start_tls=s.smtp_tls == "starttls",
            timeout=s.smtp_timeout_seconds,
        )
        try:
            await client.connect()
            if s.smtp_username:
                await client.login(s.smtp_username, s.smtp_password or "")
            await client.mail(parseaddr(str(message["From"]))[1])
            await client.rcpt(parseaddr(str(message["To"]))[1])
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            client.close()
            raise NotDeliveredError(f"mail server unavailable or refused the envelope: {exc}") from exc
        if not await before_transmit():
            client.close()
            raise ClaimLostError
        try:
            await client.data(message.as_bytes())
        except aiosmtplib.SMTPResponseException as exc:
            client.close()
            raise NotDeliveredError(f"mail server refused the message: {exc.code} {exc.message}") from exc
        try:
            await client.quit()
        except (aiosmtplib.SMTPException, OSError, TimeoutError):
            client.close()  # the message was accepted; a failed goodbye changes nothing


def sender_for(settings: Settings) -> Sender:
    return SmtpSender(settings) if settings.email_backend == "smtp" else LogSender()
