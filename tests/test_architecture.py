"""The package layout's promises that import-linter's contracts (``make lint``) do not state:
no module imports itself back through others, and every domain package is registered."""

from __future__ import annotations

from pathlib import Path

import grimp

import stampbook
from stampbook.domains import DOMAINS

ROLES = ("models", "policy", "api", "pages", "jobs", "demo")


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Tarjan's strongly connected components of more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_no_module_imports_itself_back() -> None:
    graph = grimp.build_graph("stampbook", exclude_type_checking_imports=True)
    assert _cycles(graph) == []


def test_every_domain_package_is_registered() -> None:
    root = Path(stampbook.__file__).parent
    with_roles = {
        package.name
        for package in root.iterdir()
        if package.is_dir()
        and any((package / f"{role}.py").exists() or (package / role).is_dir() for role in ROLES)
    }
    assert with_roles - {"core", "ui"} == set(DOMAINS)
