"""The package's import graph, and the cycles in it: ``python -m diversion.tools.imports`` prints every cycle and
exits 1 when there is one (``tests/test_imports.py`` runs it with the suite).

A cycle between two modules means neither can be read, tested or changed without the other, and Python only copes
with it while one side hides its import inside a function. So every import counts here, a deferred one inside a
function as much as one at the top of a module; only an import under ``if TYPE_CHECKING:`` is left out, since it
never runs. ``from package import name`` where ``name`` is a module of the package is an edge to that module.
Importing a module runs its parents' ``__init__`` too, but that is not counted: a package's ``__init__`` is its
front door, not a dependency of each module inside it.
"""

from __future__ import annotations

import ast
import sys
from collections import deque
from collections.abc import Iterator
from pathlib import Path

Graph = dict[str, set[str]]


def modules_under(root: Path, package: str) -> dict[str, Path]:
    """Every module of ``package`` (whose directory is ``root``), by dotted name."""
    found: dict[str, Path] = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join([package, *parts])] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement under ``node``, at any depth, except those an ``if TYPE_CHECKING:`` guards."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child
        elif isinstance(child, ast.If) and _is_type_checking(child.test):
            for other in child.orelse:
                yield from _import_nodes(ast.Module(body=[other], type_ignores=[]))
        else:
            yield from _import_nodes(child)


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    """The module a ``from ... import`` names, its leading dots resolved against the importing module."""
    if not node.level:
        return node.module or ""
    base = module.split(".")
    # A package's own ``from . import x`` is relative to the package itself; a module's, to its parent.
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _known(name: str, known: set[str]) -> str | None:
    """``name`` or its nearest ancestor that is one of the ``known`` modules (``a.b.c`` names ``a.b`` when ``c``
    is a function of it)."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in known:
            return candidate
        parts.pop()
    return None


def imports_of(source: str, module: str, is_package: bool, known: set[str]) -> set[str]:
    """The ``known`` modules that ``module`` (whose source is given) imports, itself excluded."""
    targets: set[str] = set()
    for node in _import_nodes(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            base = _absolute(node, module, is_package)
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        for name in names:
            target = _known(name, known)
            if target is not None and target != module:
                targets.add(target)
    return targets


def import_graph(root: Path, package: str) -> Graph:
    """Each module of ``package`` and the modules of it that it imports."""
    modules = modules_under(root, package)
    known = set(modules)
    return {
        name: imports_of(path.read_text(encoding="utf-8"), name, path.name == "__init__.py", known)
        for name, path in modules.items()
    }


def strongly_connected(graph: Graph) -> list[list[str]]:
    """Tarjan's strongly connected components of more than one module: each is a knot of cycles."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
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

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10 * len(graph) + 100))
    try:
        for node in sorted(graph):
            if node not in index:
                visit(node)
    finally:
        sys.setrecursionlimit(limit)
    return sorted(found)


def shortest_cycle(graph: Graph, component: list[str]) -> list[str]:
    """One shortest cycle through the first module of a component, for the message: a -> b -> a."""
    members = set(component)
    start = component[0]
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for target in sorted(graph[node] & members):
            if target == start:
                path = [node]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return [*reversed(path), start]
            if target not in came_from:
                came_from[target] = node
                queue.append(target)
    return [start]


def cycles_in(root: Path, package: str) -> list[tuple[list[str], list[str]]]:
    """Each knot of cycles in the package: its modules and one cycle through them."""
    graph = import_graph(root, package)
    return [(component, shortest_cycle(graph, component)) for component in strongly_connected(graph)]


def main() -> int:
    """Print the cycles in the ``diversion`` package; 1 when there is any."""
    root = Path(__file__).resolve().parent.parent
    found = cycles_in(root, root.name)
    for component, cycle in found:
        sys.stdout.write(f"cycle among {len(component)} modules: {', '.join(component)}\n")
        sys.stdout.write(f"  for example {' -> '.join(cycle)}\n")
    if found:
        return 1
    sys.stdout.write("no import cycles\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
