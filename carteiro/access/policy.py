"""Who may open the dashboard: the access policy ``.streamlit/secrets.toml`` describes.

Carteiro shows customers' personal data (names, CPF/CNPJ, e-mail addresses, amounts owed),
so ``secrets.toml`` chooses one of three modes:

* **OIDC login** (``[auth]``, Streamlit's ``st.login``): the identity provider (Google,
  Microsoft Entra, Keycloak…) authenticates the user and Carteiro lets in only the addresses of
  ``[access] allowed_emails`` or the domains of ``[access] allowed_domains`` (exact domain, no
  subdomains).
* **Shared password** (``[access] password = "..."``): one password for the team, compared
  with :func:`hmac.compare_digest` over SHA-256 digests (constant time, no length leak);
  wrong attempts are throttled per client address and per server (:mod:`.throttle`).
* **Open**: neither ``[access]`` nor ``[auth]`` exists. The dashboard is then open to anyone
  who reaches its port and must listen only on a trusted network.

**Fail closed.** A ``secrets.toml`` that cannot be parsed, or an ``[access]`` / ``[auth]``
section that is present but unusable, gives the mode ``invalid``: the dashboard draws nothing
but one pt-BR line per problem, saying what is missing or wrong and where. The cases
(:func:`policy_from_secrets`), each tested:

========================================================  ====================================
``secrets.toml``                                           result
========================================================  ====================================
no ``[access]``, no ``[auth]``                             open
``[access] password`` (non-blank text)                     password
``[auth]`` complete + ``allowed_emails``/``_domains``      OIDC
unreadable file (TOML syntax error)                        invalid
``[acesso]``, ``[Access]``, ``[autenticacao]``…            invalid (misspelled section)
``password``/``allowed_*`` outside any section             invalid
``[access]`` or ``[auth]`` not a table, or empty           invalid
unknown key in ``[access]`` (``senha``, ``pasword``)       invalid (with a suggestion)
``password`` not text, empty or blank                      invalid
``allowed_*`` not text/list, or an entry not an address    invalid
``allowed_*`` without ``[auth]``                           invalid
``password`` together with ``[auth]``                      invalid (choose one)
``[auth]`` without ``redirect_uri`` / ``cookie_secret``    invalid
``redirect_uri`` not ``http(s)://…/oauth2callback``        invalid
``cookie_secret`` shorter than 32 characters               invalid
``[auth]`` without any provider                            invalid
a provider without ``client_id``/``client_secret``/
``server_metadata_url`` (or empty), or named with ``_``    invalid
``password``/``allowed_*`` written inside ``[auth]``       invalid (belongs in ``[access]``)
``[auth]`` with an empty allow-list                        invalid (nobody could get in)
========================================================  ====================================

No message ever repeats a secret value (password, client secret, cookie secret).

This module reads plain mappings, never Streamlit, so it is unit-tested directly.
"""

from __future__ import annotations

import difflib
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

Mode = Literal["oidc", "password", "open", "invalid"]

OIDC: Final = "oidc"
PASSWORD: Final = "password"
OPEN: Final = "open"
INVALID: Final = "invalid"

ACCESS: Final = "access"
AUTH: Final = "auth"
K_PASSWORD: Final = "password"
K_EMAILS: Final = "allowed_emails"
K_DOMAINS: Final = "allowed_domains"
ACCESS_KEYS: Final = (K_PASSWORD, K_EMAILS, K_DOMAINS)
AUTH_SETTINGS: Final = ("redirect_uri", "cookie_secret")
PROVIDER_KEYS: Final = ("client_id", "client_secret", "server_metadata_url")
# Keys of [auth] that configure the default provider but are not providers themselves.
DEFAULT_PROVIDER_OPTIONS: Final = frozenset({"client_kwargs", "expose_tokens"})
MIN_COOKIE_SECRET: Final = 32
CALLBACK_PATH: Final = "/oauth2callback"

