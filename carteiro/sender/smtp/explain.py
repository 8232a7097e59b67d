"""The pt-BR explanations of a failed sender test: what the failure means and what to check.

Two kinds of text: :func:`error_summary`, the short text of the failed stage in the stage
table (the transcript keeps the technical error), and the message of the result, one per kind
of failure: a refusal by the server (:func:`refusal_message`), an exception during a stage
(:func:`error_message`; it may run a probe, see :mod:`carteiro.sender.smtp.probes`), a
certificate rejected (:func:`cert_message`), an extension the server does not offer, a limit
of the test reached (:func:`limit_message`: the deadline, a reply or the transcript too large).
"""

from __future__ import annotations

import smtplib
import socket
import ssl

from carteiro.sender.settings import SECURITY_NONE, SECURITY_SSL
from carteiro.sender.smtp.arguments import Params
from carteiro.sender.smtp.failures import exception_text, find_cause
from carteiro.sender.smtp.limits import (
    Deadline,
    DeadlineExceeded,
    LimitExceeded,
    ReplyTooLarge,
    seconds_text,
)
from carteiro.sender.smtp.probes import answers_tls, greets_in_plain
from carteiro.sender.smtp.result import (
    STAGE_AUTH,
    STAGE_BANNER,
    STAGE_CONNECT,
    STAGE_DATA,
    STAGE_EHLO,
    STAGE_LABELS,
    STAGE_MAIL_FROM,
    STAGE_RCPT_TO,
    STAGE_STARTTLS,
    STAGE_TLS,
    TlsInfo,
)
from carteiro.sender.smtp.transcript import decode

# OpenSSL verification codes (X509_V_ERR_*) that get a specific explanation.
_CERT_EXPIRED = 10
_CERT_NOT_YET_VALID = 9
_CERT_NAME_MISMATCH = frozenset({62, 64})  # host name, IP address
_CERT_UNTRUSTED = frozenset({2, 18, 19, 20, 21, 27})


def error_summary(exc: BaseException, timeout: float) -> str:
    """Short pt-BR text of a failed stage (the transcript keeps the technical error)."""
    if isinstance(
        exc, smtplib.SMTPResponseException | ssl.SSLCertVerificationError | LimitExceeded
    ):
        return exception_text(exc)
    known: tuple[tuple[type[BaseException], str], ...] = (
        (socket.gaierror, "nome não encontrado (DNS)"),
        (ConnectionRefusedError, "conexão recusada"),
        (TimeoutError, f"sem resposta em {seconds_text(timeout)}"),
        (ssl.SSLError, f"falha na negociação TLS: {exception_text(exc)}"),
        (ConnectionError, "conexão encerrada pelo servidor"),
        (smtplib.SMTPServerDisconnected, "conexão encerrada pelo servidor"),
    )
    for kind, text in known:
        if find_cause(exc, kind) is not None:
            return text
    return exception_text(exc)


def _reply(code: int, text: str) -> str:
    return f"{code} {text}".strip()


def cert_message(p: Params, error: ssl.SSLCertVerificationError, tls: TlsInfo | None) -> str:
    code = error.verify_code
    if code == _CERT_EXPIRED:
        when = f" em {tls.not_after[:10]}" if tls and tls.not_after else ""
        return (
            f"O certificado TLS do servidor {p.host} expirou{when}. O administrador do servidor "
            "de e-mail precisa renová-lo; até lá o envio com verificação de certificado falha."
        )
    if code == _CERT_NOT_YET_VALID:
        return (
            "O certificado TLS do servidor ainda não é válido (começa a valer no futuro). "
            "Confira a data e a hora desta máquina e do servidor."
        )
    if code in _CERT_NAME_MISMATCH:
        names = f" (ele vale para: {', '.join(tls.names)})" if tls and tls.names else ""
        return (
            f"O certificado TLS não vale para o nome {p.host!r}{names}. Use no remetente o "
            "nome do servidor que aparece no certificado, não um IP ou outro apelido."
        )
    if code in _CERT_UNTRUSTED:
        return (
            f"O certificado TLS do servidor não é de uma autoridade confiável "
            f"({error.verify_message}): é autoassinado ou de uma CA desconhecida. Instale no "
            "servidor um certificado de uma CA reconhecida ou, se a CA for interna, configure-a "
            "como confiável (opção --cafile)."
        )
    return f"O certificado TLS do servidor foi rejeitado: {error.verify_message or error}."


