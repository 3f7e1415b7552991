"""The layers: who may import whom (every import statement, function-local ones too), and no import circle
between any two modules of the portal."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# From the bottom: the core, places and people, notifications, the domain apps (of one rank: they may import one
# another), the dashboards and the monthly reports (nothing imports them).
RANKS = {
    "renovation_portal": 0,
    "communities": 1,
    "notifications": 2,
    "projects": 3,
    "consultations": 3,
    "inspections": 3,
    # Above consultations and projects, beside each other (neither imports the other): the declarations and plans,
    # and the aftercare of handed-over compounds.
    "planning": 4,
    "aftercare": 4,
    "dashboards": 5,
    "reports": 5,  # next to the dashboards: neither imports the other
}
SHARED_RANK = 3


def _modules() -> dict[str, Path]:
    modules = {}
    for package in RANKS:
        for path in sorted((ROOT / package).rglob("*.py")) if (ROOT / package).is_dir() else []:
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def _imports(name: str, path: Path, modules) -> set[str]:
    """The portal's modules that ``name`` imports (``from a import b`` imports the module a.b when it is one)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
        else:
            continue
        found.update(target for target in targets if target.split(".")[0] in RANKS)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def test_each_layer_imports_only_the_layers_below_it():
    wrong = []
    for importer, imported in _graph().items():
        for target in imported:
            source_app, target_app = importer.split(".")[0], target.split(".")[0]
            source, rank = RANKS[source_app], RANKS[target_app]
            if source_app != target_app and not (rank < source or rank == source == SHARED_RANK):
                wrong.append(f"{importer} imports {target}")
    assert wrong == []


def test_no_import_circle_between_modules():
    graph = _graph()
    index, low, on_stack, stack, circles = {}, {}, set(), [], []

    def visit(module):  # Tarjan's strongly connected components
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in graph.get(module, ()):
            if target not in graph:
                continue
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = set()
            while module not in component:
                component.add(stack.pop())
            on_stack.difference_update(component)
            if len(component) > 1:
                circles.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    assert circles == []
