"""An ERP sender's SMTP settings (``remetente_email``) and the words for its security mode.

The one place that names the three security modes of the ERP (``ssl``, ``tls``, ``nenhuma``)
in pt-BR: the Configuração tables, the sender-test widget and the CLI all read them here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import pandas as pd

from carteiro.columns import Sender

SECURITY_SSL: Final = "ssl"
SECURITY_STARTTLS: Final = "tls"
SECURITY_NONE: Final = "nenhuma"
SECURITIES: Final = (SECURITY_SSL, SECURITY_STARTTLS, SECURITY_NONE)
AUTH_MECHANISMS: Final = ("PLAIN", "LOGIN", "CRAM-MD5")
# Seconds allowed to each network operation of a sender test (connect, each read).
DEFAULT_TIMEOUT: Final = 15.0
# Seconds allowed to a whole sender test, probes included (see carteiro.sender.smtp.limits).
DEFAULT_DEADLINE: Final = 60.0
SECURITY_LABELS: Final[dict[str, str]] = {
    SECURITY_SSL: "SSL/TLS implícito (porta 465)",
    SECURITY_STARTTLS: "STARTTLS (porta 587)",
    SECURITY_NONE: "Nenhuma (sem criptografia)",
}


@dataclass(frozen=True)
class SenderSettings:
    sender_id: int | None
    description: str
    host: str
    port: int
    security: str
    username: str | None
    from_address: str | None


def sender_settings(senders: pd.DataFrame, sender_id: int) -> SenderSettings:
    """The SMTP settings of one ERP sender, from the senders table (``Sender`` columns)."""
    row = senders[senders[Sender.ID].astype("Int64") == int(sender_id)].iloc[0]

    def text(name: str) -> str | None:
        value = row[name]
        return None if value is None or pd.isna(value) else str(value).strip() or None

    port = row[Sender.PORT]
    return SenderSettings(
        sender_id=int(sender_id),
        description=text(Sender.DESCRIPTION) or f"Remetente {sender_id}",
        host=text(Sender.HOST) or "",
        port=int(port) if port is not None and not pd.isna(port) else 587,
        security=(text(Sender.SECURITY) or SECURITY_STARTTLS).lower(),
        username=text(Sender.USERNAME),
        from_address=text(Sender.FROM_ADDRESS),
    )


def sender_password(secrets: Mapping[str, Any], sender_id: int | None) -> str | None:
    """``[senders.<id>] password`` from secrets.toml, if configured."""
    if sender_id is None:
        return None
    senders = secrets.get("senders") or {}
    entry = senders.get(str(sender_id)) if isinstance(senders, Mapping) else None
    if not isinstance(entry, Mapping):
        return None
    password = entry.get("password")
    return str(password) if password else None
