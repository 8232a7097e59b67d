"""Is a query text exactly ONE read-only SELECT? Checked with a real SQL parser (sqlglot) in the
dialect of the database it is about to be sent to; see :func:`check_read_only`.

Why a parser and the dialect: what ends a string, a comment or a statement differs between
databases (a backslash in a MariaDB string, ``#`` comments, PostgreSQL's ``$$`` and nested
``/* */``), and a check that splits the text differently from the server could be walked
around. The statements are counted on the dialect's own tokens, so a ``;`` inside a string or a
comment is not a statement break and one outside always is. MariaDB/MySQL run the inside of
``/*! … */`` comments, which every parser skips: any such comment is refused.

Fail closed: what the parser cannot read is refused, like anything that is not a SELECT.
"""

from __future__ import annotations

import logging

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import Token, TokenType

from carteiro.errors import CarteiroError

# sqlglot warns (through logging, so on stderr) when it falls back to a raw command.
logging.getLogger("sqlglot").setLevel(logging.ERROR)

# SQLAlchemy backend name -> sqlglot dialect.
DIALECTS = {"sqlite": "sqlite", "postgresql": "postgres", "mysql": "mysql", "mariadb": "mysql"}

RULE = ("cada arquivo de queries/ deve ser uma única consulta SELECT (ou WITH … SELECT) que só "
        "lê o banco; o Carteiro não a executou")

# Functions that read or write the server's files, run other SQL, or change the server or the
# session: a name equal to one of these, or starting with what comes before a final "*".
FORBIDDEN_FUNCTIONS: tuple[str, ...] = (
    # PostgreSQL: server files, large objects, other connections, settings, sequences
    "pg_read_file", "pg_read_binary_file", "pg_ls_*", "pg_stat_file", "pg_file_*",
    "pg_logdir_ls", "lo_*", "loread", "lowrite", "dblink*", "set_config", "nextval", "setval",
    "query_to_xml*", "cursor_to_xml*", "pg_terminate_backend", "pg_cancel_backend",
    "pg_reload_conf", "pg_rotate_logfile", "pg_switch_wal", "pg_promote", "pg_create_*",
    "pg_drop_replication_slot", "pg_replication_*", "pg_logical_*", "pg_advisory_*",
    "pg_try_advisory_*", "pg_notify", "pg_import_system_collations",
    # MariaDB / MySQL
    "load_file", "sys_exec", "sys_eval", "get_lock", "release_lock", "release_all_locks",
    # SQLite (shell and extension functions)
    "readfile", "writefile", "edit", "fsdir", "lsdir", "load_extension", "zipfile", "sqlar*",
    "fts3_tokenizer",
)

# What a forbidden expression is called in the message.
_KINDS: dict[type[exp.Expression], str] = {
    exp.Into: "SELECT … INTO",
    exp.Lock: "bloqueio FOR UPDATE / FOR SHARE",
    exp.TruncateTable: "TRUNCATE",
    exp.LoadData: "LOAD DATA",
    exp.Transaction: "BEGIN",
}
_FORBIDDEN_NODES: tuple[type[exp.Expression], ...] = (
    exp.DML, exp.DDL, exp.Drop, exp.Alter, exp.TruncateTable, exp.Command, exp.Attach,
    exp.Detach, exp.Pragma, exp.Set, exp.Transaction, exp.Commit, exp.Rollback, exp.Use,
    exp.LoadData, exp.Grant, exp.Revoke, exp.Analyze, exp.Kill, exp.Declare, exp.Execute,
    exp.Cache, exp.Uncache, exp.Refresh, exp.Into, exp.Lock,
)
_READ_ROOTS = (exp.Select, exp.SetOperation, exp.Subquery)
_OPENING_WORDS = {"SELECT", "WITH", "(", "TABLE"}


def refused(where: str, what: str) -> CarteiroError:
    return CarteiroError(f"{where}: {what} — {RULE}")