def _timeout_message(p: Params, stage: str) -> str:
    waited = seconds_text(p.timeout)
    if stage == STAGE_CONNECT:
        return (
            f"Sem resposta de {p.target} em {waited} ao abrir a conexão. Um firewall pode "
            "estar descartando o tráfego (muitas redes bloqueiam a porta 25), ou o host ou a "
            "porta estão errados."
        )
    if stage == STAGE_BANNER:
        return (
            f"O servidor {p.target} aceitou a conexão, mas não enviou a saudação SMTP (220) em "
            f"{waited}. Pode não ser um servidor de e-mail, estar sobrecarregado ou "
            "esperar SSL nessa porta (a 465 costuma ser SSL)."
        )
    return (
        f"O servidor parou de responder na etapa {STAGE_LABELS[stage]} ({waited} sem "
        "resposta). Tente de novo; se persistir, confira o servidor e a rede."
    )


def _hangup_message(p: Params, stage: str) -> str:
    if stage == STAGE_BANNER:
        return (
            f"O servidor {p.target} fechou a conexão sem enviar a saudação SMTP. Pode estar "
            "bloqueando o IP desta máquina, limitando conexões, ou esperar SSL nessa porta."
        )
    return (
        f"O servidor encerrou a conexão na etapa {STAGE_LABELS[stage]}. Confira os registros "
        "(logs) do servidor de e-mail; pode ser bloqueio do IP ou limite de conexões."
    )


def _expects_implicit_tls(p: Params, stage: str, deadline: Deadline) -> bool:
    """After a silent or closed banner on a plain connection: does the port want TLS first?"""
    return (
        stage == STAGE_BANNER
        and p.security != SECURITY_SSL
        and answers_tls(p.host, p.port, deadline)
    )


def _implicit_tls_hint(p: Params) -> str:
    return (
        f"O servidor {p.target} não fala SMTP sem criptografia nessa porta: ele espera "
        "SSL/TLS implícito (aceitou uma negociação TLS). Escolha a segurança 'ssl' (a porta 465 "
        "costuma ser SSL)."
    )


def _plain_smtp_hint(p: Params) -> str:
    return (
        f"A porta {p.port} de {p.host} fala SMTP sem TLS implícito, mas a segurança escolhida "
        "foi 'ssl'. Escolha 'tls' (STARTTLS, comum na porta 587) ou confira a porta (a de SSL "
        "costuma ser a 465)."
    )


def _handshake_message(
    p: Params, stage: str, error: BaseException, deadline: Deadline
) -> str:
    if stage == STAGE_TLS and greets_in_plain(p.host, p.port, deadline):
        return _plain_smtp_hint(p)
    reason = getattr(error, "reason", None) or exception_text(error)
    return (
        f"A negociação TLS com {p.target} falhou ({reason}). O servidor pode não falar TLS "
        "nessa porta ou exigir uma versão de TLS ou cifra incompatível."
    )


def _auth_message(p: Params, code: int, text: str) -> str:
    reply = _reply(code, text)
    if code == 538:
        return (
            f"O servidor exige criptografia para autenticar ({reply}). Escolha a segurança "
            "'tls' ou 'ssl' para este remetente."
        )
    if 400 <= code < 500:
        return f"Falha temporária na autenticação ({reply}). Tente de novo em alguns minutos."
    return (
        f"O servidor recusou o usuário ou a senha ({reply}). Confira o usuário (geralmente o "
        "e-mail completo) e a senha do remetente; no Gmail e no Microsoft 365 pode ser preciso "
        "uma senha de app ou liberar o SMTP autenticado na conta."
    )


