"""Column names of every frame Carteiro builds: named here once, used everywhere.

The ``queries/*.sql`` files rename the ERP's columns into the names of the ``*In`` classes;
the engine adds the derived columns of the other classes. ``QUERY_COLUMNS`` lists, per query
file, the columns Carteiro needs from it (a provider's edited query must still return them).
"""

from typing import Final


class CustomerIn:
    ID: Final = "customer_id"
    NAME: Final = "name"
    DOCUMENT: Final = "document"
    CITY: Final = "city"
    ACTIVE: Final = "active"


class RecipientIn:
    ORIGIN: Final = "origin"  # 'cadastro_cliente' (the customer record) | 'contato'
    ID: Final = "recipient_id"
    CUSTOMER_ID: Final = "customer_id"
    NAME: Final = "name"
    EMAIL: Final = "email"
    ALLOWS_EMAIL: Final = "allows_email"


class Recipient(RecipientIn):
    VALID_EMAIL: Final = "valid_email"


class ServiceIn:
    ID: Final = "service_id"
    CUSTOMER_ID: Final = "customer_id"
    STATUS_ID: Final = "status_id"
    PLAN: Final = "plan"
    BILLING_NOTICE: Final = "billing_notice"  # envio_cobranca


class Service(ServiceIn):
    STATUS: Final = "service_status"  # normalised prefix, NA when the status id is unknown
    BLOCKS_EMAIL: Final = "blocks_email"


class ServiceStatusIn:
    ID: Final = "status_id"
    DESCRIPTION: Final = "description"
    PREFIX: Final = "prefix"


class ServiceStatus(ServiceStatusIn):
    STATUS: Final = "service_status"  # normalised prefix


class MethodIn:
    ID: Final = "method_id"
    DESCRIPTION: Final = "description"
    SENDER_ID: Final = "sender_id"
    ACTIVE: Final = "active"


class Method(MethodIn):
    SENDER_UNREADABLE: Final = "sender_id_unreadable"  # names a sender by an unreadable id
    EFFECTIVE_SENDER_ID: Final = "effective_sender_id"
    SENDER_AVAILABLE: Final = "sender_available"
    SENDER_ACTIVE: Final = "sender_active"  # the effective sender exists and is active
    SENDER_FAILING_SINCE: Final = "sender_failing_since"  # see Sender.FAILING_SINCE
    ACTIVE_RULES: Final = "active_rules"
    FIRST_OFFSET: Final = "first_offset"
    EXPLICIT_STATUSES: Final = "explicit_statuses"


class RuleIn:
    ID: Final = "rule_id"
    METHOD_ID: Final = "method_id"
    DAYS: Final = "days_offset"
    SUBJECT: Final = "subject"
    ACTIVE: Final = "active"


class SendStatusIn:
    METHOD_ID: Final = "method_id"
    STATUS_ID: Final = "status_id"


class SendStatus(SendStatusIn):
    STATUS: Final = "service_status"


class RoutineIn:
    ID: Final = "routine_id"
    KIND: Final = "kind"
    TIME: Final = "time_of_day"
    ACTIVE: Final = "active"


class SenderIn:
    ID: Final = "sender_id"
    DESCRIPTION: Final = "description"
    HOST: Final = "host"
    PORT: Final = "port"
    SECURITY: Final = "security"
    USERNAME: Final = "username"
    FROM_ADDRESS: Final = "from_address"
    INTERVAL_SECONDS: Final = "interval_seconds"
    IS_DEFAULT: Final = "is_default"
    ACTIVE: Final = "active"


class Sender(SenderIn):
    LAST_TEST_FAILED: Final = "last_test_failed"  # its latest counting test failed
    FAILING_SINCE: Final = "failing_since"  # the day that test speaks from (NaT: none)
    AVAILABLE: Final = "available"  # active, and its latest counting test did not fail


class InvoiceIn:
    ID: Final = "invoice_id"
    CUSTOMER_ID: Final = "customer_id"
    SERVICE_ID: Final = "service_id"
    METHOD_ID: Final = "method_id"
    DUE_DATE: Final = "due_date"
    AMOUNT: Final = "amount"
    STATUS: Final = "status"
    PAID_ON: Final = "paid_on"


