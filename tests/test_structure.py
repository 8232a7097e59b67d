"""The house rules of the code, checked: room sizes and the way the imports point.

* no module in ``carteiro/`` or ``pages/`` over 600 lines, no function over 80;
* nothing in ``carteiro/`` imports Streamlit;
* the packages follow the data, arrows pointing one way: ``pages → views → rules → erp``
  (``rules`` may read the sender-test history of ``sender``); the audit never imports the demo
  generator (creating the demo database is the entry points' job).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "carteiro"
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80

# package -> the carteiro packages it must never import (directly, at module level or inside
# a function). The top-level modules (columns, errors, formatting, period, export, access)
# are shared vocabulary and may be imported by anyone.
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "erp": ("rules", "views", "sender", "demo", "cli", "delivery", "plan"),
    "rules": ("views", "demo", "cli", "plan"),
    "sender": ("rules", "views", "demo", "cli", "delivery", "plan"),
    "views": ("demo", "cli"),
    "demo": ("rules", "views", "sender", "cli", "delivery", "plan"),
}


def _sources() -> Iterator[Path]:
    yield from sorted(PACKAGE.rglob("*.py"))
    yield from sorted((ROOT / "pages").glob("*.py"))
    yield ROOT / "app.py"


def _imports(tree: ast.AST) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


@pytest.mark.parametrize("path", list(_sources()), ids=lambda p: str(p.relative_to(ROOT)))
def test_rooms_are_small(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count("\n") <= MAX_MODULE_LINES, f"{path.name}: over {MAX_MODULE_LINES} lines"
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(ast.parse(text))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long, f"{path.name}: functions over {MAX_FUNCTION_LINES} lines: {long}"


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_point_one_way(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = set(_imports(tree))
    assert not any(name == "streamlit" or name.startswith("streamlit.") for name in imported)
    parts = path.relative_to(PACKAGE).parts
    if len(parts) < 2:
        return
    forbidden = FORBIDDEN.get(parts[0], ())
    wrong = sorted(name for name in imported for other in forbidden
                   if name == f"carteiro.{other}" or name.startswith(f"carteiro.{other}."))
    assert not wrong, f"carteiro/{parts[0]} must not import {wrong}"


def test_the_audit_does_not_load_the_demo_generator_nor_the_smtp_test() -> None:
    """Running an audit imports neither the demo generator nor the SMTP dialogue."""
    code = (
        "import sys; import carteiro.rules.audit, carteiro.cli.audit; "
        "print(sorted(m for m in sys.modules if m.startswith(('carteiro.demo', "
        "'carteiro.sender.smtp'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    assert done.stdout.strip() == "[]", done.stdout


def test_every_package_is_installed() -> None:
    """``pip install .`` lists its packages one by one (queries/ is mapped into the package):
    a new subpackage must be listed too."""
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
                 ["packages"])
    found = {".".join(init.parent.relative_to(ROOT).parts)
             for init in PACKAGE.rglob("__init__.py")}
    assert found | {"carteiro.queries"} == listed
