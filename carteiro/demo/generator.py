"""A realistic, Hubsoft-like demo ERP database, generated fast and deterministically.

:func:`generate` writes the tables of ``docs/erp-schema.md`` (see :mod:`carteiro.schema`) into any
database SQLAlchemy reaches (SQLite, PostgreSQL, MariaDB/MySQL): a Brazilian ISP in the south of
Minas Gerais with its customers, contacts, services, billing configuration, monthly invoices and
the log of the billing e-mails it sent.

The data is built so that every condition of ``docs/domain.md`` except ``no_email_routine`` fails
for a small, realistic share of customers in *any* single month (in particular the current month,
the dashboard's default period), while most customers (about 80%) are fully covered:

- ``sender_unavailable``: "Carnê" names the sender "Gmail (antigo)", which is inactive.
- ``method_without_rules``: "Débito Automático" has no e-mail rule; a few invoices have no method.
- ``invoice_outside_rules``: "Cartão de Crédito" only notifies 2 days after the due date, and card
  charges happen about a week before it; some customers pay boletos/PIX long before the first
  notice; a handful of invoices say ``pago`` without a payment date.
- ``service_missing``: some invoices name no service, or a service id that does not exist.
- ``service_status_excluded``: cancelled/inactive services still billed (also through the
  odd-spelled duplicate status ``'Cancelado '``), and debt-suspended services billed through
  "Boleto Sicredi", whose «Status do Serviço para Envio» selection leaves ``suspenso_debito`` out.
- ``service_blocks_email``: services whose ``envio_cobranca`` is ``somente_sms``/``nenhum``
  (also spelled ``'Somente SMS'``).
- ``no_contact_allows_email`` / ``no_valid_email``: customers whose recipients all refuse billing
  e-mail, or whose only consenting recipients have empty, placeholder-like or malformed addresses.

Each customer's services, contacts, billing method and due day stay the same across months, so the
months look alike. Invoices are monthly, ``months`` months ending with ``end_month``; payments
happen relative to ``as_of`` (the day the snapshot is taken): nothing is paid after it.

Determinism: the same arguments give byte-identical table contents on the same kind of database.
Every random draw comes from one ``numpy.random.default_rng(seed)`` stream in a fixed order, the
same for every dialect. When ``end_month`` is the current month and ``as_of`` is not given, the
snapshot day is today, so the data changes from one day to the next; pass ``as_of`` to pin it.
The only dialect-dependent value: on SQLite about 2% of the recipients' ``permite_enviar_email``
flags are stored as text (``'S'``, ``'N'``, ``'sim'``, ``'não'``), as some ERPs do; PostgreSQL
and MariaDB get real booleans (the same logical values).
"""

from __future__ import annotations

import calendar
import datetime
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sqlalchemy import create_engine

from carteiro.demo import schema
from carteiro.demo.configuration import (
    BILLING_METHODS,
    EMAIL_RULES,
    M_BOLETO,
    M_CARNE,
    M_CARTAO,
    M_DEBITO,
    M_PIX,
    M_SICREDI,
    ROUTINE_HOUR,
    SENDERS,
    STATUS_NORM,
    STATUS_SELECTION,
    UNKNOWN_STATUS_ID,
    config_rows,
)
from carteiro.demo.loaders import loader_for
from carteiro.demo.rows import NULL_INT, Rows, object_array, shares, str_op
from carteiro.demo.vocabulary import (
    BUSINESS_QUALIFIERS,
    BUSINESSES,
    CITIES,
    COMPANY_SUFFIX_P,
    COMPANY_SUFFIXES,
    CONTACT_LABELS,
    FIRST_NAMES_F,
    FIRST_NAMES_M,
    FREE_DOMAINS,
    MIDDLE_NAMES_F,
    MIDDLE_NAMES_M,
    PLACEHOLDERS_INVALID,
    PLACEHOLDERS_VALID,
    ROLE_MAILBOXES,
    SURNAME_LINKS,
    SURNAMES,
    TYPO_DOMAINS,
    ascii_slug,
)

__all__ = [
    "DEFAULT_DEMO_CUSTOMERS",
    "DEFAULT_DEMO_MONTHS",
    "DemoSummary",
    "generate",
]

DEFAULT_DEMO_CUSTOMERS = 10_000
DEFAULT_DEMO_MONTHS = 12

ProgressFn = Callable[[str], None]


@dataclass(frozen=True)
class DemoSummary:
    """What :func:`generate` wrote."""

    counts: dict[str, int]
    """Rows written per table, in the schema's table order."""
    elapsed_seconds: float
    customers: int
    months: int
    seed: int
    first_month: datetime.date
    end_month: datetime.date
    as_of: datetime.date
    with_routine: bool
    dialect: str = ""

    @property
    def total_rows(self) -> int:
        return sum(self.counts.values())

    def __str__(self) -> str:
        seconds = f"{self.elapsed_seconds:.1f}".replace(".", ",")
        return (
            f"{_fmt_int(self.customers)} clientes × {self.months} meses "
            f"({self.first_month:%m/%Y} a {self.end_month:%m/%Y}), "
            f"{_fmt_int(self.counts.get('fatura', 0))} faturas, "
            f"{_fmt_int(self.total_rows)} linhas em {seconds} s"
        )


# --------------------------------------------------------------------------------------------
# What the generator draws (the ISP's configuration is in configuration.py, the words in
# vocabulary.py)
# --------------------------------------------------------------------------------------------

