"""Where Carteiro finds the ERP database and its own files.

Database URL order (CLI and dashboard alike): the ``--db`` argument, then the
``CARTEIRO_DB_URL`` environment variable, then ``[connections.erp]`` in
``.streamlit/secrets.toml`` (``url = ...``, or dialect/driver/host/port/database/username/
password as ``st.connection(..., type="sql")`` reads them), then the demo database, generated
on first use by the entry points.

Files, read when asked (so an environment variable set later still counts):

* ``queries/``: ``CARTEIRO_QUERIES_DIR``; else the checkout's top-level ``queries/`` when
  Carteiro runs from its repository; else the copy shipped inside the installed package
  (``pip install .`` puts the same files in ``carteiro/queries``).
* the demo database: ``CARTEIRO_DEMO_DB``; else ``demo.sqlite`` at the checkout's root; else
  ``demo.sqlite`` in Carteiro's own folder (see :func:`home_dir`).
* ``secrets.toml``: ``.streamlit/secrets.toml`` of the checkout; installed, the one in the
  current folder (where ``streamlit run`` looks too).
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL, make_url

from carteiro.errors import CarteiroError

PACKAGE_DIR = Path(__file__).resolve().parent.parent
ENV_URL = "CARTEIRO_DB_URL"
ENV_QUERIES = "CARTEIRO_QUERIES_DIR"
ENV_DEMO_DB = "CARTEIRO_DEMO_DB"
ENV_HOME = "CARTEIRO_HOME"


def checkout_root() -> Path | None:
    """The repository Carteiro runs from (None when it runs from an installed package)."""
    root = PACKAGE_DIR.parent
    return root if (root / "queries").is_dir() and (root / "app.py").is_file() else None


def home_dir() -> Path:
    """Carteiro's own files (the sender-test history; the demo database when installed):
    ``CARTEIRO_HOME``; else ``.carteiro/`` in the checkout; else ``$XDG_DATA_HOME/carteiro``
    (``~/.local/share/carteiro``)."""
    if os.environ.get(ENV_HOME, "").strip():
        return Path(os.environ[ENV_HOME]).expanduser()
    root = checkout_root()
    if root is not None:
        return root / ".carteiro"
    base = os.environ.get("XDG_DATA_HOME", "").strip() or str(Path.home() / ".local" / "share")
    return Path(base) / "carteiro"


def queries_dir() -> Path:
    if os.environ.get(ENV_QUERIES, "").strip():
        return Path(os.environ[ENV_QUERIES]).expanduser()
    root = checkout_root()
    if root is not None:
        return root / "queries"
    return Path(str(resources.files("carteiro") / "queries"))


def demo_db_path() -> Path:
    if os.environ.get(ENV_DEMO_DB, "").strip():
        return Path(os.environ[ENV_DEMO_DB]).expanduser()
    root = checkout_root()
    return (root if root is not None else home_dir()) / "demo.sqlite"


def secrets_path() -> Path:
    root = checkout_root()
    return (root or Path.cwd()) / ".streamlit" / "secrets.toml"


@dataclass(frozen=True)
class DataSource:
    url: str
    origin: str  # 'argumento --db', 'CARTEIRO_DB_URL', 'secrets.toml', 'demo'

    @property
    def is_demo(self) -> bool:
        return self.origin == "demo"

    @property
    def display(self) -> str:
        """The URL with any password hidden, safe to show and log."""
        return redact_url(self.url)


# Secrets in URLs -------------------------------------------------------------------------------
MASK = "***"
# A query parameter whose name holds one of these (any case) carries a secret: password,
# PASSWORD, passwd, sslpassword, pwd, senha, secret, token, api_key, …
_SECRET_PARTS = ("pass", "pwd", "senha", "secret", "token", "apikey", "api_key")
# key=value connection strings (libpq, ODBC): password=... up to a space or ';'
_DSN_SECRET = re.compile(
    r"(?i)(?:^|(?<=[\s;]))(\w*(?:pass|pwd|senha|secret|token)\w*)\s*=\s*"
    r"(?:'[^']*'|\"[^\"]*\"|[^\s;]*)(;?)"
)


def is_secret_parameter(name: str) -> bool:
    """A URL query parameter (or key=value pair) whose value is a secret."""
    key = name.lower()
    return any(part in key for part in _SECRET_PARTS)


def redact_url(url: str, *, mask: bool = True) -> str:
    """``url`` safe to show, log and store: its password and password-like query parameters
    (:func:`is_secret_parameter`) shown as ``***``, or left out when ``mask`` is false (the
    form :func:`carteiro.sender.history.source_key` stores).

    The one redaction of Carteiro: the sidebar, every error message and the state store use
    it. The URL is split by SQLAlchemy's own parser, the one that connects, so a password with a
    raw ``?``, ``#`` or ``/`` (which SQLAlchemy accepts) is hidden whole. A URL without anything
    secret is returned as written (trimmed), so the key of a database stays what earlier
    versions stored. A raw ``@`` in a password makes SQLAlchemy read the rest of the password
    as host, port or database: then nothing after the user is shown. A text SQLAlchemy cannot
    parse shows only its scheme (``postgresql://…``); one without a scheme (a file path, a
    libpq ``key=value`` string) only loses its ``password=`` pairs and anything before an
    ``@``.
    """
    text = url.strip()
    try:
        parsed = make_url(text)
    except Exception:  # ArgumentError; ValueError for a port that is not a number
        return _redact_unparsed(text, mask)
    secrets = [key for key in parsed.query if is_secret_parameter(key)]
    spilled = parsed.password is not None and "@" in f"{parsed.host}{parsed.port}{parsed.database}"
    if parsed.password is None and not secrets:
        return text
    user = f"{parsed.username or ''}:{MASK}" if mask else parsed.username or ""
    if spilled:
        return f"{parsed.drivername}://{user}@…"
    clean = parsed.difference_update_query(secrets)
    if not mask:
        clean = clean._replace(password=None)  # URL.set ignores None
    rendered = clean.render_as_string(hide_password=True)  # the password as ***
    if mask and secrets:
        rendered += ("&" if clean.query else "?") + "&".join(f"{key}={MASK}" for key in secrets)
    return rendered


def _redact_unparsed(text: str, mask: bool) -> str:
    scheme, separator, _rest = text.partition("://")
    if separator:
        return f"{scheme}://…"
    if "@" in text:  # user:password@host written without a scheme
        text = "…@" + text.rpartition("@")[2]
    cleaned, count = _DSN_SECRET.subn(
        lambda m: f"{m.group(1)}={MASK}{m.group(2)}" if mask else "", text)
    return " ".join(cleaned.split()) if count else text


def read_secrets(path: Path | None = None) -> dict[str, Any]:
    path = path or secrets_path()
    if not path.exists():
        return {}
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as err:
        raise CarteiroError(f"{path}: arquivo de segredos inválido ({err})") from None


def url_from_connection_settings(settings: dict[str, Any]) -> str:
    """A SQLAlchemy URL from a ``[connections.erp]`` table (``url`` or its parts)."""
    if settings.get("url"):
        return str(settings["url"])
    if "dialect" not in settings:
        raise CarteiroError(
            "secrets.toml: [connections.erp] precisa de 'url' ou de 'dialect' "
            "(com host, port, database, username e password)"
        )
    drivername = settings["dialect"] + (f"+{settings['driver']}" if settings.get("driver") else "")
    url = URL.create(
        drivername,
        username=settings.get("username"),
        password=settings.get("password"),
        host=settings.get("host"),
        port=int(settings["port"]) if settings.get("port") else None,
        database=settings.get("database"),
        query=settings.get("query") or {},
    )
    return url.render_as_string(hide_password=False)


def resolve_source(cli_url: str | None = None, secrets: Path | None = None) -> DataSource:
    if cli_url:
        return DataSource(cli_url, "argumento --db")
    if os.environ.get(ENV_URL):
        return DataSource(os.environ[ENV_URL], ENV_URL)
    erp = read_secrets(secrets).get("connections", {}).get("erp")
    if erp:
        return DataSource(url_from_connection_settings(erp), "secrets.toml")
    return DataSource(f"sqlite:///{demo_db_path()}", "demo")
