"""``carteiro test-sender``: the sender test from the command line.

The main CLI registers this subcommand with :func:`add_parser` and calls ``args.func(args)``.
Exit codes: 0 the test e-mail was accepted, 1 the test failed, 2 bad arguments.

The result is recorded in the test history (``--record``, the default; ``--no-record`` to
only look). Whether it counts for condition 2 follows :mod:`carteiro.sender.history`: a
failure to reach the server (``connect`` stage) is recorded as unconfirmed — it may be this
machine's network — unless ``--confirm-reach-failure`` says it reflects the ERP's sender. The
report ends saying whether, and from which day, the result counts for condition 2.

The SMTP password never comes from an argument (it would show in ``ps`` and in the shell
history): it is read from ``CARTEIRO_SMTP_PASSWORD`` or, when ``--user`` is given and stdin is
a terminal, asked with :func:`getpass.getpass`.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sqlite3
import sys
from typing import TYPE_CHECKING, TextIO

from carteiro.erp.source import resolve_source
from carteiro.errors import CarteiroError
from carteiro.sender.history import StateStore, source_key
from carteiro.sender.settings import (
    AUTH_MECHANISMS,
    DEFAULT_DEADLINE,
    DEFAULT_TIMEOUT,
    SECURITIES,
)

if TYPE_CHECKING:  # the SMTP dialogue is imported when a test runs, not for every command
    from carteiro.sender.history import RecordedTest
    from carteiro.sender.smtp import SmtpTestResult, TlsInfo

PASSWORD_ENV = "CARTEIRO_SMTP_PASSWORD"
MANUAL_SOURCE = "manual"
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
COMMAND = "test-sender"


def _int_arg(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"número inteiro inválido: {text!r}") from None


def _seconds_arg(text: str) -> float:
    try:
        return float(text.replace(",", "."))
    except ValueError:
        raise argparse.ArgumentTypeError(f"tempo em segundos inválido: {text!r}") from None


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``test-sender`` on the main CLI's subparsers (sets ``func=run``)."""
    parser = subparsers.add_parser(
        COMMAND,
        help="testa um remetente de e-mail (SMTP) e mostra onde e por que falha",
        description=(
            "Envia um e-mail de teste pelo servidor SMTP do remetente, como o botão "
            "«Remetente de Email > Ações > Testar» do ERP, e mostra cada etapa do diálogo, "
            "o certificado TLS, os avisos e a transcrição (sem a senha). A senha vem da "
            f"variável de ambiente {PASSWORD_ENV} ou é pedida no terminal."
        ),
    )
    _server_arguments(parser)
    _test_options(parser)
    _history_options(parser)
    parser.set_defaults(func=run)


def _server_arguments(parser: argparse.ArgumentParser) -> None:
    """Which server, as whom, to whom."""
    parser.add_argument("--host", required=True, metavar="HOST", help="servidor SMTP do remetente")
    parser.add_argument(
        "--port", required=True, type=_int_arg, metavar="PORTA", help="porta (ex.: 587, 465)"
    )
    parser.add_argument(
        "--security",
        required=True,
        metavar="{" + ",".join(SECURITIES) + "}",
        help="ssl = TLS implícito, tls = STARTTLS, nenhuma = sem criptografia",
    )
    parser.add_argument(
        "--user", metavar="USUÁRIO", help="usuário do SMTP autenticado (sem ele, não há AUTH)"
    )
    parser.add_argument("--from", dest="from_addr", metavar="ENDEREÇO", help="remetente")
    parser.add_argument(
        "--to", dest="to_addr", required=True, metavar="ENDEREÇO", help="destinatário do teste"
    )


