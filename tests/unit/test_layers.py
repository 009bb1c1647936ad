"""The packages import one way (docs/architecture.md): a package imports only packages of its layer or below,
the package graph has no cycle, and the library never imports the local harness or the CLI."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Layers, bottom first. A package may import its own layer's packages (without a cycle) and any layer below.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("data", "config", "plugins", "tracing", "logs", "kafka"),
    ("records",),
    ("connector", "raw_records"),
    ("errors", "converters", "transforms", "connectors", "connector_config", "aws_names", "deployment_keys", "native"),
    ("pipeline", "storage"),
    ("runtime",),
    ("manager",),
    ("lambda_sink", "lambda_source", "rest"),
    ("standalone",),
)
RANK = {package: rank for rank, layer in enumerate(LAYERS) for package in layer}
TOP = {"connectless": 0, "connectless_local": 1, "connectless_cli": 2}  # library < local harness < CLI
SOURCES = {
    "connectless": ROOT / "shared" / "connectless",
    "connectless_local": ROOT / "infra" / "local" / "connectless_local",
    "connectless_cli": ROOT / "cli" / "connectless_cli",
}


def imports() -> list[tuple[str, str, str]]:
    """(importing module, imported module, file) for every import of a project package, lazy ones included."""
    found = []
    for top, folder in SOURCES.items():
        for path in folder.rglob("*.py"):
            module = ".".join((top, *path.relative_to(folder).with_suffix("").parts)).removesuffix(".__init__")
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = [node.module] if isinstance(node, ast.ImportFrom) and node.module else []
                names += [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
                found += [(module, name, str(path.relative_to(ROOT))) for name in names if name.split(".")[0] in TOP]
    return found


def package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "<root>"


def test_every_library_package_has_a_layer() -> None:
    packages = {p.stem for p in SOURCES["connectless"].iterdir() if p.suffix == ".py" or (p / "__init__.py").exists()}
    assert packages - {"__init__"} <= RANK.keys(), f"add {sorted(packages - RANK.keys() - {'__init__'})} to LAYERS"


def test_the_top_level_packages_import_downward_only() -> None:
    upward = [
        (f, imported) for source, imported, f in imports() if TOP[imported.split(".")[0]] > TOP[source.split(".")[0]]
    ]
    assert upward == []


def test_library_packages_import_their_layer_or_below() -> None:
    wrong = []
    for source, imported, path in imports():
        if source.split(".")[0] != "connectless" or imported.split(".")[0] != "connectless":
            continue
        src, dst = package(source), package(imported)
        if src != "<root>" and dst != "<root>" and RANK[dst] > RANK[src]:
            wrong.append(f"{path}: {src} (layer {RANK[src]}) imports {imported} (layer {RANK[dst]})")
    assert wrong == []


def test_the_package_graph_has_no_cycle() -> None:
    edges: dict[str, set[str]] = {}
    for source, imported, _path in imports():
        if source.split(".")[0] == imported.split(".")[0] == "connectless" and package(source) != package(imported):
            edges.setdefault(package(source), set()).add(package(imported))
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        if state.get(node) == 1:
            pytest.fail("import cycle: " + " -> ".join([*trail[trail.index(node) :], node]))
        if state.get(node) == 2:
            return
        state[node] = 1
        for nxt in sorted(edges.get(node, ())):
            visit(nxt, [*trail, node])
        state[node] = 2

    for node in sorted(edges):
        visit(node, [])