def _auth_required(reply: str) -> str:
    return (
        f"O servidor exige autenticação antes de aceitar o e-mail ({reply}). Informe o usuário "
        "e a senha do remetente."
    )


def refusal_message(p: Params, stage: str, code: int, text: str) -> str:
    reply = _reply(code, text)
    temporary = 400 <= code < 500
    if stage == STAGE_BANNER:
        return (
            f"O servidor respondeu à conexão com {reply} em vez da saudação 220: recusou a "
            "sessão. Em geral o IP desta máquina está bloqueado ou há limite de conexões; "
            "confira com o administrador do servidor."
        )
    if stage == STAGE_EHLO:
        return f"O servidor recusou o EHLO ({reply}). Confira com o administrador do servidor."
    if stage == STAGE_STARTTLS:
        return (
            f"O servidor recusou o comando STARTTLS ({reply}). O TLS pode estar indisponível "
            "no servidor; confira com o administrador ou tente 'ssl' na porta 465."
        )
    if stage == STAGE_AUTH:
        return _auth_message(p, code, text)
    if stage in (STAGE_MAIL_FROM, STAGE_RCPT_TO) and code == 530:
        return _auth_required(reply)
    if temporary:
        return (
            f"O servidor adiou a etapa {STAGE_LABELS[stage]} com {reply} (falha temporária: "
            "limite de envio, greylisting ou problema no servidor). Tente de novo mais tarde."
        )
    if stage == STAGE_MAIL_FROM:
        return (
            f"O servidor recusou o remetente {p.from_addr} ({reply}). O endereço de origem "
            "precisa ser uma conta (ou alias) que o usuário autenticado pode usar, de um domínio "
            "que o servidor aceita."
        )
    if stage == STAGE_RCPT_TO:
        return (
            f"O servidor recusou o destinatário {p.to_addr} ({reply}). Confira o endereço; se "
            "ele é de outro domínio, o servidor pode estar negando o repasse (relay) — "
            "autentique-se com usuário e senha."
        )
    if stage == STAGE_DATA:
        return (
            f"O servidor recusou a mensagem depois de recebê-la (DATA: {reply}). Pode ser filtro "
            "antispam, política de conteúdo, limite de tamanho ou cota de envio; confira os "
            "registros (logs) do servidor de e-mail."
        )
    return f"O servidor recusou a etapa {STAGE_LABELS.get(stage, stage)} ({reply})."


def _connect_message(p: Params, exc: BaseException) -> str:
    if find_cause(exc, socket.gaierror) is not None:
        return (
            f"Não foi possível encontrar o servidor {p.host} (falha na resolução de nome, DNS). "
            "Confira se o host do remetente está escrito corretamente e se esta máquina tem "
            "DNS funcionando."
        )
    if find_cause(exc, ConnectionRefusedError) is not None:
        return (
            f"A conexão com {p.target} foi recusada: nenhum serviço escuta nessa porta, ou um "
            "firewall rejeitou a conexão. Confira a porta (587 para STARTTLS, 465 para SSL) e se "
            "o servidor de e-mail está no ar."
        )
    if find_cause(exc, TimeoutError) is not None:
        return _timeout_message(p, STAGE_CONNECT)
    return (
        f"Falha de rede ao conectar em {p.target}: {exception_text(exc)}. Confira a rede desta "
        "máquina até o servidor."
    )


