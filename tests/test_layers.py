"""The house rules on imports (CONTRIBUTING, "Layers"), checked on the source: data flows one
way, so a package imports only from the floors below it (or its own floor's public names), and a
name another package uses is public (no leading underscore)."""

from __future__ import annotations

import ast
from pathlib import Path

import fairpay

SRC = Path(fairpay.__file__).parent

#: Each top-level part of the package and its floor (CONTRIBUTING, "Who may import whom").
FLOORS = {
    "errors": 0,
    "units": 0,
    "tables": 1,
    "estimate": 2,
    "wages": 2,
    "worktime": 3,
    "prelaunch": 3,
    "auditing": 3,
    "report": 4,
    "vendors": 5,
    "accessor": 6,
    "cli": 6,
    "__main__": 7,
    "": 7,  # fairpay/__init__.py, the public API
}


def _imports() -> list[tuple[str, str, str, str]]:
    """(importing part, imported module, name, file:line) for every ``fairpay`` import in the
    source, function-level ones included (the lazy imports are imports all the same)."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC)
        part = rel.parts[0].removesuffix(".py") if rel.parts[0] != "__init__.py" else ""
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            where = f"{rel.as_posix()}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "fairpay":
                found += [(part, node.module, a.name, where) for a in node.names]
            elif isinstance(node, ast.Import):
                found += [(part, a.name, "", where) for a in node.names if a.name.split(".")[0] == "fairpay"]
    return found


def _part(module: str, name: str) -> str:
    parts = module.split(".")
    if len(parts) > 1:
        return parts[1]
    return name if name in FLOORS else ""  # "from fairpay import wages" names a part


def test_every_part_of_the_package_has_a_floor() -> None:
    parts = {
        p.name.removesuffix(".py")
        for p in SRC.iterdir()
        if p.name != "py.typed" and not p.name.startswith("__pycache__")
    }
    assert parts - {"__init__"} <= set(FLOORS), parts - set(FLOORS)


def test_imports_go_down_or_across_to_public_names_only() -> None:
    wrong = []
    for part, module, name, where in _imports():
        target = _part(module, name)
        if target == part:
            continue
        if (module, name) == ("fairpay", "__version__"):  # the version string, set at the root
            continue
        if FLOORS[target] > FLOORS[part]:
            wrong.append(f"{where}: {part} imports {module}:{name} from a floor above")
        elif name.startswith("_") or any(p.startswith("_") for p in module.split(".")[1:]):
            wrong.append(f"{where}: {part} imports the private {module}:{name} of {target}")
    assert wrong == []
