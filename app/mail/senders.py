"""Mailers: deliver one ``EmailMessage``. SMTP when configured, otherwise console and files."""

from __future__ import annotations

import smtplib
import ssl
import sys
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from flask import Flask


class MailDeliveryError(Exception):
    """The message could not be handed over now; the outbox will retry it."""


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None: ...


class SMTPMailer:
    """Hands messages to an SMTP server with ``smtplib``: plain, STARTTLS or implicit TLS."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        tls: str = "none",
        user: str | None = None,
        password: str | None = None,
        timeout: float = 10,
    ) -> None:
        if tls not in ("none", "starttls", "ssl"):
            raise ValueError("PORTAL_SMTP_TLS must be none, starttls or ssl")
        self.host, self.port, self.tls = host, port, tls
        self.user, self.password, self.timeout = user, password, timeout

    def send(self, message: EmailMessage) -> None:
        try:
            if self.tls == "ssl":
                context = ssl.create_default_context()
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=context
                )
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with client:
                if self.tls == "starttls":
                    client.starttls(context=ssl.create_default_context())
                if self.user:
                    client.login(self.user, self.password or "")
                client.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise MailDeliveryError(type(exc).__name__) from exc


class FileMailer:
    """Without SMTP: write each message as ``<dir>/<n>.eml`` and print it to the console."""

    def __init__(self, directory: Path, echo: bool = True) -> None:
        self.directory = directory
        self.echo = echo

    def send(self, message: EmailMessage) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            stem = message["Message-ID"].strip("<>").split("@")[0]
            (self.directory / f"{stem}.eml").write_bytes(bytes(message))
        except OSError as exc:
            raise MailDeliveryError(type(exc).__name__) from exc
        if self.echo:
            body = message.get_body(preferencelist=("plain",))
            text = body.get_content() if body is not None else ""
            sys.stdout.write(
                f"\n----- e-mail to {message['To']} -----\nSubject: {message['Subject']}\n\n"
                f"{text}----- end of e-mail -----\n"
            )
            sys.stdout.flush()


def mailer_for(app: Flask) -> Mailer:
    cfg = app.config
    if cfg.get("SMTP_HOST"):
        return SMTPMailer(
            cfg["SMTP_HOST"],
            int(cfg["SMTP_PORT"]),
            tls=str(cfg["SMTP_TLS"]),
            user=cfg.get("SMTP_USER"),
            password=cfg.get("SMTP_PASSWORD"),
            timeout=float(cfg["SMTP_TIMEOUT"]),
        )
    return FileMailer(Path(cfg["MAIL_DIR"]), echo=not app.testing)
