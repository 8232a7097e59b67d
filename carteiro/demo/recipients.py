"""The recipients of billing e-mail: each customer record and its contacts, their addresses and
their consent (``permite_enviar_email``).

Every customer has its record (``cliente.email_principal``) and 0 to 4 contacts (relatives or
role labels like "Financeiro", a few unnamed, sometimes one with the customer's own name). Each
recipient's field gets a kind of address text (:mod:`carteiro.demo.addresses`) and a consent flag
(true, false or NULL); then each customer's recipient profile is enforced:

- ``no_contact_allows_email``: nobody allows billing e-mail;
- ``no_valid_email``: whoever allows has only empty, placeholder-like or malformed addresses;
- everyone else: the primary recipient (the record, or a contact for 30% of the customers with
  contacts) allows and has a valid address: the one the e-mail routine sends to.

Some ERPs store the flag as text: on SQLite about 2% of the flags are ``'S'``, ``'N'``, ``'sim'``,
``'não'``… (PostgreSQL and MariaDB get real booleans, the same logical values).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from carteiro.demo.addresses import (
    K_EMPTY,
    K_INVALID,
    K_MULTI,
    K_NULL,
    K_PH_INVALID,
    K_PH_VALID,
    K_VALID,
    VALID_KINDS,
    AddressDraws,
    Mailboxes,
    base_addresses,
    draw_address_parts,
    field_texts,
)
from carteiro.demo.customers import P_GOOD, P_NO_ALLOW, P_NO_VALID, Customers, first_name_index
from carteiro.demo.rows import object_array
from carteiro.demo.vocabulary import (
    CONTACT_LABELS,
    FIRST_NAMES_F,
    FIRST_NAMES_M,
    SURNAMES,
    ascii_slug,
)

# Share of each address kind (K_VALID … K_NULL), for customer records and for contacts.
_KIND_P_CADASTRO = [0.845, 0.04, 0.03, 0.015, 0.03, 0.02, 0.02]
_KIND_P_CONTACT = [0.78, 0.03, 0.03, 0.02, 0.04, 0.03, 0.07]


@dataclass
class Recipients:
    """The customer records' fields (one per customer, first) followed by the contacts'."""

    contact_owner: np.ndarray  # customer index of each contact
    contact_name: np.ndarray
    address: np.ndarray  # the e-mail field's text
    allow: np.ndarray  # permite_enviar_email: 1, 0, -1 = NULL
    text_flag: np.ndarray  # text stored instead of the flag on SQLite (None = the flag)
    # per customer
    dest: np.ndarray  # address the routine sends to (None if the customer has none)
    dest_bad: np.ndarray  # destination is a placeholder or a typo domain (bounces more)


@dataclass
class _Contacts:
    count: np.ndarray  # per customer
    owner: np.ndarray  # customer index of each contact
    start: np.ndarray  # per customer: index of its first contact
    name: np.ndarray
    first_name: np.ndarray  # index into FIRST_NAMES_F + FIRST_NAMES_M


def _draw_contacts(rng: np.random.Generator, customers: Customers) -> _Contacts:
    """0 to 4 contacts per customer, named after a relative or a role label."""
    n = len(customers)
    n_contacts = rng.choice(5, n, p=[0.15, 0.35, 0.35, 0.12, 0.03])
    n_cont = int(n_contacts.sum())
    cont_owner = np.repeat(np.arange(n), n_contacts)
    cont_start = np.concatenate([[0], np.cumsum(n_contacts)[:-1]])
    c_f_idx = first_name_index(rng, rng.random(n_cont) < 0.5)
    c_first = object_array(FIRST_NAMES_F + FIRST_NAMES_M)[c_f_idx]
    u = rng.random(n_cont)
    label = object_array(CONTACT_LABELS)[rng.integers(0, len(CONTACT_LABELS), n_cont)]
    c_name = c_first + " " + object_array(SURNAMES)[customers.family_name[cont_owner]]
    c_name = np.where(u < 0.2, label, c_name)
    c_name = np.where((u >= 0.2) & (u < 0.3), label + " - " + c_first, c_name)
    c_name = np.where(u > 0.97, None, c_name)
    # the contact with the customer's own name (the first contact, 40% of the time)
    own = np.zeros(n_cont, dtype=bool)
    own[cont_start[n_contacts > 0]] = rng.random(int((n_contacts > 0).sum())) < 0.4
    c_name = np.where(own, customers.name[cont_owner], c_name)
    c_f_idx = np.where(own, customers.first_name[cont_owner], c_f_idx)
    return _Contacts(n_contacts, cont_owner, cont_start, c_name, c_f_idx)


class _ConsentDraws(NamedTuple):
    kind: np.ndarray  # address kind per recipient, as drawn
    allow: np.ndarray  # permission per recipient, as drawn
    primary: np.ndarray  # per customer: recipient index of its primary recipient
    refuse: np.ndarray  # per recipient: the refusal (0 or NULL) used when nobody may allow
    bad_pick: np.ndarray  # per recipient: the invalid kind used when no address may be valid


def _draw_consent(rng: np.random.Generator, contacts: _Contacts) -> _ConsentDraws:
    """Address kinds, permissions and primary recipients as drawn, before the profiles."""
    n, n_cont = len(contacts.count), len(contacts.owner)
    n_rec = n + n_cont
    kind = np.concatenate(
        [rng.choice(7, n, p=_KIND_P_CADASTRO), rng.choice(7, n_cont, p=_KIND_P_CONTACT)]
    )
    allow = np.concatenate(
        [rng.choice([1, 0, -1], n, p=[0.85, 0.09, 0.06]),
         rng.choice([1, 0, -1], n_cont, p=[0.82, 0.1, 0.08])]
    ).astype(np.int8)
    primary_on_contact = (contacts.count > 0) & (rng.random(n) < 0.3)
    primary = np.where(
        primary_on_contact,
        n + contacts.start + (rng.random(n) * np.maximum(contacts.count, 1)).astype(np.int64),
        np.arange(n),
    )
    refuse = rng.choice([0, -1], n_rec, p=[0.8, 0.2]).astype(np.int8)
    bad_pick = rng.choice(
        [K_INVALID, K_PH_INVALID, K_EMPTY, K_NULL, K_MULTI],  # K_MULTI -> two invalid ones
        n_rec, p=[0.5, 0.12, 0.15, 0.15, 0.08],
    )
    return _ConsentDraws(kind, allow, primary, refuse, bad_pick)


def _enforce_profiles(
    profile: np.ndarray,
    owner: np.ndarray,
    drawn: _ConsentDraws,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Kinds and permissions made to fit each customer's recipient profile (``owner``: the
    customer of every recipient). Also says which K_MULTI fields hold two invalid addresses."""
    kind, allow, primary, refuse, bad_pick = drawn
    kind, allow = kind.copy(), allow.copy()
    r_profile = profile[owner]
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
    kind[g] = np.where(np.isin(kind[g], VALID_KINDS), kind[g], K_VALID)
    return kind, allow, multi_is_invalid


