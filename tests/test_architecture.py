"""The import rules of docs/architecture.md, read from the source (every import, also inside functions).

Layers, top to bottom: adapters → services → domain → store/wix. A module imports its own layer or
one below, never one above; the foundation (settings, errors, logs) is importable from anywhere and
imports no layer. The Alembic migrations import only the store and the foundation. No two parts of
posbridge (`posbridge.jobs`, `posbridge.services`, `posbridge.sync`, …) import each other, however
deep in a function: a cycle hidden in a late import is still a cycle. posbridge and wixsim never
import each other: they meet over HTTP.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import pytest

from tests.support.source import syntax

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
    # use cases
    "services": 3,
    # adapters: what drives the use cases — a request, a command, a page, or a queued job
    "spi": 4,
    "api": 4,
    "dashboard": 4,
    "demo": 4,
    "cli": 4,
    "jobs": 4,  # its workers call the services and the sync runner; nothing below enqueues through it by name
    "app": 4,
    "__main__": 4,
}
LAYER_NAMES = {0: "foundation", 1: "store/wix", 2: "domain", 3: "services", 4: "adapters"}
MIGRATIONS = "posbridge.store.migrations"

# Upward imports that exist and are owed a fix, as (importing module, imported module), each with
# the issue that removes it. Empty since issue 9 §1 moved the sync use cases into services/syncing.py;
# the test also fails when a listed edge is gone, so this list only ever shrinks.
KNOWN_UPWARD: frozenset[tuple[str, str]] = frozenset()

# Module import cycles that are meant, each with its reason; like KNOWN_UPWARD, this list only shrinks.
KNOWN_CYCLES: frozenset[frozenset[str]] = frozenset(
    {
        # Database opens a PostgreSQL engine through store.postgresql, imported late so that the
        # embedded default never needs psycopg; store.postgresql reads db's timeout budget.
        frozenset({"posbridge.store.db", "posbridge.store.postgresql"}),
    }
)


@dataclass(frozen=True)
class Import:
    """One module named by an import statement (`from a import b` names `a`, and `a.b` if b is a module)."""

    name: str
    line: int
    typing_only: bool  # under `if TYPE_CHECKING:`: never runs, so it closes no cycle


def _modules(package: str, src: Path = SRC) -> Iterator[tuple[str, Path]]:
    for path in sorted((src / package).rglob("*.py")):
        parts = path.relative_to(src).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(parts), path


def _is_module(name: str, src: Path) -> bool:
    """Whether `name` is a module or package in `src` (sync/ is a namespace package: a folder, no __init__)."""
    path = src.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or path.is_dir()


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(module: str, path: Path, src: Path = SRC) -> Iterator[Import]:
    """Every module `module` imports, anywhere in its file (absolute names; relative ones resolved)."""
    tree = syntax(path)
    typing_only = {
        id(node)
        for branch in ast.walk(tree)
        if isinstance(branch, ast.If) and _is_type_checking(branch.test)
        for statement in branch.body  # not orelse: that branch runs
        for node in ast.walk(statement)
    }
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        typing = id(node) in typing_only
        if isinstance(node, ast.Import):
            yield from (Import(alias.name, node.lineno, typing) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                origin = ".".join([*base, node.module] if node.module else base)
            else:
                origin = node.module or ""
            yield Import(origin, node.lineno, typing)
            # `from posbridge import services` imports posbridge.services, not just the package root.
            for alias in node.names:
                if alias.name != "*" and _is_module(f"{origin}.{alias.name}", src):
                    yield Import(f"{origin}.{alias.name}", node.lineno, typing)


def _ours(name: str) -> bool:
    return name == "posbridge" or name.startswith("posbridge.")


def _layer(module: str) -> tuple[str, int]:
    """The top-level part of posbridge a module belongs to, and its layer."""
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else "posbridge"
    if top not in LAYERS:
        raise AssertionError(f"{module}: posbridge.{top} has no layer; add it to LAYERS (and docs/architecture.md)")
    return top, LAYERS[top]


def _upward_edges(modules: Iterable[tuple[str, Path]], src: Path = SRC) -> set[tuple[str, str]]:
    edges = set()
    for module, path in modules:
        _, own = _layer(module)
        for imported in _imports(module, path, src):
            if _ours(imported.name) and _layer(imported.name)[1] > own:
                edges.add((module, imported.name))
    return edges


def _foundation_breaches(modules: Iterable[tuple[str, Path]], src: Path = SRC) -> list[str]:
    return [
        f"{module} imports {imported.name}"
        for module, path in modules
        if _layer(module)[1] == 0
        for imported in _imports(module, path, src)
        if _ours(imported.name) and _layer(imported.name)[1] != 0
    ]


def _migration_breaches(modules: Iterable[tuple[str, Path]], src: Path = SRC) -> list[str]:
    """A revision runs against whatever posbridge is installed: it may read the store and the foundation only."""
    return [
        f"{module} imports {imported.name}"
        for module, path in modules
        if module.startswith(f"{MIGRATIONS}.")
        for imported in _imports(module, path, src)
        if _ours(imported.name)
        and not (imported.name == "posbridge.store" or imported.name.startswith("posbridge.store."))
        and _layer(imported.name)[1] != 0
    ]


def _part(module: str) -> str:
    """`posbridge.services.outbound` → `posbridge.services`: the unit the package cycle check compares."""
    return ".".join(module.split(".")[:2])


def _cycles(
    modules: Iterable[tuple[str, Path]], unit: Callable[[str], str] = _part, src: Path = SRC
) -> dict[frozenset[str], str]:
    """Each import cycle between units (`_part`s, or modules), once: its members → `a → b → a` and the imports."""
    # For each edge between two units, the import that makes it first in its file (named in the message).
    witness: dict[tuple[str, str], str] = {}
    for module, path in modules:
        for imported in sorted(_imports(module, path, src), key=lambda imported: imported.line):
            if imported.typing_only or not _ours(imported.name):
                continue
            edge = (unit(module), unit(imported.name))
            if edge[0] != edge[1]:
                witness.setdefault(edge, f"{module}:{imported.line} imports {imported.name}")
    graph: dict[str, set[str]] = {}
    for source, target in witness:
        graph.setdefault(source, set()).add(target)

    def shortest_cycle(start: str) -> list[str] | None:
        paths = {start: [start]}
        frontier = [start]
        while frontier:
            following = []
            for node in frontier:
                for nxt in sorted(graph.get(node, ())):
                    if nxt == start:
                        return [*paths[node], start]
                    if nxt not in paths:
                        paths[nxt] = [*paths[node], nxt]
                        following.append(nxt)
            frontier = following
        return None

    found: dict[frozenset[str], str] = {}
    for node in sorted(graph):
        cycle = shortest_cycle(node)
        if cycle is None or frozenset(cycle) in found:
            continue
        steps = [f"{a} → {b} ({witness[a, b]})" for a, b in pairwise(cycle)]
        found[frozenset(cycle)] = " → ".join(cycle) + ":\n    " + "\n    ".join(steps)
    return found


def test_every_part_of_posbridge_has_a_layer() -> None:
    for module, _ in _modules("posbridge"):
        _layer(module)


def test_nothing_imports_upward_beyond_the_listed_allowances() -> None:
    upward = _upward_edges(_modules("posbridge"))

    def described(edges: set[tuple[str, str]]) -> list[str]:
        return [
            f"{source} ({LAYER_NAMES[_layer(source)[1]]}) imports {target} ({LAYER_NAMES[_layer(target)[1]]})"
            for source, target in sorted(edges)
        ]

    assert described(upward - KNOWN_UPWARD) == []
    # A fixed edge leaves the allowance list with it.
    assert sorted(KNOWN_UPWARD - upward) == []


def test_the_foundation_imports_only_the_foundation() -> None:
    assert _foundation_breaches(_modules("posbridge")) == []


def test_the_migrations_import_only_the_store_and_the_foundation() -> None:
    modules = list(_modules("posbridge"))
    # Revisions are read too (they once were skipped): the check has them to look at.
    assert any(module.startswith(f"{MIGRATIONS}.versions.") for module, _ in modules)
    assert _migration_breaches(modules) == []


def test_no_part_of_posbridge_imports_another_that_imports_it() -> None:
    cycles = _cycles(_modules("posbridge"))
    assert not cycles, "import cycles between parts of posbridge:\n" + "\n".join(cycles.values())


def test_no_module_imports_one_that_imports_it_beyond_the_listed_allowances() -> None:
    cycles = _cycles(_modules("posbridge"), unit=lambda module: module)
    unlisted = [
        cycle for members, cycle in sorted(cycles.items(), key=lambda item: item[1]) if members not in KNOWN_CYCLES
    ]
    assert not unlisted, "import cycles between modules of posbridge:\n" + "\n".join(unlisted)
    # A cycle that is gone leaves the allowance list with it.
    assert sorted(sorted(members) for members in KNOWN_CYCLES - cycles.keys()) == []


@pytest.mark.parametrize(("package", "other"), [("posbridge", "wixsim"), ("wixsim", "posbridge")])
def test_posbridge_and_wixsim_never_import_each_other(package: str, other: str) -> None:
    found = [
        f"{module} imports {imported.name}"
        for module, path in _modules(package)
        for imported in _imports(module, path)
        if imported.name == other or imported.name.startswith(f"{other}.")
    ]
    assert found == []


def test_the_order_rules_see_no_wire_model() -> None:
    """Orders reach the services in the domain's terms (issue 9 §1): no service or domain module reads spi/."""
    found = [
        f"{module} imports {imported.name}"
        for module, path in _modules("posbridge")
        if _layer(module)[1] <= LAYERS["services"]
        for imported in _imports(module, path)
        if imported.name.startswith("posbridge.spi")
    ]
    assert found == []


