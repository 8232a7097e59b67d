"""The sender test against hostile SMTP servers: its deadline and caps, and no secret leaks.

The servers are real sockets on 127.0.0.1 (:mod:`tests.hostile_smtp`). A server that floods
``220-`` continuation lines runs against the test in a subprocess, so its peak memory can be
measured (``VmHWM`` of that process: unlike ``ru_maxrss``, which Linux carries over from the
forking parent across ``exec``, it starts afresh in the new program) and capped (``RLIMIT_AS``,
so a regression fails the test instead of filling the machine). A server that drips lines runs
in this process, the test
in a thread that is waited for at most the deadline plus a margin: a regression fails, it does
not hang the suite. The margins are generous (the test machine is busy); what is checked is
that the failure mode is gone: before the deadline existed, those tests ran for ever.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from carteiro.sender.history import StateStore
from carteiro.sender.smtp import (
    STAGE_AUTH,
    STAGE_BANNER,
    STAGE_CONNECT,
    STAGE_DATA,
    STAGE_STARTTLS,
    STAGE_TLS,
    SmtpTestResult,
    run_smtp_test,
)
from carteiro.sender.smtp.limits import (
    MAX_LINE_BYTES,
    MAX_REPLY_BYTES,
    MAX_REPLY_LINES,
    MAX_TRANSCRIPT_BYTES,
)
from tests.hostile_smtp import (
    CRAM_CHALLENGE,
    LOCALHOST,
    Script,
    drip,
    echo_auth,
    endless_line,
    first_then,
    flood,
    full_backlog,
    hang_up,
    hostile_server,
    plain_banner,
    silent,
    starttls_then,
    verbose,
)
from tests.smtp_server import SMTP_USER, Pki
from tests.test_smtp_test import TO, Cli, assert_failed, cli, main_cli, pki, smtp  # noqa: F401

REPO_ROOT = Path(__file__).resolve().parent.parent
#: Seconds a test may overrun its deadline here (a busy two-core machine can starve the child
#: for seconds). Generous on purpose: the failure it guards against ran for a minute or
#: forever, so this still tells a deadline that holds from one that does not.
MARGIN = 20.0
#: The peak memory of a whole Python process running one sender test, flood or not.
MAX_RSS_MB = 200
# Address space of the subprocess: a regression dies of MemoryError instead of eating the RAM.
_CHILD_ADDRESS_SPACE = 1536 * 1024 * 1024

CHILD = f"""
import json, resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, ({_CHILD_ADDRESS_SPACE}, {_CHILD_ADDRESS_SPACE}))
from carteiro.sender.smtp import run_smtp_test
kwargs = json.loads(sys.argv[1])
start = time.monotonic()
result = run_smtp_test(**kwargs)
elapsed = time.monotonic() - start
with open("/proc/self/status") as status:
    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
