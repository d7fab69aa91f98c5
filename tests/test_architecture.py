"""The package's shape: layers that import only downwards, no cycles, no imports hidden in
functions, modules of one concern (<= MAX_LINES lines).

The layer of every module is declared here, lowest first; a module may import from its own
layer or any layer below. A new module must be placed in a layer (the test fails for an
unplaced one), which is the moment to decide where it belongs.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "halo_utils"

#: Layers, lowest first. A module is named by its dotted path below halo_utils; a
#: subpackage name stands for all its modules.
LAYERS = (
    ("validation", "fingerprint", "provenance", "progress"),
    ("outputs", "reference"),
    ("catalog",),
    ("frames", "survey"),
    ("dynamics",),
    ("cuts", "fitting", "maximization", "coverage", "studies", "lockstep"),
    ("samples", "maps"),
    ("density", "reflex", "lmc"),
    ("mock",),
    ("reflex_coverage", "density_coverage", "lmc_mass", "lmc_suite", "plotting", "chapter", "chapter_cache"),
    ("pipeline",),
    ("bench",),
)
#: Modules over this many lines hold more than one concern.
MAX_LINES = 400
#: Subpackages allowed to import inside functions (none: an import that has to hide in a
#: function to dodge a cycle means a module sits in the wrong layer).
LATE_IMPORTS_ALLOWED = set()


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).with_suffix("")
        parts = [p for p in rel.parts if p != "__init__"]
        yield ".".join(parts), path


def _layer(name):
    for i, layer in enumerate(LAYERS):
        for entry in layer:
            if name == entry or name.startswith(entry + "."):
                return i
    return None


def _package_of(name, path):
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


def _imports(name, path):
    """(target module, line, at module level?) for every import of halo_utils code."""
    tree = ast.parse(path.read_text())
    top = {id(node) for node in tree.body}
    package = _package_of(name, path)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".") if package else []
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                target = ".".join([*base, *(node.module.split(".") if node.module else [])])
                targets = [target] if node.module else [".".join([*base, a.name]) for a in node.names]
            elif node.module and node.module.split(".")[0] == "halo_utils":
                targets = [node.module.partition(".")[2]]
            else:
                targets = []
        elif isinstance(node, ast.Import):
            targets = [a.name.partition(".")[2] for a in node.names if a.name.split(".")[0] == "halo_utils"]
        else:
            continue
        for t in targets:
            out.append((t, node.lineno, id(node) in top))
        if not targets:
            out.append((None, node.lineno, id(node) in top))
    return out


MODULES = dict(_modules())


def test_every_module_has_a_layer():
    assert not [n for n in MODULES if n and _layer(n) is None], "place new modules in LAYERS"


def test_imports_run_only_downwards():
    bad = []
    for name, path in MODULES.items():
        if not name:
            continue
        for target, line, _ in _imports(name, path):
            if target is None or target == "" or _layer(target) is None:
                continue
            if _layer(target) > _layer(name):
                bad.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {target} (a higher layer)")
    assert not bad, "\n".join(bad)


def test_no_import_cycles():
    graph = {name: set() for name in MODULES}
    for name, path in MODULES.items():
        for target, _, _ in _imports(name, path):
            if target in graph and target != name:
                graph[name].add(target)
    # a package's __init__ importing its own submodules is how it re-exports them
    for name in graph:
        graph[name] = {t for t in graph[name] if not t.startswith(name + ".")}
    seen, stack, cycles = {}, [], []

    def visit(node):
        seen[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if seen.get(nxt) == "open":
                cycles.append(" -> ".join(stack[stack.index(nxt):] + [nxt]))
            elif nxt not in seen:
                visit(nxt)
        stack.pop()
        seen[node] = "done"

    for node in sorted(graph):
        if node not in seen:
            visit(node)
    assert not cycles, "\n".join(cycles)


def test_no_imports_inside_functions():
    bad = [f"{path.relative_to(PACKAGE.parent)}:{line}" for name, path in MODULES.items()
           if name.split(".")[0] not in LATE_IMPORTS_ALLOWED
           for _, line, at_top in _imports_all(path) if not at_top]
    assert not bad, "imports inside functions:\n" + "\n".join(bad)


def _imports_all(path):
    tree = ast.parse(path.read_text())
    top = {id(node) for node in tree.body}
    guarded = {id(n) for node in tree.body if isinstance(node, (ast.If, ast.Try)) for n in ast.walk(node)}
    return [(None, node.lineno, id(node) in top or id(node) in guarded) for node in ast.walk(tree)
            if isinstance(node, (ast.Import, ast.ImportFrom))]


@pytest.mark.parametrize("name", sorted(MODULES))
def test_modules_hold_one_concern(name):
    n_lines = len(MODULES[name].read_text().splitlines())
    assert n_lines <= MAX_LINES, f"{MODULES[name]} has {n_lines} lines (> {MAX_LINES}): split it by concern"
