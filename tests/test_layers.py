"""The house rule (DESIGN.md principle 12): imports point down the layers, no entry point imports another, the
simulator stands apart, and no files import each other in a circle. Imports are read with `ast`, not run."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Top to bottom. A package may import its own modules and those of any package on a lower layer, nothing else;
# packages on one layer do not import each other.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("worker", "starter"),  # the scripts at the root: thin faces of runtime/ and cli/
    ("cli", "api", "webhooks", "codec_server", "devtools"),  # entry points
    ("runtime",),  # what the processes run on: the worker's wiring, settings, logging, metrics, deploy jobs
    ("client",),  # Temporal-client operations every entry point uses
    ("workflows",),
    ("activities",),
    ("ledger",),  # the contact ledger: a database the activities and the entry points read and write
    ("domain",),  # pure rules
    ("ringg", "contract"),  # the Ringg HTTP client; the public payloads
)
# The simulator stands in for Ringg: it imports nothing of the product and nothing of the product imports it.
APART = ("ringg_sim",)
OUTSIDE = ("tests", "bench")  # may import anything; nothing imports them


def layer_of(package: str) -> int | None:
    return next((i for i, names in enumerate(LAYERS) if package in names), None)


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def product_files(root: Path) -> dict[str, Path]:
    """Module name -> file, for every Python file of the house (tests and benchmarks are outside it)."""
    found: dict[str, Path] = {}
    for path in sorted(root.rglob("*.py")):
        top = path.relative_to(root).parts[0]
        if top.startswith(".") or top in OUTSIDE or top == "data":
            continue
        found[_module_name(path, root)] = path
    return found


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> Iterator[tuple[str, int]]:
    """(imported module of the house, line) for every import in the file, also those made inside functions or
    under TYPE_CHECKING; `from pkg import sub` names the submodule when `sub` is one."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in modules:  # `import a.b.c` of a module the house holds as `a.b`
                target = target.rpartition(".")[0]
            if target:
                yield target, node.lineno


def layer_breaks(root: Path) -> list[str]:
    """Every import that breaks a rule, as `file:line: what -> what (why)`."""
    modules = product_files(root)
    problems: list[str] = []
    for name, path in modules.items():
        source = name.split(".")[0]
        for target, line in imports_of(name, path, modules):
            dest = target.split(".")[0]
            if dest == source:
                continue
            where = f"{path.relative_to(root)}:{line}: {name} -> {target}"
            if source in APART or dest in APART:
                problems.append(f"{where} (the simulator stands apart from the product)")
                continue
            src_layer, dest_layer = layer_of(source), layer_of(dest)
            if src_layer is None or dest_layer is None:
                unknown = source if src_layer is None else dest
                problems.append(f"{where} ({unknown!r} is on no layer: add it to LAYERS)")
            elif dest_layer == src_layer:
                problems.append(f"{where} ({source} and {dest} share a layer and may not import each other)")
            elif dest_layer < src_layer:
                problems.append(f"{where} (runs back up: {dest} is above {source})")
    return problems


def file_circles(root: Path) -> list[list[str]]:
    """Groups of files that import each other, directly or around a loop (Tarjan's strongly connected components)."""
    modules = product_files(root)
    graph = {name: {t for t, _ in imports_of(name, path, modules) if t != name} for name, path in modules.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                circles.append(sorted(group))

    for name in sorted(graph):
        if name not in index:
            visit(name)
    return circles


def test_every_package_of_the_house_is_on_a_layer() -> None:
    tops = {name.split(".")[0] for name in product_files(ROOT)}
    placed = {name for layer in LAYERS for name in layer} | set(APART)
    assert tops == placed, f"on no layer: {sorted(tops - placed)}; gone: {sorted(placed - tops)}"


def test_imports_point_down() -> None:
    problems = layer_breaks(ROOT)
    assert not problems, "imports against the layer rule:\n" + "\n".join(problems)


def test_no_files_import_each_other_in_a_circle() -> None:
    circles = file_circles(ROOT)
    assert not circles, f"files importing each other: {circles}"


def _house(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"domain/rules.py": "from client.launcher import start\n", "client/launcher.py": ""}, "runs back up"),
        ({"cli/app.py": "import api.app\n", "api/app.py": ""}, "share a layer"),
        ({"api/app.py": "from webhooks import receiver\n", "webhooks/receiver.py": ""}, "share a layer"),
        ({"ringg_sim/api.py": "from ringg import RinggClient\n", "ringg/__init__.py": ""}, "stands apart"),
        ({"client/x.py": "from ringg_sim.state import SimState\n", "ringg_sim/state.py": ""}, "stands apart"),
        ({"workflows/x.py": "from misc import helper\n", "misc.py": ""}, "on no layer"),
        (
            {
                "activities/ringg/upload.py": "from ..contacts import rows\n",
                "activities/contacts/rows.py": "import cli\n",
            },
            "runs back up",
        ),
    ],
)
def test_the_rule_catches_a_break(tmp_path: Path, files: dict[str, str], expected: str) -> None:
    problems = layer_breaks(_house(tmp_path, {"cli/__init__.py": "", **files}))
    assert any(expected in p for p in problems), problems


def test_a_circle_is_found_even_under_type_checking(tmp_path: Path) -> None:
    house = _house(
        tmp_path,
        {
            "ringg_sim/faults.py": (
                "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ringg_sim.state import SimState\n"
            ),
            "ringg_sim/state.py": "from ringg_sim.faults import FaultBook\n",
            "ringg_sim/app.py": "from ringg_sim import state\n",
        },
    )
    assert file_circles(house) == [["ringg_sim.faults", "ringg_sim.state"]]
    assert not layer_breaks(house)
