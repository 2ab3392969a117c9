"""The layout's contracts, read from the source with an AST walk (no imports run).

- The project's modules import each other without a cycle (counting imports inside functions too: a late import
  hides a cycle from Python, not from a reader), and so do services' packages (a package's modules counted as one).
- The domain (workflows.domain, workflows.rules, workflows.state_machine) imports no pymongo, httpx or streamlit.
- No module outside tests/ and bench/ is over 300 lines.
- No class in services inherits from more than one project class.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("services", "api", "ui", "app_pages", "scripts")
PURE_DOMAIN = ("services.workflows.domain", "services.workflows.rules", "services.workflows.state_machine")
IMPURE = ("pymongo", "bson", "httpx", "streamlit", "replicate", "redis", "gridfs")
MAX_LINES = 300


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    for path in ROOT.glob("*.py"):
        found[path.stem] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """Every module name this one imports (absolute, resolved against the package for relative imports)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)  # `from pkg import module`
    return names


def _project_edges() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        targets = set()
        for imported in _imports(name, path):
            # the longest project module that is (a prefix of) the imported name
            while imported and imported not in MODULES:
                imported = imported.rpartition(".")[0]
            if imported and imported != name and not name.startswith(f"{imported}."):
                targets.add(imported)
        edges[name] = targets
    return edges


def _cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, as the list of modules around it, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(edges.get(node, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (found := visit(target)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_cycle_finder_finds_a_planted_cycle_and_passes_a_tree():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_the_project_imports_no_module_in_a_cycle():
    edges = _project_edges()
    assert len(edges) > 150, "the walk found the project's modules"
    assert _cycle(edges) is None, " -> ".join(_cycle(edges) or [])


def _package(module: str) -> str:
    """services.<package> for a module of services (services.bootstrap for a top-level one), else the module."""
    return ".".join(module.split(".")[:2]) if module.startswith("services.") else module


def test_services_packages_import_each_other_without_a_cycle():
    folded: dict[str, set[str]] = {}
    for module, targets in _project_edges().items():
        if module.startswith("services."):
            source = _package(module)
            inside = {_package(t) for t in targets if t.startswith("services.") and _package(t) != source}
            folded.setdefault(source, set()).update(inside)
    assert {"services.core", "services.jobs", "services.workflows", "services.studio"} <= set(folded)
    assert _cycle(folded) is None, " -> ".join(_cycle(folded) or [])


@pytest.mark.parametrize("module", PURE_DOMAIN)
def test_the_domain_imports_no_database_network_or_ui_library(module: str):
    imported = _imports(module, MODULES[module])
    assert not {name for name in imported if name.split(".")[0] in IMPURE}, imported
    project = {name for name in imported if name.split(".")[0] in PACKAGES}
    assert all(name.startswith(("services.workflows", "services.core")) for name in project), project


def test_no_module_outside_tests_and_bench_is_over_300_lines():
    lines = {str(path.relative_to(ROOT)): len(path.read_text().splitlines()) for path in MODULES.values()}
    long = {path: count for path, count in lines.items() if count > MAX_LINES}
    assert long == {}, long


def test_no_class_in_services_inherits_from_more_than_one_project_class():
    classes: dict[str, list[str]] = {}
    for name, path in MODULES.items():
        if name.startswith("services"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ClassDef):
                    classes[f"{name}.{node.name}"] = [ast.unparse(base) for base in node.bases]
    defined = {qualified.rpartition(".")[2] for qualified in classes}
    mixed = {name: bases for name, bases in classes.items() if sum(base in defined for base in bases) > 1}
    assert mixed == {}, mixed
