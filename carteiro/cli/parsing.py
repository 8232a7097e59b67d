"""The command line's parser, in pt-BR, failing in one line.

``argparse`` writes its usage, titles and errors in English and prints the whole usage before
an error. Carteiro's users read Portuguese and its scripts read one line on stderr with exit
code 2, as for every other failure. :class:`Parser` does both: its messages come from
:data:`PT_BR` (``argparse`` looks every message up through its module-level ``_``, so the
translation is installed there when this module is imported), and :meth:`Parser.error` prints
``carteiro: erro: …`` and exits with 2.
"""

from __future__ import annotations

import argparse
import sys
from typing import Final, NoReturn

PT_BR: Final[dict[str, str]] = {
    "usage: ": "uso: ",
    "positional arguments": "comandos",
    "options": "opções",
    "show this help message and exit": "mostra esta ajuda e sai",
    "the following arguments are required: %s": "faltam os argumentos: %s",
    "invalid choice: %(value)r (choose from %(choices)s)":
        "valor inválido: %(value)r (use um de %(choices)s)",
    "argument %(argument_name)s: %(message)s": "%(argument_name)s: %(message)s",
    "expected one argument": "falta o valor",
    "expected at least one argument": "falta ao menos um valor",
    "expected at most one argument": "aceita no máximo um valor",
    "unrecognized arguments: %s": "argumentos desconhecidos: %s",
    "invalid %(type)s value: %(value)r": "valor inválido: %(value)r",
    "ambiguous option: %(option)s could match %(matches)s":
        "opção ambígua: %(option)s pode ser %(matches)s",
    "not allowed with argument %s": "não pode ser usado com %s",
    "one of the arguments %s is required": "informe um destes argumentos: %s",
    "ignored explicit argument %r": "valor não esperado: %r",
    "can't open '%(filename)s': %(error)s": "não foi possível abrir '%(filename)s': %(error)s",
}


def _translate(message: str) -> str:
    return PT_BR.get(message, message)


argparse._ = _translate  # type: ignore[attr-defined]  # see the module docstring


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one pt-BR line (exit code 2)."""

    def error(self, message: str) -> NoReturn:
        print(f"carteiro: erro: {message} (veja {self.prog} --help)", file=sys.stderr)
        sys.exit(2)
