"""Database failures explained in one pt-BR line a provider's technician can act on.

:func:`explain` maps a driver error to one line. It looks at what does not depend on the
server's language first (PostgreSQL SQLSTATE, MariaDB/MySQL error numbers, socket errnos),
then at the message text, in English and in the pt-BR translations a Brazilian server may use.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from carteiro.erp.connect import connect_timeout, statement_timeout
from carteiro.erp.source import MASK
from carteiro.errors import DataSourceError

# One template per cause. Facts: host, port, user, database, query (the file), timeout,
# connect_timeout, table, column, schema, detail, schema_hint.
MESSAGES: dict[str, str] = {
    "host_not_found": (
        "servidor do banco não encontrado: o nome {host} não existe no DNS — confira o host "
        "na URL do banco e o DNS desta máquina"
    ),
    "connection_refused": (
        "conexão recusada em {host}:{port} — confira se o banco está no ar, se a porta é a "
        "do banco e se o firewall libera esta máquina"
    ),
    "network_unreachable": (
        "sem rota de rede até {host}:{port} — confira a rede, a VPN e o firewall"
    ),
    "connect_timeout": (
        "o servidor {host}:{port} não respondeu em {connect_timeout:g} s — confira se host e "
        "porta são os do banco, a rede e o firewall (CARTEIRO_CONNECT_TIMEOUT ajusta a espera)"
    ),
    "bad_credentials": (
        "usuário ou senha recusados pelo banco em {host} (usuário {user}) — confira usuário e "
        "senha na URL do banco"
    ),
    "host_not_allowed": (
        "o banco em {host} não aceita conexões deste computador para o usuário {user} — peça "
        "ao administrador do banco para liberar este IP (pg_hba.conf no PostgreSQL, "
        "'usuário'@'host' no MariaDB/MySQL) ou, se o servidor exige SSL, use ?sslmode=require"
    ),
    "database_not_found": (
        "o banco de dados {database} não existe em {host} — confira o nome do banco na URL"
    ),
    "database_denied": (
        "o usuário {user} não tem acesso ao banco {database} em {host} — conceda CONNECT "
        "(PostgreSQL) ou SELECT no banco (MariaDB/MySQL) ao usuário do Carteiro"
    ),
    "schema_denied": (
        "sem permissão no esquema {schema} (consulta {query}) — conceda USAGE no esquema e "
        "SELECT nas tabelas ao usuário {user}"
    ),
    "table_denied": (
        "sem permissão de leitura na tabela {table} (consulta {query}) — conceda SELECT nessa "
        "tabela ao usuário {user}"
    ),
    "table_denied_or_missing": (
        "sem permissão de leitura na tabela {table}, ou ela não existe (consulta {query}) — "
        "confira o nome da tabela em {query} e conceda SELECT ao usuário {user}"
    ),
    "schema_not_found": (
        "o esquema {schema} usado em {query} não existe neste banco — confira o esquema do "
        "ERP ou ajuste {query}"
    ),
    "table_not_found": (
        "a tabela {table} usada em {query} não existe neste banco{schema_hint} — confira o "
        "banco na URL ou ajuste {query} às tabelas do seu ERP"
    ),
    "column_not_found": (
        "a coluna {column} usada em {query} não existe neste banco — ajuste {query} às "
        "colunas do seu ERP"
    ),
    "statement_timeout": (
        "a consulta {query} passou do tempo limite de {timeout:g} s — confira índices nas "
        "tabelas que ela lê ou aumente CARTEIRO_STATEMENT_TIMEOUT (segundos)"
    ),
    "read_only": (
        "o Carteiro só lê o banco do ERP: a escrita foi recusada (sessão somente leitura)"
    ),
    "sqlite_cannot_open": (
        "não foi possível abrir o arquivo SQLite {database} — confira o caminho e as "
        "permissões do arquivo"
    ),
    "sqlite_not_a_database": (
        "o arquivo {database} não é um banco SQLite — confira o caminho na URL"
    ),
    "database_locked": (
        "o banco {database} está bloqueado por outro programa — tente de novo em instantes"
    ),
    "other": "erro do banco{where}: {detail}",
}

# PostgreSQL SQLSTATE → cause (statements; connection failures carry no SQLSTATE in psycopg).
_SQLSTATE: dict[str, str] = {
    "42P01": "table_not_found",
    "3F000": "schema_not_found",
    "42703": "column_not_found",
    "42501": "table_denied",
    "57014": "statement_timeout",
    "25006": "read_only",
    "28P01": "bad_credentials",
    "28000": "bad_credentials",
    "3D000": "database_not_found",
}

# MariaDB/MySQL error numbers → cause (the same in every server language).
_MYSQL_CODE: dict[int, str] = {
    1045: "bad_credentials",
    1698: "bad_credentials",
    1130: "host_not_allowed",
    1049: "database_not_found",
    1044: "database_denied",
    1146: "table_not_found",
    1054: "column_not_found",
    1142: "table_denied_or_missing",
    1143: "table_denied",
    1969: "statement_timeout",  # MariaDB max_statement_time
    3024: "statement_timeout",  # MySQL max_execution_time
    1792: "read_only",
    1290: "read_only",  # server started with --read-only
    1836: "read_only",  # read-only mode
}

# Message text → cause, for what carries no code: PostgreSQL connection failures (English and
# pt-BR server messages), socket errors wrapped by PyMySQL (2003/2013), SQLite.
_TEXT: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"could not translate host name|failed to resolve host|"
                r"Name or service not known|nodename nor servname|getaddrinfo failed|"
                r"Temporary failure in name resolution|No address associated with hostname|"
                r"Errno -[235]\]|Unknown (MySQL|MariaDB) server host", re.I), "host_not_found"),
    (re.compile(r"Connection refused|Errno 111\b|Errno 61\b|WinError 10061", re.I),
     "connection_refused"),
    (re.compile(r"Network is unreachable|No route to host|Errno 10[13]\b|Errno 113\b", re.I),
     "network_unreachable"),
    (re.compile(r"timeout expired|timed out", re.I), "connect_timeout"),
    (re.compile(r"no pg_hba\.conf entry|nenhuma entrada no pg_hba\.conf|pg_hba\.conf rejects|"
                r"pg_hba\.conf rejeita", re.I), "host_not_allowed"),
    (re.compile(r"password authentication failed|autentica\w+ do tipo senha falhou|"
                r"no password supplied|nenhuma senha fornecida|authentication failed|"
                r"role \"[^\"]*\" does not exist|(role|papel) \"[^\"]*\" n\w+o existe", re.I),
     "bad_credentials"),
    (re.compile(r"permission denied for database|permiss\w+o negada para banco de dados", re.I),
     "database_denied"),
    (re.compile(r"database \"[^\"]*\" does not exist|banco de dados \"[^\"]*\" n\w+o existe",
                re.I), "database_not_found"),
    (re.compile(r"unable to open database file", re.I), "sqlite_cannot_open"),
    (re.compile(r"file is not a database|file is encrypted or is not a database", re.I),
     "sqlite_not_a_database"),
    (re.compile(r"database is locked", re.I), "database_locked"),
    (re.compile(r"no such table", re.I), "table_not_found"),
    (re.compile(r"no such column", re.I), "column_not_found"),
    (re.compile(r"^interrupted$|statement timeout|max_statement_time|max_execution_time", re.I),
     "statement_timeout"),
    (re.compile(r"readonly database|read-only|READ ONLY", re.I), "read_only"),
]


@dataclass(frozen=True)
class FailureCause:
    """What went wrong (a key of :data:`MESSAGES`) and the names found in the message."""

    cause: str
    table: str | None = None
    column: str | None = None
    schema: str | None = None


def _last_part(name: str) -> str:
    """``db.table`` / ``alias.column`` / `` `db`.`table` `` → the last part."""
    return re.sub(r"[`'\"]", "", name).split(".")[-1]


def _names(cause: str, text: str) -> FailureCause:
    """Pull the table, column or schema out of a message (any of the three databases, in
    English or pt-BR)."""
    def first(*patterns: str) -> str | None:
        for pattern in patterns:
            match = re.search(pattern, text, re.I)
            if match:
                return _last_part(match.group(1))
        return None

    if cause == "column_not_found":
        return FailureCause(cause, column=first(
            r"no such column: ([\w.]+)",
            r"Unknown column '([^']+)'", r"Coluna '([^']+)'",
            r"(?:column|coluna)\s+\"?([\w.]+)\"?\s+(?:does not|n\w+o)\s+exist",
            r"\"([^\"]+)\"",
        ))
    schema = first(r"(?:schema|esquema)\s+\"?(\w+)\"?")
    if cause == "schema_not_found" or (cause == "table_denied" and schema):
        return FailureCause("schema_denied" if cause == "table_denied" else cause, schema=schema)
    if cause in ("table_denied", "table_denied_or_missing", "table_not_found"):
        return FailureCause(cause, table=first(
            r"no such table: ([\w.]+)",
            r"for table ([`'\w.]+)", r"na tabela ([`'\w.]+)",
            r"(?:for|para)\s+(?:table|relation|tabela|rela\w+o)\s+\"?([\w.]+)\"?",
            r"Table '([^']+)'", r"Tabela '([^']+)'",
            r"\"([^\"]+)\"",
        ))
    return FailureCause(cause)


def _mysql_code(orig: BaseException) -> int | None:
    if type(orig).__module__.startswith(("pymysql", "MySQLdb", "mysql")) and orig.args:
        code = orig.args[0]
        return code if isinstance(code, int) else None
    return None


def driver_exception(err: BaseException) -> BaseException:
    """The driver's own exception behind ``err``: SQLAlchemy's ``.orig``, found through the
    chain of causes when a wrapper (pandas' ``DatabaseError``: "Execution failed on sql …")
    raised it ``from`` the real one."""
    current: BaseException | None = err
    for _ in range(10):
        if current is None:
            break
        if isinstance(current, DBAPIError):
            return current.orig if current.orig is not None else current
        if isinstance(current, sqlite3.Error) or type(current).__module__.startswith(
                ("psycopg", "pymysql", "MySQLdb", "adbc_driver")):
            return current
        current = current.__cause__ or current.__context__
    return getattr(err, "orig", None) or err


def diagnose(err: BaseException) -> FailureCause:
    """The cause of a driver error (see :data:`MESSAGES`), ``other`` when unknown."""
    orig = driver_exception(err)
    text = _message(orig)
    cause: str | None = None
    sqlstate = getattr(orig, "sqlstate", None)
    if _mysql_code(orig) is None and sqlstate in _SQLSTATE:  # psycopg, ADBC
        cause = _SQLSTATE[sqlstate]
    code = _mysql_code(orig)
    if cause is None and code is not None and code in _MYSQL_CODE:
        cause = _MYSQL_CODE[code]
    if cause is None:
        for pattern, candidate in _TEXT:
            if pattern.search(text):
                cause = candidate
                break
    if cause is None and code == 2013:  # lost connection: the server stopped answering
        cause = "connect_timeout"
    return _names(cause or "other", text)


def _message(orig: BaseException) -> str:
    """The driver's message without PyMySQL's ``(code, "...")`` tuple wrapping."""
    if _mysql_code(orig) is not None and len(orig.args) > 1:
        return str(orig.args[1])
    return str(orig)


def explain(err: BaseException, url: str, query: str | None = None, *,
            timeout: float | None = None) -> DataSourceError:
    """Turn a driver error into one pt-BR line naming what to check.

    ``query`` is the name of the ``queries/`` file that was running, if any; ``timeout`` the
    statement timeout in force (default: ``CARTEIRO_STATEMENT_TIMEOUT``).
    """
    diagnosis = diagnose(err)
    try:
        parsed: sa.URL | None = make_url(url)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        parsed = None
    backend = parsed.get_backend_name() if parsed else ""
    database = (parsed.database if parsed else None) or ""
    if backend == "sqlite":
        database = re.sub(r"^file:|\?.*$", "", database) or database
    text = _message(driver_exception(err)).strip()
    detail = text.splitlines()[0] if text else type(err).__name__
    if parsed is not None and parsed.password:  # a driver that repeats the password
        detail = detail.replace(str(parsed.password), MASK)
    facts = {
        "host": (parsed.host if parsed else None) or "localhost",
        "port": (parsed.port if parsed else None) or _default_port(backend),
        "user": (parsed.username if parsed else None) or "(sem usuário)",
        "database": database or "(sem nome)",
        "query": f"queries/{query}.sql" if query else "a consulta",
        "where": f" em queries/{query}.sql" if query else "",
        "timeout": statement_timeout() if timeout is None else timeout,
        "connect_timeout": connect_timeout(),
        "table": diagnosis.table or "(não identificada)",
        "column": diagnosis.column or "(não identificada)",
        "schema": diagnosis.schema or "(não identificado)",
        "detail": detail,
        # PostgreSQL hides the tables of a schema the user has no USAGE on
        "schema_hint": " (ou o usuário {user} não vê o esquema dela)"
                       if backend == "postgresql" else "",
    }
    facts["schema_hint"] = str(facts["schema_hint"]).format(**facts)
    return DataSourceError(MESSAGES[diagnosis.cause].format(**facts))


def _default_port(backend: str) -> str:
    return {"postgresql": "5432", "mysql": "3306", "mariadb": "3306"}.get(backend, "padrão")


def is_driver_error(err: BaseException) -> bool:
    """An error of the database or of reaching it (pandas' DatabaseError is an OSError)."""
    return isinstance(err, DBAPIError | sqlite3.Error | OSError)
