"""The text of the recipients' e-mail fields: good addresses and the ways real ERPs spoil them.

A recipient's base address follows one of seven patterns of its person's name
(``maria.silva@gmail.com``, ``msilva@…``, ``maria1987@…``); companies use role mailboxes at their
own domain (``financeiro@padariasaojose.com.br``) or a free mailbox named after them. A few free
domains are typos that still look valid (``gmial.com``). Then, by the field's *kind*: the address
alone (sometimes in capitals or padded with spaces), two addresses in one field (``,``/``;``
separators, sometimes the first one malformed), a placeholder typed by an attendant (valid-looking
like ``naotem@naotem.com`` or not an address at all like ``sem email``), a malformed address
(missing TLD, ``@@``, spaces, ``..``, a comma for a dot, a ``/`` separator the ERP ignores), an
empty string or NULL.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from carteiro.demo.rows import object_array, shares, str_op
from carteiro.demo.vocabulary import (
    FREE_DOMAINS,
    PLACEHOLDERS_INVALID,
    PLACEHOLDERS_VALID,
    ROLE_MAILBOXES,
    TYPO_DOMAINS,
)

# Address kinds of a recipient field.
K_VALID, K_MULTI, K_PH_VALID, K_PH_INVALID, K_INVALID, K_EMPTY, K_NULL = range(7)
VALID_KINDS = (K_VALID, K_MULTI, K_PH_VALID)


@dataclass
class AddressDraws:
    """Every random draw of the addresses, one entry per recipient.

    They are drawn up front, all at once, so the random stream does not depend on the data
    (which recipient ends up with which kind of field).
    """

    domain: np.ndarray  # index into FREE_DOMAINS
    pattern: np.ndarray  # which of the seven name patterns
    number: np.ndarray  # "1".."99", as text
    year: np.ndarray  # a birth year, as text
    company_form: np.ndarray  # uniform: role mailbox, person at own domain, or company's slug
    role: np.ndarray  # role mailbox name
    second_domain: np.ndarray  # domain of the second address of a field (never a typo)
    second_form: np.ndarray  # uniform: form of the second address
    malformed_form: np.ndarray  # which of the seven malformed variants
    separator: np.ndarray  # between two addresses of one field
    multi_form: np.ndarray  # uniform: both valid, or the first one malformed
    placeholder_valid: np.ndarray
    placeholder_invalid: np.ndarray
    decoration: np.ndarray  # uniform: capitals or padding spaces


def draw_address_parts(rng: np.random.Generator, n_rec: int) -> AddressDraws:
    """The draws of :class:`AddressDraws` for ``n_rec`` recipients, in their fixed order."""
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
    return AddressDraws(
        domain=dom_i, pattern=pattern, number=nn, year=year, company_form=cu, role=role,
        second_domain=dom_b, second_form=b_form, malformed_form=bad_kind, separator=sep,
        multi_form=multi_form, placeholder_valid=ph_valid, placeholder_invalid=ph_invalid,
        decoration=deco,
    )


@dataclass
class Mailboxes:
    """Each recipient's base valid address and the parts the other field texts reuse."""

    first: np.ndarray  # ASCII first name
    last: np.ndarray  # ASCII family name
    local: np.ndarray  # the part before the @
    domain: np.ndarray
    company_slug: np.ndarray
    own_domain: np.ndarray  # the company's own domain (not a free mailbox)
    typo: np.ndarray  # a free domain with a typo
    address: np.ndarray


def base_addresses(
    draws: AddressDraws,
    first: np.ndarray,
    initial: np.ndarray,
    last: np.ndarray,
    company: np.ndarray,
    company_slug: np.ndarray,
) -> Mailboxes:
    """The base valid address of every recipient, from its person's or company's names."""
    d = draws
    local = np.empty(len(first), dtype=object)
    for k, parts in enumerate(
        (
            (first, ".", last),
            (first, last),
            (first, "_", last, d.number),
            (first, d.year),
            (initial, last),
            (first, ".", last, d.number),
            (last, ".", first),
        )
    ):
        m = d.pattern == k
        acc = np.full(int(m.sum()), "", dtype=object)
        for part in parts:
            acc = acc + (part[m] if isinstance(part, np.ndarray) else part)
        local[m] = acc
    # companies: role mailboxes at their own domain, or the company's own free mailbox
    cu = d.company_form
    comp_role = company & (cu < 0.5)
    comp_person = company & (cu >= 0.5) & (cu < 0.75)
    comp_slug = company & (cu >= 0.75)
    local = np.where(comp_role, d.role, local)
    local = np.where(comp_slug, company_slug, local)  # padariasaojose@gmail.com
    own_domain = comp_role | comp_person
    dom_names = object_array(dom for dom, _ in FREE_DOMAINS)
    domain = np.where(own_domain, company_slug + ".com.br", dom_names[d.domain])
    typo_idx = [i for i, (dom, _) in enumerate(FREE_DOMAINS) if dom in TYPO_DOMAINS]
    typo = ~own_domain & np.isin(d.domain, typo_idx)
    return Mailboxes(
        first=first, last=last, local=local, domain=domain, company_slug=company_slug,
        own_domain=own_domain, typo=typo, address=local + "@" + domain,
    )


