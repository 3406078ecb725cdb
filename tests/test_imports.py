"""The import graph of virtc's own modules, read with `ast`: no cycles (imports inside
functions count too), formats and area rules independent of each other, and no module
too long to read."""
from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

# setuptools package-dir: each top folder is a package of the one import package `virtc`.
PACKAGES = {"compiler": "virtc", "targets": "virtc.targets", "grammar": "virtc.grammar", "schemas": "virtc.schemas"}
MAX_LINES = 800


def _modules() -> dict[str, Path]:
    out = {}
    for folder, package in PACKAGES.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            parts = path.relative_to(ROOT / folder).with_suffix("").parts
            name = ".".join((package, *parts))
            out[name.removesuffix(".__init__")] = path
    return out


MODULES = _modules()


def _imported(module: str, path: Path) -> set[str]:
    """The virtc modules `module` imports, anywhere in it. `from . import x` imports the
    submodule x when there is one; `from .pkg import name` imports pkg (a package's own
    __init__ is not an edge of its submodules: Python runs it first, whatever they import)."""
    is_package = path.name == "__init__.py"
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[:len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            subs = [f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in MODULES]
            names = subs if len(subs) == len(node.names) else [target, *subs]
        else:
            continue
        out |= {n for n in names if n in MODULES and n != module}
    return out


GRAPH = {m: _imported(m, p) for m, p in MODULES.items()}


def _cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(GRAPH[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1 or v in GRAPH[v]:
                found.append(sorted(comp))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    return found


def test_the_graph_is_read():
    assert "virtc.api" in GRAPH and "virtc.targets.xm.read" in GRAPH
    assert "virtc.targets.xm.spec" in GRAPH["virtc.targets.xm.read"]
    assert "virtc.resolve" in GRAPH["virtc.api"]


def test_no_import_cycles():
    assert _cycles() == []


def test_formats_and_area_rules_do_not_import_each_other():
    """A format may use what every rule is built on (virtc.rules.base); an area's rules see
    the model, never a file format. Helpers both need live in a module of their own."""
    areas = {m for m in MODULES if m.startswith("virtc.rules.") and m != "virtc.rules.base"}
    formats = {m for m in MODULES if m.startswith("virtc.targets.")}
    assert sorted((m, i) for m in formats for i in GRAPH[m] if i in areas) == []
    assert sorted((m, i) for m in areas for i in GRAPH[m] if i in formats or i == "virtc.targets") == []


def test_no_module_is_longer_than_800_lines():
    long = {m: n for m, p in MODULES.items() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert long == {}
