"""Print the import graph between Meldpunt's packages: `python -m tests.import_graph`.

One line per pair of packages that import each other (with how many module imports), then every import
that goes up the layers (see the README's layout section) and every import cycle between modules.
Imports inside functions count too: they are edges all the same. Built with grimp (import-linter's graph).
"""
from __future__ import annotations

import sys
from collections import Counter

import grimp

# Lowest first: a package may import the ones before it, never the ones after it.
LAYERS = ("engine", "notifications", "handlers", "intake", "reports", "web")


def build_graph() -> grimp.ImportGraph:
    """The graph of every module in the six packages (external imports left out)."""
    return grimp.build_graph(*LAYERS)


def package_edges(graph: grimp.ImportGraph) -> Counter[tuple[str, str]]:
    """(importing package, imported package) -> number of module-to-module imports."""
    edges: Counter[tuple[str, str]] = Counter()
    for importer, imported in module_edges(graph):
        a, b = importer.split(".")[0], imported.split(".")[0]
        if a != b:
            edges[(a, b)] += 1
    return edges


def module_edges(graph: grimp.ImportGraph) -> list[tuple[str, str]]:
    """Every (importer, imported) pair of modules, sorted."""
    return sorted((m, i) for m in graph.modules for i in graph.find_modules_directly_imported_by(m))


def upward_imports(graph: grimp.ImportGraph) -> list[tuple[str, str, list[int]]]:
    """Imports from a lower layer into a higher one, with the importing lines."""
    rank = {name: n for n, name in enumerate(LAYERS)}
    found = []
    for importer, imported in module_edges(graph):
        if rank[importer.split(".")[0]] < rank[imported.split(".")[0]]:
            details = graph.get_import_details(importer=importer, imported=imported)
            found.append((importer, imported, sorted(d["line_number"] for d in details)))
    return found


def module_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Groups of modules that import each other, directly or in a ring (Tarjan's strongly connected sets)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    sys.setrecursionlimit(max(10000, sys.getrecursionlimit()))

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for other in sorted(graph.find_modules_directly_imported_by(module)):
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in on_stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            group = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                group.append(top)
                if top == module:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return sorted(groups)


def main() -> None:
    """Print the package edges, the upward imports and the cycles."""
    graph = build_graph()
    rank = {name: n for n, name in enumerate(LAYERS)}
    print("Layers, lowest first: " + " < ".join(LAYERS))
    print("\nPackage imports (importer -> imported: module imports):")
    for (a, b), count in sorted(package_edges(graph).items(), key=lambda e: (rank[e[0][0]], rank[e[0][1]])):
        print(f"  {a} -> {b}: {count}" + ("   <-- upward" if rank[a] < rank[b] else ""))
    upward = upward_imports(graph)
    print(f"\nUpward imports: {len(upward)}")
    for importer, imported, lines in upward:
        print(f"  {importer} -> {imported} (line {', '.join(map(str, lines))})")
    cycles = module_cycles(graph)
    print(f"\nImport cycles between modules: {len(cycles)}")
    for group in cycles:
        print("  " + " <-> ".join(group))


if __name__ == "__main__":
    main()