#: An optional column of a dialect's copy of ``invoices.sql``: the row's place in the table
#: (SQLite's rowid), so a repeated invoice id keeps the table's first row
#: (:func:`carteiro.erp.load.in_table_order`). Never part of the normalised invoices.
INVOICE_ROW_ORDER: Final = "row_order"


class Invoice(InvoiceIn):
    """The audited invoice table: one row per invoice in scope."""

    UNPAID: Final = "unpaid"
    SENDER_ID: Final = "sender_id"
    SERVICE_STATUS: Final = "service_status"
    ELIGIBLE: Final = "eligible"
    PRIMARY_REASON: Final = "primary_reason"
    REASONS: Final = "reasons"
    REASON_MASK: Final = "reason_mask"


class CustomerAudit:
    """The audited customer table: one row per customer in scope."""

    ID: Final = CustomerIn.ID
    NAME: Final = CustomerIn.NAME
    DOCUMENT: Final = CustomerIn.DOCUMENT
    CITY: Final = CustomerIn.CITY
    ACTIVE: Final = CustomerIn.ACTIVE
    INVOICES: Final = "invoices"
    ELIGIBLE_INVOICES: Final = "eligible_invoices"
    STATUS: Final = "status"  # covered | partial | not_covered
    PRIMARY_REASON: Final = Invoice.PRIMARY_REASON
    REASONS: Final = Invoice.REASONS
    REASON_MASK: Final = Invoice.REASON_MASK
    AMOUNT_WITHOUT_NOTICE: Final = "open_amount_without_notice"


class EmailLogIn:
    ID: Final = "log_id"
    CUSTOMER_ID: Final = "customer_id"
    INVOICE_ID: Final = "invoice_id"
    ADDRESS: Final = "address"
    DOCUMENT_TYPE: Final = "document_type"
    SENT_AT: Final = "sent_at"
    ACCEPTED: Final = "accepted"
    ERROR: Final = "error_message"


class SendDate:
    """Expected send dates: one row per (invoice, active rule of its billing method)."""

    INVOICE_ID: Final = Invoice.ID
    RULE_ID: Final = RuleIn.ID
    DAYS: Final = RuleIn.DAYS
    SUBJECT: Final = RuleIn.SUBJECT
    SEND_DATE: Final = "send_date"
    FIRES: Final = "fires"


class PlanStep:
    """The fix plan (``carteiro plan``): one row per correction, in the order to apply them.

    The ``*_gained`` columns are the step's own gain given the steps before it (may be negative
    when a correction costs more than it gives); ``customers_covered_after`` and
    ``coverage_after`` (a fraction of the customers in scope, 0–1) are cumulative."""

    STEP: Final = "step"
    CORRECTION: Final = "correction"  # the correction's kind (e.g. ``fix_sender``)
    CONDITION: Final = "condition"  # the code of the condition it fixes
    OBJECT_ID: Final = "object_id"  # the ERP object (sender, billing method…); empty for lists
    OBJECTS: Final = "objects"  # how many objects it touches (1, or a list's length)
    ACTION: Final = "action"  # pt-BR: what to do
    ERP_PATH: Final = "erp_path"  # where in the ERP (the catalogue's menu path)
    INVOICES_GAINED: Final = "invoices_gained"
    CUSTOMERS_GAINED: Final = "customers_gained"
    AMOUNT_GAINED: Final = "amount_gained"  # open amount (R$) whose notice now goes out
    CUSTOMERS_COVERED_AFTER: Final = "customers_covered_after"
    COVERAGE_AFTER: Final = "coverage_after"


class WhatIfReasons:
    """The reasons chart, now and simulated: one row per condition, in the contract's order."""

    CODE: Final = "code"
    INVOICES_NOW: Final = "invoices_now"
    INVOICES_SIMULATED: Final = "invoices_simulated"
    CUSTOMERS_NOW: Final = "customers_now"
    CUSTOMERS_SIMULATED: Final = "customers_simulated"