def _test_options(parser: argparse.ArgumentParser) -> None:
    """Time limits, TLS and authentication of the test itself."""
    parser.add_argument(
        "--timeout",
        type=_seconds_arg,
        default=DEFAULT_TIMEOUT,
        metavar="SEGUNDOS",
        help=f"tempo limite de cada operação de rede (padrão: {DEFAULT_TIMEOUT:g})",
    )
    parser.add_argument(
        "--deadline",
        type=_seconds_arg,
        default=DEFAULT_DEADLINE,
        metavar="SEGUNDOS",
        help=(
            "prazo total do teste, da conexão ao QUIT, sondagens incluídas "
            f"(padrão: {DEFAULT_DEADLINE:g})"
        ),
    )
    parser.add_argument(
        "--insecure",
        action="store_true",
        help="não verifica o certificado TLS (aparece como aviso)",
    )
    parser.add_argument("--cafile", metavar="PEM", help="CA adicional confiável (arquivo PEM)")
    parser.add_argument(
        "--auth",
        dest="auth_mechanism",
        metavar="{" + ",".join(AUTH_MECHANISMS) + "}",
        help="força o método de autenticação (padrão: o melhor em comum com o servidor)",
    )


def _history_options(parser: argparse.ArgumentParser) -> None:
    """Whether and how the result is recorded for condition 2."""
    parser.add_argument(
        "--sender-id", type=_int_arg, metavar="ID", help="id do remetente no ERP (remetente_email)"
    )
    parser.add_argument(
        "--source",
        metavar="BANCO",
        help=(
            "banco do ERP a que o remetente pertence, para o histórico (padrão: o mesmo banco "
            "que o audit usa: CARTEIRO_DB_URL, secrets.toml ou o de demonstração)"
        ),
    )
    record = parser.add_mutually_exclusive_group()
    record.add_argument(
        "--record", dest="record", action="store_true", default=True,
        help="grava o resultado no histórico que a condição 2 lê (padrão)",
    )
    record.add_argument(
        "--no-record", dest="record", action="store_false",
        help="não grava o resultado no histórico (o teste não conta para a condição 2)",
    )
    parser.add_argument(
        "--confirm-reach-failure", action="store_true",
        help=(
            "se o servidor não for alcançado (nome não encontrado, conexão recusada, tempo "
            "esgotado), confirma que a falha reflete o remetente do ERP, e não a rede desta "
            "máquina: ela passa a contar para a condição 2. Sem esta opção, a falha fica no "
            "histórico, mas não conta"
        ),
    )


def _password(args: argparse.Namespace) -> str | None:
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env:
        return from_env
    if args.user and sys.stdin is not None and sys.stdin.isatty():
        return getpass.getpass(f"Senha SMTP de {args.user}: ")
    return None


def run(args: argparse.Namespace) -> int:
    """Run the test from parsed arguments, print the report, record it; return the exit code."""
    _tolerate_unencodable(sys.stdout)
    _tolerate_unencodable(sys.stderr)
    try:
        if args.confirm_reach_failure and not args.record:
            raise ValueError("--confirm-reach-failure só vale para um resultado gravado: "
                             "tire o --no-record.")
        password = _password(args)
        if args.user and password is None:
            raise ValueError(
                f"Informe a senha de {args.user} na variável de ambiente {PASSWORD_ENV} "
                "(ou rode num terminal para digitá-la)."
            )
        from carteiro.sender.smtp import run_smtp_test

        result = run_smtp_test(
            args.host,
            args.port,
            args.security,
            user=args.user,
            password=password,
            from_addr=args.from_addr,
            to_addr=args.to_addr,
            timeout=args.timeout,
            deadline=args.deadline,
            verify_tls=not args.insecure,
            cafile=args.cafile,
            auth_mechanism=args.auth_mechanism,
        )
    except ValueError as error:
        print(f"carteiro {COMMAND}: erro: {error}", file=sys.stderr)
        return EXIT_USAGE
    except (KeyboardInterrupt, EOFError):
        print(f"carteiro {COMMAND}: cancelado.", file=sys.stderr)
        return EXIT_USAGE
    print_report(result, sys.stdout)
    if args.record:
        _record(result, args.source, args.sender_id, args.confirm_reach_failure)
    else:
        print("\nResultado não gravado (--no-record): não conta para a condição 2.")
    return EXIT_OK if result.ok else EXIT_FAILED


