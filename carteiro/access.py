"""Who may open the dashboard: the access rules, read from ``.streamlit/secrets.toml``.

Carteiro shows customers' personal data (names, CPF/CNPJ, e-mail addresses, amounts owed),
so the dashboard supports two ways of keeping it private, chosen by what ``secrets.toml``
holds:

* **OIDC login** (``[auth]``, Streamlit's ``st.login``): the identity provider (Google,
  Microsoft Entra, Keycloak…) authenticates the user and Carteiro lets in only the addresses
  of ``[access] allowed_emails`` or the domains of ``[access] allowed_domains``. With ``[auth]``
  but no allow-list, *nobody* is let in: most providers authenticate any account of theirs,
  so an empty list would open the data to the whole internet.
* **Shared password** (``[access] password = "..."``): one password for the team, compared
  with :func:`hmac.compare_digest` over SHA-256 digests (constant time, no length leak).
  Wrong attempts are slowed down (:func:`failure_delay`).

When both are configured, OIDC wins and the password is ignored. With neither, the dashboard
is **open** to anyone who reaches its port: it must then listen only on a trusted network
(``streamlit run app.py --server.address 127.0.0.1`` behind an SSH tunnel or a VPN, or a
reverse proxy that authenticates).

This module reads plain mappings, never Streamlit, so it is unit-tested directly.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

Mode = Literal["oidc", "password", "open"]

OIDC: Final = "oidc"
PASSWORD: Final = "password"
OPEN: Final = "open"

# Keys of an ``[auth]`` table that configure Streamlit's default provider.
_DEFAULT_PROVIDER_KEYS: Final = frozenset({"client_id", "server_metadata_url"})


@dataclass(frozen=True)
class AccessPolicy:
    mode: Mode
    password: str | None = None
    allowed_emails: frozenset[str] = frozenset()
    allowed_domains: frozenset[str] = frozenset()
    providers: tuple[str | None, ...] = ()  # None: the default ``[auth]`` provider

    @property
    def has_allow_list(self) -> bool:
        return bool(self.allowed_emails or self.allowed_domains)


def _strings(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [part for part in (p.strip() for p in value.replace(";", ",").split(",")) if part]
    if isinstance(value, Iterable):
        return [str(v).strip() for v in value if str(v).strip()]
    return []


def _providers(auth: Mapping[str, Any]) -> tuple[str | None, ...]:
    """The login providers of an ``[auth]`` table: the default one (``client_id`` at the top
    level) and every ``[auth.<name>]`` sub-table."""
    named = tuple(str(k) for k, v in auth.items() if isinstance(v, Mapping))
    default: tuple[str | None, ...] = (None,) if _DEFAULT_PROVIDER_KEYS & set(auth) else ()
    return default + named


def policy_from_secrets(secrets: Mapping[str, Any]) -> AccessPolicy:
    """The access policy a ``secrets.toml`` (already parsed) describes."""
    access = secrets.get("access") or {}
    access = access if isinstance(access, Mapping) else {}
    emails = frozenset(e.lower() for e in _strings(access.get("allowed_emails")))
    domains = frozenset(d.lower().lstrip("@") for d in _strings(access.get("allowed_domains")))
    auth = secrets.get("auth")
    if isinstance(auth, Mapping) and auth:
        providers = _providers(auth)
        if providers:
            return AccessPolicy(OIDC, allowed_emails=emails, allowed_domains=domains,
                                providers=providers)
    password = access.get("password")
    if password is not None and str(password) != "":
        return AccessPolicy(PASSWORD, password=str(password))
    return AccessPolicy(OPEN)


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


def password_matches(policy: AccessPolicy, typed: str | None) -> bool:
    """Whether ``typed`` is the shared password (constant-time comparison)."""
    if policy.mode != PASSWORD or policy.password is None or typed is None:
        return False
    return hmac.compare_digest(_digest(typed), _digest(policy.password))


def email_allowed(policy: AccessPolicy, email: str | None) -> bool:
    """Whether an OIDC-authenticated address is on the allow-list (exact address, any case,
    or its domain). No allow-list: nobody."""
    if not email or "@" not in email:
        return False
    address = email.strip().lower()
    return address in policy.allowed_emails or address.rsplit("@", 1)[1] in (
        policy.allowed_domains)


def failure_delay(failed_attempts: int) -> float:
    """Seconds to wait after the n-th wrong password of a session: 0.5, 1, 2, 4, then 8."""
    if failed_attempts <= 0:
        return 0.0
    return float(min(8.0, 0.5 * 2 ** (failed_attempts - 1)))