# Section names an administrator may have meant as [access] or [auth].
_LOOKALIKES: Final = {"acesso": ACCESS, "acessos": ACCESS, "autenticacao": AUTH,
                      "autenticação": AUTH, "login": AUTH, "oidc": AUTH, "oauth": AUTH}
_EMAIL: Final = re.compile(r"[^\s@,;<>()\[\]\"']+@([^\s@,;<>()\[\]\"']+\.[^\s@,;.<>()\[\]\"']+)")
_DOMAIN: Final = re.compile(r"[^\s@,;<>()\[\]\"'/:]+\.[^\s@,;.<>()\[\]\"'/:]+")
_URL: Final = re.compile(r"https?://[^\s/]+(/\S*)?", re.IGNORECASE)


@dataclass(frozen=True)
class AccessPolicy:
    mode: Mode
    password: str | None = field(default=None, repr=False)
    allowed_emails: frozenset[str] = frozenset()
    allowed_domains: frozenset[str] = frozenset()
    providers: tuple[str | None, ...] = ()  # None: the default ``[auth]`` provider
    problems: tuple[str, ...] = ()  # mode invalid: what is wrong, one pt-BR line each


def unreadable(error: str) -> AccessPolicy:
    """The policy of a ``secrets.toml`` that exists but cannot be parsed: nobody gets in."""
    detail = f": {error}" if error else ""
    return AccessPolicy(INVALID, problems=(
        f"O arquivo .streamlit/secrets.toml não pôde ser lido{detail}. Corrija a sintaxe "
        "TOML (aspas, colchetes, sinais de igual).",))


def policy_from_secrets(secrets: Mapping[str, Any]) -> AccessPolicy:
    """The access policy of a parsed ``secrets.toml`` (see the table in the module's doc)."""
    problems = _stray_keys(secrets)
    has_access, has_auth = ACCESS in secrets, AUTH in secrets
    access = _table(secrets, ACCESS, problems)
    auth = _table(secrets, AUTH, problems)
    password = _password(access, problems) if access is not None else None
    emails = _allow_list(access, K_EMAILS, _EMAIL, "um endereço de e-mail", problems)
    domains = _allow_list(access, K_DOMAINS, _DOMAIN, "um domínio", problems)
    domains = frozenset(d.lstrip("@") for d in domains)
    if access is not None:
        _unknown_access_keys(access, problems)
    providers: tuple[str | None, ...] = ()
    if has_auth:
        providers = _check_auth(auth, problems) if auth is not None else ()
        if has_access and access is not None and K_PASSWORD in access:
            problems.append(
                "[access] password e [auth] estão configurados juntos: escolha um. Para o login "
                "com a conta (OIDC), apague password; para a senha da equipe, apague [auth].")
        if not emails and not domains and not _mentions_allow_list(access):
            problems.append(
                "Com [auth], informe quem pode entrar: [access] allowed_emails (endereços) ou "
                "allowed_domains (domínios). Sem a lista, ninguém entra.")
    elif access is not None and _mentions_allow_list(access):
        problems.append(
            "[access] allowed_emails / allowed_domains só valem com o login OIDC, e a seção "
            "[auth] não existe. Configure [auth] ou, para usar a senha da equipe, troque a "
            "lista por password.")
    if problems:
        return AccessPolicy(INVALID, problems=tuple(problems))
    if has_auth:
        return AccessPolicy(OIDC, allowed_emails=emails, allowed_domains=domains,
                            providers=providers)
    if password is not None:
        return AccessPolicy(PASSWORD, password=password)
    return AccessPolicy(OPEN)