print(json.dumps({{"elapsed": elapsed, "peak_mb": peak, "result": result.to_dict()}}))
"""


def in_subprocess(port: int, security: str, deadline: float, **kwargs: object) -> dict:
    """Run the sender test in a fresh Python; its result, elapsed seconds and peak RSS (MB)."""
    arguments = {
        "host": LOCALHOST, "port": port, "security": security, "to_addr": TO,
        "from_addr": SMTP_USER, "timeout": 3.0, "deadline": deadline,
        "local_hostname": "carteiro.local", **kwargs,
    }  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(arguments)],
        capture_output=True, text=True, cwd=REPO_ROOT, timeout=deadline + 4 * MARGIN,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def within(limit: float, call: Callable[[], SmtpTestResult]) -> tuple[SmtpTestResult, float]:
    """Run ``call`` in a thread and wait at most ``limit`` seconds for it (no hang on failure)."""
    box: list[SmtpTestResult] = []
    worker = threading.Thread(target=lambda: box.append(call()), daemon=True)
    start = time.monotonic()
    worker.start()
    worker.join(limit)
    elapsed = time.monotonic() - start
    assert not worker.is_alive(), f"the sender test still runs after {elapsed:.1f} s"
    assert box, "the sender test raised"
    return box[0], elapsed


def failed_at(data: dict, stage: str, *fragments: str) -> None:
    """``data`` (``to_dict`` form) is a failure at ``stage`` whose message has ``fragments``."""
    assert data["ok"] is False
    assert data["failed_stage"] == stage, (data["failed_stage"], data["message"])
    for fragment in fragments:
        assert fragment in data["message"], data["message"]


# --------------------------------------------------------------------------------------------
# Caps on a reply


@pytest.mark.parametrize(
    ("script", "limit"),
    [
        pytest.param(lambda peer: flood(peer, b"220-x"), f"{MAX_REPLY_LINES} linhas", id="lines"),
        pytest.param(flood, f"{MAX_REPLY_BYTES // 1024} KiB", id="bytes"),
        pytest.param(endless_line, f"{MAX_LINE_BYTES // 1024} KiB numa linha", id="one-line"),
    ],
)
def test_endless_reply_stops_at_a_cap_in_little_memory(script: Script, limit: str) -> None:
    deadline = 20.0
    with hostile_server(script) as server:
        run = in_subprocess(server.port, "nenhuma", deadline)
    data = run["result"]
    failed_at(data, STAGE_BANNER, f"passou do limite de {limit}", "Saudação")
    assert run["peak_mb"] < MAX_RSS_MB, run["peak_mb"]
    assert run["elapsed"] < deadline + MARGIN, run["elapsed"]
    banner = [s for s in data["stages"] if s["name"] == STAGE_BANNER][0]
    assert not banner["ok"] and "limite" in banner["text"]
    # the start of the reply is shown, cut short; the transcript stays small
    assert any(line.startswith("S: 220") for line in data["transcript"])
    assert sum(len(line) for line in data["transcript"]) < 4096


def test_reply_of_exactly_the_line_cap_is_read_and_one_more_is_refused() -> None:
    with hostile_server(verbose(MAX_REPLY_LINES, 10)) as server:
        result = smtp(server.port, "nenhuma")
    assert result.ok, result.message
    assert len([line for line in result.transcript if line.startswith("S: 220")]) == (
        MAX_REPLY_LINES
    )
    with hostile_server(verbose(MAX_REPLY_LINES + 1, 10)) as server:
        result = smtp(server.port, "nenhuma")
    failed_at(result.to_dict(), STAGE_BANNER, f"{MAX_REPLY_LINES} linhas")


def test_transcript_cap_ends_the_test_at_the_stage_that_passed_it() -> None:
    # Every reply just under the byte cap: a few of them pass the transcript's cap.
    lines = MAX_REPLY_LINES - 1
    width = MAX_REPLY_BYTES // MAX_REPLY_LINES - 20
    with hostile_server(verbose(lines, width)) as server:
        result = smtp(server.port, "nenhuma")
    replies_that_fit = MAX_TRANSCRIPT_BYTES // (lines * (width + 8))
    assert not result.ok
    assert "transcrição" in result.message.lower()
    assert f"{MAX_TRANSCRIPT_BYTES // 1024} KiB" in result.message
    assert len(result.stages) >= replies_that_fit  # it did run until the cap
    assert result.failed_stage not in (STAGE_CONNECT, None)
    kept = sum(len(line.encode()) + 1 for line in result.transcript)
    assert kept <= MAX_TRANSCRIPT_BYTES + 200
    assert result.transcript[-1].startswith("* Transcrição interrompida")


# --------------------------------------------------------------------------------------------
# One deadline for the whole test


def test_slow_drip_ends_at_the_deadline() -> None:
    # A line every 2 s, timeout 3 s: the per-operation timeout never fires.
    deadline = 5.0
    with hostile_server(drip(2.0)) as server:
        result, elapsed = within(
            deadline + MARGIN, lambda: smtp(server.port, "nenhuma", timeout=3, deadline=deadline)
        )
    failed_at(result.to_dict(), STAGE_BANNER, "prazo total de 5 s", "Saudação")
    assert elapsed < deadline + MARGIN
    assert "prazo total" in result.stages[-1].text


def test_connect_obeys_the_deadline() -> None:
    deadline = 2.0
    with full_backlog() as port:
        result, _ = within(
            deadline + MARGIN,
            lambda: smtp(port, "nenhuma", timeout=deadline * 6, deadline=deadline),
        )
    failed_at(result.to_dict(), STAGE_CONNECT, "prazo total de 2 s", "Conexão")


def test_tls_handshake_obeys_the_deadline() -> None:
    deadline = 2.0
    with hostile_server(silent) as server:
        result, _ = within(
            deadline + MARGIN,
            lambda: smtp(server.port, "ssl", timeout=deadline * 6, deadline=deadline),
        )
    failed_at(result.to_dict(), STAGE_TLS, "prazo total de 2 s")


def test_probe_after_a_hang_up_obeys_the_deadline() -> None:
    # The banner connection is closed at once; the probe (does the port want TLS?) meets a
    # silent server: it waits what is left of the deadline, not its own full timeout.
    deadline = 3.0
    with hostile_server(first_then(hang_up, silent)) as server:
        result, elapsed = within(
            deadline + MARGIN,
            lambda: smtp(server.port, "nenhuma", timeout=deadline * 4, deadline=deadline),
        )
        assert len(server.peers) == 2  # the probe did connect
    failed_at(result.to_dict(), STAGE_BANNER, "fechou a conexão sem enviar a saudação")


def test_plain_greeting_probe_obeys_the_deadline() -> None:
    # Implicit TLS fails on a plain greeting; the probe (does it speak plain SMTP?) meets a
    # silent server.
    deadline = 3.0
    with hostile_server(first_then(plain_banner, silent)) as server:
        result, elapsed = within(
            deadline + MARGIN,
            lambda: smtp(server.port, "ssl", timeout=deadline * 4, deadline=deadline),
        )
        assert len(server.peers) == 2
    failed_at(result.to_dict(), STAGE_TLS, "negociação TLS")


@pytest.fixture(scope="module")
def untrusted_tls(pki: Pki) -> ssl.SSLContext:  # noqa: F811
    """A server certificate of the test CA, which the default verification does not trust."""
    return pki.server_context()


@pytest.mark.parametrize("later", [flood, lambda peer: flood(peer, b"220-x")])
def test_certificate_probe_over_starttls_obeys_the_caps(
    later: Script, untrusted_tls: ssl.SSLContext
) -> None:
    deadline = 20.0
    with hostile_server(starttls_then(untrusted_tls, later)) as server:
        run = in_subprocess(server.port, "tls", deadline)
        assert len(server.peers) == 2
    failed_at(run["result"], STAGE_STARTTLS, "não é de uma autoridade confiável")
    assert run["result"]["tls"] is None  # the probe could not tell
    assert run["peak_mb"] < MAX_RSS_MB, run["peak_mb"]
    assert run["elapsed"] < deadline + MARGIN


def test_certificate_probe_over_starttls_obeys_the_deadline(
    untrusted_tls: ssl.SSLContext,
) -> None:
    deadline = 4.0
    with hostile_server(starttls_then(untrusted_tls, drip(1.0))) as server:
        result, elapsed = within(
            deadline + MARGIN, lambda: smtp(server.port, "tls", timeout=3, deadline=deadline)
        )
    failed_at(result.to_dict(), STAGE_STARTTLS, "não é de uma autoridade confiável")
    assert result.tls is None


@pytest.mark.parametrize("deadline", [0, -1, float("nan"), float("inf"), True, "60"])
def test_bad_deadline_is_a_value_error_in_portuguese(deadline: object) -> None:
    with pytest.raises(ValueError, match="Prazo total do teste inválido"):
        run_smtp_test(
            "smtp.provedor.com.br", 587, "tls", to_addr=TO, from_addr=SMTP_USER,
            deadline=deadline,  # type: ignore[arg-type]
        )


def test_cli_deadline_option(main_cli: Cli) -> None:  # noqa: F811
    with hostile_server(drip(1.0)) as server:
        done = main_cli(
            "--host", LOCALHOST, "--port", str(server.port), "--security", "nenhuma",
            "--to", TO, "--from", SMTP_USER, "--timeout", "3", "--deadline", "2,5",
            "--no-record",
        )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "❌ Saudação" in done.stdout
    assert "prazo total de 2,5 s" in done.stdout
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("value", ["0", "abc"])
def test_cli_bad_deadline_exit_2(main_cli: Cli, value: str) -> None:  # noqa: F811
    done = main_cli(
        "--host", "smtp.provedor.com.br", "--port", "587", "--security", "tls", "--to", TO,
        "--from", SMTP_USER, "--deadline", value,
    )  # fmt: skip
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "prazo" in done.stderr.lower() or "segundos inválido" in done.stderr


# --------------------------------------------------------------------------------------------
# The password never shows, whatever it is made of and whatever the server echoes

PT_BR_LETTERS = set("áàâãéêíóôõúçÁÀÂÃÉÊÍÓÔÕÚÇ")
NON_ASCII_PASSWORDS = [
    "Senha€2024",
    "Paçoca-é-boa",
    "ação-Ímã",
    "🔑chave🔒",
    "密码パスワード",
    "ñandú-øre-ß",
]
MECHANISMS = [None, "PLAIN", "LOGIN", "CRAM-MD5"]


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def password_forms(password: str, user: str = SMTP_USER) -> list[str]:
    """Everything that would give the password (or part of it) away, as text."""
    forms = [password]
    for plain in (password, f"\0{user}\0{password}", f"{user}\0{password}"):
        forms += [_b64(plain), _b64(plain).rstrip("=")]
    forms.append(password.encode("utf-8").decode("latin-1"))  # mojibake of its UTF-8
    forms.append(repr(password.encode("utf-8"))[2:-1])  # b'\xe2\x82\xac...'
    for char in password:
        if char.isascii():
            continue
        if char not in PT_BR_LETTERS:
            forms.append(char)
        escaped = char.encode("unicode_escape").decode("ascii")  # \xe7, \u20ac, \U0001f511
        forms += [escaped, f"U+{ord(char):04X}", repr(char.encode("utf-8"))[2:-1]]
        forms.append(char.encode("utf-8").decode("latin-1"))
    return forms


#: Python's own text of a UnicodeEncodeError: it quotes the character, or the positions of the
#: characters, in the string it could not encode (the credentials).
CODEC_ERROR_WORDS = ["codec can't", "in position", "ordinal not in range"]


def assert_hidden(forms: list[str], *outputs: str | bytes) -> None:
    for output in outputs:
        data = output if isinstance(output, bytes) else output.encode("utf-8")
        for form in forms + CODEC_ERROR_WORDS:
            assert form.encode("utf-8") not in data, f"leaked {form!r}"


@pytest.mark.parametrize("mechanism", MECHANISMS)
@pytest.mark.parametrize("password", NON_ASCII_PASSWORDS)
def test_non_ascii_password_never_shows(
    password: str, mechanism: str | None, tmp_path: Path
) -> None:
    with hostile_server(echo_auth()) as server:
        result = smtp(
            server.port, "nenhuma", user=SMTP_USER, password=password, auth_mechanism=mechanism
        )
    # sent as UTF-8 (what ERPs send), refused by the server, which echoes it: still hidden
    assert_failed(result, STAGE_AUTH, "recusou o usuário ou a senha")
    store = StateStore(tmp_path / "state.sqlite")
    store.record_sender_test(result, source="manual", sender_id=1)
    history = b"".join(path.read_bytes() for path in tmp_path.iterdir())
    assert_hidden(
        password_forms(password),
        json.dumps(result.to_dict(), ensure_ascii=False),
        json.dumps(result.to_dict()),
        repr(result),
        history,
    )


@pytest.mark.parametrize("password", NON_ASCII_PASSWORDS)
def test_cli_non_ascii_password_never_shows(cli: Cli, password: str) -> None:  # noqa: F811
    with hostile_server(echo_auth()) as server:
        done = cli(
            "--host", LOCALHOST, "--port", str(server.port), "--security", "nenhuma",
            "--user", SMTP_USER, "--to", TO, "--timeout", "5", "--sender-id", "4",
            "--source", "manual", password=password,
        )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "❌ AUTH" in done.stdout
    assert_hidden(password_forms(password), done.stdout, done.stderr, cli.state.read_bytes())
    assert StateStore(cli.state).failing_since("manual").keys() == {4}


ECHOED_PASSWORD = "S3nha-Ecoada!Carteiro#77"


def cram_md5_answer(user: str, password: str) -> tuple[str, str]:
    """The CRAM-MD5 answer (RFC 2195) to the echo server's challenge: (base64, HMAC hex)."""
    digest = hmac.new(password.encode(), CRAM_CHALLENGE, hashlib.md5).hexdigest()
    return _b64(f"{user} {digest}"), digest


