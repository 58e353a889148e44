"""The command tables of README.md and docs/commands.md say what the CLI offers: every command, each once or
more, and only options the command has (read from the click commands themselves)."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from nautilus_node.cli import TWO_WORD_COMMANDS, main

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TABLES = ("README.md", "docs/commands.md")


def leaf_commands(group: click.Group = main, prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], click.Command]:
    """Every command that runs (not a group), by its words: ("catalog", "import", "csv") → the command."""
    found = {}
    hidden_words = {name: words for words, name in TWO_WORD_COMMANDS.items()} if group is main else {}
    for name, command in group.commands.items():
        words = hidden_words.get(name, (*prefix, name))
        if isinstance(command, click.Group):
            found |= leaf_commands(command, words)
        else:
            found[words] = command
    return found


def table_rows(text: str) -> list[str]:
    """The first cells of the markdown table whose header is `| command | what it does |`."""
    lines = text.splitlines()
    start = lines.index("| command | what it does |")
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append(re.split(r"(?<!\\)\|", line)[1])
    return rows


def mentions(cell: str) -> list[tuple[tuple[str, ...], set[str]]]:
    """Each command a cell names (`a\\|b` names both) with the options written beside it."""
    found = []
    for span in re.findall(r"`([^`]+)`", cell):
        tokens = span.replace("\\|", "|").split()
        paths: list[tuple[str, ...]] = [()]
        group: click.Command = main
        if tuple(tokens[:2]) in TWO_WORD_COMMANDS:
            paths, group, tokens = [tuple(tokens[:2])], main.commands[TWO_WORD_COMMANDS[tuple(tokens[:2])]], []
        for token in tokens:
            if not isinstance(group, click.Group):
                break
            names = token.split("|")
            if not all(name in group.commands for name in names):
                break
            paths = [(*path, name) for path in paths for name in names]
            group = group.commands[names[0]]
        options = set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", span))
        found += [(path, options) for path in paths]
    return found


@pytest.mark.parametrize("document", TABLES)
def test_the_command_table_names_every_command_and_only_real_ones(document: str) -> None:
    commands = leaf_commands()
    named = [path for cell in table_rows((PROJECT_ROOT / document).read_text()) for path, _ in mentions(cell)]
    assert set(named) - set(commands) == set(), f"{document} names what the CLI does not have"
    assert set(commands) - set(named) == set(), f"{document} leaves out commands the CLI has"


@pytest.mark.parametrize("document", TABLES)
def test_every_option_in_the_command_table_is_an_option_of_its_command(document: str) -> None:
    commands = leaf_commands()
    for cell in table_rows((PROJECT_ROOT / document).read_text()):
        for path, options in mentions(cell):
            offered = {opt for param in commands[path].params for opt in param.opts + param.secondary_opts}
            assert options <= offered, f"{document}: `{' '.join(path)}` has no {sorted(options - offered)}"


def test_the_table_reader_sees_alternatives_options_and_a_missing_command() -> None:
    assert mentions("`catalog import lean\\|csv …`, `status [--url URL] [--check]`") == [
        (("catalog", "import", "lean"), set()),
        (("catalog", "import", "csv"), set()),
        (("status",), {"--url", "--check"}),
    ]
    assert ("catalog", "import", "csv") in leaf_commands() and ("catalog",) not in leaf_commands()
