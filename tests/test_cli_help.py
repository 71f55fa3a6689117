"""starter.py's help: every command and every option or argument explains itself in whole sentences, so an
operator reading `--help` in a hurry never meets a bare option or a fragment."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import typer.main
from typer.testing import CliRunner

from cli.app import app


def walk(command: object, path: tuple[str, ...] = ("starter.py",)) -> Iterator[tuple[str, object]]:
    yield " ".join(path), command
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from walk(sub, (*path, name))


COMMANDS = list(walk(typer.main.get_command(app)))


def sentence_problem(text: str | None) -> str | None:
    text = (text or "").strip()
    if not text:
        return "no help"
    if not text[0].isupper():
        return f"starts in lower case: {text[:40]!r}"
    if not text.endswith((".", ".)")):
        return f"does not end with a full stop: {text[-40:]!r}"
    return None


def help_problems(command: object) -> list[str]:
    problems = []
    for param in getattr(command, "params", []):
        if param.name == "help":
            continue
        if problem := sentence_problem(getattr(param, "help", None)):
            problems.append(f"{'/'.join(getattr(param, 'opts', [param.name]))}: {problem}")
    return problems


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[p for p, _ in COMMANDS])
def test_every_command_and_option_has_help_in_whole_sentences(path: str, command: object) -> None:
    assert sentence_problem(getattr(command, "help", None)) is None, path
    assert help_problems(command) == [], path


# Every command that prints data or an outcome a script reads. `contacts` streams csv/jsonl (--format) and `schema`
# prints JSON already; none else may print data without --json.
WITH_JSON = {
    *(f"starter.py {c}" for c in ("start", "status", "watch", "list", "cancel", "stop-numbers", "export", "files")),
    *(f"starter.py {c}" for c in ("approve", "reject", "pause", "resume", "setup-search-attributes")),
    *(f"starter.py schedule {c}" for c in ("list", "describe", "create", "trigger")),
    *(f"starter.py suppress {c}" for c in ("add", "remove", "list", "count")),
    "starter.py webhooks subscribe",
}


def options_of(command: object) -> set[str]:
    return {opt for param in getattr(command, "params", []) for opt in getattr(param, "opts", [])}


def test_every_data_command_has_json_and_every_command_lists_the_exit_codes() -> None:
    commands = dict(COMMANDS)
    assert [p for p in sorted(WITH_JSON) if "--json" not in options_of(commands[p])] == []
    leaves = [p for p, c in COMMANDS if not hasattr(c, "commands")]
    assert [p for p in leaves if "Exit codes: 0 done" not in (getattr(commands[p], "epilog", "") or "")] == []
    done = CliRunner().invoke(app, ["schedule", "trigger", "--help"], env={"COLUMNS": "100"})
    assert "3 no such campaign, program or schedule" in " ".join(done.output.split())


def test_the_walk_reaches_every_command_and_the_check_fails_on_a_bare_option() -> None:
    paths = {p for p, _ in COMMANDS}
    assert {"starter.py start", "starter.py schedule create", "starter.py suppress add"} <= paths
    assert len(paths) >= 30

    bare = typer.Typer()

    @bare.command()
    def go(agent_id: str = typer.Option("", "--agent-id"), note: str = typer.Option("", help="why")) -> None:
        """Go."""

    (_, command), *_ = walk(typer.main.get_command(bare))
    assert help_problems(command) == ["--agent-id: no help", "--note: starts in lower case: 'why'"]


def test_help_is_printed_whole_at_a_narrow_width() -> None:
    done = CliRunner().invoke(app, ["start", "--help"], env={"COLUMNS": "80"})
    assert done.exit_code == 0
    text = " ".join(done.output.replace("│", " ").split())
    assert "The Ringg agent (assistant) id that makes the calls" in text
