"""The layout's rules that import-linter does not state: no module too long to
read, and no import cycle between modules (the factory and its CLI aside)."""

import pathlib

import grimp

MAX_LINES = 450
# create_app registers the CLI, and the CLI's entry point builds the app.
ALLOWED_CYCLES = [{"collector", "collector.cli"}]


def test_no_module_over_the_size_limit():
    """Each module holds one job; a newcomer can read it top to bottom."""
    root = pathlib.Path(__file__).parent.parent / "collector"
    long = {
        str(path.relative_to(root.parent)): n
        for path in root.rglob("*.py")
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def _cycles(graph: grimp.ImportGraph) -> list[set[str]]:
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    for start in sorted(graph.modules):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.find_modules_directly_imported_by(start))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(component)
    return found


def test_no_import_cycles():
    """Imports inside functions count too: a late import hides a cycle, it does not remove it."""
    cycles = _cycles(grimp.build_graph("collector"))
    assert [cycle for cycle in cycles if cycle not in ALLOWED_CYCLES] == []