def _destinations(
    profile: np.ndarray, primary: np.ndarray, kind: np.ndarray, d: AddressDraws, mb: Mailboxes
) -> tuple[np.ndarray, np.ndarray]:
    """The address the routine actually sends to (the GOOD customers' primary recipient), and
    whether it is a placeholder or a typo domain."""
    n = len(profile)
    dest = np.full(n, None, dtype=object)
    dest_bad = np.zeros(n, dtype=bool)
    good = profile == P_GOOD
    gp = primary[good]
    dest[good] = np.where(kind[gp] == K_PH_VALID, d.placeholder_valid[gp], mb.address[gp])
    dest_bad[good] = (kind[gp] == K_PH_VALID) | ((kind[gp] != K_PH_VALID) & mb.typo[gp])
    return dest, dest_bad


def _text_flags(rng: np.random.Generator, allow: np.ndarray) -> np.ndarray:
    """Some ERPs store the permission as text; only SQLite keeps it that way (None = the flag)."""
    n_rec = len(allow)
    text_flag = np.where(
        allow == 1,
        object_array(["S", "sim", "Sim", "t"])[rng.integers(0, 4, n_rec)],
        object_array(["N", "não", "Não", "f"])[rng.integers(0, 4, n_rec)],
    )
    text_flag[(rng.random(n_rec) >= 0.02) | (allow == -1)] = None
    return text_flag


def draw_recipients(rng: np.random.Generator, customers: Customers) -> Recipients:
    """The recipients of ``customers``; every random draw of the addresses comes before they
    are built (the stream must not depend on the data)."""
    contacts = _draw_contacts(rng, customers)
    n = len(customers)
    owner = np.concatenate([np.arange(n), contacts.owner])
    draws = draw_address_parts(rng, len(owner))
    drawn = _draw_consent(rng, contacts)
    kind, allow, multi_is_invalid = _enforce_profiles(customers.profile, owner, drawn)

    first_ascii = object_array(ascii_slug(x) for x in FIRST_NAMES_F + FIRST_NAMES_M)
    first_name = np.concatenate([customers.first_name, contacts.first_name])
    family_ascii = object_array(ascii_slug(x) for x in SURNAMES)[customers.family_name]
    mailboxes = base_addresses(
        draws,
        first=first_ascii[first_name],
        initial=object_array(x[:1] for x in first_ascii)[first_name],
        last=family_ascii[owner],
        company=customers.company[owner],
        company_slug=customers.company_slug[owner],
    )
    address = field_texts(kind, multi_is_invalid, draws, mailboxes)
    dest, dest_bad = _destinations(customers.profile, drawn.primary, kind, draws, mailboxes)
    return Recipients(
        contact_owner=contacts.owner,
        contact_name=contacts.name,
        address=address,
        allow=allow,
        text_flag=_text_flags(rng, allow),
        dest=dest,
        dest_bad=dest_bad,
    )
