"""Where Carteiro finds the ERP database and its own files.

Database URL order (CLI and dashboard alike): the ``--db`` argument, then the
``CARTEIRO_DB_URL`` environment variable, then ``[connections.erp]`` in
``.streamlit/secrets.toml`` (``url = ...``, or dialect/driver/host/port/database/username/
password as ``st.connection(..., type="sql")`` reads them), then the demo database
``demo.sqlite`` at the project root, generated on first use.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL, make_url

from carteiro.errors import CarteiroError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
QUERIES_DIR = Path(os.environ.get("CARTEIRO_QUERIES_DIR", PROJECT_ROOT / "queries"))
DEMO_DB_PATH = Path(os.environ.get("CARTEIRO_DEMO_DB", PROJECT_ROOT / "demo.sqlite"))
SECRETS_PATH = PROJECT_ROOT / ".streamlit" / "secrets.toml"
ENV_URL = "CARTEIRO_DB_URL"


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


def redact_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL is shown without anything after the scheme
        return url.split("://", 1)[0] + "://…"


def read_secrets(path: Path = SECRETS_PATH) -> dict[str, Any]:
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


def resolve_source(cli_url: str | None = None, secrets_path: Path = SECRETS_PATH) -> DataSource:
    if cli_url:
        return DataSource(cli_url, "argumento --db")
    if os.environ.get(ENV_URL):
        return DataSource(os.environ[ENV_URL], ENV_URL)
    erp = read_secrets(secrets_path).get("connections", {}).get("erp")
    if erp:
        return DataSource(url_from_connection_settings(erp), "secrets.toml")
    return DataSource(f"sqlite:///{DEMO_DB_PATH}", "demo")
