"""Alerts and digests by e-mail: a plain-text message with an HTML alternative, sent over SMTP.

The server comes from ``SMTP_URL``:

* ``smtp://host:port`` — plain SMTP (port 25 by default), e.g. a relay on
  the same host or network;
* ``smtp://host:587?starttls=true`` — upgraded with STARTTLS before anything
  else is said (refused when the server doesn't offer it), certificate
  checked against ``host``;
* ``smtps://host:465`` — TLS from the first byte.

``user:password@`` in the URL logs in (percent-encode special characters);
over plain ``smtp://`` without STARTTLS that password travels in clear, so
only do that on a trusted network. ``SMTP_FROM`` is the sender.

Every piece of data is escaped in the HTML part; the subject has no line
breaks. Failures come back as ``EmailError`` with a short message that names
no address or server.
"""

from __future__ import annotations

import html
import smtplib
import socket
import ssl
import urllib.parse
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from collector.alerts.messages import Message, clip, one_line

TIMEOUT_SECONDS = 5  # per SMTP command (connect, TLS, login, each of the message's steps)
SUBJECT_CHARS = 200


class EmailError(Exception):
    """A failed send; ``str()`` is safe to store and show."""


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send, parsed from SMTP_URL and SMTP_FROM."""

    host: str
    port: int
    tls: str  # "none", "starttls" or "ssl"
    username: str | None
    password: str | None
    sender: str

    @classmethod
    def from_config(cls, url: str | None, sender: str | None) -> SmtpSettings | None:
        """None when SMTP_URL is unset; ValueError when it or SMTP_FROM is malformed."""
        if not url:
            return None
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError(
                "SMTP_URL must look like smtp://host:port, smtp://host:587?starttls=true or smtps://host:465"
            )
        query = urllib.parse.parse_qs(parts.query)
        starttls = (query.get("starttls") or ["false"])[0].lower() in ("1", "true", "yes", "on")
        tls = "ssl" if parts.scheme == "smtps" else ("starttls" if starttls else "none")
        if not sender or "@" not in sender or any(c in sender for c in "\r\n"):
            raise ValueError("SMTP_FROM must be the sender's address, e.g. stepsense@example.com")
        return cls(
            parts.hostname,
            parts.port or (465 if tls == "ssl" else 25),
            tls,
            urllib.parse.unquote(parts.username) if parts.username else None,
            urllib.parse.unquote(parts.password) if parts.password else None,
            sender,
        )


def _text_body(message: Message) -> str:
    lines = [message.title, "", message.summary, ""]
    lines += [f"{label}: {value}" for label, value in message.facts]
    for heading, items in message.sections:
        lines += ["", heading] + [f"  - {item}" for item in items]
    if message.comments:
        lines += ["", "Comments"] + [f"  > {comment}" for comment in message.comments]
    if message.link:
        lines += ["", f"Open the dashboard: {message.link}"]
    if message.context:
        lines += ["", "-- ", message.context]
    return "\n".join(lines) + "\n"


def _html_body(message: Message) -> str:
    e = html.escape
    parts = [f"<h2>{e(message.title)}</h2>", f"<p>{e(message.summary)}</p>"]
    if message.facts:
        rows = "".join(
            f'<tr><th align="left">{e(label)}</th><td>{e(value)}</td></tr>' for label, value in message.facts
        )
        parts.append(f"<table>{rows}</table>")
    for heading, items in message.sections:
        parts.append(f"<h3>{e(heading)}</h3><ul>" + "".join(f"<li>{e(item)}</li>" for item in items) + "</ul>")
    if message.comments:
        parts.append(
            "<h3>Comments</h3>" + "".join(f"<blockquote>{e(comment)}</blockquote>" for comment in message.comments)
        )
    if message.link:
        parts.append(f'<p><a href="{e(message.link, quote=True)}">Open the dashboard</a></p>')
    if message.context:
        parts.append(f'<p style="color:#666">{e(message.context)}</p>')
    return "<!doctype html><html><body>" + "".join(parts) + "</body></html>\n"


def email_message(message: Message, sender: str, recipients: list[str]) -> EmailMessage:
    """The e-mail of ``message``: text, with an HTML alternative."""
    mail = EmailMessage()
    mail["Subject"] = clip(one_line(message.title), SUBJECT_CHARS)
    mail["From"] = sender
    mail["To"] = ", ".join(recipients)
    mail["Date"] = formatdate(usegmt=True)
    mail["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1])
    mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to an alert
    mail.set_content(_text_body(message))
    mail.add_alternative(_html_body(message), subtype="html")
    return mail


def send(settings: SmtpSettings, mail: EmailMessage, recipients: list[str], timeout: float = TIMEOUT_SECONDS) -> None:
    """Hand ``mail`` to the SMTP server for ``recipients``; EmailError on any failure."""
    try:
        context = ssl.create_default_context()
        if settings.tls == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(settings.host, settings.port, timeout=timeout, context=context)
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=timeout)
        with client:
            if settings.tls == "starttls":
                client.starttls(context=context)
            if settings.username:
                client.login(settings.username, settings.password or "")
            refused = client.send_message(mail, from_addr=settings.sender, to_addrs=recipients)
        if refused:
            raise EmailError(f"the server refused {len(refused)} of {len(recipients)} recipients")
    except EmailError:
        raise
    except Exception as error:  # every failure becomes one safe message
        raise EmailError(describe(error, timeout)) from None


def describe(error: BaseException, timeout: float) -> str:
    """A short account of a failed send that names no server or address."""
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return "the SMTP server does not offer STARTTLS"
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return "SMTP login refused"
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "the SMTP server refused every recipient"
    if isinstance(error, smtplib.SMTPSenderRefused):
        return "the SMTP server refused the sender"
    if isinstance(error, smtplib.SMTPResponseException):
        return f"SMTP {error.smtp_code}"
    if isinstance(error, (TimeoutError, socket.timeout)):
        return f"SMTP timed out after {timeout:g} s"
    if isinstance(error, ssl.SSLCertVerificationError):
        return "SMTP TLS certificate verification failed"
    if isinstance(error, ssl.SSLError):
        return "SMTP TLS handshake failed"
    if isinstance(error, ConnectionRefusedError):
        return "SMTP connection refused"
    if isinstance(error, socket.gaierror):
        return "SMTP server name lookup failed"
    if isinstance(error, smtplib.SMTPException):
        return "SMTP failed"
    if isinstance(error, OSError):
        return "SMTP connection failed"
    return f"SMTP failed ({type(error).__name__})"
