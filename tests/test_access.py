"""The dashboard's doors without Streamlit: the access policy of every shape of
``secrets.toml`` (fail closed), the login throttle (per address, per server, under parallel
guesses, with a fake clock), and the escaping of ERP text for Markdown."""

from __future__ import annotations

import re
import string
import threading
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carteiro import access
from carteiro.access.markup import WORD_JOINER
from carteiro.access.throttle import LOCAL

SECRET = "s3gredo-que-nunca-aparece"
COOKIE = "c" * 40
METADATA = "https://idp.example/.well-known/openid-configuration"
PROVIDER = {"client_id": "carteiro", "client_secret": SECRET, "server_metadata_url": METADATA}
AUTH = {"redirect_uri": "https://carteiro.example/oauth2callback", "cookie_secret": COOKIE,
        **PROVIDER}
ALLOW = {"allowed_emails": ["ana@provedor.com.br"]}

# ---- Policy: every case of the table in carteiro/access/policy.py ----------------------------

VALID: list[tuple[str, dict[str, Any], str]] = [
    ("nothing", {}, access.OPEN),
    ("other sections only", {"connections": {"erp": {"url": "sqlite://"}},
                             "senders": {"1": {"password": "x"}}}, access.OPEN),
    ("password", {"access": {"password": SECRET}}, access.PASSWORD),
    ("oidc default provider", {"auth": AUTH, "access": ALLOW}, access.OIDC),
    ("oidc named providers", {"auth": {"redirect_uri": AUTH["redirect_uri"],
                                       "cookie_secret": COOKIE, "google": PROVIDER,
                                       "client_kwargs": {"prompt": "login"}},
                              "access": {"allowed_domains": "@Provedor.com.br; firma.com"}},
     access.OIDC),
]

# (case, secrets, words the one problem must contain)
INVALID: list[tuple[str, dict[str, Any], tuple[str, ...]]] = [
    ("auth without provider + allow-list (reported)",
     {"auth": {"redirect_uri": AUTH["redirect_uri"], "cookie_secret": COOKIE},
      "access": ALLOW}, ("nenhum provedor",)),
    ("empty password (reported)", {"access": {"password": ""}}, ("password está vazia",)),
    ("blank password", {"access": {"password": "   "}}, ("password está vazia",)),
    ("senha instead of password (reported)", {"access": {"senha": SECRET}},
     ("«senha»", "password")),
    ("pasword (reported)", {"access": {"pasword": SECRET}}, ("«pasword»", "password?")),
    ("password not text", {"access": {"password": 1234}}, ("texto entre aspas",)),
    ("password list", {"access": {"password": [SECRET]}}, ("texto entre aspas",)),
    ("misspelled section", {"acesso": {"password": SECRET}}, ("[acesso]", "[access]")),
    ("capitalised section", {"Access": {"password": SECRET}}, ("[Access]", "[access]")),
    ("misspelled auth", {"auht": AUTH, "access": ALLOW}, ("[auht]", "[auth]")),
    ("password outside a section", {"password": SECRET}, ("fora de uma seção",)),
    ("access not a table", {"access": SECRET}, ("access deve ser uma seção",)),
    ("empty access", {"access": {}}, ("[access] está vazia",)),
    ("empty auth", {"auth": {}, "access": ALLOW}, ("[auth] está vazia",)),
    ("auth not a table", {"auth": "google", "access": ALLOW}, ("auth deve ser uma seção",)),
    ("allow-list without auth", {"access": ALLOW}, ("[auth]", "não existe")),
    ("allow-list beside a password, no auth",
     {"access": {"password": SECRET, **ALLOW}}, ("não existe",)),
    ("allow-list not a list", {"auth": AUTH, "access": {"allowed_emails": 7}},
     ("lista entre colchetes",)),
    ("allow-list entry not an address", {"auth": AUTH, "access": {"allowed_emails": ["ana"]}},
     ("«ana» não é um endereço",)),
    ("domain entry not a domain", {"auth": AUTH, "access": {"allowed_domains": ["a b"]}},
     ("«a b» não é um domínio",)),
    ("empty allow-list with auth", {"auth": AUTH, "access": {"allowed_emails": []}},
     ("está vazia", "ninguém entra")),
    ("auth without any allow-list", {"auth": AUTH}, ("informe quem pode entrar",)),
    ("password and auth together", {"auth": AUTH, "access": {**ALLOW, "password": SECRET}},
     ("juntos", "escolha um")),
    ("no redirect_uri", {"auth": {k: v for k, v in AUTH.items() if k != "redirect_uri"},
                         "access": ALLOW}, ("redirect_uri",)),
    ("no cookie_secret", {"auth": {k: v for k, v in AUTH.items() if k != "cookie_secret"},
                          "access": ALLOW}, ("cookie_secret",)),
    ("redirect_uri without callback", {"auth": {**AUTH, "redirect_uri": "https://x.example/"},
                                       "access": ALLOW}, ("/oauth2callback",)),
    ("short cookie secret", {"auth": {**AUTH, "cookie_secret": "curto"}, "access": ALLOW},
     ("curto demais",)),
    ("default provider without client_secret",
     {"auth": {k: v for k, v in AUTH.items() if k != "client_secret"}, "access": ALLOW},
     ("[auth] está sem client_secret",)),
    ("named provider without metadata",
     {"auth": {"redirect_uri": AUTH["redirect_uri"], "cookie_secret": COOKIE,
               "google": {"client_id": "g", "client_secret": SECRET}}, "access": ALLOW},
     ("[auth.google]", "server_metadata_url")),
    ("provider with empty client_id", {"auth": {**AUTH, "client_id": " "}, "access": ALLOW},
     ("client_id",)),
    ("metadata not a URL", {"auth": {**AUTH, "server_metadata_url": "idp.example"},
                            "access": ALLOW}, ("http(s)://",)),
    ("provider name with underscore",
     {"auth": {"redirect_uri": AUTH["redirect_uri"], "cookie_secret": COOKIE,
               "my_idp": PROVIDER}, "access": ALLOW}, ("«_»",)),
    ("allow-list written inside auth", {"auth": {**AUTH, **ALLOW}},
     ("dentro de [auth]", "[access]")),
]


