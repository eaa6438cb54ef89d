"""The public API as a type checker sees it matches what ``import fairpay`` serves at run time."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import fairpay

INIT = Path(fairpay.__file__)


def _type_checking_names() -> dict[str, str]:
    """public name -> "module:attribute" as written in the ``if TYPE_CHECKING:`` block."""
    tree = ast.parse(INIT.read_text(encoding="utf-8"))
    block = next(
        n for n in tree.body if isinstance(n, ast.If) and getattr(n.test, "id", None) == "TYPE_CHECKING"
    )
    out: dict[str, str] = {}
    for node in block.body:
        assert isinstance(node, ast.ImportFrom)
        for alias in node.names:
            assert alias.asname == alias.name, f"{alias.name} must be re-exported under its own name"
            out[alias.asname] = f"{node.module}:{alias.name}"
    return out


def test_every_lazy_export_is_visible_to_type_checkers_and_vice_versa() -> None:
    assert _type_checking_names() == fairpay._EXPORTS


def test_every_export_resolves() -> None:
    for name in fairpay.__all__:
        assert getattr(fairpay, name) is not None, name


def test_package_is_marked_typed() -> None:
    assert (INIT.parent / "py.typed").is_file()


def test_import_is_light() -> None:
    """``import fairpay`` must not pull pandas, numpy, duckdb, httpx or pydantic."""
    code = (
        "import sys, fairpay; heavy = {'pandas', 'numpy', 'duckdb', 'httpx', 'pydantic', 'pyarrow', 'rich'};"
        "print(sorted(heavy & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
