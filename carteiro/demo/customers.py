"""The customers: who they are (the ``cliente`` record) and the hidden traits that shape their data.

Identity: about 12% companies (``EMPRESA LTDA``-like names, a CNPJ), the rest people with
Brazilian names (middle names, two surnames, ``da``/``dos``/``de`` particles), some names and
cities in capitals, CPF/CNPJ with real check digits (a few digits-only or missing), about 4.5%
inactive records.

Traits, drawn once per customer, so the months look alike: the due day, the payer behaviour
(punctual, early, late, defaulter) and the recipient profile, which decides whether the customer
can get billing e-mail at all (``no_contact_allows_email`` / ``no_valid_email`` for about 5%).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from carteiro.demo.rows import object_array, shares, str_op
from carteiro.demo.vocabulary import (
    BUSINESS_QUALIFIERS,
    BUSINESSES,
    CITIES,
    COMPANY_SUFFIX_P,
    COMPANY_SUFFIXES,
    FIRST_NAMES_F,
    FIRST_NAMES_M,
    MIDDLE_NAMES_F,
    MIDDLE_NAMES_M,
    SURNAME_LINKS,
    SURNAMES,
    ascii_slug,
)

DUE_DAYS = np.array([5, 10, 15, 20, 25])
_DUE_DAY_P = [0.18, 0.32, 0.2, 0.18, 0.12]
# Recipient profile of a customer.
P_GOOD, P_NO_ALLOW, P_NO_VALID = 0, 1, 2
_PROFILE_P = [0.95, 0.024, 0.026]
# Payer behaviour of a customer.
PAY_PUNCTUAL, PAY_EARLY, PAY_LATE, PAY_DEFAULTER = 0, 1, 2, 3
_PAYER_P = [0.755, 0.025, 0.18, 0.04]


@dataclass
class Customers:
    """One entry per customer (index = ``id_cliente - 1``)."""

    company: np.ndarray
    first_name: np.ndarray  # index into FIRST_NAMES_F + FIRST_NAMES_M
    family_name: np.ndarray  # index into SURNAMES: the last surname (contacts, e-mail addresses)
    company_slug: np.ndarray  # the company's name as it appears in e-mail addresses
    name: np.ndarray
    city: np.ndarray
    document: np.ndarray
    active: np.ndarray
    due_day: np.ndarray
    payer: np.ndarray
    profile: np.ndarray

    def __len__(self) -> int:
        return len(self.company)


def first_name_index(rng: np.random.Generator, female: np.ndarray) -> np.ndarray:
    """A first name per entry: index into the women's names followed by the men's."""
    n_f = len(FIRST_NAMES_F)
    fi = rng.integers(0, n_f, len(female))
    mi = rng.integers(0, len(FIRST_NAMES_M), len(female))
    return np.where(female, fi, n_f + mi)


def _person_names(
    rng: np.random.Generator, female: np.ndarray, first_name: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """People's full names and their family names (index into SURNAMES)."""
    n = len(female)
    surnames = object_array(SURNAMES)
    first = object_array(FIRST_NAMES_F + FIRST_NAMES_M)[first_name]
    middle = np.where(
        female,
        object_array(MIDDLE_NAMES_F)[rng.integers(0, len(MIDDLE_NAMES_F), n)],
        object_array(MIDDLE_NAMES_M)[rng.integers(0, len(MIDDLE_NAMES_M), n)],
    )
    has_middle = rng.random(n) < 0.25
    s1i = rng.integers(0, len(SURNAMES), n)
    s2i = rng.integers(0, len(SURNAMES), n)
    two_surnames = (rng.random(n) < 0.7) & (s1i != s2i)
    linked = object_array(
        f"{SURNAME_LINKS[x]} {x}" if x in SURNAME_LINKS else x for x in SURNAMES
    )
    use_link = rng.random((2, n)) < 0.5
    surname1 = np.where(use_link[0], linked[s1i], surnames[s1i])
    surname2 = np.where(use_link[1], linked[s2i], surnames[s2i])
    person = first + np.where(has_middle, " " + middle, "")
    person = person + np.where(two_surnames, " " + surname1, "") + " " + surname2
    return person, s2i


def _company_names(
    rng: np.random.Generator, family_name: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Company names (business, qualifier or family name, suffix) and their e-mail slugs."""
    n = len(family_name)
    biz_i = rng.integers(0, len(BUSINESSES), n)
    qual_i = rng.integers(0, len(BUSINESS_QUALIFIERS), n)
    use_surname = rng.random(n) < 0.45
    qualifier = np.where(
        use_surname, object_array(SURNAMES)[family_name], object_array(BUSINESS_QUALIFIERS)[qual_i]
    )
    suffix = object_array(COMPANY_SUFFIXES)[
        rng.choice(len(COMPANY_SUFFIXES), n, p=COMPANY_SUFFIX_P)
    ]
    company_name = object_array(BUSINESSES)[biz_i] + " " + qualifier + " " + suffix
    company_slug = object_array(ascii_slug(x) for x in BUSINESSES)[biz_i] + np.where(
        use_surname,
        object_array(ascii_slug(x) for x in SURNAMES)[family_name],
        object_array(ascii_slug(x) for x in BUSINESS_QUALIFIERS)[qual_i],
    )
    return company_name, company_slug


def _cities(rng: np.random.Generator, n: int) -> np.ndarray:
    city_names = object_array(c for c, _ in CITIES)
    city = city_names[rng.choice(len(CITIES), n, p=shares([w for _, w in CITIES]))]
    city_upper = rng.random(n) < 0.06
    city[city_upper] = str_op(city[city_upper], np.char.upper)
    return city


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


def draw_customers(rng: np.random.Generator, n: int) -> Customers:
    """``n`` customers: identity first, then traits (the order of the random draws matters)."""
    company = rng.random(n) < 0.12
    female = rng.random(n) < 0.52
    first_name = first_name_index(rng, female)
    person, family_name = _person_names(rng, female, first_name)
    company_name, company_slug = _company_names(rng, family_name)
    name = np.where(company, company_name, person)
    upper = rng.random(n) < 0.22  # many ERPs keep names in capitals
    name[upper] = str_op(name[upper], np.char.upper)
    city = _cities(rng, n)
    document = _document_numbers(rng, n, company)
    active = np.where(rng.random(n) < 0.955, 1, 0).astype(np.int8)
    due_day = DUE_DAYS[rng.choice(len(DUE_DAYS), n, p=_DUE_DAY_P)]
    payer = rng.choice(4, n, p=_PAYER_P)
    profile = rng.choice(3, n, p=_PROFILE_P)
    return Customers(
        company=company,
        first_name=first_name,
        family_name=family_name,
        company_slug=company_slug,
        name=name,
        city=city,
        document=document,
        active=active,
        due_day=due_day,
        payer=payer,
        profile=profile,
    )