def _stray_keys(secrets: Mapping[str, Any]) -> list[str]:
    """Misspelled [access]/[auth] sections, and access keys written before any section."""
    problems: list[str] = []
    for key, value in secrets.items():
        name = str(key)
        if name in (ACCESS, AUTH):
            continue
        if name in ACCESS_KEYS:
            problems.append(f"A chave {name} está fora de uma seção: escreva-a logo abaixo "
                            "da linha [access].")
            continue
        if not isinstance(value, Mapping):
            continue
        meant = _LOOKALIKES.get(name.lower()) or next(
            iter(difflib.get_close_matches(name.lower(), [ACCESS, AUTH], n=1, cutoff=0.75)),
            None)
        if meant:
            problems.append(f"A seção [{name}] não é reconhecida: a seção de acesso se chama "
                            f"[{meant}] (em minúsculas).")
    return problems


def _table(secrets: Mapping[str, Any], name: str, problems: list[str]) -> Mapping[str, Any] | None:
    """The section ``name`` when it is a non-empty table; its problem otherwise."""
    if name not in secrets:
        return None
    value = secrets[name]
    if not isinstance(value, Mapping):
        problems.append(f"{name} deve ser uma seção: uma linha [{name}] seguida das suas "
                        "chaves, uma por linha.")
        return None
    if not value:
        problems.append(f"A seção [{name}] está vazia: preencha-a (veja "
                        ".streamlit/secrets.toml.example) ou apague a linha [{name}].")
        return None
    return value


def _password(access: Mapping[str, Any], problems: list[str]) -> str | None:
    if K_PASSWORD not in access:
        return None
    value = access[K_PASSWORD]
    if not isinstance(value, str):
        problems.append('[access] password deve ser um texto entre aspas, por exemplo '
                        'password = "uma-frase-longa".')
        return None
    if not value.strip():
        problems.append("[access] password está vazia: escreva a senha da equipe entre as "
                        "aspas ou apague a linha.")
        return None
    return value


def _unknown_access_keys(access: Mapping[str, Any], problems: list[str]) -> None:
    for key in access:
        if key in ACCESS_KEYS:
            continue
        name = str(key)
        guess = difflib.get_close_matches(name.lower(), ACCESS_KEYS, n=1, cutoff=0.6)
        if name.lower() in ("senha", "senhas", "pass", "passwd", "pwd"):
            guess = [K_PASSWORD]
        hint = f" Você quis dizer {guess[0]}?" if guess else ""
        problems.append(f"[access] tem a chave desconhecida «{name}».{hint} As chaves aceitas "
                        f"são {', '.join(ACCESS_KEYS)}.")


def _mentions_allow_list(access: Mapping[str, Any] | None) -> bool:
    return access is not None and (K_EMAILS in access or K_DOMAINS in access)


def _entries(value: Any) -> list[Any] | None:
    """The entries of an allow-list: a list, or one text split at commas and semicolons."""
    if isinstance(value, str):
        return [part.strip() for part in re.split(r"[,;]", value) if part.strip()]
    if isinstance(value, list | tuple):
        return list(value)
    return None


def _allow_list(access: Mapping[str, Any] | None, key: str, pattern: re.Pattern[str],
                what: str, problems: list[str]) -> frozenset[str]:
    """The valid entries of ``[access] key`` (lower case); a problem per bad entry."""
    if access is None or key not in access:
        return frozenset()
    entries = _entries(access[key])
    if entries is None:
        example = "ana@provedor.com.br" if key == K_EMAILS else "provedor.com.br"
        problems.append(f'[access] {key} deve ser uma lista entre colchetes, por exemplo '
                        f'{key} = ["{example}"].')
        return frozenset()
    found: set[str] = set()
    for entry in entries:
        text = entry.strip().lower() if isinstance(entry, str) else None
        if key == K_DOMAINS and text:
            text = text.removeprefix("@")
        if text and pattern.fullmatch(text):
            found.add(text)
        else:
            problems.append(f"[access] {key}: «{entry}» não é {what}.")
    if not entries:
        problems.append(f"[access] {key} está vazia: sem ninguém na lista, ninguém entra.")
    return frozenset(found)


