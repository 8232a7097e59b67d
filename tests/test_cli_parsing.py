"""The command line speaks pt-BR and fails in one line, like every other Carteiro failure."""

from __future__ import annotations

import pytest

from tests.cli_helpers import assert_one_line_error, carteiro


@pytest.mark.parametrize(("args", "fragment"), [
    (("audit", "--level", "bogus"), "valor inválido: 'bogus'"),
    (("audit", "--bogus"), "argumentos desconhecidos: --bogus"),
    ((), "faltam os argumentos: COMANDO"),
    (("test-sender", "--host", "x"), "faltam os argumentos: --port"),
    (("demo", "--customers", "abc"), "número inteiro inválido: 'abc'"),
    (("audit", "--start"), "--start: falta o valor"),
])
def test_bad_arguments_are_one_pt_br_line(args: tuple[str, ...], fragment: str) -> None:
    line = assert_one_line_error(carteiro(*args), fragment)
    assert line.startswith("carteiro: erro: ")
    assert "usage" not in line and "error" not in line


def test_help_is_in_portuguese() -> None:
    done = carteiro("audit", "--help")
    assert done.returncode == 0
    assert done.stdout.startswith("uso: carteiro audit")
    assert "mostra esta ajuda e sai" in done.stdout
    assert "show this help" not in done.stdout and "options:" not in done.stdout