def _second(d: AddressDraws, mb: Mailboxes, j: np.ndarray) -> np.ndarray:
    """Another valid address of the same person."""
    return np.where(
        d.second_form[j] < 0.5,
        mb.first[j] + "." + mb.last[j] + "@" + d.second_domain[j],
        mb.last[j] + d.number[j] + "@" + d.second_domain[j],
    )


def _malformed(d: AddressDraws, mb: Mailboxes, j: np.ndarray) -> np.ndarray:
    """A malformed variant of the base address."""
    free = [dom for dom, _ in FREE_DOMAINS]
    tld_cut = object_array(dom.split(".")[0] for dom in free)
    double_dot = object_array(dom.replace(".", "..", 1) for dom in free)
    comma = object_array(",".join(dom.rsplit(".", 1)) for dom in free)
    own_j, slug_j, dom_j, loc_j = mb.own_domain[j], mb.company_slug[j], d.domain[j], mb.local[j]
    domain, first, last = mb.domain, mb.first, mb.last
    variants = (
        lambda i: loc_j[i] + "@" + np.where(own_j[i], slug_j[i], tld_cut[dom_j[i]]),
        lambda i: loc_j[i] + "@@" + domain[j[i]],
        lambda i: loc_j[i] + "." + domain[j[i]],
        lambda i: loc_j[i] + "@"
        + np.where(own_j[i], slug_j[i] + "..com.br", double_dot[dom_j[i]]),
        lambda i: first[j[i]] + " " + last[j[i]] + "@" + domain[j[i]],
        lambda i: mb.address[j[i]] + " / " + _second(d, mb, j[i]),  # a separator the ERP ignores
        lambda i: loc_j[i] + "@" + np.where(own_j[i], slug_j[i] + ".com,br", comma[dom_j[i]]),
    )
    out = np.empty(len(j), dtype=object)
    kinds = d.malformed_form[j]
    for k, make in enumerate(variants):
        sel = np.flatnonzero(kinds == k)
        if len(sel):
            out[sel] = make(sel)
    return out


def field_texts(
    kind: np.ndarray, multi_is_invalid: np.ndarray, d: AddressDraws, mb: Mailboxes
) -> np.ndarray:
    """The e-mail field of every recipient by its kind; each variant is built only where used.

    ``multi_is_invalid`` marks the K_MULTI fields whose two addresses are both invalid.
    """
    address = np.full(len(kind), None, dtype=object)
    addr_a, sep = mb.address, d.separator
    ix = np.flatnonzero(kind == K_VALID)
    text = addr_a[ix].copy()
    up = d.decoration[ix] < 0.04
    text[up] = str_op(text[up], np.char.upper)
    spaced = d.decoration[ix] > 0.98
    text[spaced] = " " + text[spaced] + " "
    address[ix] = text
    ix = np.flatnonzero((kind == K_MULTI) & ~multi_is_invalid)
    both = ix[d.multi_form[ix] < 0.7]
    address[both] = addr_a[both] + sep[both] + _second(d, mb, both)
    bad_first = ix[d.multi_form[ix] >= 0.7]
    address[bad_first] = _malformed(d, mb, bad_first) + sep[bad_first] + addr_a[bad_first]
    ix = np.flatnonzero(multi_is_invalid)
    address[ix] = _malformed(d, mb, ix) + sep[ix] + d.placeholder_invalid[ix]
    ix = np.flatnonzero(kind == K_INVALID)
    address[ix] = _malformed(d, mb, ix)
    for k, source in ((K_PH_VALID, d.placeholder_valid), (K_PH_INVALID, d.placeholder_invalid)):
        ix = np.flatnonzero(kind == k)
        address[ix] = source[ix]
    address[kind == K_EMPTY] = ""
    return address