def _default_source() -> str:
    """The ERP database the audit would read, so a recorded test counts for condition 2."""
    try:
        return resolve_source().url
    except CarteiroError as error:
        print(f"Aviso: {error}; o teste fica no histórico como {MANUAL_SOURCE!r}.", file=sys.stderr)
        return MANUAL_SOURCE


def _record(result: SmtpTestResult, source: str | None, sender_id: int | None,
            confirm_reach_failure: bool) -> None:
    source = source or _default_source()
    try:
        store = StateStore()
        record = store.record_sender_test(result, source=source, sender_id=sender_id,
                                          reach_confirmed=confirm_reach_failure)
    except (OSError, sqlite3.Error, CarteiroError) as error:
        print(f"Aviso: o resultado não foi gravado no histórico ({error}).", file=sys.stderr)
        return
    who = f"remetente {sender_id}" if sender_id is not None else "teste avulso"
    print(f"\nResultado gravado no histórico ({who}, origem {source_key(source)}).")
    print(f"Condição 2: {condition_2_note(record)}")


def condition_2_note(record: RecordedTest) -> str:
    """Whether a recorded test counts for condition 2, from when, and what to do if not."""
    from carteiro.views.sender_test import condition_2_label

    label = condition_2_label(record)
    if record.sender_id is None:
        return f"{label} (informe --sender-id para testar um remetente do ERP)."
    if record.awaits_confirmation:
        return (f"{label} (o servidor não foi alcançado, o que pode ser a rede desta máquina). "
                "Se a falha reflete o remetente do ERP, confirme no painel (Configuração > "
                "Testar remetente) ou teste de novo com --confirm-reach-failure.")
    if record.ok:
        return f"{label} (o teste bem-sucedido limpa falhas anteriores)."
    return (f"{label}: as faturas deste remetente com envio a partir desse dia contam como sem "
            "aviso.")


def _tolerate_unencodable(stream: TextIO) -> None:
    """Keep ✅/❌ from crashing a terminal whose encoding lacks them (e.g. cp1252)."""
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None:
        reconfigure(errors="replace")


def print_report(result: SmtpTestResult, out: TextIO) -> None:
    """Human-readable report: header, stages, TLS, warnings, verdict and transcript."""
    print(
        f"Teste do remetente {result.from_addr} -> {result.to_addr} via "
        f"{result.host}:{result.port} (segurança: {result.security})",
        file=out,
    )
    print("", file=out)
    for stage in result.stages:
        mark = "✅" if stage.ok else "❌"
        code = "" if stage.code is None else str(stage.code)
        text = " | ".join(stage.text.splitlines())
        line = f"{mark} {stage.label:<10} {stage.elapsed_ms:>8.1f} ms  {code:>3}  {text}"
        print(line.rstrip(), file=out)
    if result.tls is not None:
        _print_tls(result.tls, out)
    if result.warnings:
        print("\nAvisos:", file=out)
        for warning in result.warnings:
            print(f"  ⚠️  {warning}", file=out)
    print("", file=out)
    if result.ok:
        print(f"✅ Sucesso: {result.message}", file=out)
    else:
        label = next((s.label for s in result.stages if s.name == result.failed_stage), "")
        print(f"❌ Falhou na etapa {label or result.failed_stage}: {result.message}", file=out)
    print("\nTranscrição:", file=out)
    for line in result.transcript:
        print(f"  {line}", file=out)


def _print_tls(tls: TlsInfo, out: TextIO) -> None:
    verified = "verificado" if tls.verified else "NÃO verificado"
    summary = f"{tls.protocol or '?'}, cifra {tls.cipher or '?'}, certificado {verified}"
    print(f"\nTLS: {summary}", file=out)
    details = (
        ("Titular", tls.subject),
        ("Emissor", tls.issuer),
        ("Válido até", tls.not_after),
        ("Nomes", ", ".join(tls.names) or None),
    )
    for name, value in details:
        if value:
            print(f"  {name}: {value}", file=out)
