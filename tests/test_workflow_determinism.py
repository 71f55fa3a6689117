"""The worker passes the `workflows` package through Temporal's sandbox (runtime/workflow_runner.py): its modules are
imported once per process, not once per run. This holds every module of it to what makes that safe, statically:
no state at module or class level that a run could change for the next, and no clock, randomness, file, process
or network, directly or through a module that gives them. Each rule is shown failing on a snippet."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from runtime.workflow_runner import PASSED_THROUGH

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW_FILES = sorted((ROOT / "workflows").glob("*.py"))

# Modules whose use in workflow code reads the outside world (workflow.now(), workflow.random(), workflow.uuid4()
# and activities are the deterministic ways).
NONDETERMINISTIC_MODULES = frozenset(
    {
        "os",
        "sys",
        "time",
        "random",
        "secrets",
        "uuid",
        "threading",
        "multiprocessing",
        "concurrent",
        "subprocess",
        "socket",
        "ssl",
        "select",
        "signal",
        "http",
        "urllib",
        "httpx",
        "io",
        "shutil",
        "tempfile",
        "glob",
        "sqlite3",
        "pathlib",
        "logging",
        "structlog",
        "sqlalchemy",
    }
)
# Calls that read the clock or the host even through a deterministic module.
NONDETERMINISTIC_CALLS = frozenset({"now", "utcnow", "today", "fromtimestamp", "time", "monotonic", "getenv"})
NONDETERMINISTIC_BUILTINS = frozenset({"open", "input", "print", "exec", "eval", "globals", "id", "hash"})
MUTABLE_CALLS = frozenset({"list", "dict", "set", "bytearray", "defaultdict", "Counter", "deque", "OrderedDict"})


def _mutable(value: ast.expr | None) -> bool:
    if isinstance(value, ast.List | ast.Dict | ast.Set | ast.ListComp | ast.DictComp | ast.SetComp):
        return True
    if isinstance(value, ast.Call):
        func = value.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        return name in MUTABLE_CALLS
    return False


def _assigned(node: ast.stmt) -> ast.expr | None:
    if isinstance(node, ast.Assign | ast.AnnAssign):
        return node.value
    return None


def problems(source: str, name: str = "<snippet>") -> list[str]:
    """What in `source` would make it unsafe to share one import of it between workflow runs."""
    tree = ast.parse(source, name)
    found: list[str] = []

    def where(node: ast.AST) -> str:
        return f"{name}:{getattr(node, 'lineno', '?')}"

    for statement in tree.body:
        if _mutable(_assigned(statement)):
            found.append(f"{where(statement)}: mutable state at module level (use a tuple or frozenset)")
        if isinstance(statement, ast.ClassDef):
            for item in statement.body:
                if _mutable(_assigned(item)):
                    found.append(f"{where(item)}: mutable class attribute of {statement.name} (set it in __init__)")
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for module in modules:
                if module.split(".")[0] in NONDETERMINISTIC_MODULES:
                    found.append(f"{where(node)}: imports {module} (reads the outside world)")
        elif isinstance(node, ast.Global | ast.Nonlocal):
            found.append(f"{where(node)}: {type(node).__name__.lower()} statement (state shared between runs)")
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in NONDETERMINISTIC_BUILTINS:
                found.append(f"{where(node)}: calls {func.id}()")
            if (
                isinstance(func, ast.Attribute)
                and func.attr in NONDETERMINISTIC_CALLS
                and not (isinstance(func.value, ast.Name) and func.value.id == "workflow")
            ):
                found.append(f"{where(node)}: calls .{func.attr}() (use workflow.now() or an activity)")
    return found


def test_the_worker_passes_the_workflows_package_through() -> None:
    assert PASSED_THROUGH == ("workflows",)


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_workflow_modules_are_safe_to_share_between_runs(path: Path) -> None:
    assert problems(path.read_text(), f"workflows/{path.name}") == []


@pytest.mark.parametrize(
    ("snippet", "words"),
    [
        ("RETRYABLE = ['a', 'b']\n", "mutable state at module level"),
        ("SEEN: dict[str, int] = {}\n", "mutable state at module level"),
        ("CACHE = set()\n", "mutable state at module level"),
        ("class W:\n    pending: list[str] = []\n", "mutable class attribute of W"),
        ("import time\n", "imports time"),
        ("from random import random\n", "imports random"),
        ("import uuid\n", "imports uuid"),
        ("from os import environ\n", "imports os"),
        ("from datetime import datetime\nx = datetime.now()\n", "calls .now()"),
        ("import datetime\nx = datetime.date.today()\n", "calls .today()"),
        ("def f():\n    global N\n", "global statement"),
        ("def f():\n    open('x')\n", "calls open()"),
    ],
)
def test_each_rule_refuses_what_it_names(snippet: str, words: str) -> None:
    found = problems(snippet)
    assert any(words in p for p in found), found


def test_what_workflows_may_do_passes() -> None:
    fine = (
        "from datetime import timedelta\n"
        "PERMANENT = ('a', 'b')\n"
        "class W:\n"
        "    _chunks: tuple[str, ...] = ()\n"
        "    def __init__(self) -> None:\n"
        "        self.seen: list[str] = []\n"
        "    async def run(self) -> None:\n"
        "        started = workflow.now()\n"
    )
    assert problems(fine) == []
