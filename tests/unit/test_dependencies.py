"""REQ-1: the server runs on Tornado and the standard library only (the brython
package is shipped as files for the page, not imported for server logic)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVER_CODE = [ROOT / "server.py", ROOT / "application.py", *sorted((ROOT / "app").rglob("*.py")),
               *sorted((ROOT / "booking").rglob("*.py")), *sorted((ROOT / "handlers").rglob("*.py"))]
OWN_PACKAGES = {"app", "booking", "handlers", "application"}
# Each layer may import only the layers below it: the domain core, the shell
# (services, storage, streams), the handlers, then the composition root.
LAYERS = ["booking", "app", "handlers", "application", "server"]


def imported_top_level_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module.split(".")[0])
    return modules


@pytest.mark.req("REQ-1")
def test_server_code_imports_only_the_standard_library_tornado_and_its_own_packages():
    outside = {}
    for path in SERVER_CODE:
        foreign = imported_top_level_modules(path) - set(sys.stdlib_module_names) - OWN_PACKAGES - {"tornado"}
        foreign -= {"psycopg"} if path.name == "postgres_store.py" else set()
        if foreign:
            outside[str(path.relative_to(ROOT))] = foreign

    assert outside == {"handlers/page.py": {"brython"}}, "only the page handler may touch brython (for its files)"


@pytest.mark.req("REQ-1")
def test_runtime_requirements_are_tornado_brython_and_one_postgresql_driver_pinned():
    lines = [line.strip() for line in (ROOT / "requirements.txt").read_text().splitlines()
             if line.strip() and not line.startswith("#")]

    assert sorted(line.split("==")[0] for line in lines) == ["brython", "psycopg[binary]", "tornado"]
    assert all("==" in line for line in lines)


@pytest.mark.req("REQ-1")
def test_the_booking_rules_do_not_import_tornado():
    for path in sorted((ROOT / "booking").rglob("*.py")):
        assert "tornado" not in imported_top_level_modules(path), path


@pytest.mark.req("REQ-1")
def test_no_import_runs_back_up_the_layers():
    def layer_of(path: Path) -> str:
        return path.relative_to(ROOT).parts[0].removesuffix(".py")

    upward = []
    for path in SERVER_CODE:
        below = LAYERS.index(layer_of(path))
        for module in imported_top_level_modules(path) & set(LAYERS):
            if LAYERS.index(module) > below:
                upward.append(f"{path.relative_to(ROOT)} imports {module}")

    assert upward == []
