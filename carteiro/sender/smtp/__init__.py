"""Sender test: send one test e-mail through an SMTP server and say where and why it fails.

This is Carteiro's version of the ERP button «Remetente de Email > Ações > Testar». The ERP only
says success or failure; here every step of the dialogue (connect, TLS, banner, EHLO, STARTTLS,
AUTH, MAIL FROM, RCPT TO, DATA, QUIT) is timed and kept with the server's reply, like ``swaks``
does, and a failure comes with a pt-BR explanation of what it means and what to check. The SMTP
password never appears in what the test returns, neither plain nor in base64.

The rooms, in the order a test goes through them:

* :mod:`~carteiro.sender.smtp.arguments` — the arguments checked (the only ``ValueError``);
* :mod:`~carteiro.sender.smtp.dialogue` — the dialogue, step by step, and
  :func:`run_smtp_test`;
* :mod:`~carteiro.sender.smtp.client` — the traced :mod:`smtplib` client;
* :mod:`~carteiro.sender.smtp.wire` — where the wire is read and written, within the limits;
* :mod:`~carteiro.sender.smtp.limits` — the deadline of the whole test and the caps on what a
  server may send;
* :mod:`~carteiro.sender.smtp.transcript` — the stages and the transcript kept, redacted;
* :mod:`~carteiro.sender.smtp.tls` — TLS contexts and the certificate's details;
* :mod:`~carteiro.sender.smtp.message` — the test e-mail;
* :mod:`~carteiro.sender.smtp.failures` — the failure signals and reading an exception chain;
* :mod:`~carteiro.sender.smtp.explain` — the pt-BR explanations of a failure;
* :mod:`~carteiro.sender.smtp.probes` — the probes made after a failure;
* :mod:`~carteiro.sender.smtp.result` — what a test returns (stages, TLS, result).

This module only gathers the public names.
"""

from __future__ import annotations

from carteiro.sender.settings import AUTH_MECHANISMS, DEFAULT_DEADLINE, DEFAULT_TIMEOUT
from carteiro.sender.smtp.dialogue import run_smtp_test
from carteiro.sender.smtp.message import build_test_message
from carteiro.sender.smtp.result import (
    STAGE_AUTH,
    STAGE_BANNER,
    STAGE_CONNECT,
    STAGE_DATA,
    STAGE_EHLO,
    STAGE_LABELS,
    STAGE_MAIL_FROM,
    STAGE_QUIT,
    STAGE_RCPT_TO,
    STAGE_STARTTLS,
    STAGE_TLS,
    SmtpTestResult,
    Stage,
    TlsInfo,
)

__all__ = [
    "AUTH_MECHANISMS",
    "DEFAULT_DEADLINE",
    "DEFAULT_TIMEOUT",
    "STAGE_AUTH",
    "STAGE_BANNER",
    "STAGE_CONNECT",
    "STAGE_DATA",
    "STAGE_EHLO",
    "STAGE_LABELS",
    "STAGE_MAIL_FROM",
    "STAGE_QUIT",
    "STAGE_RCPT_TO",
    "STAGE_STARTTLS",
    "STAGE_TLS",
    "SmtpTestResult",
    "Stage",
    "TlsInfo",
    "build_test_message",
    "run_smtp_test",
]