# The checkers themselves: each finds a violation planted in a small source tree, so none passes for
# want of looking.


def _plant(src: Path, files: dict[str, str], *empty: str) -> list[tuple[str, Path]]:
    """Write `files` (paths under src → source) and the `empty` modules as a package tree; its modules."""
    for name, text in {**dict.fromkeys(empty, ""), **files}.items():
        path = src / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for folder in [src / "posbridge", *(src / "posbridge").rglob("*/")]:
        (folder / "__init__.py").touch()
    return list(_modules("posbridge", src))


def test_the_rules_catch_an_upward_import(tmp_path: Path) -> None:
    """An upward import in a domain module is found, a downward one is not."""
    source = tmp_path / "module.py"
    source.write_text(
        "from posbridge.services import ordering\nimport posbridge.store.models\n"
        "def later():\n    from posbridge.spi import handlers\n"
    )
    imports = [imported.name for imported in _imports("posbridge.orders.module", source)]
    assert imports == [
        "posbridge.services",
        "posbridge.services.ordering",
        "posbridge.store.models",
        "posbridge.spi",
        "posbridge.spi.handlers",
    ]
    upward = [name for name in imports if _layer(name)[1] > LAYERS["orders"]]
    assert upward == ["posbridge.services", "posbridge.services.ordering", "posbridge.spi", "posbridge.spi.handlers"]


