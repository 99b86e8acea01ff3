"""The engine's folders follow the pipeline: imports point one way (issue 25).

Engine ← plugin ← hosts; inside ``vos_core`` the foundations (config, errors, the weights
search) import no stage, and no stage's subpackage imports one that imports it back.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ENGINE = REPO / "vos_core"
FOUNDATIONS = {"config", "errors", "weights"}


def _imports(path: Path) -> set[str]:
    """Dotted modules ``path`` imports (relative imports resolved), at module level or in functions."""
    package = ".".join(path.relative_to(REPO).with_suffix("").parts)
    if path.name != "__init__.py":
        package = package.rsplit(".", 1)[0]
    else:
        package = package.removesuffix(".__init__")
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            module = ".".join([*base, node.module] if node.module else base)
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def _unit(module: str) -> str | None:
    """The engine part a module belongs to: a subpackage name, or a top-level module's name."""
    parts = module.split(".")
    return parts[1] if parts[0] == "vos_core" and len(parts) > 1 else None


def _engine_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in ENGINE.rglob("*.py"):
        unit = _unit(".".join(path.relative_to(REPO).with_suffix("").parts))
        if unit == "__init__":  # vos_core/__init__.py: the public API, allowed to import everything
            continue
        targets = {_unit(m) for m in _imports(path)} - {None, unit}
        graph.setdefault(unit, set()).update(t for t in targets if (ENGINE / t).exists() or (ENGINE / f"{t}.py").exists())
    return graph


def test_foundations_import_no_stage():
    graph = _engine_graph()
    for name in FOUNDATIONS:
        assert graph.get(name, set()) <= FOUNDATIONS, f"{name} imports {graph[name] - FOUNDATIONS}"


def _assert_acyclic(graph: dict[str, set[str]]) -> None:
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        if state.get(node) == 1:
            raise AssertionError("import cycle: " + " → ".join([*trail, node]))
        if state.get(node) == 2:
            return
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            visit(nxt, [*trail, node])
        state[node] = 2

    for node in sorted(graph):
        visit(node, [])


def test_engine_parts_form_no_cycle():
    _assert_acyclic(_engine_graph())


def test_the_ffmpeg_host_modules_form_no_cycle():
    """Its modules, lazy imports included (``batch`` ↔ ``ray_batch`` was one)."""
    host = REPO / "hosts" / "ffmpeg"
    names = {path.stem for path in host.glob("*.py")}
    graph = {
        path.stem: {m.split(".")[2] for m in _imports(path) if m.startswith("hosts.ffmpeg.") and m.split(".")[2] in names}
        - {path.stem}
        for path in host.glob("*.py")
    }
    _assert_acyclic(graph)


def test_the_engine_imports_no_plugin_or_host_and_the_plugin_no_host():
    for path in ENGINE.rglob("*.py"):
        bad = {m for m in _imports(path) if m.split(".")[0] in ("plugin", "hosts")}
        assert not bad, f"{path.relative_to(REPO)} imports {bad}"
    for path in (REPO / "plugin").rglob("*.py"):
        bad = {m for m in _imports(path) if m.split(".")[0] == "hosts"}
        assert not bad, f"{path.relative_to(REPO)} imports {bad}"


def test_every_subpackage_says_what_stage_it_is():
    for init in ENGINE.glob("*/__init__.py"):
        assert ast.get_docstring(ast.parse(init.read_text())), f"{init.relative_to(REPO)} has no docstring"
