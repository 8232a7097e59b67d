"""The test e-mail a sender test sends: short, in pt-BR, saying who sent it, how and when."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, make_msgid

TEST_SUBJECT = "Teste do remetente de e-mail - Carteiro"


def build_test_message(
    from_addr: str, to_addr: str, host: str, port: int, security: str, when: datetime
) -> EmailMessage:
    """The short pt-BR test e-mail: it names Carteiro, the sender, the server and the time."""
    local = when.astimezone()
    offset = local.strftime("%z")
    stamp = f"{local:%d/%m/%Y às %H:%M:%S} (UTC{offset[:3]}:{offset[3:]})"
    message = EmailMessage(policy=SMTP_POLICY)
    message["Subject"] = TEST_SUBJECT
    message["From"] = from_addr
    message["To"] = to_addr
    message["Date"] = format_datetime(local)
    message["Message-ID"] = make_msgid("carteiro", domain=from_addr.rpartition("@")[2])
    message["Auto-Submitted"] = "auto-generated"
    message["X-Mailer"] = "Carteiro"
    body = (
        "Olá!\n\n"
        "Este é um e-mail de teste enviado pelo Carteiro para verificar o remetente "
        f"{from_addr}.\n\n"
        f"Servidor: {host}:{port} (segurança: {security})\n"
        f"Enviado em: {stamp}\n\n"
        "Se esta mensagem chegou, o remetente consegue enviar e-mails. "
        "Nenhuma ação é necessária.\n"
    )
    message.set_content(body, cte="quoted-printable")
    return message