@pytest.mark.parametrize(("secrets", "mode"), [c[1:] for c in VALID], ids=[c[0] for c in VALID])
def test_usable_configurations(secrets: dict[str, Any], mode: str) -> None:
    policy = access.policy_from_secrets(secrets)
    assert (policy.mode, policy.problems) == (mode, ())


@pytest.mark.parametrize(("secrets", "words"), [c[1:] for c in INVALID],
                         ids=[c[0] for c in INVALID])
def test_unusable_configurations_fail_closed(secrets: dict[str, Any],
                                             words: tuple[str, ...]) -> None:
    policy = access.policy_from_secrets(secrets)
    assert policy.mode == access.INVALID
    said = "\n".join(policy.problems)
    assert any(all(word in problem for word in words) for problem in policy.problems), said
    # Nothing lets anyone in, and no message repeats a secret.
    assert not access.password_matches(policy, SECRET)
    assert not access.email_allowed(policy, "ana@provedor.com.br")
    assert SECRET not in said and COOKIE not in said
    assert SECRET not in repr(policy)


def test_unreadable_file_fails_closed() -> None:
    policy = access.unreadable("Expected '=' after a key (at line 3, column 8)")
    assert policy.mode == access.INVALID
    assert "line 3" in policy.problems[0] and "secrets.toml" in policy.problems[0]


def test_password_and_allow_list_matching() -> None:
    policy = access.policy_from_secrets({"access": {"password": "abre-te sésamo"}})
    assert access.password_matches(policy, "abre-te sésamo")
    assert not access.password_matches(policy, "abre-te sesamo")
    assert not access.password_matches(policy, None)
    assert "sésamo" not in repr(policy)
    oidc = access.policy_from_secrets({
        "auth": AUTH, "access": {"allowed_emails": "a@x.com; B@y.com",
                                 "allowed_domains": ["@Firma.com"]}})
    assert oidc.providers == (None,)
    assert access.email_allowed(oidc, "b@Y.com")
    assert access.email_allowed(oidc, "qualquer@firma.com")
    assert not access.email_allowed(oidc, "a@sub.firma.com")  # exact domain only
    assert not access.email_allowed(oidc, "a@x.com.evil")
    assert not access.email_allowed(oidc, None)
    assert not access.password_matches(oidc, "x")
    named = access.policy_from_secrets(VALID[-1][1])
    assert named.providers == ("google",)  # client_kwargs is an option, not a provider


# ---- Throttle ---------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def fail(throttle: access.LoginThrottle, address: str | None, times: int) -> list[bool]:
    return [throttle.attempt(address).allowed for _ in range(times)]


def test_an_address_is_locked_out_after_its_limit_for_the_lockout_time() -> None:
    clock = Clock()
    throttle = access.LoginThrottle(limit=10, server_limit=100, window=900, lockout=900,
                                    clock=clock)
    assert fail(throttle, "198.51.100.1", 10) == [True] * 10
    refused = throttle.attempt("198.51.100.1")
    assert (refused.allowed, refused.scope) == (False, "address")
    assert refused.retry_at == pytest.approx(clock.now + 900)
    assert throttle.attempt("198.51.100.2").allowed  # another address is not affected
    clock.now += 899
    assert not throttle.attempt("198.51.100.1").allowed
    clock.now += 2  # the lock-out and the window are over: a fresh start
    attempt = throttle.attempt("198.51.100.1")
    assert attempt.allowed and attempt.failures == 1


