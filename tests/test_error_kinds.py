"""The error kind of a failed notice (domain.md, the error-kind table): each kind alone, the
precedence of the lines, and the whole-token rules of reply and enhanced codes, with tables of
real server replies and hypothesis-generated messages."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carteiro.delivery.classify import classify_message, classify_messages
from tests.delivery_helpers import deliver, error_kind_of, log
from tests.erp_builder import Erp

# Each kind alone: real replies (and each listed token on its own).
ALONE = {
    "auth_failed": ["535 5.7.8 Authentication credentials invalid", "535", "5.7.8",
                    "SMTP Error: Could not authenticate.", "Falha de autenticação no SMTP",
                    "AUTHENTICATION REQUIRED"],
    "recipient_unknown": [
        "550 5.1.1 <joao@exemplo.com.br>: Recipient address rejected: User unknown in virtual "
        "mailbox table", "5.1.10", "unknown user", "No such user here",
        "The account does not exist", "Usuário não existe", "Destinatário inexistente"],
    "mailbox_full": ["552 5.2.2 Mailbox full", "552", "5.2.2", "Quota exceeded",
                     "Caixa cheia", "MAILBOX FULL"],
    "rejected_policy": ["554 5.7.1 Message rejected as spam", "554", "5.7.1", "5.7.26",
                        "5.7.123", "Blocked by policy", "listed on a blacklist",
                        "Mensagem bloqueada", "SPF fail", "DKIM signature invalid",
                        "DMARC policy"],
    "invalid_address": ["553 5.1.3 Bad recipient address syntax", "553", "501", "5.1.3",
                        "Endereço inválido", "endereco invalido"],
    "temporary": ["421 4.7.0 Try again later", "421", "450", "499", "4.2.1", "4.123.45",
                  "Greylisted, please retry", "Servidor ocupado, tente novamente"],
    "connection": ["Connection timed out", "read timeout", "Connection refused",
                   "Connection reset by peer", "Could not connect to SMTP host",
                   "Name or service not known", "Tempo esgotado", "Conexão recusada"],
    "other": ["Erro desconhecido", "", "   ", "500 erro interno",
              "550 Requested action not taken", "4.7", "5.7", "55", "5521"],
}


@pytest.mark.parametrize(("kind", "message"),
                         [(k, m) for k, ms in ALONE.items() for m in ms])
def test_each_kind_alone(kind, message):
    assert classify_message(message) == kind


def test_a_null_message_is_other():
    assert classify_message(None) == "other"
    kinds = classify_messages(pd.Series(["552 Mailbox full", None, pd.NA], dtype="string"))
    assert kinds.astype(str).tolist() == ["mailbox_full", "other", "other"]


@pytest.mark.parametrize(("message", "kind"), [
    ("535 5.1.1 mailbox full", "auth_failed"),  # line 1 before 2 and 3
    ("550 5.1.1 Authentication of the user failed", "auth_failed"),
    ("552 5.7.1 rejected as spam", "mailbox_full"),  # 3 before 4
    ("554 5.2.2 quota", "mailbox_full"),
    ("5.7.8 spam", "auth_failed"),  # 5.7.8 is line 1, not any 5.7.x
    ("421 user unknown", "recipient_unknown"),
    ("554 4.7.0 try again", "rejected_policy"),  # 4 before 6
    ("553 5.1.3 spam", "rejected_policy"),
    ("501 timeout", "invalid_address"),  # 5 before 7
    ("451 connection timed out", "temporary"),  # 6 before 7
    ("Connection refused: 552 Mailbox full", "mailbox_full"),  # the first LINE, not position
])
def test_the_first_matching_line_wins(message, kind):
    assert classify_message(message) == kind


@pytest.mark.parametrize("message", [
    "10421 ms", "[10.4.7.1]", "smtp.exemplo.com:465", "host:421", "code 5521", "x552",
    "552x", "_552", "552_", "1.552", "552.3", "v5.1.1", "5.1.1a", "15.1.1", "5.1.1.2",
    "0.5.7.1", "4.7.1.0", "5.7.1234", "4.1234.1", "porta:554", "5.1.1_", "a5.7.26",
    "Tempo 4.7 ms",
])
def test_codes_only_as_whole_tokens(message):
    assert classify_message(message) == "other"


@pytest.mark.parametrize(("message", "kind"), [
    ("Erro 552.", "mailbox_full"),  # a full stop after a code
    ("(552)", "mailbox_full"),
    ("550-5.1.1 The email account does not", "recipient_unknown"),
    ("code=535,", "auth_failed"),
    ("reply: 421 4.7.0", "temporary"),  # a space after the colon
    ("a.5.1.1", "recipient_unknown"),  # a dot whose other side is a letter
    ("5.1.1.", "recipient_unknown"),
    ("status 5.1.10;", "recipient_unknown"),
    ("5.1.1\n", "recipient_unknown"),
])
def test_codes_between_other_characters(message, kind):
    assert classify_message(message) == kind


def test_accents_as_written():
    assert classify_message("NÃO EXISTE") == "recipient_unknown"
    assert classify_message("nao existe") == "other"
    assert classify_message("na\u0303o existe") == "recipient_unknown"  # combining tilde


# Generated messages ---------------------------------------------------------------------------
# Noise that can hold no word of the table (no vowel) and no digit.
NOISE = st.text(alphabet="xzkqwXZKQW ,;()<>[]/#*", max_size=12)
CODES = [("535", "auth_failed", True), ("5.7.8", "auth_failed", False),
         ("5.1.1", "recipient_unknown", False), ("5.1.10", "recipient_unknown", False),
         ("552", "mailbox_full", True), ("5.2.2", "mailbox_full", False),
         ("554", "rejected_policy", True), ("5.7.2", "rejected_policy", False),
         ("5.7.133", "rejected_policy", False), ("553", "invalid_address", True),
         ("501", "invalid_address", True), ("5.1.3", "invalid_address", False),
         ("421", "temporary", True), ("450", "temporary", True), ("4.4.1", "temporary", False),
         ("4.16.200", "temporary", False)]
GOOD_EDGES = st.sampled_from(["", " ", "(", ")", "<", ">", "[", "]", ",", ";", "-", "=", "/",
                              "x."])
BAD_BEFORE = st.sampled_from(["a", "Z", "7", "_", "9.", "é"])
BAD_AFTER = st.sampled_from(["a", "Z", "7", "_", ".9", "é"])
# (a digit after an enhanced code may make another one: 5.7.8 then 7 is 5.7.87, a 5.7.x)


@settings(max_examples=300)
@given(code=st.sampled_from(CODES), left=NOISE, right=NOISE, before=GOOD_EDGES,
       after=GOOD_EDGES)
def test_a_whole_token_code_is_found(code, left, right, before, after):
    text, kind, reply = code
    after = ".x" if after == "x." else after  # a dot whose other side is a letter
    if reply and before.endswith(":"):
        return
    assert classify_message(f"{left} {before}{text}{after} {right}") == kind


@settings(max_examples=300)
@given(code=st.sampled_from(CODES), left=NOISE, right=NOISE, bad=st.booleans(),
       before=BAD_BEFORE, after=BAD_AFTER)
def test_a_code_glued_to_a_letter_digit_underscore_or_number_is_not_found(
        code, left, right, bad, before, after):
    text, _kind, reply = code
    if not reply and after == "7":
        after = "_"
    message = f"{left} {before}{text} {right}" if bad else f"{left} {text}{after} {right}"
    assert classify_message(message) == "other"


@settings(max_examples=200)
@given(code=st.sampled_from([c for c in CODES if c[2]]), left=NOISE, right=NOISE)
def test_a_reply_code_after_a_colon_is_a_port(code, left, right):
    assert classify_message(f"{left}smtp.exemplo.com:{code[0]}{right}") == "other"


@settings(max_examples=200)
@given(millis=st.integers(1000, 10**7), parts=st.lists(st.integers(0, 255), min_size=4,
                                                          max_size=4),
       port=st.integers(1, 65535))
def test_durations_addresses_and_ports_hold_no_code(millis, parts, port):
    """``10421 ms``, ``[10.4.7.1]``, ``smtp.exemplo.com:465``: numbers that are not codes."""
    ip = ".".join(map(str, parts))
    assert classify_message(f"{millis} ms") == "other"
    assert classify_message(f"[{ip}]") == "other"  # 4.x.x and 5.7.x inside are no codes
    assert classify_message(f"smtp.exemplo.com:{port}") == "other"


@settings(max_examples=100)
@given(word=st.sampled_from(["authentication", "quota", "spam", "syntax", "try again",
                             "timed out", "user unknown", "não existe"]),
       left=NOISE, right=NOISE, upper=st.booleans())
def test_words_match_as_substrings_in_any_case(word, left, right, upper):
    expected = classify_message(word)
    text = word.upper() if upper else word
    assert expected != "other"
    assert classify_message(f"{left}x{text}x{right}") == expected


# Through the database: the failed invoice's error kind -----------------------------------------
@pytest.mark.parametrize(("message", "kind"), [
    ("550 5.1.1 <cliente1@gmail.com>: Recipient address rejected: User unknown in virtual "
     "mailbox table", "recipient_unknown"),
    ("552 5.2.2 Mailbox full", "mailbox_full"),
    ("421 4.7.0 Try again later", "temporary"),
    ("535 5.7.8 Authentication credentials invalid", "auth_failed"),
    ("Falha ao conectar em smtp.exemplo.com:465: conexão recusada", "connection"),
    ("Tempo esgotado após 10421 ms [10.4.7.1]", "connection"),
    (None, "other"),
])
def test_failed_invoice_error_kind(message, kind):
    erp = log(Erp.baseline(), 1001, "2024-03-07 08:00:00", False, message)
    delivery = deliver(erp, "2024-03-08")
    assert error_kind_of(delivery) == kind
    assert delivery.error_kind_counts()[kind] == 1
