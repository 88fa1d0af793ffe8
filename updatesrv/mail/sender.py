"""Sends ``email.message.EmailMessage`` objects over one SMTP connection per batch."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from types import TracebackType

from .config import MailConfig
from .errors import DeliveryFailed


class SmtpSender:
    """``with SmtpSender(config) as sender: sender.send(message)``. The connection opens on
    the first send, so an idle batch costs nothing."""

    def __init__(self, config: MailConfig) -> None:
        self.config = config
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpSender:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None

    def _connect(self) -> smtplib.SMTP:
        cfg = self.config
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if cfg.ssl:
            smtp = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=cfg.timeout, context=context)
        else:
            smtp = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout)
        try:
            smtp.ehlo()
            if cfg.starttls:
                smtp.starttls(context=context)
                smtp.ehlo()
            if cfg.username:
                smtp.login(cfg.username, cfg.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, message: EmailMessage) -> None:
        if "From" not in message:
            message["From"] = self.config.sender
        try:
            if self._smtp is None:
                self._smtp = self._connect()
            refused = self._smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise DeliveryFailed(f"recipient refused: {exc.recipients}",
                                 permanent=all(500 <= c < 600 for c in codes)) from None
        except smtplib.SMTPResponseException as exc:
            self._reset()
            detail = exc.smtp_error.decode(errors="replace") if isinstance(
                exc.smtp_error, bytes) else str(exc.smtp_error)
            raise DeliveryFailed(f"SMTP {exc.smtp_code}: {detail}",
                                 permanent=500 <= exc.smtp_code < 600
                                 and exc.smtp_code not in (530, 535)) from None
        except (smtplib.SMTPException, OSError) as exc:
            self._reset()
            raise DeliveryFailed(f"cannot reach the mail server "
                                 f"{self.config.host}:{self.config.port}: {exc}") from None
        if refused:
            raise DeliveryFailed(f"recipient refused: {refused}", permanent=True)

    def reset(self) -> None:
        """Drops the connection; the next send opens a new one."""
        self._reset()

    def _reset(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.close()
            finally:
                self._smtp = None
