"""The reason catalogue: the nine conditions of the contract, in order, and the data problems.

This is the one place that names a condition in Portuguese and says where in the ERP to fix
it; the engine, the CLI, the dashboard and the exports all read it from here.
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


SCOPE_LABELS: Final[dict[Scope, str]] = {
    Scope.GLOBAL: "Configuração geral",
    Scope.METHOD: "Forma de cobrança",
    Scope.INVOICE: "Fatura",
    Scope.SERVICE: "Serviço do cliente",
    Scope.RECIPIENT: "Contatos do cliente",
}


@dataclass(frozen=True)
class Reason:
    number: int
    code: str
    label: str
    explanation: str
    menu_path: str
    scope: Scope


REASONS: Final[tuple[Reason, ...]] = (
    Reason(
        1,
        "no_email_routine",
        "Sem rotina de envio de e-mail",
        "Não há rotina ativa de envio de e-mail de cobrança, então nenhum aviso é enviado "
        "a ninguém.",
        "Configuração > Geral > Rotinas",
        Scope.GLOBAL,
    ),
    Reason(
        2,
        "sender_unavailable",
        "Remetente indisponível",
        "O remetente de e-mail da forma de cobrança não existe, está inativo ou falhou no "
        "último teste de envio.",
        "Configuração > Geral > Remetente de Email > Ações > Testar",
        Scope.METHOD,
    ),
    Reason(
        3,
        "method_without_rules",
        "Forma de cobrança sem regras de e-mail",
        "A forma de cobrança da fatura não tem regra de envio de e-mail ativa (ou a fatura "
        "está em outra forma de cobrança, ou em nenhuma).",
        "Configuração > Financeiro > Forma de Cobrança > Ações > Editar > aba E-mail",
        Scope.METHOD,
    ),
    Reason(
        4,
        "invoice_outside_rules",
        "Fatura fora das regras de envio",
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
        "A fatura não aponta para um serviço do cliente, ou aponta para um serviço que não "
        "existe.",
        "Cliente > Serviço",
        Scope.SERVICE,
    ),
    Reason(
        6,
        "service_status_excluded",
        "Status do serviço fora do envio",
        "O status do serviço não está entre os «Status do Serviço para Envio» da forma de "
        "cobrança (por padrão, cancelado e inativo não recebem).",
        "Forma de Cobrança > Status do Serviço para Envio, ou o status do serviço",
        Scope.SERVICE,
    ),
    Reason(
        7,
        "service_blocks_email",
        "Serviço não permite e-mail",
        "A configuração do serviço que limita o envio de Email/SMS de cobrança não permite "
        "e-mail.",
        "Cliente > Serviço > Configurações",
        Scope.SERVICE,
    ),
    Reason(
        8,
        "no_contact_allows_email",
        "Nenhum contato permite e-mail",
        "Nem o cadastro do cliente nem nenhum dos seus contatos permite receber e-mail de "
        "cobrança.",
        "Cliente > Cadastro > Contato > Ações",
        Scope.RECIPIENT,
    ),
    Reason(
        9,
        "no_valid_email",
        "Nenhum e-mail válido",
        "Há contato que permite e-mail, mas nenhum dos que permitem tem um endereço válido.",
        "Cliente > Cadastro > Contato > Ações",
        Scope.RECIPIENT,
    ),
)

REASON_CODES: Final[tuple[str, ...]] = tuple(r.code for r in REASONS)
REASON_BY_CODE: Final[dict[str, Reason]] = {r.code: r for r in REASONS}
REASON_LABELS: Final[dict[str, str]] = {r.code: r.label for r in REASONS}
GLOBAL_FAULTS: Final[tuple[str, ...]] = ("no_email_routine", "sender_unavailable")

# Each condition phrased as what must hold (the checklist of one customer: ✅ next to
# «Sem rotina de envio» would read as if missing the routine were fine).
CHECK_LABELS: Final[dict[str, str]] = {
    "no_email_routine": "Rotina de envio de e-mail ativa",
    "sender_unavailable": "Remetente da forma de cobrança disponível",
    "method_without_rules": "Forma de cobrança com regra de e-mail ativa",
    "invoice_outside_rules": "Fatura dentro das regras de envio",
    "service_missing": "Fatura ligada a um serviço existente",
    "service_status_excluded": "Status do serviço entre os «Status do Serviço para Envio»",
    "service_blocks_email": "Serviço permite aviso por e-mail",
    "no_contact_allows_email": "Algum contato permite e-mail de cobrança",
    "no_valid_email": "Contato que permite e-mail tem endereço válido",
}
assert tuple(CHECK_LABELS) == REASON_CODES

COVERAGE_LABELS: Final[dict[str, str]] = {
    "covered": "Coberto",
    "partial": "Parcial",
    "not_covered": "Não coberto",
}
COVERAGE_ORDER: Final[tuple[str, ...]] = tuple(COVERAGE_LABELS)


class ProblemKind(StrEnum):
    DUPLICATE_ID = "duplicate_id"
    UNKNOWN_ID = "unknown_id"
    MISSING_DATE = "missing_date"
    UNREADABLE_DATE = "unreadable_date"
    UNKNOWN_VALUE = "unknown_value"
    NULL_FLAG = "null_flag"
    PAID_WITHOUT_DATE = "paid_without_date"
    FOREIGN_SERVICE = "service_of_other_customer"


PROBLEM_LABELS: Final[dict[str, str]] = {
    ProblemKind.DUPLICATE_ID: "Id duplicado",
    ProblemKind.UNKNOWN_ID: "Id inexistente",
    ProblemKind.MISSING_DATE: "Data ausente",
    ProblemKind.UNREADABLE_DATE: "Data ilegível",
    ProblemKind.UNKNOWN_VALUE: "Valor desconhecido",
    ProblemKind.NULL_FLAG: "Indicador ativo nulo",
    ProblemKind.PAID_WITHOUT_DATE: "Paga sem data de pagamento",
    ProblemKind.FOREIGN_SERVICE: "Serviço de outro cliente",
}

# Carteiro's table names (the query files) and the ERP screen or table they come from.
TABLE_LABELS: Final[dict[str, str]] = {
    "customers": "Clientes (cliente)",
    "recipients": "Contatos (cliente_contato / cliente)",
    "services": "Serviços (cliente_servico)",
    "service_statuses": "Status do serviço (servico_status)",
    "billing_methods": "Formas de cobrança (forma_cobranca)",
    "email_rules": "Regras de e-mail (forma_cobranca_regra_email)",
    "send_statuses": "Status do Serviço para Envio (forma_cobranca_status_envio)",
    "routines": "Rotinas (rotina)",
    "senders": "Remetentes de e-mail (remetente_email)",
    "invoices": "Faturas (fatura)",
}