@pytest.mark.parametrize(
    "line", ["from posbridge import services", "from .. import services", "from ..services import outbound"]
)
def test_the_rules_see_a_package_named_after_import(tmp_path: Path, line: str) -> None:
    """`from posbridge import services` imports the services, not the package root (layer 0)."""
    modules = _plant(
        tmp_path, {"posbridge/sync/runner.py": f"def run():\n    {line}\n"}, "posbridge/services/outbound.py"
    )
    assert ("posbridge.sync.runner", "posbridge.services") in _upward_edges(modules, tmp_path)


@pytest.mark.parametrize("line", ["from . import store", "from .store import db", "import posbridge.store.db"])
def test_the_rules_catch_the_foundation_importing_a_layer(tmp_path: Path, line: str) -> None:
    modules = _plant(tmp_path, {"posbridge/config.py": line}, "posbridge/store/db.py")
    breaches = _foundation_breaches(modules, tmp_path)
    assert breaches
    assert all(breach.startswith("posbridge.config imports posbridge.store") for breach in breaches)


def test_the_rules_catch_a_migration_importing_beyond_the_store(tmp_path: Path) -> None:
    modules = _plant(
        tmp_path,
        {
            "posbridge/store/migrations/versions/0001_ok.py": "from posbridge.store.types import UTCDateTime\n",
            "posbridge/store/migrations/versions/0002_wix.py": "from posbridge.wix.client import WixClient\n",
            "posbridge/store/migrations/versions/0003_services.py": (
                "def upgrade():\n    from posbridge.services import menus\n"
            ),
        },
        "posbridge/store/types.py",
        "posbridge/wix/client.py",
        "posbridge/services/menus.py",
    )
    assert _migration_breaches(modules, tmp_path) == [
        "posbridge.store.migrations.versions.0002_wix imports posbridge.wix.client",
        "posbridge.store.migrations.versions.0003_services imports posbridge.services",
        "posbridge.store.migrations.versions.0003_services imports posbridge.services.menus",
    ]


def test_the_rules_catch_a_cycle_hidden_in_a_late_import(tmp_path: Path) -> None:
    """jobs → services at the top, services → jobs inside a function: a cycle; the same under TYPE_CHECKING is not."""
    files = {
        "posbridge/jobs.py": "from posbridge.services import outbound\n",
        "posbridge/services/outbound.py": (
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from posbridge.jobs import JobQueue\n"
        ),
    }
    assert _cycles(_plant(tmp_path, files), src=tmp_path) == {}

    files["posbridge/services/outbound.py"] += "def run_job():\n    from posbridge.jobs import Leases\n"
    assert list(_cycles(_plant(tmp_path, files), src=tmp_path).values()) == [
        "posbridge.jobs → posbridge.services → posbridge.jobs:\n"
        "    posbridge.jobs → posbridge.services (posbridge.jobs:1 imports posbridge.services)\n"
        "    posbridge.services → posbridge.jobs (posbridge.services.outbound:5 imports posbridge.jobs)"
    ]


def test_the_rules_catch_a_module_cycle_inside_a_package(tmp_path: Path) -> None:
    """Two services importing each other (one of them late) are a cycle between modules, not between parts."""
    modules = _plant(
        tmp_path,
        {
            "posbridge/services/outbound.py": "from posbridge.services import attention\n",
            "posbridge/services/attention.py": "def flag():\n    from . import outbound\n",
        },
    )
    assert _cycles(modules, src=tmp_path) == {}
    assert list(_cycles(modules, unit=lambda module: module, src=tmp_path)) == [
        frozenset({"posbridge.services.attention", "posbridge.services.outbound"})
    ]
