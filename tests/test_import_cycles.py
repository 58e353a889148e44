"""No import cycle anywhere in `nautilus_node/`: every module's imports, read from its source, form a DAG.

Imports inside functions count (they are dependencies too); imports under `if TYPE_CHECKING:` do not (they never
run). `from package import name` depends on the submodule `package.name` when there is one, else on `package`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "nautilus_node"


def project_modules() -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its `__init__.py`)."""
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def imported_modules(name: str, path: Path, modules: dict[str, Path]) -> Iterator[str]:
    """The project modules `name` imports at run time."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    type_checking_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for inner in ast.walk(node)
    }
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if id(node) in type_checking_only:
            continue
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            submodules = [f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in modules]
            targets = submodules + ([base] if len(submodules) < len(node.names) else [])
        else:
            continue
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                yield target


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_cycle_finder_finds_a_cycle_and_nothing_else() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert cycles(graph) == [["a", "b", "c"]]


def test_no_module_of_nautilus_node_imports_itself_through_others() -> None:
    modules = project_modules()
    graph = {name: set(imported_modules(name, path, modules)) for name, path in modules.items()}
    assert len(graph) > 50 and graph["nautilus_node.cli"], "the package was read"
    assert cycles(graph) == []


# The layers of `nautilus_node/`, lowest first. A module imports only modules of its own package or of a lower
# layer: never one beside it (live/ never borrows from catalog/), never one above it.
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"__init__", "errors", "nautilus_internals"}),  # the package; errors; NautilusTrader's internals
    frozenset({"ib"}),  # IB's knowledge: fees, pacing, vocabulary, the one-off connection
    frozenset({"settings"}),  # the config file's schema
    frozenset({"validation", "scaffold"}),  # strategies against the settings
    frozenset({"simgateway", "status"}),  # the simulated gateway; the status actor and its surface
    frozenset({"backtest"}),  # backtests over the catalog
    frozenset({"record"}),  # recording a live session; replaying it as a backtest
    frozenset({"live", "catalog", "sweep"}),  # the live node; filling the catalog; sweeps of backtests
    frozenset({"cli"}),  # the commands
    frozenset({"__main__"}),  # python -m nautilus_node
)


def layer_of(module: str) -> tuple[int, str]:
    """The layer index and the top-level part (package or module) of a dotted module name in the package."""
    part = module.split(".")[1] if "." in module else "__init__"
    for rank, parts in enumerate(LAYERS):
        if part in parts:
            return rank, part
    raise AssertionError(f"{module} is in no layer: add {part!r} to LAYERS")


def layering_violations(graph: dict[str, set[str]]) -> list[str]:
    """Every import that goes up a layer or sideways into another part of the same layer."""
    found = []
    for module, targets in sorted(graph.items()):
        rank, part = layer_of(module)
        for target in sorted(targets):
            target_rank, target_part = layer_of(target)
            if target_part != part and target_rank >= rank:
                found.append(f"{module} imports {target}")
    return found


def test_the_layering_rules_catch_an_upward_and_a_sideways_import() -> None:
    graph = {
        "nautilus_node.ib.fees": {"nautilus_node.live.node"},
        "nautilus_node.live.node": {"nautilus_node.catalog.store", "nautilus_node.ib.fees", "nautilus_node.live.x"},
        "nautilus_node.live.x": set(),
        "nautilus_node.catalog.store": {"nautilus_node.errors"},
        "nautilus_node.errors": set(),
    }
    assert layering_violations(graph) == [
        "nautilus_node.ib.fees imports nautilus_node.live.node",
        "nautilus_node.live.node imports nautilus_node.catalog.store",
    ]


def test_every_import_goes_down_the_layers() -> None:
    modules = project_modules()
    graph = {name: set(imported_modules(name, path, modules)) for name, path in modules.items()}
    assert graph["nautilus_node.settings"], "the package was read"
    assert layering_violations(graph) == []
