"""What a sender test keeps of the dialogue: the timed stages and the redacted transcript.

Credentials never reach the transcript, the stage texts or the message: every client line sent
during AUTH is replaced by ``***`` (the mechanism name is kept; see
:class:`~carteiro.sender.smtp.client.TracingSMTP`), and :class:`Redactor` removes the password,
its base64, the base64 of the user and the base64 of the AUTH PLAIN blob wherever they appear,
server echoes included; and, as the test goes, every blob the client sent during AUTH and what
it decodes to (e.g. the CRAM-MD5 answer, derived from the password). The user name in plain
text is not redacted: it is often the sender address itself and is not a secret.

The transcript is capped (:data:`~carteiro.sender.smtp.limits.MAX_TRANSCRIPT_BYTES`): a line of
the dialogue that would pass the cap ends the test (:class:`TranscriptTooLarge`); Carteiro's own
remarks past it are dropped.
"""

from __future__ import annotations

import base64
import binascii
import re
import smtplib
import time

from carteiro.sender.smtp.limits import MAX_TRANSCRIPT_BYTES, TranscriptTooLarge, kib_text
from carteiro.sender.smtp.result import Stage

#: What stands in the transcript where a credential was.
REDACTED = "***"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def _decoded_parts(blob: str) -> list[str]:
    """The words a base64 AUTH blob decodes to (split at NUL and space), none if not base64."""
    try:
        data = base64.b64decode(blob, validate=True)
    except (binascii.Error, ValueError):
        return []
    return [part for part in re.split("[\0 ]", data.decode("utf-8", "replace")) if part]


class Redactor:
    """Replaces every known form of the credentials by ``***``."""

    def __init__(self, user: str | None, password: str | None) -> None:
        self._user = user
        self._encoded: set[str] = set()
        self._plain: set[str] = set()
        if password:
            self._plain.add(password)
            self._encoded.add(_b64(password).rstrip("="))
            self._encoded.add(_b64(f"\0{user or ''}\0{password}").rstrip("="))
        if user:
            self._encoded.add(_b64(user).rstrip("="))
        self._compile()

    def _compile(self) -> None:
        # Base64 forms match with or without their padding; longest first, so a secret that
        # contains another is removed whole.
        patterns = [(s, re.escape(s) + "=*") for s in self._encoded if s]
        patterns += [(s, re.escape(s)) for s in self._plain if s]
        patterns.sort(key=lambda item: len(item[0]), reverse=True)
        self._pattern = re.compile("|".join(p for _, p in patterns)) if patterns else None

    def add_sent_secret(self, line: str) -> None:
        """A line the client sent during AUTH: its blobs and what they decode to are secrets.

        The user, alone, stays readable (it is not a secret, see the module docstring).
        """
        words = line.split(" ")
        blobs = words[2:] if words[0].upper() == "AUTH" else words
        for blob in filter(None, blobs):
            self._encoded.add(blob.rstrip("="))
            self._plain.update(p for p in _decoded_parts(blob) if p != self._user)
        self._compile()

    def __call__(self, text: str) -> str:
        return self._pattern.sub(REDACTED, text) if self._pattern else text


class Recorder:
    """Keeps the stages and the transcript while the dialogue runs."""

    def __init__(self, redact: Redactor) -> None:
        self.redact = redact
        self.stages: list[Stage] = []
        self.transcript: list[str] = []
        self.current: str | None = None
        self._started = 0.0
        self._size = 0
        self.full = False

    def begin(self, name: str) -> None:
        """Start timing stage ``name``."""
        self.current = name
        self._started = time.perf_counter()

    def end(self, ok: bool, code: int | None = None, text: str = "") -> Stage:
        """Close the running stage with its outcome and the server's reply."""
        elapsed = round((time.perf_counter() - self._started) * 1000, 1)
        stage = Stage(self.current or "?", ok, elapsed, code, self.redact(text))
        self.stages.append(stage)
        self.current = None
        return stage

    def fail(self, exc: BaseException, summary: str) -> None:
        """Close the running stage as failed, with the server's code when there is one."""
        if self.current is None:
            return
        code = exc.smtp_code if isinstance(exc, smtplib.SMTPResponseException) else None
        self.end(False, code, summary)

    def note(self, text: str) -> None:
        """A remark of Carteiro's in the transcript (``* ...``); dropped once it is full."""
        self._add(f"* {text}", strict=False)

    def client(self, line: str) -> None:
        """A line the client sent (``C: ...``)."""
        self._add(f"C: {line}", strict=True)

    def server(self, line: str) -> None:
        """A line the server sent (``S: ...``)."""
        self._add(f"S: {line}", strict=True)

    def _add(self, line: str, *, strict: bool) -> None:
        """Keep a line, redacted; past the cap, ``strict`` lines end the test."""
        text = self.redact(line)
        size = len(text.encode("utf-8", "replace")) + 1
        if self.full or self._size + size > MAX_TRANSCRIPT_BYTES:
            if not self.full:
                self.full = True
                self.transcript.append(
                    f"* Transcrição interrompida: passou de {kib_text(MAX_TRANSCRIPT_BYTES)}."
                )
            if strict:
                raise TranscriptTooLarge()
            return
        self._size += size
        self.transcript.append(text)


def decode(data: bytes | str) -> str:
    """Bytes from the wire as text (invalid UTF-8 replaced, never an error)."""
    return data.decode("utf-8", "replace") if isinstance(data, bytes) else data