def limit_message(p: Params, stage: str, limit: LimitExceeded) -> str:
    """A limit of the test was reached during ``stage``: which one, and what it suggests."""
    label = STAGE_LABELS.get(stage, stage)
    if isinstance(limit, DeadlineExceeded):
        return (
            f"O teste passou do prazo total de {seconds_text(limit.seconds)} na etapa {label} "
            f"e foi interrompido: o servidor {p.target} responde devagar demais ou não para de "
            "enviar dados. Tente de novo; se persistir, confira o servidor e a rede (o prazo "
            "total pode ser aumentado, opção --deadline)."
        )
    if isinstance(limit, ReplyTooLarge):
        return (
            f"A resposta do servidor {p.target} na etapa {label} passou do limite de "
            f"{limit.limit} e o teste foi interrompido. Um servidor SMTP responde com poucas "
            "linhas curtas: confira se a porta é mesmo a do servidor de e-mail."
        )
    return (
        f"A transcrição do diálogo com {p.target} passou do limite de {limit.limit} na etapa "
        f"{label} e o teste foi interrompido: o servidor envia respostas longas demais. "
        "Confira se a porta é mesmo a do servidor de e-mail."
    )


def error_message(p: Params, stage: str, exc: BaseException, deadline: Deadline) -> str:
    """Explain an exception raised during ``stage`` (never a server reply code).

    A probe made to explain it (see :mod:`carteiro.sender.smtp.probes`) obeys ``deadline``.
    """
    if isinstance(exc, LimitExceeded):
        return limit_message(p, stage, exc)
    if stage == STAGE_CONNECT:
        return _connect_message(p, exc)
    if isinstance(exc, smtplib.SMTPDataError) and stage == STAGE_DATA:
        reply = _reply(exc.smtp_code, decode(exc.smtp_error))
        return (
            f"O servidor recusou o comando DATA ({reply}), antes de receber a mensagem. "
            "Confira o remetente e o destinatário e os registros (logs) do servidor."
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        return refusal_message(p, stage, exc.smtp_code, decode(exc.smtp_error))
    if find_cause(exc, TimeoutError) is not None:
        if _expects_implicit_tls(p, stage, deadline):
            return _implicit_tls_hint(p)
        return _timeout_message(p, stage)
    tls_error = find_cause(exc, ssl.SSLError)
    if tls_error is not None and stage in (STAGE_TLS, STAGE_STARTTLS):
        return _handshake_message(p, stage, tls_error, deadline)
    if stage in (STAGE_TLS, STAGE_STARTTLS) and isinstance(exc, ConnectionError):
        return _handshake_message(p, stage, exc, deadline)
    if isinstance(exc, smtplib.SMTPServerDisconnected | ConnectionError):
        if _expects_implicit_tls(p, stage, deadline):
            return _implicit_tls_hint(p)
        return _hangup_message(p, stage)
    return (
        f"Erro inesperado na etapa {STAGE_LABELS.get(stage, stage)}: "
        f"{type(exc).__name__}: {exception_text(exc)}."
    )


def starttls_missing_message(p: Params) -> str:
    """Security ``tls`` chosen, but the EHLO reply does not offer STARTTLS."""
    return (
        f"O servidor {p.target} não oferece STARTTLS (não aparece na resposta ao "
        "EHLO). Se a porta for a 465, escolha 'ssl'; senão, confira se o servidor tem "
        "TLS habilitado. Com 'nenhuma', a senha iria sem criptografia."
    )


def auth_missing_message(p: Params, offers_starttls: bool) -> str:
    """A user was given, but the EHLO reply does not offer AUTH."""
    if p.security == SECURITY_NONE and offers_starttls:
        return (
            "O servidor só oferece autenticação (AUTH) depois do STARTTLS. Escolha a "
            "segurança 'tls' para este remetente."
        )
    return (
        "O servidor não oferece autenticação (AUTH) nesta porta. Confira a porta (para "
        "envio autenticado, 587 com 'tls' ou 465 com 'ssl') ou deixe o usuário em branco "
        "se o servidor libera o envio pelo IP."
    )


def mechanism_missing_message(wanted: list[str], offered: list[str]) -> str:
    """AUTH is offered, but none of the mechanisms the test can use."""
    return (
        f"O servidor não oferece o método de autenticação {' ou '.join(wanted)} "
        f"(oferece: {', '.join(offered) or 'nenhum'})."
    )
