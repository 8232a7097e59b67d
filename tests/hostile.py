"""A hostile ERP: every text column holding Markdown, HTML, autolinks and Streamlit
directives that point at a host of the test's choosing (a beacon server), so a test can see
whether anything the dashboard shows turns ERP text into a link, an image or a request."""

from __future__ import annotations

import sqlite3
from pathlib import Path

# table -> (column, SQL condition of the rows made hostile: all of them, or some where a bad
# value would hide the rest of the data, e.g. an invoice status or an e-mail address)
HOSTILE_COLUMNS: dict[str, list[tuple[str, str]]] = {
    "cliente": [("nome_razaosocial", "1"), ("cidade", "1"), ("cpf_cnpj", "id_cliente % 5 = 0"),
                ("email_principal", "id_cliente % 3 = 0")],
    "cliente_contato": [("nome", "1"), ("email", "id_cliente_contato % 4 = 0")],
    "cliente_servico": [("plano", "1"), ("envio_cobranca", "id_cliente_servico % 7 = 0")],
    "email_enviado": [("email_destino", "id_email_enviado % 2 = 0"),
                      ("tipo_documento", "id_email_enviado % 5 = 0"), ("mensagem_erro", "1")],
    "fatura": [("status", "id_fatura % 50 = 0")],
    "forma_cobranca": [("descricao", "1")],
    "forma_cobranca_regra_email": [("assunto", "1")],
    "remetente_email": [("descricao", "1"), ("host", "1"), ("usuario", "1"),
                        ("email_origem", "1"), ("seguranca", "id_remetente_email = 2")],
    "rotina": [("tipo", "tipo <> 'envio_email_cobranca'"), ("horario", "id_rotina = 2")],
    "servico_status": [("descricao", "1"), ("prefixo", "id_servico_status = 9")],
}


def hostile(host: str, column: str) -> str:
    """Markdown, HTML, autolinks and Streamlit directives pointing at ``host``."""
    where = f"http://{host}"
    return (f"{column} ![x]({where}/beacon-{column}.png) [aqui]({where}/link-{column}) "
            f"<img src={where}/img-{column}.png> <a href=\"{where}/a-{column}\">a</a> "
            f"{where}/auto-{column} www.evil-{column}.test x@evil-{column}.test "
            f":material/home: :red[{column}] $x$")


def make_hostile(path: Path, host: str) -> None:
    """Rewrite the text columns of the SQLite ERP at ``path`` (see :data:`HOSTILE_COLUMNS`)."""
    with sqlite3.connect(path) as con:
        tables = {name for (name,) in con.execute("SELECT name FROM sqlite_master")}
        for table, columns in HOSTILE_COLUMNS.items():
            if table not in tables:
                continue
            for column, where in columns:
                con.execute(f"UPDATE {table} SET {column} = ? WHERE {where}",
                            (hostile(host, column),))