def check_read_only(sql: str, backend: str, where: str) -> None:
    """Raise a one-line pt-BR :class:`CarteiroError` naming ``where`` (the file) and the kind
    of statement unless ``sql`` is exactly one read-only SELECT in ``backend``'s SQL."""
    dialect = DIALECTS.get(backend)
    if dialect is None:
        raise CarteiroError(f"{where}: o Carteiro não sabe conferir consultas para o banco "
                            f"{backend} (só SQLite, PostgreSQL e MariaDB/MySQL)")
    try:
        tokens = sqlglot.tokenize(sql, read=dialect)
    except TokenError as err:
        raise refused(where, f"SQL que o Carteiro não consegue conferir ({_short(err)})") from None
    _check_comments(tokens, where)
    _check_statements(_statements(tokens), where)
    try:
        trees = [tree for tree in sqlglot.parse(sql, read=dialect)
                 if tree is not None and not isinstance(tree, exp.Semicolon)]
    except ParseError as err:
        raise refused(where, _unparsed(tokens, err)) from None
    if len(trees) != 1:
        raise refused(where, f"{len(trees)} comandos SQL")
    _check_tree(trees[0], where)


def _short(err: Exception) -> str:
    return str(err).splitlines()[0][:120] if str(err) else type(err).__name__


def _check_comments(tokens: list[Token], where: str) -> None:
    for token in tokens:
        for comment in token.comments:
            if comment.lstrip().startswith(("!", "M!")):
                raise refused(where, "comentário executável /*! … */ do MariaDB/MySQL (o "
                                     "servidor executa o que está dentro dele)")


def _statements(tokens: list[Token]) -> list[list[Token]]:
    """The tokens of each statement, split where the dialect's tokenizer saw a ``;``."""
    statements: list[list[Token]] = [[]]
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            statements.append([])
        else:
            statements[-1].append(token)
    return [statement for statement in statements if statement]


def _first_word(statement: list[Token]) -> str:
    words = [token.text.upper() for token in statement if token.text != "("]
    return words[0] if words else "SELECT"


def _check_statements(statements: list[list[Token]], where: str) -> None:
    if not statements:
        raise refused(where, "arquivo sem consulta")
    if len(statements) > 1:
        kinds = ", ".join(_first_word(statement) for statement in statements)
        raise refused(where, f"{len(statements)} comandos SQL ({kinds})")
    first = statements[0][0].text.upper()
    if first not in _OPENING_WORDS:
        raise refused(where, f"comando {_first_word(statements[0])}, não um SELECT")


def _unparsed(tokens: list[Token], err: ParseError) -> str:
    """What to say of a text the parser could not read."""
    words = [token.text.upper() for token in tokens]
    for target in ("OUTFILE", "DUMPFILE"):
        if target in words and words[words.index(target) - 1] == "INTO":
            return f"SELECT … INTO {target} (grava um arquivo no servidor)"
    place = ""
    if err.errors:
        first = err.errors[0]
        place = f" (linha {first.get('line')}, coluna {first.get('col')})"
    return f"SQL que o Carteiro não consegue conferir{place}"


def _check_tree(tree: exp.Expression, where: str) -> None:
    if not isinstance(tree, _READ_ROOTS):
        raise refused(where, f"comando {_kind(tree)}, não um SELECT")
    for node in tree.walk():
        if isinstance(node, _FORBIDDEN_NODES):
            raise refused(where, f"{_kind(node)} dentro da consulta")
        if isinstance(node, exp.Func):
            name = (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).lower()
            if forbidden_function(name):
                raise refused(where, f"função {name}, que lê ou grava arquivos do servidor, "
                                     "executa outro SQL ou muda o servidor")


def _kind(node: exp.Expression) -> str:
    for kind, label in _KINDS.items():
        if isinstance(node, kind):
            return label
    if isinstance(node, exp.Command):
        return str(node.this).upper()
    if isinstance(node, _FORBIDDEN_NODES):
        return node.key.upper()
    words = node.sql().split()
    return words[0].upper() if words else node.key.upper()


def forbidden_function(name: str) -> bool:
    """A function of :data:`FORBIDDEN_FUNCTIONS` (by exact name or family prefix)."""
    for entry in FORBIDDEN_FUNCTIONS:
        if entry.endswith("*") and name.startswith(entry[:-1]):
            return True
        if name == entry:
            return True
    return False
