"""The reason catalogue: the conditions of the contract, in order, with their pt-BR label,
what must hold (the checklist), what a failure means, where in the ERP to fix it, and scope.

This is the one place that names a condition in Portuguese and says where in the ERP to fix
it; the engine, the CLI, the dashboard and the exports all read it from here. (The data
problems' kinds live with the data, in :mod:`carteiro.erp.problems`.)
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Final


class Scope(StrEnum):
    GLOBAL = "global"
    METHOD = "billing_method"
    INVOICE = "invoice"
    SERVICE = "service"
    RECIPIENT = "recipient"


@dataclass(frozen=True)
class Reason:
    number: int
    code: str
    label: str  # what fails, as a reason («Sem rotina de envio de e-mail»)
    check_label: str  # what must hold, for a checklist (✅ next to a failure would mislead)
    explanation: str
    menu_path: str
    scope: Scope


REASONS: Final[tuple[Reason, ...]] = (
    Reason(
        1,
        "no_email_routine",
        "Sem rotina de envio de e-mail",
        "Rotina de envio de e-mail ativa",
        "Não há rotina ativa de envio de e-mail de cobrança, então nenhum aviso é enviado "
        "a ninguém.",
        "Configuração > Geral > Rotinas",
        Scope.GLOBAL,
    ),
    Reason(
        2,
        "sender_unavailable",
        "Remetente indisponível",
        "Remetente da forma de cobrança disponível",
        "O remetente de e-mail da forma de cobrança não existe, está inativo ou falhou no "
        "último teste de envio que conta (a fatura tem envio a partir do dia do teste).",
        "Configuração > Geral > Remetente de Email > Ações > Testar",
        Scope.METHOD,
    ),
    Reason(
        3,
        "method_without_rules",
        "Forma de cobrança sem regras de e-mail",
        "Forma de cobrança com regra de e-mail ativa",
        "A forma de cobrança da fatura não tem regra de envio de e-mail ativa (ou a fatura "
        "está em outra forma de cobrança, ou em nenhuma).",
        "Configuração > Financeiro > Forma de Cobrança > Ações > Editar > aba E-mail",
        Scope.METHOD,
    ),
    Reason(
        4,
        "invoice_outside_rules",
        "Fatura fora das regras de envio",
        "Fatura dentro das regras de envio",
        "A forma de cobrança tem regras, mas nenhuma se aplica a esta fatura (por exemplo, "
        "foi paga antes da primeira data de envio).",
        "Configuração > Financeiro > Forma de Cobrança > Ações > Editar > aba E-mail; "
        "e a própria fatura",
        Scope.INVOICE,
    ),
    Reason(
        5,
        "service_missing",
        "Fatura sem serviço",
        "Fatura ligada a um serviço existente",
        "A fatura não aponta para um serviço do cliente, ou aponta para um serviço que não "
        "existe.",
        "Cliente > Serviço",
        Scope.SERVICE,
    ),
    Reason(
        6,
        "service_status_excluded",
        "Status do serviço fora do envio",
        "Status do serviço entre os «Status do Serviço para Envio»",
        "O status do serviço não está entre os «Status do Serviço para Envio» da forma de "
        "cobrança (por padrão, cancelado e inativo não recebem).",
        "Forma de Cobrança > Status do Serviço para Envio, ou o status do serviço",
        Scope.SERVICE,
    ),
    Reason(
        7,
        "service_blocks_email",
        "Serviço não permite e-mail",
        "Serviço permite aviso por e-mail",
        "A configuração do serviço que limita o envio de Email/SMS de cobrança não permite "
        "e-mail.",
        "Cliente > Serviço > Configurações",
        Scope.SERVICE,
    ),
    Reason(
        8,
        "no_contact_allows_email",
        "Nenhum contato permite e-mail",
        "Algum contato permite e-mail de cobrança",
        "Nem o cadastro do cliente nem nenhum dos seus contatos permite receber e-mail de "
        "cobrança.",
        "Cliente > Cadastro > Contato > Ações",
        Scope.RECIPIENT,
    ),
    Reason(
        9,
        "no_valid_email",
        "Nenhum e-mail válido",
        "Contato que permite e-mail tem endereço válido",
        "Há contato que permite e-mail, mas nenhum dos que permitem tem um endereço válido.",
        "Cliente > Cadastro > Contato > Ações",
        Scope.RECIPIENT,
    ),
)

REASON_CODES: Final[tuple[str, ...]] = tuple(r.code for r in REASONS)
REASON_BY_CODE: Final[dict[str, Reason]] = {r.code: r for r in REASONS}
REASON_LABELS: Final[dict[str, str]] = {r.code: r.label for r in REASONS}

_NUMBER_WORDS: Final = ("zero", "uma", "duas", "três", "quatro", "cinco", "seis", "sete", "oito",
                        "nove", "dez", "onze", "doze")
CONDITION_COUNT: Final = len(REASONS)
CONDITIONS_IN_WORDS: Final = (
    f"{_NUMBER_WORDS[CONDITION_COUNT]} condições" if len(_NUMBER_WORDS) > CONDITION_COUNT
    else f"{CONDITION_COUNT} condições"
)
"""«nove condições»: how the UI names the checklist, derived from the catalogue."""

COVERAGE_LABELS: Final[dict[str, str]] = {
    "covered": "Coberto",
    "partial": "Parcial",
    "not_covered": "Não coberto",
}
COVERAGE_ORDER: Final[tuple[str, ...]] = tuple(COVERAGE_LABELS)
