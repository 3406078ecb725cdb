"""The command line's help: readable metavars, one text per command, and the README's
command table in step with the commands and their options."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def help_of(*args: str) -> str:
    r = subprocess.run([sys.executable, "-m", "virtc", *args, "--help"], capture_output=True, text=True,
                       env={"COLUMNS": "100", "PATH": "/usr/bin:/bin", "NO_COLOR": "1"})
    assert r.returncode == 0, r.stderr
    return r.stdout


def commands() -> list[str]:
    text = help_of()
    body = text.split("Commands:", 1)[1]
    return [line.split()[0] for line in body.splitlines() if line.startswith("  ") and line.strip()]


def table_rows() -> dict[str, list[str]]:
    """README command table: command -> the cells of its rows."""
    section = README.split("## Commands", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, list[str]] = {}
    for line in section.splitlines():
        if line.startswith("| `virtc "):
            first = line.split("|")[1]
            for name in re.findall(r"`virtc ([a-z]+)", first):
                rows.setdefault(name, []).append(line)
    return rows


def test_every_command_is_in_the_readme_table_and_back():
    listed = set(table_rows())
    assert set(commands()) == listed - {"--version"} or set(commands()) == listed


@pytest.mark.parametrize("command", ["check", "build", "plan", "lint", "convert", "import", "fmt", "rules",
                                     "formats", "explain", "lsp", "docs"])
def test_help_is_readable_and_names_what_the_readme_says(command):
    text = help_of(command)
    assert "<list[" not in text and "<str>" not in text and "<bool>" not in text, text
    assert not re.search(r"\{[A-Za-z_]+\}", text), text  # no raw {files} metavars
    assert "\\[" not in text  # no leftover rich escapes
    options = set(re.findall(r"(--[a-z][a-z-]+)", text))
    for row in table_rows().get(command, []):
        for opt in re.findall(r"(--[a-z][a-z-]+)", row.split("|")[1]):
            assert opt in options, f"README names {opt} for `virtc {command}`, which its help does not list"


def test_each_command_has_its_own_summary():
    text = help_of()
    body = text.split("Commands:", 1)[1]
    summaries = [line.split(None, 1)[1] for line in body.splitlines() if line.startswith("  ") and
                 len(line.split(None, 1)) == 2]
    assert len(summaries) == len(set(summaries))


def test_shell_completion_is_offered():
    assert "--install-completion" in help_of() and "--show-completion" in help_of()