# Share of services per status id (the last entry is UNKNOWN_STATUS_ID).
_STATUS_IDS = np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, UNKNOWN_STATUS_ID])
_STATUS_P = [0.888, 0.032, 0.012, 0.006, 0.014, 0.005, 0.009, 0.008, 0.003, 0.004, 0.001]
# Share of services per billing method (Depósito em Conta is legacy: no invoices).
_METHOD_IDS = np.array([M_BOLETO, M_PIX, M_SICREDI, M_CARTAO, M_DEBITO, M_CARNE])
_METHOD_P = [0.535, 0.27, 0.07, 0.05, 0.025, 0.02]

# Plans: (plano, price in cents, weight for people, weight for companies)
PLANS: tuple[tuple[str, int, float, float], ...] = (
    ("FIBRA 100MB", 7990, 4, 1),
    ("FIBRA 200MB", 8990, 8, 2),
    ("FIBRA 300MB", 9990, 22, 5),
    ("FIBRA 400MB", 10990, 18, 5),
    ("FIBRA 500MB", 11990, 18, 8),
    ("FIBRA 600MB", 12990, 10, 8),
    ("FIBRA 800MB", 14990, 6, 6),
    ("FIBRA 1GB", 19990, 4, 8),
    ("RADIO 15MB", 7990, 5, 1),
    ("FIBRA 500MB + TV", 16990, 5, 1),
    ("EMPRESARIAL 300MB", 18990, 0, 20),
    ("EMPRESARIAL 600MB", 24990, 0, 15),
    ("LINK DEDICADO 100MB", 29990, 0, 10),
)

# envio_cobranca values and shares; the odd spellings are unknown values (treated as default)
# except 'Somente SMS', which normalises to somente_sms.
ENVIO_VALUES: tuple[tuple[str | None, float], ...] = (
    (None, 0.44),
    ("email_sms", 0.35),
    ("somente_email", 0.155),
    ("somente_sms", 0.015),
    ("nenhum", 0.006),
    ("Somente SMS", 0.003),
    ("Email e SMS", 0.015),
    ("EMAIL_SMS", 0.01),
)

DUE_DAYS = np.array([5, 10, 15, 20, 25])
_DUE_DAY_P = [0.18, 0.32, 0.2, 0.18, 0.12]

SMTP_ERRORS = (
    "550 5.1.1 Mailbox unavailable",
    "550 5.1.1 The email account that you tried to reach does not exist",
    "552 5.2.2 Mailbox full",
    "421 4.7.0 Try again later, closing connection",
    "554 5.7.1 Message rejected as spam",
    "Connection timed out",
)

# Address kinds of a recipient field.
K_VALID, K_MULTI, K_PH_VALID, K_PH_INVALID, K_INVALID, K_EMPTY, K_NULL = range(7)
_VALID_KINDS = (K_VALID, K_MULTI, K_PH_VALID)
_KIND_P_CADASTRO = [0.845, 0.04, 0.03, 0.015, 0.03, 0.02, 0.02]
_KIND_P_CONTACT = [0.78, 0.03, 0.03, 0.02, 0.04, 0.03, 0.07]
# Recipient profile of a customer.
P_GOOD, P_NO_ALLOW, P_NO_VALID = 0, 1, 2
_PROFILE_P = [0.95, 0.024, 0.026]
# Payer behaviour of a customer.
PAY_PUNCTUAL, PAY_EARLY, PAY_LATE, PAY_DEFAULTER = 0, 1, 2, 3
_PAYER_P = [0.755, 0.025, 0.18, 0.04]