@pytest.mark.parametrize("mechanism", MECHANISMS)
def test_credentials_echoed_by_the_server_are_redacted(
    mechanism: str | None, tmp_path: Path
) -> None:
    with hostile_server(echo_auth()) as server:
        result = smtp(
            server.port, "nenhuma", user=SMTP_USER, password=ECHOED_PASSWORD,
            auth_mechanism=mechanism,
        )  # fmt: skip
        received = "\n".join(line for peer in server.peers for line in peer.received)
    assert_failed(result, STAGE_AUTH, "recusou o usuário ou a senha", "535")
    cram_blob, digest = cram_md5_answer(SMTP_USER, ECHOED_PASSWORD)
    secrets = password_forms(ECHOED_PASSWORD) + [cram_blob, cram_blob.rstrip("="), digest]
    # the server did receive (and echo) the secret of every mechanism tried
    tried = [mechanism] if mechanism else ["CRAM-MD5", "PLAIN", "LOGIN"]
    expected = {
        "PLAIN": _b64(f"\0{SMTP_USER}\0{ECHOED_PASSWORD}"),
        "LOGIN": _b64(ECHOED_PASSWORD),
        "CRAM-MD5": cram_blob,
    }
    for name in tried:
        assert expected[name] in received, name
    assert "***" in result.message
    # no secret, and no long piece of one (the CRAM answer shares its start with the user's
    # base64): no 16-character window of the HMAC or of the answer's tail either
    secrets += [digest[i : i + 16] for i in range(0, len(digest) - 15, 4)]
    tail = cram_blob[len(_b64(SMTP_USER)) - 4 :]
    secrets += [tail[i : i + 16] for i in range(0, len(tail) - 15, 4)]
    StateStore(tmp_path / "state.sqlite").record_sender_test(result, source="manual", sender_id=2)
    history = b"".join(path.read_bytes() for path in tmp_path.iterdir())
    assert_hidden(secrets, json.dumps(result.to_dict(), ensure_ascii=False), history)
    assert [line for line in result.transcript if line.startswith("C: AUTH")] == [
        f"C: AUTH {name} ***" if name != "CRAM-MD5" else "C: AUTH CRAM-MD5" for name in tried
    ]


def test_verbose_server_within_the_caps_delivers() -> None:
    # Long multi-line replies to every command, within the caps: the test goes through.
    with hostile_server(verbose(20, 500)) as server:
        result = smtp(server.port, "nenhuma")
    assert result.ok, result.message
    assert [s.name for s in result.stages].count(STAGE_DATA) == 1
