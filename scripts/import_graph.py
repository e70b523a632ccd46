"""The import graph of the apps, between them and inside each: ``python scripts/import_graph.py``.

Every ``import`` statement counts, at module level or inside a function (a deferred import
still ties the two modules together; it only hides the cycle from the interpreter).
Importing ``a.b.c`` from outside package ``a.b`` also runs ``a.b/__init__.py``, so it is an
edge to that package too. The project's composition roots (``settings``, ``urls``,
``asgi``, ``wsgi``) wire every app together: they are listed, they may import any app, and
nothing may import them. Exits 1 when there is a cycle (``tests/scoreboard_project/
test_import_graph.py`` runs it too).
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("accounts", "actions", "anticheat", "leaderboard", "scoreboard_project")
ENTRY_POINTS = frozenset(f"scoreboard_project.{name}" for name in ("settings", "urls", "asgi", "wsgi"))

Graph = dict[str, set[str]]


def module_files(root: Path = ROOT) -> dict[str, Path]:
    """``dotted.name -> file`` for every module of the apps (migrations left out: Django's)."""
    found = {}
    for app in APPS:
        for path in sorted((root / app).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            if "migrations" in parts:
                continue
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def _imported(node: ast.AST, module: str, is_package: bool) -> list[str]:
    """The dotted names an import statement asks for (a name may be a module or an attribute)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    assert isinstance(node, ast.ImportFrom)
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        source = ".".join(base + ([node.module] if node.module else []))
    else:
        source = node.module or ""
    # ``from x import name``: the module x.name if there is one, else x (resolved by the caller)
    return [f"{source}.{alias.name}" for alias in node.names]


def module_graph(root: Path = ROOT) -> Graph:
    """``module -> modules it imports`` between the apps' own modules."""
    files = module_files(root)
    graph: Graph = {name: set() for name in files}
    for name, path in files.items():
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            for wanted in _imported(node, name, is_package):
                # The longest known module the name starts with: ``from x import sub`` is x.sub.
                target = next(
                    (
                        ".".join(wanted.split(".")[:n])
                        for n in range(wanted.count(".") + 1, 0, -1)
                        if ".".join(wanted.split(".")[:n]) in files
                    ),
                    None,
                )
                if target is None or target == name:
                    continue
                graph[name].add(target)
                parts = target.split(".")
                for n in range(1, len(parts)):
                    package = ".".join(parts[:n])
                    if package in files and not (name + ".").startswith(package + "."):
                        graph[name].add(package)  # importing a.b.c runs a.b/__init__.py first
    return graph


def app_of(module: str) -> str:
    return "scoreboard_project (entry points)" if module in ENTRY_POINTS else module.split(".")[0]


def app_graph(graph: Graph) -> Graph:
    apps: Graph = defaultdict(set)
    for module, targets in graph.items():
        apps[app_of(module)]
        for target in targets:
            if app_of(target) != app_of(module):
                apps[app_of(module)].add(app_of(target))
    return dict(apps)


def cycles(graph: Graph) -> list[list[str]]:
    """The strongly connected components with more than one node (Tarjan), each sorted."""
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

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def entry_point_importers(graph: Graph) -> list[str]:
    """Modules that import a composition root (none may)."""
    return sorted(
        f"{module} -> {target}"
        for module, targets in graph.items()
        for target in targets
        if target in ENTRY_POINTS and module not in ENTRY_POINTS
    )


def render(graph: Graph) -> str:
    lines = ["Between apps:"]
    for app, targets in sorted(app_graph(graph).items()):
        lines.append(f"  {app} -> {', '.join(sorted(targets)) or '(nothing)'}")
    for app in APPS:
        lines.append(f"\nInside {app}:")
        for module in sorted(
            m for m in graph if app_of(m) == app or (app == "scoreboard_project" and m in ENTRY_POINTS)
        ):
            inside = sorted(t for t in graph[module] if t.split(".")[0] == app)
            if inside:
                lines.append(f"  {module} -> {', '.join(inside)}")
    problems = cycles(app_graph(graph)) + cycles(graph)
    lines.append("")
    lines += [f"CYCLE: {' <-> '.join(c)}" for c in problems] or ["No cycle between apps or inside an app."]
    lines += [f"FORBIDDEN: {edge}" for edge in entry_point_importers(graph)]
    return "\n".join(lines)


def main() -> int:
    graph = module_graph()
    print(render(graph))
    return 1 if cycles(app_graph(graph)) or cycles(graph) or entry_point_importers(graph) else 0


if __name__ == "__main__":
    sys.exit(main())
