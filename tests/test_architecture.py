"""The import rules of docs/architecture.md, read from the source (every import, also inside functions).

Layers, top to bottom: adapters → services → domain → store/wix. A module imports its own layer or
one below, never one above; the foundation (settings, errors, logs) is importable from anywhere and
imports no layer. posbridge and wixsim never import each other: they meet over HTTP.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

# posbridge's top-level packages and modules, by layer (a higher number sits higher).
LAYERS: dict[str, int] = {
    # foundation: imports no layer
    "posbridge": 0,  # the package itself (`posbridge.__version__`)
    "config": 0,
    "errors": 0,
    "logs": 0,
    "crypto": 0,
    "settings_doc": 0,
    # infrastructure
    "store": 1,
    "wix": 1,
    # domain
    "pos": 2,
    "sync": 2,
    "orders": 2,
    # use cases (the job queue runs them on workers)
    "services": 3,
    "jobs": 3,
    # adapters
    "spi": 4,
    "api": 4,
    "dashboard": 4,
    "demo": 4,
    "cli": 4,
    "app": 4,
    "__main__": 4,
}
LAYER_NAMES = {0: "foundation", 1: "store/wix", 2: "domain", 3: "services", 4: "adapters"}

# Upward imports that exist and are owed a fix, as (importing module, imported module), each with
# the issue that removes it. Empty since issue 9 §1 moved the sync use cases into services/syncing.py;
# the test also fails when a listed edge is gone, so this list only ever shrinks.
KNOWN_UPWARD: frozenset[tuple[str, str]] = frozenset()


def _modules(package: str) -> Iterator[tuple[str, Path]]:
    root = SRC / package
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.parts:
            continue  # Alembic revisions are generated and only ever import store-level code
        parts = path.relative_to(SRC).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(parts), path


def _imports(module: str, path: Path) -> Iterator[str]:
    """Every module `module` imports, anywhere in its file (absolute names; relative ones resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                yield ".".join([*base, node.module] if node.module else base)
            elif node.module:
                yield node.module


def _layer(module: str) -> tuple[str, int]:
    """The top-level part of posbridge a module belongs to, and its layer."""
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else "posbridge"
    if top not in LAYERS:
        raise AssertionError(f"{module}: posbridge.{top} has no layer; add it to LAYERS (and docs/architecture.md)")
    return top, LAYERS[top]


def _upward_edges() -> set[tuple[str, str]]:
    edges = set()
    for module, path in _modules("posbridge"):
        _, own = _layer(module)
        for imported in _imports(module, path):
            if imported != "posbridge" and not imported.startswith("posbridge."):
                continue
            _, target = _layer(imported)
            if target > own:
                edges.add((module, imported))
    return edges


def test_every_part_of_posbridge_has_a_layer() -> None:
    for module, _ in _modules("posbridge"):
        _layer(module)


def test_nothing_imports_upward_beyond_the_listed_allowances() -> None:
    upward = _upward_edges()

    def described(edges: set[tuple[str, str]]) -> list[str]:
        return [
            f"{source} ({LAYER_NAMES[_layer(source)[1]]}) imports {target} ({LAYER_NAMES[_layer(target)[1]]})"
            for source, target in sorted(edges)
        ]

    assert described(upward - KNOWN_UPWARD) == []
    # A fixed edge leaves the allowance list with it.
    assert sorted(KNOWN_UPWARD - upward) == []


def test_the_foundation_imports_only_the_foundation() -> None:
    for module, path in _modules("posbridge"):
        if _layer(module)[1] != 0:
            continue
        for imported in _imports(module, path):
            if imported.startswith("posbridge."):
                assert _layer(imported)[1] == 0, f"{module} imports {imported}"


@pytest.mark.parametrize(("package", "other"), [("posbridge", "wixsim"), ("wixsim", "posbridge")])
def test_posbridge_and_wixsim_never_import_each_other(package: str, other: str) -> None:
    found = [
        f"{module} imports {imported}"
        for module, path in _modules(package)
        for imported in _imports(module, path)
        if imported == other or imported.startswith(f"{other}.")
    ]
    assert found == []


def test_the_order_rules_see_no_wire_model() -> None:
    """Orders reach the services in the domain's terms (issue 9 §1): no service or domain module reads spi/."""
    found = [
        f"{module} imports {imported}"
        for module, path in _modules("posbridge")
        if _layer(module)[1] <= LAYERS["services"]
        for imported in _imports(module, path)
        if imported.startswith("posbridge.spi")
    ]
    assert found == []


def test_the_rules_catch_an_upward_import(tmp_path: Path) -> None:
    """The checker itself: an upward import in a domain module is found, a downward one is not."""
    source = tmp_path / "module.py"
    source.write_text(
        "from posbridge.services import ordering\nimport posbridge.store.models\n"
        "def later():\n    from posbridge.spi import handlers\n"
    )
    imports = list(_imports("posbridge.orders.module", source))
    assert imports == ["posbridge.services", "posbridge.store.models", "posbridge.spi"]
    upward = [name for name in imports if _layer(name)[1] > LAYERS["orders"]]
    assert upward == ["posbridge.services", "posbridge.spi"]
