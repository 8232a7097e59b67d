"""TLS for the sender test: the contexts it uses and what a TLS session tells about the server.

Certificate details of an unverified connection (``verify_tls=False``, or the probe after a
verification error) cannot come from ``getpeercert()``, which is then empty: they are decoded
from the DER bytes with the ``cryptography`` package when it is installed; without it those
fields are ``None``.
"""

from __future__ import annotations

import ssl
from datetime import UTC, datetime
from typing import Any

from carteiro.sender.smtp.result import TlsInfo


def unverified_context() -> ssl.SSLContext:
    """A context that accepts any certificate (encryption without knowing who answers)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def tls_summary(sock: ssl.SSLSocket) -> str:
    """Protocol and cipher of a session, e.g. ``TLSv1.3 TLS_AES_256_GCM_SHA384``."""
    cipher = sock.cipher()
    return f"{sock.version()} {cipher[0] if cipher else ''}".strip()


def _name_string(rdns: Any) -> str | None:
    """An OpenSSL-style DN tuple as ``CN=...,O=...`` (most specific first, like RFC 4514)."""
    short = {
        "commonName": "CN",
        "organizationName": "O",
        "organizationalUnitName": "OU",
        "countryName": "C",
        "stateOrProvinceName": "ST",
        "localityName": "L",
        "emailAddress": "E",
    }
    parts = [f"{short.get(key, key)}={value}" for rdn in rdns for key, value in rdn]
    return ",".join(reversed(parts)) or None


def _from_peercert(cert: dict[str, Any]) -> tuple[str | None, str | None, str | None, list[str]]:
    not_after = None
    if cert.get("notAfter"):
        seconds = ssl.cert_time_to_seconds(cert["notAfter"])
        not_after = datetime.fromtimestamp(seconds, UTC).isoformat()
    names = [value for _kind, value in cert.get("subjectAltName", ())]
    return (
        _name_string(cert.get("subject", ())),
        _name_string(cert.get("issuer", ())),
        not_after,
        names,
    )


def _from_der(der: bytes | None) -> tuple[str | None, str | None, str | None, list[str]]:
    """Decode a certificate that was not verified (``getpeercert()`` is then empty)."""
    if not der:
        return None, None, None, []
    try:
        from cryptography import x509
    except ImportError:  # optional: only the details of unverified certificates need it
        return None, None, None, []
    try:
        cert = x509.load_der_x509_certificate(der)
        names: list[str] = []
        try:
            san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            names = [str(v) for v in san.get_values_for_type(x509.DNSName)]
            names += [str(v) for v in san.get_values_for_type(x509.IPAddress)]
        except x509.ExtensionNotFound:
            pass
        return (
            cert.subject.rfc4514_string(),
            cert.issuer.rfc4514_string(),
            cert.not_valid_after_utc.isoformat(),
            names,
        )
    except ValueError:
        return None, None, None, []


def tls_info(sock: ssl.SSLSocket, verified: bool) -> TlsInfo:
    """The session and the certificate of ``sock`` (``verified``: was the certificate checked)."""
    cert = sock.getpeercert() if verified else None
    if cert:
        subject, issuer, not_after, names = _from_peercert(cert)
    else:
        subject, issuer, not_after, names = _from_der(sock.getpeercert(binary_form=True))
    cipher = sock.cipher()
    return TlsInfo(
        protocol=sock.version(),
        cipher=cipher[0] if cipher else None,
        subject=subject,
        issuer=issuer,
        not_after=not_after,
        names=tuple(names),
        verified=verified,
    )


def verifies(context: ssl.SSLContext) -> bool:
    """Whether ``context`` checks the server's certificate."""
    return context.verify_mode != ssl.CERT_NONE
