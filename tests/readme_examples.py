"""The examples of README.md and docs/*.md as code: their fenced blocks, the starter.py command lines in them, the
requests they show (YAML, the raw `temporal workflow start` JSON, the TypeScript object). Each check takes the
Markdown text, so a test can break an example on purpose and see its check fail."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner

from cli.app import app
from domain.request_check import checked_start

ROOT = Path(__file__).resolve().parent.parent
DOCS = (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")))
_FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
_PLACEHOLDER = re.compile(r"<[^<>\n]*>")
_OPTIONAL = re.compile(r"\[([^\[\]\n]*)\]")
_DATE = re.compile(r"\d\d/\d\d/\d{4}, \d\d:\d\d")


@dataclass(frozen=True)
class Block:
    line: int  # of the opening fence
    lang: str
    text: str


def blocks(markdown: str, lang: str | None = None) -> list[Block]:
    found = [Block(markdown[: m.start()].count("\n") + 1, m.group(1), m.group(2)) for m in _FENCE.finditer(markdown)]
    return [b for b in found if lang is None or b.lang == lang]


def block_with(markdown: str, lang: str, marker: str) -> Block:
    """The first `lang` block holding `marker`."""
    for block in blocks(markdown, lang):
        if marker in block.text:
            return block
    raise LookupError(f"no ```{lang} block holds {marker!r}")


def commands(block: Block) -> Iterator[tuple[int, str]]:
    """(line, command) of a shell block: lines ending in a backslash joined to the next, a quoted string kept open
    across lines as the shell does, comment-only lines left out."""
    pending = ""
    start = 0
    for offset, raw in enumerate(block.text.splitlines(), start=block.line + 1):
        if not pending:
            start = offset
            if not raw.strip() or raw.lstrip().startswith("#"):
                continue
        if raw.rstrip().endswith("\\"):
            pending += raw.rstrip()[:-1] + " "
            continue
        pending += raw
        try:
            shlex.split(pending, comments=True)
        except ValueError:  # a quote still open: the command goes on
            pending += "\n"
            continue
        yield start, pending.strip()
        pending = ""


def starter_argvs(markdown: str) -> list[tuple[int, list[str]]]:
    """Every `starter.py …` command of the shell blocks as an argv: a `<placeholder>` becomes `x`, `[optional]` parts
    are kept, and `a | b | c` after a subcommand stands for three commands."""
    found: list[tuple[int, list[str]]] = []
    for block in blocks(markdown, "sh"):
        for line, command in commands(block):
            if "starter.py" not in command:
                continue
            text = _OPTIONAL.sub(r"\1", _PLACEHOLDER.sub("x", command))
            tokens = shlex.split(text, comments=True)
            argv = tokens[next(i for i, t in enumerate(tokens) if t.endswith("starter.py")) + 1 :]
            first, *alternatives = " ".join(argv).split(" | ")
            head = first.split()
            found.append((line, head))
            found += [(line, [*head[:-1], alt.strip()]) for alt in alternatives]
    return found


def cli_problems(markdown: str, source: str = "README.md") -> list[str]:
    """Each starter.py command line that starter.py would refuse (an unknown command or option, a missing value):
    run with `--help` appended, which click acts on once the whole line has parsed, so nothing else runs."""
    runner = CliRunner()
    problems = []
    for line, argv in starter_argvs(markdown):
        done = runner.invoke(app, [*argv, "--help"], env={"COLUMNS": "200"})
        if done.exit_code != 0:
            error = " ".join(done.output.split())[-300:]
            problems.append(f"{source}:{line}: `starter.py {' '.join(argv)}`: {error}")
    return problems


def readme_request(markdown: str) -> dict[str, Any]:
    """The README's campaign request (the YAML under "Start a campaign")."""
    data = yaml.safe_load(block_with(markdown, "yaml", "campaign_start_time").text)
    assert isinstance(data, dict)
    return data


def temporal_start_argv(markdown: str) -> list[str]:
    """The README's raw `temporal workflow start` command as an argv."""
    block = block_with(markdown, "sh", "temporal workflow start")
    command = next(c for _, c in commands(block) if c.startswith("temporal workflow start"))
    return shlex.split(command, comments=True)


def option(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


def typescript_request(markdown: str) -> dict[str, Any]:
    """The TypeScript example's `request` object literal, read as JSON (comments, quotes and commas made JSON's)."""
    text = block_with(markdown, "ts", "const request").text
    literal = text[text.index("const request = ") + len("const request = ") : text.index("};") + 1]
    literal = re.sub(r"//[^\n]*", "", literal)
    literal = re.sub(r"'([^'\n]*)'", lambda m: json.dumps(m.group(1)), literal)
    literal = re.sub(r"([{,]\s*)([A-Za-z_][A-Za-z0-9_]*)\s*:", r'\1"\2":', literal)
    literal = re.sub(r",(\s*[}\]])", r"\1", literal)
    data = json.loads(literal)
    assert isinstance(data, dict)
    return data


def typescript_workflow_id(markdown: str, request: dict[str, Any]) -> str:
    """The TypeScript example's workflowId template, filled in from its request."""
    text = block_with(markdown, "ts", "const request").text
    template = re.search(r"workflowId: `([^`]*)`", text)
    assert template is not None, "the TypeScript example sets no workflowId template"
    return re.sub(r"\$\{request\.(\w+)\}", lambda m: str(request[m.group(1)]), template.group(1))


def request_problems(data: dict[str, Any], now: datetime) -> list[str]:
    """What the worker's rules (and the API's, the starter's) say of a request at `now`."""
    return checked_start(data, now)[1]


def dates(text: str) -> list[str]:
    return _DATE.findall(text)
