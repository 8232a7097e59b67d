"""The sender test against real SMTP servers (aiosmtpd on 127.0.0.1, trustme certificates)."""

from __future__ import annotations

import base64
import json
import os
import ssl
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from subprocess import CompletedProcess
from zoneinfo import ZoneInfo

import pytest

from carteiro.sender.history import StateStore
from carteiro.sender.smtp import (
    STAGE_AUTH,
    STAGE_BANNER,
    STAGE_CONNECT,
    STAGE_DATA,
    STAGE_EHLO,
    STAGE_MAIL_FROM,
    STAGE_QUIT,
    STAGE_RCPT_TO,
    STAGE_STARTTLS,
    STAGE_TLS,
    SmtpTestResult,
    Stage,
    run_smtp_test,
)
from tests.smtp_server import (
    LOCALHOST,
    SMTP_PASSWORD,
    SMTP_USER,
    Authenticator,
    Pki,
    RecordingHandler,
    closed_port,
    silent_server,
    smtp_server,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
TO = "cliente@exemplo.com.br"
FAST = 1.0  # seconds, for the tests that wait on purpose


@pytest.fixture(scope="module")
def pki() -> Pki:
    return Pki()


@pytest.fixture(scope="module")
def server_tls(pki: Pki) -> ssl.SSLContext:
    return pki.server_context()


def smtp(port: int, security: str, **kwargs: object) -> SmtpTestResult:
    """Run the test against 127.0.0.1 with the defaults the tests share."""
    kwargs.setdefault("to_addr", TO)
    kwargs.setdefault("from_addr", SMTP_USER)
    kwargs.setdefault("timeout", 5.0)
    kwargs.setdefault("local_hostname", "carteiro.local")
    return run_smtp_test(LOCALHOST, port, security, **kwargs)  # type: ignore[arg-type]


def with_auth(**kwargs: object) -> dict[str, object]:
    return {"user": SMTP_USER, "password": SMTP_PASSWORD, **kwargs}


def stage_names(result: SmtpTestResult) -> list[str]:
    return [stage.name for stage in result.stages]


def stage(result: SmtpTestResult, name: str) -> Stage:
    """The last stage called ``name``."""
    return [s for s in result.stages if s.name == name][-1]


def assert_failed(result: SmtpTestResult, name: str, *fragments: str) -> None:
    assert not result.ok, result.message
    assert result.failed_stage == name, (result.failed_stage, result.message)
    assert result.stages[-1].name in (name, STAGE_QUIT)
    failed = [s for s in result.stages if not s.ok]
    assert failed and failed[0].name == name
    for fragment in fragments:
        assert fragment in result.message, result.message


def assert_delivered(result: SmtpTestResult, handler: RecordingHandler) -> None:
    assert result.ok, result.message
    assert result.failed_stage is None
    assert all(stage.ok for stage in result.stages)
    assert "aceitou o e-mail de teste" in result.message
    assert len(handler.received) == 1
    received = handler.received[0]
    assert received.mail_from == SMTP_USER
    assert received.rcpt_tos == [TO]
    assert "Carteiro" in received.email["Subject"]
    assert "enviado pelo Carteiro" in received.body
    assert SMTP_USER in received.body
    assert "Enviado em:" in received.body


# --------------------------------------------------------------------------------------------
# Success


def test_plain_with_auth_delivers_and_warns() -> None:
    auth = Authenticator()
    with smtp_server(authenticator=auth, auth_require_tls=False) as (server, handler):
        result = smtp(server.port, "nenhuma", **with_auth())
    assert_delivered(result, handler)
    assert stage_names(result) == [
        STAGE_CONNECT, STAGE_BANNER, STAGE_EHLO, STAGE_AUTH,
        STAGE_MAIL_FROM, STAGE_RCPT_TO, STAGE_DATA, STAGE_QUIT,
    ]  # fmt: skip
    assert result.tls is None
    assert any("sem criptografia" in w for w in result.warnings)
    assert [s.code for s in result.stages[1:]] == [220, 250, 235, 250, 250, 250, 221]
    assert auth.mechanisms  # AUTH really happened


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_non_ascii_password_is_sent_as_utf8(mechanism: str) -> None:
    """A password with accents is sent as UTF-8 (RFC 4616; what ERPs and mail clients send), so
    the test checks the real password instead of failing on this side."""
    password = "Çedilha-São€ção"
    auth = Authenticator(password=password)
    with smtp_server(authenticator=auth, auth_require_tls=False) as (server, handler):
        result = smtp(server.port, "nenhuma", user=SMTP_USER, password=password,
                      auth_mechanism=mechanism)
    assert_delivered(result, handler)
    assert auth.mechanisms == [mechanism]
    assert password not in json.dumps(result.to_dict(), ensure_ascii=False)


def test_starttls_with_auth_delivers_with_verified_certificate(
    pki: Pki, server_tls: ssl.SSLContext
) -> None:
    with smtp_server(starttls=server_tls, authenticator=Authenticator()) as (server, handler):
        result = smtp(server.port, "tls", ssl_context=pki.client_context(), **with_auth())
    assert_delivered(result, handler)
    assert stage_names(result)[:6] == [
        STAGE_CONNECT, STAGE_BANNER, STAGE_EHLO, STAGE_STARTTLS, STAGE_EHLO, STAGE_AUTH,
    ]  # fmt: skip
    tls = result.tls
    assert tls is not None and tls.verified
    assert tls.protocol and tls.protocol.startswith("TLSv1")
    assert tls.cipher
    assert tls.subject and "trustme" in tls.subject
    assert tls.issuer and "Testing CA" in tls.issuer
    assert tls.not_after and tls.not_after.startswith("3000-01-01")
    assert "127.0.0.1" in tls.names
    assert result.warnings == ()
    assert any(line == "C: STARTTLS" for line in result.transcript)


def test_implicit_tls_with_auth_delivers(pki: Pki, server_tls: ssl.SSLContext) -> None:
    with smtp_server(
        implicit_tls=server_tls, authenticator=Authenticator(), auth_require_tls=False
    ) as (server, handler):
        result = smtp(server.port, "ssl", ssl_context=pki.client_context(), **with_auth())
    assert_delivered(result, handler)
    assert stage_names(result)[:4] == [STAGE_CONNECT, STAGE_TLS, STAGE_BANNER, STAGE_EHLO]
    assert STAGE_STARTTLS not in stage_names(result)
    assert result.tls is not None and result.tls.verified


def test_verification_opt_out_is_a_warning_and_still_shows_the_certificate(
    server_tls: ssl.SSLContext,
) -> None:
    # The test CA is not trusted by the default context: only the opt-out lets this through.
    with smtp_server(implicit_tls=server_tls) as (server, handler):
        result = smtp(server.port, "ssl", verify_tls=False)
    assert_delivered(result, handler)
    assert result.tls is not None and not result.tls.verified
    assert result.tls.not_after and result.tls.not_after.startswith("3000-01-01")
    assert any("verificação do certificado TLS está desativada" in w for w in result.warnings)


# --------------------------------------------------------------------------------------------
# Failures, one per cause


def test_wrong_password(pki: Pki, server_tls: ssl.SSLContext) -> None:
    with smtp_server(starttls=server_tls, authenticator=Authenticator()) as (server, handler):
        result = smtp(
            server.port, "tls", ssl_context=pki.client_context(),
            user=SMTP_USER, password="senha-errada",
        )  # fmt: skip
    assert_failed(result, STAGE_AUTH, "recusou o usuário ou a senha", "535")
    assert stage(result, STAGE_AUTH).code == 535
    assert result.stages[-1].name == STAGE_QUIT
    assert handler.received == []


def test_auth_offered_only_after_tls(server_tls: ssl.SSLContext) -> None:
    with smtp_server(starttls=server_tls, authenticator=Authenticator()) as (server, _):
        result = smtp(server.port, "nenhuma", **with_auth())
    assert_failed(result, STAGE_AUTH, "só oferece autenticação (AUTH) depois do STARTTLS")
    assert any("oferece STARTTLS" in w for w in result.warnings)


def test_auth_not_offered_at_all() -> None:
    with smtp_server() as (server, _):
        result = smtp(server.port, "nenhuma", **with_auth())
    assert_failed(result, STAGE_AUTH, "não oferece autenticação (AUTH) nesta porta")


def test_starttls_not_offered(pki: Pki) -> None:
    with smtp_server() as (server, _):
        result = smtp(server.port, "tls", ssl_context=pki.client_context(), **with_auth())
    assert_failed(result, STAGE_STARTTLS, "não oferece STARTTLS")
    assert STAGE_AUTH not in stage_names(result)


@pytest.mark.parametrize("security", ["tls", "ssl"])
def test_untrusted_certificate(security: str, server_tls: ssl.SSLContext) -> None:
    # Default verification (system CAs): the trustme CA is unknown.
    tls = {"starttls": server_tls} if security == "tls" else {"implicit_tls": server_tls}
    with smtp_server(**tls) as (server, handler):
        result = smtp(server.port, security)
    stage = STAGE_STARTTLS if security == "tls" else STAGE_TLS
    assert_failed(result, stage, "não é de uma autoridade confiável")
    assert handler.received == []
    # The certificate that was presented is shown, unverified.
    assert result.tls is not None and not result.tls.verified


def test_expired_certificate(pki: Pki) -> None:
    expired = pki.server_context(expired=True)
    with smtp_server(starttls=expired) as (server, _):
        result = smtp(server.port, "tls", ssl_context=pki.client_context())
    assert_failed(result, STAGE_STARTTLS, "expirou em 2021-01-01", "renová-lo")
    assert result.tls is not None and result.tls.not_after is not None
    assert result.tls.not_after.startswith("2021-01-01")


def test_wrong_host_name(pki: Pki) -> None:
    other_name = pki.server_context("smtp.outro-provedor.com.br")
    with smtp_server(implicit_tls=other_name) as (server, _):
        result = smtp(server.port, "ssl", ssl_context=pki.client_context())
    assert_failed(
        result, STAGE_TLS, "não vale para o nome '127.0.0.1'", "smtp.outro-provedor.com.br"
    )


def test_sender_refused() -> None:
    handler = RecordingHandler(mail_reply="553 5.7.1 Sender address rejected: not owned by user")
    with smtp_server(handler) as (server, _):
        result = smtp(server.port, "nenhuma")
    assert_failed(result, STAGE_MAIL_FROM, f"recusou o remetente {SMTP_USER}", "553")


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_authentication_required_before_mail_from() -> None:
    with smtp_server(auth_require_tls=False, auth_required=True) as (server, _):
        result = smtp(server.port, "nenhuma")
    assert_failed(result, STAGE_MAIL_FROM, "exige autenticação", "530")


def test_recipient_refused() -> None:
    handler = RecordingHandler(rcpt_reply="550 5.1.1 Mailbox does not exist")
    with smtp_server(handler) as (server, _):
        result = smtp(server.port, "nenhuma")
    assert_failed(result, STAGE_RCPT_TO, f"recusou o destinatário {TO}", "550 5.1.1")
    assert result.stages[-1].name == STAGE_QUIT  # the test still says goodbye
    assert STAGE_DATA not in stage_names(result)


def test_message_rejected_after_data() -> None:
    handler = RecordingHandler(data_reply="554 5.7.1 Mensagem rejeitada como spam")
    with smtp_server(handler) as (server, _):
        result = smtp(server.port, "nenhuma")
    assert_failed(result, STAGE_DATA, "recusou a mensagem depois de recebê-la", "554 5.7.1")
    assert stage(result, STAGE_DATA).code == 554
    assert "spam" in stage(result, STAGE_DATA).text


@pytest.mark.parametrize("offers_starttls", [False, True])
def test_ssl_spoken_to_a_plain_port(offers_starttls: bool, server_tls: ssl.SSLContext) -> None:
    starttls = server_tls if offers_starttls else None
    with smtp_server(starttls=starttls) as (server, _):
        result = smtp(server.port, "ssl", timeout=FAST)
    assert_failed(result, STAGE_TLS, "fala SMTP sem TLS implícito", "'tls'")
    assert stage_names(result) == [STAGE_CONNECT, STAGE_TLS]


def test_plain_spoken_to_an_implicit_tls_port(server_tls: ssl.SSLContext) -> None:
    with smtp_server(implicit_tls=server_tls) as (server, _):
        result = smtp(server.port, "tls", timeout=FAST)
    assert_failed(result, STAGE_BANNER, "espera SSL/TLS implícito", "'ssl'")


def test_server_that_never_answers() -> None:
    with silent_server() as port:
        result = smtp(port, "nenhuma", timeout=FAST)
    assert_failed(result, STAGE_BANNER, "não enviou a saudação SMTP (220) em 1 s")
    assert stage_names(result) == [STAGE_CONNECT, STAGE_BANNER]


def test_closed_port() -> None:
    result = smtp(closed_port(), "tls", timeout=FAST)
    assert_failed(result, STAGE_CONNECT, "foi recusada", "587")
    assert stage_names(result) == [STAGE_CONNECT]


def test_unknown_host() -> None:
    result = run_smtp_test("smtp.carteiro.invalid", 587, "tls", to_addr=TO, from_addr=SMTP_USER)
    assert_failed(result, STAGE_CONNECT, "Não foi possível encontrar o servidor")
    assert "smtp.carteiro.invalid" in result.message


# --------------------------------------------------------------------------------------------
# Credentials never leak


def secret_forms(user: str = SMTP_USER, password: str = SMTP_PASSWORD) -> list[str]:
    """The password in plain text and base64 (alone, and inside the AUTH PLAIN blob)."""
    forms = [password]
    for plain in (password, f"\0{user}\0{password}"):
        encoded = base64.b64encode(plain.encode()).decode()
        forms += [encoded, encoded.rstrip("=")]
    return forms


def assert_no_secret(text: str | bytes) -> None:
    data = text.encode() if isinstance(text, str) else text
    for form in secret_forms():
        assert form.encode() not in data, f"secret leaked: {form!r}"


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
@pytest.mark.parametrize("good_password", [True, False])
def test_credentials_never_in_transcript_nor_history(
    mechanism: str, good_password: bool, tmp_path: Path
) -> None:
    # The server echoes whatever credentials it receives in its failure reply.
    auth = Authenticator(echo=True, password=SMTP_PASSWORD if good_password else "outra")
    with smtp_server(authenticator=auth, auth_require_tls=False) as (server, _):
        result = smtp(server.port, "nenhuma", auth_mechanism=mechanism, **with_auth())
    assert auth.mechanisms == [mechanism]
    assert result.ok is good_password
    if not good_password:
        assert result.failed_stage == STAGE_AUTH
        # the echo really carried the secrets, and they were redacted
        assert "***" in stage(result, STAGE_AUTH).text
    auth_lines = [line for line in result.transcript if line.startswith("C: AUTH")]
    assert auth_lines == [f"C: AUTH {mechanism} ***"]
    assert_no_secret("\n".join(result.transcript))
    assert_no_secret(json.dumps(result.to_dict(), ensure_ascii=False))
    assert_no_secret(repr(result))

    store = StateStore(tmp_path / "state.sqlite")
    store.record_sender_test(result, source="sqlite:///erp.sqlite", sender_id=1)
    for file in tmp_path.iterdir():
        assert_no_secret(file.read_bytes())


# --------------------------------------------------------------------------------------------
# Arguments and serialisation


@pytest.mark.parametrize(
    ("override", "fragment"),
    [
        ({"security": "starttls"}, "Segurança desconhecida"),
        ({"host": "  "}, "Informe o servidor"),
        ({"port": 0}, "Porta inválida"),
        ({"port": 70000}, "Porta inválida"),
        ({"to_addr": "cliente-sem-arroba"}, "destinatário inválido"),
        ({"timeout": 0}, "Tempo limite inválido"),
        ({"user": SMTP_USER}, "Informe a senha"),
        ({"auth_mechanism": "XOAUTH2", "password": "x", "user": "u@x.com.br"}, "Método"),
    ],
)
def test_bad_arguments_raise_value_error_in_portuguese(
    override: dict[str, object], fragment: str
) -> None:
    arguments: dict[str, object] = {
        "host": "smtp.provedor.com.br",
        "port": 587,
        "security": "tls",
        "to_addr": TO,
        "from_addr": SMTP_USER,
    }
    arguments.update(override)
    with pytest.raises(ValueError, match=fragment) as raised:
        run_smtp_test(**arguments)  # type: ignore[arg-type]
    assert "\n" not in str(raised.value)


def test_security_word_is_normalised_and_from_defaults_to_user() -> None:
    with smtp_server(auth_require_tls=False, authenticator=Authenticator()) as (server, handler):
        result = run_smtp_test(
            LOCALHOST, server.port, " NENHUMA ", to_addr=TO, user=SMTP_USER,
            password=SMTP_PASSWORD, timeout=5, local_hostname="carteiro.local",
        )  # fmt: skip
    assert_delivered(result, handler)
    assert result.security == "nenhuma"
    assert result.from_addr == SMTP_USER


def test_result_is_frozen_and_serialisable() -> None:
    result = smtp(closed_port(), "nenhuma", timeout=FAST)
    data = json.loads(json.dumps(result.to_dict()))
    assert data["ok"] is False
    assert data["failed_stage"] == STAGE_CONNECT
    assert data["stages"][0]["name"] == STAGE_CONNECT
    assert data["stages"][0]["label"] == "Conexão"
    with pytest.raises(AttributeError):
        result.ok = True  # type: ignore[misc]


# --------------------------------------------------------------------------------------------
# CLI, through a real subprocess

HARNESS = (
    "import argparse, sys\n"
    "from carteiro.cli import sender as sender_cli\n"
    "parser = argparse.ArgumentParser(prog='carteiro')\n"
    "sub = parser.add_subparsers(dest='command', required=True)\n"
    "sender_cli.add_parser(sub)\n"
    "args = parser.parse_args(sys.argv[1:])\n"
    "sys.exit(args.func(args))\n"
)


CLI_COMMANDS = {"harness": [sys.executable, "-c", HARNESS]}
if (REPO_ROOT / "carteiro" / "__main__.py").exists():
    CLI_COMMANDS["python-m-carteiro"] = [sys.executable, "-m", "carteiro"]


@dataclass
class Cli:
    """Runs ``test-sender`` in a subprocess with its own state file and no CARTEIRO_* leaks."""

    command: list[str]
    state: Path

    def __call__(self, *arguments: str, password: str | None = None,
                 env_extra: dict[str, str] | None = None) -> CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CARTEIRO_")}
        env["CARTEIRO_STATE_DB"] = str(self.state)
        env["PYTHONIOENCODING"] = "utf-8"
        env.update(env_extra or {})
        if password is not None:
            env["CARTEIRO_SMTP_PASSWORD"] = password
        return subprocess.run(
            [*self.command, "test-sender", *arguments],
            capture_output=True, text=True, encoding="utf-8", env=env, cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL, timeout=60, check=False,
        )  # fmt: skip


@pytest.fixture(params=list(CLI_COMMANDS))
def cli(request: pytest.FixtureRequest, tmp_path: Path) -> Cli:
    """Every way to run the subcommand: the local harness and ``python -m carteiro``."""
    return Cli(CLI_COMMANDS[request.param], tmp_path / "state.sqlite")


@pytest.fixture
def main_cli(tmp_path: Path) -> Cli:
    """The real ``python -m carteiro`` when it exists, else the harness (for the many cases)."""
    return Cli(list(CLI_COMMANDS.values())[-1], tmp_path / "state.sqlite")


def test_cli_success_exit_0_without_password_in_output(
    cli: Cli, pki: Pki, server_tls: ssl.SSLContext, tmp_path: Path
) -> None:
    cafile = pki.write_ca(str(tmp_path / "ca.pem"))
    with smtp_server(starttls=server_tls, authenticator=Authenticator()) as (server, handler):
        done = cli(
            "--host", LOCALHOST, "--port", str(server.port), "--security", "tls",
            "--user", SMTP_USER, "--to", TO, "--cafile", cafile, "--timeout", "5",
            "--sender-id", "7", "--source", "postgresql://erp:dbsenha@db/hubsoft",
            password=SMTP_PASSWORD,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert len(handler.received) == 1
    out = done.stdout
    assert "✅ STARTTLS" in out and "✅ AUTH" in out and "235" in out
    assert "certificado verificado" in out
    assert "Transcrição:" in out and "C: AUTH PLAIN ***" in out
    assert_no_secret(done.stdout + done.stderr)
    assert "dbsenha" not in done.stdout + done.stderr
    history = StateStore(cli.state).recent_sender_tests("postgresql://erp@db/hubsoft")
    assert history["sender_id"].tolist() == [7]
    assert history["success"].tolist() == [True]
    assert_no_secret(cli.state.read_bytes())


def today_in_sao_paulo() -> date:
    return datetime.now(ZoneInfo("America/Sao_Paulo")).date()


def days_around(run: Callable[[], CompletedProcess[str]]) -> tuple[CompletedProcess[str], set]:
    """Run, and the São Paulo days it may have been recorded on (midnight may pass)."""
    before = today_in_sao_paulo()
    done = run()
    return done, {before, today_in_sao_paulo()}


def test_cli_failed_test_exit_1_and_recorded(cli: Cli, server_tls: ssl.SSLContext) -> None:
    """A server that answers and refuses AUTH: the failure counts for condition 2 from today."""
    with smtp_server(starttls=server_tls, authenticator=Authenticator()) as (server, _):
        done, days = days_around(lambda: cli(
            "--host", LOCALHOST, "--port", str(server.port), "--security", "tls",
            "--user", SMTP_USER, "--to", TO, "--insecure", "--timeout", "5",
            "--sender-id", "3", "--source", "manual", password="senha-errada",
        ))  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "❌ AUTH" in done.stdout
    assert "recusou o usuário ou a senha" in done.stdout
    assert "verificação do certificado TLS está desativada" in done.stdout
    assert "senha-errada" not in done.stdout + done.stderr
    failing = StateStore(cli.state).failing_since("manual")
    assert set(failing) == {3} and failing[3] in days
    assert (f"Condição 2: conta a partir de {failing[3]:%d/%m/%Y}: as faturas deste remetente "
            "com envio a partir desse dia contam como sem aviso.") in done.stdout


def test_cli_reach_failure_is_recorded_but_counts_only_when_confirmed(main_cli: Cli) -> None:
    """A closed port: the server was not reached, which may be this machine's network."""
    args = ("--host", LOCALHOST, "--port", str(closed_port()), "--security", "nenhuma",
            "--to", TO, "--from", SMTP_USER, "--timeout", "1", "--sender-id", "3",
            "--source", "manual")
    done = main_cli(*args)
    assert done.returncode == 1, done.stderr
    assert "❌ Conexão" in done.stdout
    assert "Condição 2: não conta: falha de conexão não confirmada" in done.stdout
    assert "--confirm-reach-failure" in done.stdout
    store = StateStore(main_cli.state)
    assert store.failing_since("manual") == {}
    latest = store.latest_test("manual", 3)
    assert latest is not None and latest.awaits_confirmation

    done, days = days_around(lambda: main_cli(*args, "--confirm-reach-failure"))
    assert done.returncode == 1, done.stderr
    failing = store.failing_since("manual")
    assert set(failing) == {3} and failing[3] in days
    assert (f"Condição 2: conta a partir de {failing[3]:%d/%m/%Y} (falha de conexão "
            "confirmada)") in done.stdout


def test_cli_success_clears_and_says_so(main_cli: Cli) -> None:
    store = StateStore(main_cli.state)
    main_cli("--host", LOCALHOST, "--port", str(closed_port()), "--security", "nenhuma",
             "--to", TO, "--from", SMTP_USER, "--timeout", "1", "--sender-id", "4",
             "--source", "manual", "--confirm-reach-failure")
    assert set(store.failing_since("manual")) == {4}
    with smtp_server() as (server, _):
        done = main_cli("--host", LOCALHOST, "--port", str(server.port), "--security",
                        "nenhuma", "--to", TO, "--from", SMTP_USER, "--timeout", "5",
                        "--sender-id", "4", "--source", "manual", "--record")
    assert done.returncode == 0, done.stderr
    assert "Condição 2: conta: remetente disponível" in done.stdout
    assert store.failing_since("manual") == {}


def test_cli_a_test_without_sender_id_never_counts(main_cli: Cli) -> None:
    done = main_cli("--host", LOCALHOST, "--port", str(closed_port()), "--security", "nenhuma",
                    "--to", TO, "--from", SMTP_USER, "--timeout", "1", "--source", "manual",
                    "--confirm-reach-failure")
    assert done.returncode == 1
    assert "Condição 2: não conta: servidor digitado à mão" in done.stdout
    assert StateStore(main_cli.state).failing_since("manual") == {}
    assert len(StateStore(main_cli.state).recent_sender_tests("manual")) == 1


def test_cli_unknown_time_zone_keeps_the_report_and_warns(main_cli: Cli) -> None:
    done = main_cli("--host", LOCALHOST, "--port", str(closed_port()), "--security", "nenhuma",
                    "--to", TO, "--from", SMTP_USER, "--timeout", "1", "--sender-id", "3",
                    "--source", "manual", env_extra={"CARTEIRO_TIMEZONE": "Marte/Olympus"})
    assert done.returncode == 1
    assert "❌ Conexão" in done.stdout
    assert "Traceback" not in done.stderr
    assert "não foi gravado" in done.stderr and "CARTEIRO_TIMEZONE" in done.stderr
    assert StateStore(main_cli.state).recent_sender_tests("manual").empty


def test_cli_no_record(cli: Cli) -> None:
    done = cli(
        "--host", LOCALHOST, "--port", str(closed_port()), "--security", "nenhuma",
        "--to", TO, "--from", SMTP_USER, "--timeout", "1", "--no-record",
    )  # fmt: skip
    assert done.returncode == 1
    assert "foi recusada" in done.stdout
    assert "Resultado não gravado (--no-record): não conta para a condição 2." in done.stdout
    assert StateStore(cli.state).recent_sender_tests("manual").empty


FLAGS = {"--record", "--no-record", "--confirm-reach-failure"}


@pytest.mark.parametrize(
    ("arguments", "fragment"),
    [
        (["--security", "starttls"], "Segurança desconhecida"),
        (["--port", "0"], "Porta inválida"),
        (["--to", "cliente-sem-arroba"], "destinatário inválido"),
        (["--user", SMTP_USER], "CARTEIRO_SMTP_PASSWORD"),
        (["--port", "abc"], "número inteiro inválido"),
        (["--no-record", "--confirm-reach-failure"], "--confirm-reach-failure"),
        (["--record", "--no-record"], "--no-record"),
    ],
)
def test_cli_bad_arguments_exit_2_with_one_line(
    main_cli: Cli, arguments: list[str], fragment: str
) -> None:
    base = {"--host": "smtp.provedor.com.br", "--port": "587", "--security": "tls", "--to": TO}
    flags = [a for a in arguments if a in FLAGS]
    values = [a for a in arguments if a not in FLAGS]
    base.update(dict(zip(values[::2], values[1::2], strict=True)))
    flat = [item for pair in base.items() for item in pair]
    done = main_cli(*flat, *flags, "--from", SMTP_USER)
    assert done.returncode == 2
    assert fragment in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
