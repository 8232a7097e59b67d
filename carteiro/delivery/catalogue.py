"""The delivery catalogue: each delivery status and each error kind of the contract's send-log
section, in its order, with its pt-BR label, what it means and where to look or fix it; and the
alert of a day without sends.

It sits beside the nine reasons (:mod:`carteiro.rules.catalogue`) rather than inside that
module: the nine conditions say whether a notice *should* go out and are the eligibility
engine's vocabulary; these say what the ERP's routine *did*, a separate table of the contract
with its own order. Keeping them apart keeps ``carteiro.rules`` free of the send log (the
arrows point ``delivery → rules → erp``), and the CLI, the ``check`` command and a dashboard
page all read the words from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class Entry:
    """One line of a catalogue table: its code, pt-BR label, meaning and where to act."""

    number: int
    code: str
    label: str
    meaning: str
    where: str


ROUTINES_MENU: Final = "Configuração > Geral > Rotinas"
SENDER_MENU: Final = "Configuração > Geral > Remetente de Email > Ações > Testar"
CONTACT_MENU: Final = "Cliente > Cadastro > Contato > Ações"

DELIVERY_STATUSES: Final[tuple[Entry, ...]] = (
    Entry(1, "sent", "Enviada",
          "Elegível, e o log do ERP tem ao menos um envio aceito pelo servidor de e-mail "
          "(aceito pelo servidor, não necessariamente lido pelo cliente).",
          "Nada a corrigir no ERP; se o cliente diz que não recebeu, peça que confira a caixa "
          "de spam e o endereço cadastrado."),
    Entry(2, "scheduled", "Agendada",
          "Elegível, e nenhuma das suas datas de envio chegou ainda.",
          "Nada a fazer por enquanto: a rotina envia nas datas previstas."),
    Entry(3, "failed", "Falhou",
          "Elegível; a rotina tentou enviar, mas nenhuma tentativa foi aceita pelo servidor "
          "de e-mail (veja o tipo de erro da última tentativa).",
          "Depende do tipo de erro: remetente, contato do cliente ou servidor de e-mail."),
    Entry(4, "missing", "Não enviada",
          "Elegível e com envio previsto já vencido, mas o log não tem nenhuma tentativa: a "
          "rotina não tentou enviar.",
          f"{ROUTINES_MENU} (a rotina rodou nesses dias?), e o log de envios do ERP."),
    Entry(5, "sent_while_ineligible", "Enviada sem ser elegível",
          "Não passa nas nove condições hoje, mas o log tem um envio aceito: a configuração "
          "mudou depois do envio, ou o ERP segue uma regra que os dados não mostram.",
          "Compare o motivo da fatura com a data do envio (o que mudou depois dele?)."),
    Entry(6, "not_expected", "Sem envio previsto",
          "Não elegível, e nenhum envio aceito no log: nenhum aviso era esperado.",
          "Onde o motivo principal da fatura indica."),
)

ERROR_KINDS: Final[tuple[Entry, ...]] = (
    Entry(1, "auth_failed", "Falha de autenticação",
          "O servidor recusou o login do remetente: a senha ou o usuário do remetente estão "
          "errados.", SENDER_MENU),
    Entry(2, "recipient_unknown", "Destinatário inexistente",
          "O endereço de destino não existe: corrija o contato do cliente.", CONTACT_MENU),
    Entry(3, "mailbox_full", "Caixa cheia",
          "A caixa postal do cliente está cheia.",
          f"Avise o cliente por outro canal, ou cadastre outro endereço ({CONTACT_MENU})."),
    Entry(4, "rejected_policy", "Recusado por política ou spam",
          "O servidor do cliente recusou a mensagem como spam ou por política: confira SPF, "
          "DKIM e DMARC do domínio do remetente e a sua reputação.",
          "DNS do domínio do remetente (SPF, DKIM, DMARC); Configuração > Geral > "
          "Remetente de Email"),
    Entry(5, "invalid_address", "Endereço inválido",
          "O endereço de destino está malformado.", CONTACT_MENU),
    Entry(6, "temporary", "Recusa temporária",
          "Recusa temporária do servidor: a próxima execução da rotina pode conseguir.",
          f"Acompanhe as próximas execuções ({ROUTINES_MENU})."),
    Entry(7, "connection", "Falha de conexão",
          "O ERP não conseguiu falar com o seu servidor de e-mail (tempo esgotado, conexão "
          "recusada).",
          "Configuração > Geral > Remetente de Email (servidor, porta, segurança) e a rede "
          "do servidor do ERP"),
    Entry(8, "other", "Outro erro",
          "Mensagem de erro não reconhecida, ou tentativa sem mensagem.",
          "Leia a mensagem de erro no log de envios do ERP."),
)

DAY_WITHOUT_SENDS: Final = Entry(
    0, "day_without_sends", "Dia sem envios",
    "Havia avisos de cobrança previstos para o dia e o log não tem nenhuma tentativa (nem "
    "falha): a rotina não rodou, ou não conseguiu tentar nada.",
    ROUTINES_MENU,
)

DELIVERY_CODES: Final[tuple[str, ...]] = tuple(e.code for e in DELIVERY_STATUSES)
DELIVERY_BY_CODE: Final[dict[str, Entry]] = {e.code: e for e in DELIVERY_STATUSES}
DELIVERY_LABELS: Final[dict[str, str]] = {e.code: e.label for e in DELIVERY_STATUSES}
ERROR_KIND_CODES: Final[tuple[str, ...]] = tuple(e.code for e in ERROR_KINDS)
ERROR_KIND_BY_CODE: Final[dict[str, Entry]] = {e.code: e for e in ERROR_KINDS}
ERROR_KIND_LABELS: Final[dict[str, str]] = {e.code: e.label for e in ERROR_KINDS}

SENT, SCHEDULED, FAILED, MISSING, SENT_WHILE_INELIGIBLE, NOT_EXPECTED = DELIVERY_CODES
OTHER: Final = ERROR_KIND_CODES[-1]
