"""What a sender test reports: the stages of the SMTP dialogue, the TLS session, the result.

The stages, in the order they can happen: ``connect`` (TCP), ``tls`` (the handshake of
implicit TLS, security ``ssl`` only), ``banner`` (the server's 220 greeting), ``ehlo``,
``starttls`` (security ``tls``; EHLO is then sent again), ``auth`` (only with a user),
``mail_from``, ``rcpt_to``, ``data``, ``quit``. A result lists only the stages reached.

The result is immutable and its texts are already redacted: it can be stored (the test history)
and shown as it is.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

STAGE_CONNECT = "connect"
STAGE_TLS = "tls"
STAGE_BANNER = "banner"
STAGE_EHLO = "ehlo"
STAGE_STARTTLS = "starttls"
STAGE_AUTH = "auth"
STAGE_MAIL_FROM = "mail_from"
STAGE_RCPT_TO = "rcpt_to"
STAGE_DATA = "data"
STAGE_QUIT = "quit"

#: Display names of the stages (pt-BR where a translation helps, SMTP verbs otherwise).
STAGE_LABELS: dict[str, str] = {
    STAGE_CONNECT: "Conexão",
    STAGE_TLS: "TLS",
    STAGE_BANNER: "Saudação",
    STAGE_EHLO: "EHLO",
    STAGE_STARTTLS: "STARTTLS",
    STAGE_AUTH: "AUTH",
    STAGE_MAIL_FROM: "MAIL FROM",
    STAGE_RCPT_TO: "RCPT TO",
    STAGE_DATA: "DATA",
    STAGE_QUIT: "QUIT",
}


@dataclass(frozen=True)
class Stage:
    """One step of the SMTP dialogue: how long it took and what the server replied."""

    name: str
    ok: bool
    elapsed_ms: float
    code: int | None = None
    text: str = ""

    @property
    def label(self) -> str:
        """Display name of the stage."""
        return STAGE_LABELS.get(self.name, self.name)


@dataclass(frozen=True)
class TlsInfo:
    """The TLS session and the server certificate (``not_after`` is ISO 8601 UTC)."""

    protocol: str | None
    cipher: str | None
    subject: str | None
    issuer: str | None
    not_after: str | None
    names: tuple[str, ...]
    verified: bool


@dataclass(frozen=True)
class SmtpTestResult:
    """Outcome of one sender test.

    ``stages`` lists only the stages reached, in order (EHLO appears twice after STARTTLS).
    ``failed_stage`` is ``None`` on success. Sequences are tuples so the result stays immutable.
    """

    ok: bool
    failed_stage: str | None
    message: str
    host: str
    port: int
    security: str
    from_addr: str
    to_addr: str
    started_at: str
    stages: tuple[Stage, ...]
    tls: TlsInfo | None
    warnings: tuple[str, ...]
    transcript: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (lists instead of tuples), e.g. for the dashboard."""
        data = asdict(self)
        data["stages"] = [asdict(stage) | {"label": stage.label} for stage in self.stages]
        if self.tls is not None:
            data["tls"]["names"] = list(self.tls.names)
        data["warnings"] = list(self.warnings)
        data["transcript"] = list(self.transcript)
        return data