def _check_auth(auth: Mapping[str, Any], problems: list[str]) -> tuple[str | None, ...]:
    """The providers of a usable ``[auth]``; a problem for everything Streamlit's ``st.login``
    would refuse (or accept unsafely)."""
    for key in (K_PASSWORD, K_EMAILS, K_DOMAINS):
        if key in auth:
            problems.append(f"{key} está dentro de [auth], mas pertence a [access]: mova a "
                            "linha para baixo de uma linha [access].")
    missing = [key for key in AUTH_SETTINGS if not _text(auth.get(key))]
    if missing:
        problems.append(f"[auth] está sem {_and(missing)} (texto entre aspas), que o login "
                        "com a conta exige.")
    redirect = auth.get("redirect_uri")
    if _text(redirect) and not (_URL.fullmatch(str(redirect).strip())
                                and str(redirect).strip().endswith(CALLBACK_PATH)):
        problems.append(f"[auth] redirect_uri deve ser o endereço público do Carteiro terminado "
                        f"em {CALLBACK_PATH}, por exemplo "
                        f"https://carteiro.provedor.com.br{CALLBACK_PATH}.")
    secret = auth.get("cookie_secret")
    if _text(secret) and len(str(secret).strip()) < MIN_COOKIE_SECRET:
        problems.append(f"[auth] cookie_secret é curto demais: use pelo menos "
                        f"{MIN_COOKIE_SECRET} caracteres aleatórios (por exemplo, a saída de "
                        "python -c \"import secrets; print(secrets.token_hex(32))\").")
    providers = _providers(auth, problems)
    if not providers:
        problems.append("[auth] não configura nenhum provedor de login: informe client_id, "
                        "client_secret e server_metadata_url em [auth] (ou numa seção "
                        "[auth.<nome>], por exemplo [auth.google]).")
    return providers


def _providers(auth: Mapping[str, Any], problems: list[str]) -> tuple[str | None, ...]:
    """The default provider (its keys at the top of ``[auth]``) and every ``[auth.<name>]``
    table; a problem for each incomplete one."""
    providers: list[str | None] = []
    if any(key in auth for key in PROVIDER_KEYS) and _provider_complete(auth, "[auth]",
                                                                         problems):
        providers.append(None)
    for key, value in auth.items():
        if not isinstance(value, Mapping) or key in DEFAULT_PROVIDER_OPTIONS:
            continue
        name = str(key)
        if "_" in name:
            problems.append(f"O provedor [auth.{name}] tem «_» no nome, o que o login do "
                            "Streamlit não aceita: use só letras, números e hífen.")
        elif _provider_complete(value, f"[auth.{name}]", problems):
            providers.append(name)
    return tuple(providers)


def _provider_complete(section: Mapping[str, Any], where: str, problems: list[str]) -> bool:
    missing = [key for key in PROVIDER_KEYS if not _text(section.get(key))]
    if missing:
        problems.append(f"{where} está sem {_and(missing)} (texto entre aspas), que o "
                        "provedor de login exige.")
        return False
    url = str(section["server_metadata_url"]).strip()
    if not _URL.fullmatch(url):
        problems.append(f"{where} server_metadata_url deve ser um endereço http(s)://, por "
                        "exemplo https://accounts.google.com/.well-known/openid-configuration.")
        return False
    return True


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " e " + words[-1]


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


def password_matches(policy: AccessPolicy, typed: str | None) -> bool:
    """Whether ``typed`` is the shared password (constant-time comparison)."""
    if policy.mode != PASSWORD or policy.password is None or typed is None:
        return False
    return hmac.compare_digest(_digest(typed), _digest(policy.password))


def email_allowed(policy: AccessPolicy, email: str | None) -> bool:
    """Whether an OIDC-authenticated address is on the allow-list (exact address, any case,
    or exactly its domain). Any other mode, or no allow-list: nobody."""
    if policy.mode != OIDC or not email or "@" not in email:
        return False
    address = email.strip().lower()
    return address in policy.allowed_emails or address.rsplit("@", 1)[1] in (
        policy.allowed_domains)