def test_failures_outside_the_window_are_forgotten() -> None:
    clock = Clock()
    throttle = access.LoginThrottle(limit=3, window=60, lockout=600, clock=clock)
    assert fail(throttle, None, 2) == [True, True]
    clock.now += 61
    assert throttle.failures(None) == 0
    assert fail(throttle, None, 3) == [True, True, True]
    assert not throttle.attempt(None).allowed
    assert access.LoginThrottle.key(None) == LOCAL == access.LoginThrottle.key("  ")


def test_the_server_ceiling_stops_many_addresses() -> None:
    clock = Clock()
    throttle = access.LoginThrottle(limit=5, server_limit=12, window=900, lockout=900,
                                    clock=clock)
    allowed = [throttle.attempt(f"203.0.113.{n % 7}").allowed for n in range(40)]
    assert sum(allowed) == 12
    refused = throttle.attempt("192.0.2.99")  # a new address too
    assert (refused.allowed, refused.scope) == (False, "server")
    clock.now += 901
    assert throttle.attempt("192.0.2.99").allowed


def test_a_right_password_clears_its_address_and_lifts_a_lock_it_caused() -> None:
    clock = Clock()
    throttle = access.LoginThrottle(limit=3, server_limit=3, clock=clock)
    fail(throttle, "a", 2)
    last = throttle.attempt("a")  # the third attempt locks both, until it turns out right
    assert not throttle.attempt("b").allowed
    throttle.succeeded(last)
    assert throttle.failures("a") == 0
    assert throttle.attempt("a").allowed  # both locks lifted: the server holds 2 failures
    assert not throttle.attempt("b").allowed  # and that attempt made 3 again


def test_parallel_guesses_cannot_slip_under_the_limit() -> None:
    throttle = access.LoginThrottle(limit=10, server_limit=1000)
    start = threading.Barrier(32)
    results: list[bool] = []
    lock = threading.Lock()

    def guess() -> None:
        start.wait()
        for _ in range(5):
            allowed = throttle.attempt("198.51.100.9").allowed
            with lock:
                results.append(allowed)

    threads = [threading.Thread(target=guess) for _ in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 160 and sum(results) == 10


def test_failure_delay_grows_and_is_capped() -> None:
    assert [access.failure_delay(n) for n in (0, 1, 2, 5, 9)] == [0.0, 0.5, 1.0, 8.0, 8.0]


# ---- Markup -----------------------------------------------------------------------------------

HOSTILE = [
    "![b](http://127.0.0.1:9/x.png)", "[aqui](https://evil.example/a)", "https://evil.example",
    "WWW.evil.example", "(www.evil.example)", "ana@evil.example", "mailto:ana@evil.example",
    "<img src=http://h/x.png>", "<a href='http://evil'>z</a>", ":red[x] :material/home:",
    "$x^2$", "**negrito** _itálico_ ~~riscado~~ `código`", "# título\n\n- item\n1. um",
    "&lt;img&gt; &#60;", "| a | b |\n|---|---|", "linha\r\noutra\x00\x1b[31m", "\\*",
]
PUNCTUATION = set(string.punctuation)


def unescape(markdown: str) -> str:
    """What the text of :func:`access.text` reads once its escapes are resolved."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown)


def assert_inert(value: str) -> None:
    out = access.text(value)
    # Every ASCII punctuation character is escaped.
    unescaped = re.sub(r"\\[!-/:-@\[-`{-~]", "", out)
    assert not PUNCTUATION & set(unescaped), out
    # Once escapes are resolved, no autolink or directive pattern is left whole.
    resolved = unescape(out)
    assert "://" not in resolved
    assert not re.search(r"(?<![^\W_])www\.", resolved, re.IGNORECASE)
    assert not re.search(r"@[^\u2060]", resolved)
    assert not re.search(r":[^\W\d_]", resolved)
    # One line, and nothing but the joiners added.
    assert not re.search(r"[\x00-\x1f\x7f]", out)
    expected = re.sub(r"[\x00-\x1f\x7f\u2028\u2029]+", " ", value).strip()
    assert resolved.replace(WORD_JOINER, "") == expected.replace(WORD_JOINER, "")


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_erp_text_is_inert(value: str) -> None:
    assert_inert(value)


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=80)
       | st.lists(st.sampled_from(["http", "://", "www", ".", "@", ":", "material/", "x",
                                   "[", "](", ")", "!", "<", ">", " ", "\n", "ção"]),
                  max_size=20).map("".join))
def test_any_text_is_inert(value: str) -> None:
    assert_inert(value)


def test_plain_text_stays_readable() -> None:
    assert access.text("Maria da Silva") == "Maria da Silva"
    assert access.text(None) == ""
    assert access.text(42) == "42"
    assert unescape(access.text("R$ 1.234,56 às 12:30")) == "R$ 1.234,56 às 12:30"
