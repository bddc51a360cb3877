"""Outgoing mail through the SMTP server of the Settings (``smtp_*``, ``mail_from``)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from emclm.config import get_settings


def send_mail(to: str, subject: str, body: str) -> None:
    settings = get_settings()
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password)
        smtp.send_message(message)