class SendLog:
    """The send log of the invoices in scope, normalised (``carteiro.delivery.send_log``): the
    rows of type ``fatura`` with a readable send date, one per log id."""

    ID: Final = EmailLogIn.ID  # NA when the ERP's row has no (readable) id
    INVOICE_ID: Final = EmailLogIn.INVOICE_ID
    CUSTOMER_ID: Final = EmailLogIn.CUSTOMER_ID
    ADDRESS: Final = EmailLogIn.ADDRESS
    SENT_ON: Final = "sent_on"  # the date part of data_envio, as written
    ACCEPTED: Final = EmailLogIn.ACCEPTED  # False also when null or an unknown spelling
    ERROR: Final = EmailLogIn.ERROR
    ERROR_KIND: Final = "error_kind"  # NA on accepted rows
    COUNTED: Final = "counted"  # dated before the as-of date


class ExpectedSend:
    """Expected sends: one row per eligible invoice and distinct send date of a firing rule."""

    INVOICE_ID: Final = Invoice.ID
    SEND_DATE: Final = SendDate.SEND_DATE
    DUE: Final = "due"  # before the as-of date (else scheduled)


class DeliveryInvoice:
    """The delivery table: one row per invoice in scope (``carteiro.delivery``)."""

    ID: Final = Invoice.ID
    CUSTOMER_ID: Final = Invoice.CUSTOMER_ID
    ELIGIBLE: Final = Invoice.ELIGIBLE
    STATUS: Final = "delivery"
    ERROR_KIND: Final = SendLog.ERROR_KIND  # NA unless failed
    PRIMARY_REASON: Final = Invoice.PRIMARY_REASON
    DUE_DATE: Final = Invoice.DUE_DATE
    EXPECTED_SENDS: Final = "expected_sends"  # ISO dates joined by ';'
    DUE_SENDS: Final = "due_sends"
    LOG_ROWS: Final = "log_rows"  # counted log rows
    ACCEPTED_ROWS: Final = "accepted_rows"
    LAST_LOG_DATE: Final = "last_log_date"
    LAST_LOG_ADDRESS: Final = "last_log_address"
    LAST_LOG_MESSAGE: Final = "last_log_message"


class DeliveryDay:
    """Per day: expected sends against the counted log rows (``Delivery.days``)."""

    DAY: Final = "day"
    EXPECTED: Final = "expected"  # expected sends (eligible invoices) on that day
    DUE: Final = ExpectedSend.DUE
    SENT: Final = "sent"  # counted log rows accepted that day
    FAILED: Final = "failed"  # counted log rows not accepted that day
    WITHOUT_SENDS: Final = "without_sends"


class FailingAddress:
    """Addresses that keep failing (``carteiro.delivery.Delivery.failing_addresses``)."""

    ADDRESS: Final = SendLog.ADDRESS  # trimmed, lower case
    FAILURES: Final = "failures"
    INVOICES: Final = "invoices"
    CUSTOMERS: Final = "customers"
    FIRST_FAILURE: Final = "first_failure"
    LAST_FAILURE: Final = "last_failure"
    LAST_ERROR_KIND: Final = "last_error_kind"
    LAST_ERROR: Final = "last_error_message"


class Problem:
    """The data-problems table."""

    KIND: Final = "kind"
    TABLE: Final = "table"
    ID: Final = "id"
    DETAIL: Final = "detail"


def _columns(cls: type) -> tuple[str, ...]:
    return tuple(v for k, v in vars(cls).items() if k.isupper())


QUERY_COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "customers": _columns(CustomerIn),
    "recipients": _columns(RecipientIn),
    "services": _columns(ServiceIn),
    "service_statuses": _columns(ServiceStatusIn),
    "billing_methods": _columns(MethodIn),
    "email_rules": _columns(RuleIn),
    "send_statuses": _columns(SendStatusIn),
    "routines": _columns(RoutineIn),
    "senders": _columns(SenderIn),
    "invoices": _columns(InvoiceIn),
    "email_log": _columns(EmailLogIn),
    "send_log": _columns(EmailLogIn),
}
