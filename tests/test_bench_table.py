"""tests/bench/table.py, the speed table of the README: on tiny sizes it produces every row
with numbers (nothing here asserts a time), and the README's copy of the table has the
table's shape and rows."""
from __future__ import annotations

import importlib
import shutil
import sys
from dataclasses import replace

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tests" / "bench"))  # table.py imports its neighbours as a script does
table = importlib.import_module("table")

TINY = replace(table.QUICK, check_small=20, check_big=40, lint_guests=4, lint_hosts=2, build_small=4,
               build_big=40, lsp_lines=80, lsp_edits=2, validate_sample=1, install_sample=1, repeat=1)


def test_every_row_is_measured_with_numbers(tmp_path):
    rows = table.measure(TINY)
    assert [r.what for r in rows] == table.labels(TINY)
    tools = {"virt-xml-validate": shutil.which("virt-xml-validate"), "virt-install": shutil.which("virt-install")}
    for row in rows:
        assert isinstance(row.measured, float) and row.measured > 0, row
        missing = [t for t, found in tools.items() if not found and t in row.baseline_what]
        if row.kind == "absolute":
            assert row.baseline is None and row.met is not None, row
        elif missing:
            assert row.baseline is None and row.met is None and "not installed" in row.baseline_what, row
        else:
            assert row.baseline > 0 and row.ratio > 0 and row.met is not None, row
    text = table.markdown(rows)
    assert text.count("\n") == len(rows) + 2
    (tmp_path / "t.md").write_text(table.report(rows, TINY, "here"))
    assert table.readme_block("x\n" + table.START + "\n" + (tmp_path / "t.md").read_text() + table.END) \
        .strip().startswith("| what |")


def test_the_readme_quotes_the_table_of_the_default_sizes():
    block = table.readme_block((ROOT / "README.md").read_text())
    lines = [line for line in block.splitlines() if line.startswith("|")]
    assert lines[0] == "| " + " | ".join(table.HEADER) + " |"
    assert lines[1] == "|" + "---|" * len(table.HEADER)
    cells = [[c.strip() for c in line.strip("|").split(" | ")] for line in lines[2:]]
    assert [c[0] for c in cells] == table.labels(table.NORMAL)
    assert all(len(c) == len(table.HEADER) and c[1] != "-" for c in cells), cells
    assert "python tests/bench/table.py" in block and "Measured " in block


def test_rewriting_the_readme_replaces_only_the_block():
    text = f"before\n{table.START}\nold table\n{table.END}\nafter\n"
    new = table.rewrite_readme(text, "| new |\n")
    assert new == f"before\n{table.START}\n| new |\n{table.END}\nafter\n"
    assert table.rewrite_readme(new, "| new |\n") == new