def _fmt_int(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def _month_start(d: datetime.date, shift: int) -> datetime.date:
    total = d.year * 12 + (d.month - 1) + shift
    return datetime.date(total // 12, total % 12 + 1, 1)


# --------------------------------------------------------------------------------------------
# The generator
# --------------------------------------------------------------------------------------------


def _document_numbers(rng: np.random.Generator, n: int, company: np.ndarray) -> np.ndarray:
    """CPF (``000.000.000-00``) or CNPJ (``00.000.000/0001-00``) with real check digits."""
    out = np.empty(n, dtype=object)
    # CPF
    d = rng.integers(0, 10, size=(n, 9))
    dv1 = ((d * np.arange(10, 1, -1)).sum(1) * 10 % 11) % 10
    d = np.column_stack([d, dv1])
    dv2 = ((d * np.arange(11, 1, -1)).sum(1) * 10 % 11) % 10
    d = np.column_stack([d, dv2])
    chars = np.full((n, 14), ord("."), dtype=np.uint8)
    chars[:, [0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13]] = d + 48
    chars[:, 11] = ord("-")
    cpf = chars.view("S14").ravel().astype("U14")
    # CNPJ: 8 digits, branch 0001, 2 check digits
    d = np.column_stack([rng.integers(0, 10, size=(n, 8)), np.tile([0, 0, 0, 1], (n, 1))])
    r = (d * np.array([5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2])).sum(1) % 11
    d = np.column_stack([d, np.where(r < 2, 0, 11 - r)])
    r = (d * np.array([6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2])).sum(1) % 11
    d = np.column_stack([d, np.where(r < 2, 0, 11 - r)])
    chars = np.full((n, 18), ord("."), dtype=np.uint8)
    chars[:, [0, 1, 3, 4, 5, 7, 8, 9, 11, 12, 13, 14, 16, 17]] = d + 48
    chars[:, 10] = ord("/")
    chars[:, 15] = ord("-")
    cnpj = chars.view("S18").ravel().astype("U18")
    out[:] = np.where(company, cnpj, cpf)
    # Some ERPs keep only the digits; a few records have no document at all.
    u = rng.random(n)
    digits_only = u < 0.03
    plain = out[digits_only]
    for char in ".-/":
        plain = str_op(plain, np.char.replace, char, "")
    out[digits_only] = plain
    out[u > 0.992] = None
    return out


@dataclass
class _World:
    """The stable part of the ERP: customers, recipients, services."""

    n_customers: int
    customer_rows: Rows
    contact_rows: Rows
    service_rows: Rows
    # per customer
    due_day: np.ndarray
    payer: np.ndarray
    profile: np.ndarray
    dest: np.ndarray  # address the routine sends to (None if the customer has none)
    dest_bad: np.ndarray  # destination is a placeholder or a typo domain (bounces more)
    # per service (index = id_cliente_servico - 1)
    svc_customer: np.ndarray  # customer index
    svc_status: np.ndarray
    svc_envio: np.ndarray  # index into ENVIO_VALUES
    svc_price: np.ndarray
    svc_method: np.ndarray
    svc_start: np.ndarray  # first month index with an invoice


def _build_world(rng: np.random.Generator, n: int, months: int, progress: ProgressFn) -> _World:
    progress("Gerando clientes…")
    cust_id = np.arange(1, n + 1, dtype=np.int64)
    company = rng.random(n) < 0.12
    female = rng.random(n) < 0.52

    # first names: women's then men's, with their ASCII form and initial for e-mail addresses
    first_names = object_array(FIRST_NAMES_F + FIRST_NAMES_M)
    first_names_ascii = object_array(ascii_slug(x) for x in first_names)
    first_initials = object_array(x[:1] for x in first_names_ascii)
    n_f = len(FIRST_NAMES_F)
    surnames = object_array(SURNAMES)
    fi = rng.integers(0, n_f, n)
    mi = rng.integers(0, len(FIRST_NAMES_M), n)
    f_idx = np.where(female, fi, n_f + mi)
    first = first_names[f_idx]
    middle = np.where(
        female,
        object_array(MIDDLE_NAMES_F)[rng.integers(0, len(MIDDLE_NAMES_F), n)],
        object_array(MIDDLE_NAMES_M)[rng.integers(0, len(MIDDLE_NAMES_M), n)],
    )
    has_middle = rng.random(n) < 0.25
    s1i = rng.integers(0, len(SURNAMES), n)
    s2i = rng.integers(0, len(SURNAMES), n)
    two_surnames = (rng.random(n) < 0.7) & (s1i != s2i)
    linked = object_array(f"{SURNAME_LINKS[x]} {x}" if x in SURNAME_LINKS else x for x in SURNAMES)
    use_link = rng.random((2, n)) < 0.5
    surname1 = np.where(use_link[0], linked[s1i], surnames[s1i])
    surname2 = np.where(use_link[1], linked[s2i], surnames[s2i])
    last_ascii = object_array(ascii_slug(x) for x in SURNAMES)[s2i]
    person = first + np.where(has_middle, " " + middle, "")
    person = person + np.where(two_surnames, " " + surname1, "") + " " + surname2

    biz_i = rng.integers(0, len(BUSINESSES), n)
    qual_i = rng.integers(0, len(BUSINESS_QUALIFIERS), n)
    use_surname = rng.random(n) < 0.45
    qualifier = np.where(use_surname, surnames[s2i], object_array(BUSINESS_QUALIFIERS)[qual_i])
    suffix = object_array(COMPANY_SUFFIXES)[
        rng.choice(len(COMPANY_SUFFIXES), n, p=COMPANY_SUFFIX_P)
    ]
    company_name = object_array(BUSINESSES)[biz_i] + " " + qualifier + " " + suffix
    company_slug = object_array(ascii_slug(x) for x in BUSINESSES)[biz_i] + np.where(
        use_surname,
        object_array(ascii_slug(x) for x in SURNAMES)[s2i],
        object_array(ascii_slug(x) for x in BUSINESS_QUALIFIERS)[qual_i],
    )
    name = np.where(company, company_name, person)
    upper = rng.random(n) < 0.22  # many ERPs keep names in capitals
    name[upper] = str_op(name[upper], np.char.upper)

    city_names = object_array(c for c, _ in CITIES)
    city = city_names[rng.choice(len(CITIES), n, p=shares([w for _, w in CITIES]))]
    city_upper = rng.random(n) < 0.06
    city[city_upper] = str_op(city[city_upper], np.char.upper)
    doc = _document_numbers(rng, n, company)
    ativo = np.where(rng.random(n) < 0.955, 1, 0).astype(np.int8)
    due_day = DUE_DAYS[rng.choice(len(DUE_DAYS), n, p=_DUE_DAY_P)]
    payer = rng.choice(4, n, p=_PAYER_P)
    profile = rng.choice(3, n, p=_PROFILE_P)

    # ---- recipients: the customer record (one per customer) followed by the contacts
    progress("Gerando contatos e endereços de e-mail…")
    n_contacts = rng.choice(5, n, p=[0.15, 0.35, 0.35, 0.12, 0.03])
    n_cont = int(n_contacts.sum())
    cont_owner = np.repeat(np.arange(n), n_contacts)
    cont_start = np.concatenate([[0], np.cumsum(n_contacts)[:-1]])
    r_owner = np.concatenate([np.arange(n), cont_owner])
    n_rec = n + n_cont
    is_cadastro = np.zeros(n_rec, dtype=bool)
    is_cadastro[:n] = True

    # contact names: a relative or a role label
    cfemale = rng.random(n_cont) < 0.5
    cfi = rng.integers(0, n_f, n_cont)
    cmi = rng.integers(0, len(FIRST_NAMES_M), n_cont)
    c_f_idx = np.where(cfemale, cfi, n_f + cmi)
    c_first = first_names[c_f_idx]
    u = rng.random(n_cont)
    label = object_array(CONTACT_LABELS)[rng.integers(0, len(CONTACT_LABELS), n_cont)]
    c_name = c_first + " " + surnames[s2i[cont_owner]]
    c_name = np.where(u < 0.2, label, c_name)
    c_name = np.where((u >= 0.2) & (u < 0.3), label + " - " + c_first, c_name)
    c_name = np.where(u > 0.97, None, c_name)
    # the contact with the customer's own name (first contact, half of the time)
    own = np.zeros(n_cont, dtype=bool)
    own[cont_start[n_contacts > 0]] = rng.random(int((n_contacts > 0).sum())) < 0.4
    c_name = np.where(own, name[cont_owner], c_name)
    c_f_idx = np.where(own, f_idx[cont_owner], c_f_idx)

    r_f_idx = np.concatenate([f_idx, c_f_idx])
    r_first = first_names_ascii[r_f_idx]
    r_last = last_ascii[r_owner]
    r_company = company[r_owner]

    # ---- every random draw of the addresses first (the stream must not depend on the data)
    dom_names = object_array(d for d, _ in FREE_DOMAINS)
    dom_i = rng.choice(len(FREE_DOMAINS), n_rec, p=shares([w for _, w in FREE_DOMAINS]))
    pattern = rng.integers(0, 7, n_rec)
    nn = rng.integers(1, 100, n_rec).astype(str).astype(object)
    year = rng.integers(1955, 2006, n_rec).astype(str).astype(object)
    cu = rng.random(n_rec)
    role = object_array(ROLE_MAILBOXES)[rng.integers(0, len(ROLE_MAILBOXES), n_rec)]
    plain = FREE_DOMAINS[:-3]  # the second address of a field never has a typo
    dom_b = dom_names[rng.choice(len(plain), n_rec, p=shares([w for _, w in plain]))]
    b_form = rng.random(n_rec)
    bad_kind = rng.integers(0, 7, n_rec)
    sep = object_array([", ", ";", "; ", ","])[rng.integers(0, 4, n_rec)]
    multi_form = rng.random(n_rec)
    ph_valid = object_array(PLACEHOLDERS_VALID)[
        rng.integers(0, len(PLACEHOLDERS_VALID), n_rec)
    ]
    ph_invalid = object_array(PLACEHOLDERS_INVALID)[
        rng.integers(0, len(PLACEHOLDERS_INVALID), n_rec)
    ]
    deco = rng.random(n_rec)
    kind = np.concatenate(
        [rng.choice(7, n, p=_KIND_P_CADASTRO), rng.choice(7, n_cont, p=_KIND_P_CONTACT)]
    )
    allow = np.concatenate(
        [rng.choice([1, 0, -1], n, p=[0.85, 0.09, 0.06]),
         rng.choice([1, 0, -1], n_cont, p=[0.82, 0.1, 0.08])]
    ).astype(np.int8)
    primary_on_contact = (n_contacts > 0) & (rng.random(n) < 0.3)
    primary = np.where(
        primary_on_contact,
        n + cont_start + (rng.random(n) * np.maximum(n_contacts, 1)).astype(np.int64),
        np.arange(n),
    )
    refuse = rng.choice([0, -1], n_rec, p=[0.8, 0.2]).astype(np.int8)
    bad_pick = rng.choice(
        [K_INVALID, K_PH_INVALID, K_EMPTY, K_NULL, K_MULTI],  # K_MULTI -> two invalid ones
        n_rec, p=[0.5, 0.12, 0.15, 0.15, 0.08],
    )

    # ---- kinds and permissions, then each customer's recipient profile is enforced
    r_profile = profile[r_owner]
    # NO_ALLOW: nobody allows
    m = r_profile == P_NO_ALLOW
    allow[m] = refuse[m]
    # NO_VALID: whoever allows has no valid address, and the primary recipient allows
    allow[primary[profile == P_NO_VALID]] = 1
    m = (r_profile == P_NO_VALID) & (allow == 1)
    kind[m] = bad_pick[m]
    multi_is_invalid = m & (bad_pick == K_MULTI)
    # GOOD: the primary recipient allows and has a valid address
    g = primary[profile == P_GOOD]
    allow[g] = 1
    kind[g] = np.where(np.isin(kind[g], _VALID_KINDS), kind[g], K_VALID)

    # ---- the base valid address of every recipient
    local = np.empty(n_rec, dtype=object)
    initial = first_initials[r_f_idx]
    for k, parts in enumerate(
        (
            (r_first, ".", r_last),
            (r_first, r_last),
            (r_first, "_", r_last, nn),
            (r_first, year),
            (initial, r_last),
            (r_first, ".", r_last, nn),
            (r_last, ".", r_first),
        )
    ):
        m = pattern == k
        acc = np.full(int(m.sum()), "", dtype=object)
        for part in parts:
            acc = acc + (part[m] if isinstance(part, np.ndarray) else part)
        local[m] = acc
    # companies: role mailboxes at their own domain, or the company's own free mailbox
    cslug = company_slug[r_owner]
    comp_role = r_company & (cu < 0.5)
    comp_person = r_company & (cu >= 0.5) & (cu < 0.75)
    comp_slug = r_company & (cu >= 0.75)
    local = np.where(comp_role, role, local)
    local = np.where(comp_slug, cslug, local)  # padariasaojose@gmail.com
    own_domain = comp_role | comp_person
    domain = np.where(own_domain, cslug + ".com.br", dom_names[dom_i])
    typo_idx = [i for i, (d, _) in enumerate(FREE_DOMAINS) if d in TYPO_DOMAINS]
    typo = ~own_domain & np.isin(dom_i, typo_idx)
    addr_a = local + "@" + domain

    # ---- the field's text by kind; the variants are built only where they are used
    free = [d for d, _ in FREE_DOMAINS]
    tld_cut = object_array(d.split(".")[0] for d in free)
    double_dot = object_array(d.replace(".", "..", 1) for d in free)
    comma = object_array(",".join(d.rsplit(".", 1)) for d in free)

    def second(j: np.ndarray) -> np.ndarray:
        """Another valid address of the same person."""
        return np.where(
            b_form[j] < 0.5,
            r_first[j] + "." + r_last[j] + "@" + dom_b[j],
            r_last[j] + nn[j] + "@" + dom_b[j],
        )

    def malformed(j: np.ndarray) -> np.ndarray:
        """A malformed variant of the base address."""
        own_j, slug_j, dom_j, loc_j = own_domain[j], cslug[j], dom_i[j], local[j]
        variants = (
            lambda i: loc_j[i] + "@" + np.where(own_j[i], slug_j[i], tld_cut[dom_j[i]]),
            lambda i: loc_j[i] + "@@" + domain[j[i]],
            lambda i: loc_j[i] + "." + domain[j[i]],
            lambda i: loc_j[i] + "@"
            + np.where(own_j[i], slug_j[i] + "..com.br", double_dot[dom_j[i]]),
            lambda i: r_first[j[i]] + " " + r_last[j[i]] + "@" + domain[j[i]],
            lambda i: addr_a[j[i]] + " / " + second(j[i]),  # a separator the ERP ignores
            lambda i: loc_j[i] + "@" + np.where(own_j[i], slug_j[i] + ".com,br", comma[dom_j[i]]),
        )
        out = np.empty(len(j), dtype=object)
        kinds = bad_kind[j]
        for k, make in enumerate(variants):
            sel = np.flatnonzero(kinds == k)
            if len(sel):
                out[sel] = make(sel)
        return out

    address = np.full(n_rec, None, dtype=object)
    ix = np.flatnonzero(kind == K_VALID)
    text = addr_a[ix].copy()
    up = deco[ix] < 0.04
    text[up] = str_op(text[up], np.char.upper)
    spaced = deco[ix] > 0.98
    text[spaced] = " " + text[spaced] + " "
    address[ix] = text
    ix = np.flatnonzero((kind == K_MULTI) & ~multi_is_invalid)
    both = ix[multi_form[ix] < 0.7]
    address[both] = addr_a[both] + sep[both] + second(both)
    bad_first = ix[multi_form[ix] >= 0.7]
    address[bad_first] = malformed(bad_first) + sep[bad_first] + addr_a[bad_first]
    ix = np.flatnonzero(multi_is_invalid)
    address[ix] = malformed(ix) + sep[ix] + ph_invalid[ix]
    ix = np.flatnonzero(kind == K_INVALID)
    address[ix] = malformed(ix)
    for k, source in ((K_PH_VALID, ph_valid), (K_PH_INVALID, ph_invalid)):
        ix = np.flatnonzero(kind == k)
        address[ix] = source[ix]
    address[kind == K_EMPTY] = ""

    # the address the routine actually sends to (the GOOD customers' primary recipient)
    dest = np.full(n, None, dtype=object)
    dest_bad = np.zeros(n, dtype=bool)
    good = profile == P_GOOD
    gp = primary[good]
    dest[good] = np.where(kind[gp] == K_PH_VALID, ph_valid[gp], addr_a[gp])
    dest_bad[good] = (kind[gp] == K_PH_VALID) | ((kind[gp] != K_PH_VALID) & typo[gp])

    # some ERPs store the permission as text; only SQLite keeps it that way
    text_flag = np.where(
        allow == 1,
        object_array(["S", "sim", "Sim", "t"])[rng.integers(0, 4, n_rec)],
        object_array(["N", "não", "Não", "f"])[rng.integers(0, 4, n_rec)],
    )
    text_flag[(rng.random(n_rec) >= 0.02) | (allow == -1)] = None

    customer_rows = Rows(
        schema.cliente,
        {
            "id_cliente": cust_id,
            "nome_razaosocial": name,
            "cpf_cnpj": doc,
            "cidade": city,
            "email_principal": address[:n],
            "permite_enviar_email": allow[:n],
            "ativo": ativo,
        },
        {"permite_enviar_email": text_flag[:n]},
    )
    contact_rows = Rows(
        schema.cliente_contato,
        {
            "id_cliente_contato": np.arange(1, n_cont + 1, dtype=np.int64),
            "id_cliente": cont_owner.astype(np.int64) + 1,
            "nome": c_name,
            "email": address[n:],
            "permite_enviar_email": allow[n:],
        },
        {"permite_enviar_email": text_flag[n:]},
    )

    # ---- services
    progress("Gerando serviços…")
    n_services = rng.choice([1, 2, 3], n, p=[0.9, 0.085, 0.015])
    svc_customer = np.repeat(np.arange(n), n_services)
    n_svc = len(svc_customer)
    svc_status = _STATUS_IDS[rng.choice(len(_STATUS_IDS), n_svc, p=shares(_STATUS_P))]
    svc_company = company[svc_customer]
    plan_people = rng.choice(len(PLANS), n_svc, p=shares([p[2] for p in PLANS]))
    plan_company = rng.choice(len(PLANS), n_svc, p=shares([p[3] for p in PLANS]))
    plan = np.where(svc_company, plan_company, plan_people)
    svc_price = np.array([p[1] for p in PLANS], dtype=np.int64)[plan]
    svc_envio = rng.choice(len(ENVIO_VALUES), n_svc, p=shares([v[1] for v in ENVIO_VALUES]))
    cust_method = _METHOD_IDS[rng.choice(len(_METHOD_IDS), n, p=shares(_METHOD_P))]
    other_method = _METHOD_IDS[rng.choice(len(_METHOD_IDS), n_svc, p=shares(_METHOD_P))]
    svc_method = np.where(rng.random(n_svc) < 0.08, other_method, cust_method[svc_customer])
    late_start = rng.random(n_svc) < 0.15
    svc_start = np.where(late_start, rng.integers(0, max(months, 1), n_svc), 0)
    svc_start[svc_status == 4] = months - 1  # waiting for installation: billed from this month
    service_rows = Rows(
        schema.cliente_servico,
        {
            "id_cliente_servico": np.arange(1, n_svc + 1, dtype=np.int64),
            "id_cliente": svc_customer.astype(np.int64) + 1,
            "id_servico_status": svc_status.astype(np.int64),
            "plano": object_array(p[0] for p in PLANS)[plan],
            "envio_cobranca": object_array(v[0] for v in ENVIO_VALUES)[svc_envio],
        },
    )
    return _World(
        n_customers=n,
        customer_rows=customer_rows,
        contact_rows=contact_rows,
        service_rows=service_rows,
        due_day=due_day,
        payer=payer,
        profile=profile,
        dest=dest,
        dest_bad=dest_bad,
        svc_customer=svc_customer,
        svc_status=svc_status,
        svc_envio=svc_envio,
        svc_price=svc_price,
        svc_method=svc_method,
        svc_start=svc_start,
    )


@dataclass
class _MonthInvoices:
    rows: Rows
    customer: np.ndarray  # customer index
    service: np.ndarray  # service index (-1 = no/unknown service)
    method: np.ndarray  # method id (0 = none)
    due: np.ndarray  # datetime64[D]
    paid_on: np.ndarray  # datetime64[D]; NaT = unpaid; paid without a date = very old date
    cancelled: np.ndarray


_PAID_NO_DATE = np.datetime64("1900-01-01", "D")


def _month_invoices(
    rng: np.random.Generator,
    world: _World,
    m: int,
    month_start: datetime.date,
    as_of: np.datetime64,
    first_id: int,
) -> _MonthInvoices:
    svc = np.flatnonzero(world.svc_start <= m)
    n = len(svc)
    cust = world.svc_customer[svc]
    ms = np.datetime64(month_start, "D")
    due = ms + (world.due_day[cust] - 1).astype("timedelta64[D]")

    # amount: the plan's price; pro rata in a service's first month; a few fees/discounts
    cents = world.svc_price[svc].copy()
    prorata = rng.uniform(0.2, 1.0, n)
    first = (world.svc_start[svc] == m) & (m > 0)
    cents = np.where(first, np.round(cents * prorata).astype(np.int64), cents)
    adj = rng.choice([0, 1500, 2500, -1000, -2000], n, p=[0.96, 0.015, 0.01, 0.01, 0.005])
    cents = np.maximum(cents + adj, 990)

    # billing method: the service's; a few invoices switch to another one or have none
    method = world.svc_method[svc].copy()
    u = rng.random(n)
    switched = rng.choice([M_BOLETO, M_PIX], n)
    method = np.where(u < 0.004, switched, method)
    method = np.where(u > 0.997, 0, method)

    # the service the invoice names: a few have none or one that does not exist
    svc_id = svc.astype(np.int64) + 1
    ghost = len(world.svc_customer) + rng.integers(1, 5000, n)
    u = rng.random(n)
    svc_col = np.where(u < 0.006, NULL_INT, np.where(u > 0.996, ghost, svc_id))
    service = np.where((u < 0.006) | (u > 0.996), -1, svc)

    cancelled = rng.random(n) < 0.01

    # payment day relative to the due date, by payer behaviour (some invoices deviate)
    payer = world.payer[cust].copy()
    deviate = rng.random(n) < 0.08
    payer = np.where(deviate, rng.choice([PAY_PUNCTUAL, PAY_LATE], n, p=[0.6, 0.4]), payer)
    punctual = rng.choice(np.arange(-3, 3), n, p=[0.07, 0.1, 0.14, 0.37, 0.2, 0.12])
    early = rng.integers(-12, -5, n)
    late = np.minimum(3 + rng.geometric(0.1, n), 45)
    very_late = rng.integers(10, 61, n)
    never = rng.random(n)
    offset = np.select(
        [payer == PAY_PUNCTUAL, payer == PAY_EARLY, payer == PAY_LATE],
        [punctual, early, late],
        default=very_late,
    )
    has_payment = np.where(payer == PAY_DEFAULTER, never > 0.55, True)
    # card charges run about a week before the due date; automatic debit on the due date
    card = rng.integers(-10, -6, n)
    declined = rng.random(n)
    offset = np.where((method == M_CARTAO) & (declined >= 0.06), card, offset)
    offset = np.where((method == M_DEBITO) & (declined >= 0.04), 0, offset)
    has_payment &= ~cancelled
    pay = due + offset.astype("timedelta64[D]")
    paid = has_payment & (pay <= as_of)
    no_date = paid & (rng.random(n) < 0.002)  # 'pago' without data_pagamento

    # status words (mostly canonical, a few odd spellings and unknown words)
    paid_word = object_array(["pago", "Pago", "PAGA", "quitado"])[
        rng.choice(4, n, p=[0.95, 0.02, 0.01, 0.02])
    ]
    open_word = object_array(["aberto", "Em aberto", "aberta", "negociado", None])[
        rng.choice(5, n, p=[0.955, 0.03, 0.01, 0.004, 0.001])
    ]
    overdue_word = np.where(rng.random(n) < 0.35, "vencido", open_word)
    cancel_word = object_array(["cancelado", "Cancelada ", "CANCELADO"])[
        rng.choice(3, n, p=[0.94, 0.04, 0.02])
    ]
    status = np.where(paid, paid_word, np.where(due < as_of, overdue_word, open_word))
    status = np.where(cancelled, cancel_word, status)

    pay_col = np.where(paid & ~no_date, pay, np.datetime64("NaT", "D"))
    rows = Rows(
        schema.fatura,
        {
            "id_fatura": np.arange(first_id, first_id + n, dtype=np.int64),
            "id_cliente": cust.astype(np.int64) + 1,
            "id_cliente_servico": svc_col.astype(np.int64),
            "id_forma_cobranca": np.where(method == 0, NULL_INT, method).astype(np.int64),
            "data_vencimento": due,
            "valor": cents.astype(np.int64),
            "status": status,
            "data_pagamento": pay_col,
        },
    )
    paid_on = np.where(no_date, _PAID_NO_DATE, pay_col)
    return _MonthInvoices(rows, cust, service, method, due, paid_on, cancelled)


def _sent_emails(
    rng: np.random.Generator,
    world: _World,
    invoices: list[_MonthInvoices],
    as_of: np.datetime64,
) -> Rows:
    """The send log of the e-mail routine for the given (recent) months' invoices.

    One row per send attempt, for the invoices the routine plausibly handled: active rules of a
    method with an active sender, a service that exists with an allowed status and a setting that
    allows e-mail, a customer with a consenting valid recipient; send days up to ``as_of``.
    """
    active_sender = {s[0]: bool(s[9]) for s in SENDERS}
    default_sender = next(s[0] for s in SENDERS if s[8] and s[9])
    selection: dict[int, set[str]] = {}
    for method_id, status_id in STATUS_SELECTION:
        selection.setdefault(method_id, set()).add(STATUS_NORM[status_id])
    blocking = np.array([str(v[0]).strip().lower().replace(" ", "_") in ("somente_sms", "nenhum")
                         for v in ENVIO_VALUES])

    parts: list[tuple[np.ndarray, ...]] = []
    for inv in invoices:
        rows = inv.rows
        has_service = inv.service >= 0
        svc = np.where(has_service, inv.service, 0)
        status_id = world.svc_status[svc]
        ok = has_service & ~inv.cancelled & (world.profile[inv.customer] == P_GOOD)
        ok &= ~blocking[world.svc_envio[svc]]
        for method_id, _desc, sender, _active in BILLING_METHODS:
            rules = [r for r in EMAIL_RULES if r[1] == method_id and r[4]]
            if not rules or not active_sender.get(sender or default_sender, False):
                continue
            allowed_norms = selection.get(method_id)
            if allowed_norms is None:
                allowed_ids = [
                    s for s, p in STATUS_NORM.items() if p not in ("cancelado", "inativo")
                ]
                allowed_ids.append(UNKNOWN_STATUS_ID)
            else:
                allowed_ids = [s for s, p in STATUS_NORM.items() if p in allowed_norms]
            base = ok & (inv.method == method_id) & np.isin(status_id, allowed_ids)
            for rule in rules:
                send = inv.due + np.timedelta64(rule[2], "D")
                open_then = np.isnat(inv.paid_on) | (inv.paid_on >= send)
                m = base & open_then & (send <= as_of)
                parts.append((send[m], rows.columns["id_fatura"][m], inv.customer[m]))
    if parts:
        send = np.concatenate([p[0] for p in parts])
        fatura_id = np.concatenate([p[1] for p in parts])
        cust = np.concatenate([p[2] for p in parts])
    else:
        send = np.array([], dtype="datetime64[D]")
        fatura_id = np.array([], dtype=np.int64)
        cust = np.array([], dtype=np.int64)
    order = np.lexsort((fatura_id, send))
    send, fatura_id, cust = send[order], fatura_id[order], cust[order]
    n = len(send)
    # sends of one day start at the routine's hour, spaced by the sender's interval (compressed
    # when the day's queue would not fit before midnight)
    new_day = np.ones(n, dtype=bool)
    new_day[1:] = send[1:] != send[:-1]
    day = np.cumsum(new_day) - 1
    rank = np.arange(n) - np.flatnonzero(new_day)[day]
    per_day = np.bincount(day)[day]
    interval = SENDERS[0][7]
    step = np.minimum(float(interval), (24 - ROUTINE_HOUR) * 3600 / np.maximum(per_day, 1))
    seconds = ROUTINE_HOUR * 3600 + np.floor(rank * step).astype(np.int64)
    stamp = send.astype("datetime64[s]") + seconds.astype("timedelta64[s]")

    bad = world.dest_bad[cust]
    fail = rng.random(n) < np.where(bad, 0.6, 0.015)
    error = object_array(SMTP_ERRORS)[
        rng.choice(len(SMTP_ERRORS), n, p=shares([5, 2, 1, 1, 1, 0.5]))
    ]
    error = np.where(bad, SMTP_ERRORS[0], error)
    return Rows(
        schema.email_enviado,
        {
            "id_email_enviado": np.arange(1, n + 1, dtype=np.int64),
            "id_cliente": cust.astype(np.int64) + 1,
            "id_fatura": fatura_id.astype(np.int64),
            "email_destino": world.dest[cust],
            "tipo_documento": np.full(n, "fatura", dtype=object),
            "data_envio": stamp,
            "enviado": np.where(fail, 0, 1).astype(np.int8),
            "mensagem_erro": np.where(fail, error, None),
        },
    )


def generate(
    url: str,
    *,
    customers: int = DEFAULT_DEMO_CUSTOMERS,
    months: int = DEFAULT_DEMO_MONTHS,
    seed: int = 42,
    with_routine: bool = True,
    end_month: datetime.date | None = None,
    as_of: datetime.date | None = None,
    progress: ProgressFn | None = None,
) -> DemoSummary:
    """Write a realistic demo ERP database into ``url`` (drops and recreates the ERP tables).

    ``url`` is a SQLAlchemy URL (``sqlite:///path``, ``postgresql+psycopg://...``,
    ``mysql+pymysql://...``); the database itself must exist (a SQLite file is created).
    Invoices are monthly over ``months`` months ending with ``end_month`` (first day of the last
    month; default: the current month). ``as_of`` is the day the snapshot is taken: no payment
    or e-mail is later than it. Default: today, kept inside ``end_month`` (its first day if
    ``end_month`` is in the future, its last day if it is in the past), so an explicit past
    ``end_month`` is reproducible on any day. ``with_routine=False`` switches the billing e-mail
    routine off (``rotina.ativo``) and changes nothing else. ``progress`` receives pt-BR messages.
    """
    if customers < 1:
        raise ValueError("customers must be at least 1")
    if months < 1:
        raise ValueError("months must be at least 1")
    say: ProgressFn = progress or (lambda _msg: None)
    started = time.perf_counter()
    today = datetime.date.today()
    end_month = (end_month or today).replace(day=1)
    last_day = end_month.replace(day=calendar.monthrange(end_month.year, end_month.month)[1])
    if as_of is None:
        as_of = min(max(today, end_month), last_day)
    first_month = _month_start(end_month, -(months - 1))
    as_of_np = np.datetime64(as_of, "D")
    rng = np.random.default_rng(seed)

    engine = create_engine(url)
    try:
        say("Criando tabelas…")
        schema.drop_schema(engine)
        with engine.begin() as conn:
            schema.create_tables(conn)

        world = _build_world(rng, customers, months, say)
        loader = loader_for(engine)
        try:
            for rows in config_rows(with_routine):
                loader.write(rows)
            for rows, label in (
                (world.customer_rows, "clientes"),
                (world.contact_rows, "contatos"),
                (world.service_rows, "serviços"),
            ):
                say(f"Gravando {label} ({_fmt_int(len(rows))} linhas)…")
                loader.write(rows)

            recent: list[_MonthInvoices] = []
            next_id = 1
            for m in range(months):
                month = _month_start(first_month, m)
                label = f"{month.month:02d}/{month.year}"
                say(f"Gerando faturas de {label}…")
                inv = _month_invoices(rng, world, m, month, as_of_np, next_id)
                next_id += len(inv.rows)
                say(f"Gravando faturas de {label} ({_fmt_int(len(inv.rows))} linhas)…")
                loader.write(inv.rows)
                if m >= months - 2:
                    recent.append(inv)

            say("Gerando histórico de e-mails enviados…")
            sent = _sent_emails(rng, world, recent, as_of_np)
            say(f"Gravando e-mails enviados ({_fmt_int(len(sent))} linhas)…")
            loader.write(sent)
            say("Criando índices…")
            loader.create_indexes()
            loader.finish()
        finally:
            loader.close()
    finally:
        engine.dispose()

    counts = {name: loader.counts.get(name, 0) for name in schema.TABLE_NAMES}
    elapsed = time.perf_counter() - started
    summary = DemoSummary(
        counts=counts,
        elapsed_seconds=elapsed,
        customers=customers,
        months=months,
        seed=seed,
        first_month=first_month,
        end_month=end_month,
        as_of=as_of,
        with_routine=with_routine,
        dialect=engine.dialect.name,
    )
    seconds = f"{elapsed:.1f}".replace(".", ",")
    say(f"Concluído: {_fmt_int(summary.total_rows)} linhas em {seconds} s.")
    return summary
