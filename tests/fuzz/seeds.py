"""Seed inputs per target: the project's examples, rule cases (tests/cases/*/), host
trees and fixtures, and the shared corpus (../shared/corpus, read where it is at run
time and skipped when absent: it is never copied into the project).

Files other than .virt go to the reader of the format virtc recognises them as (by their
place in a host tree or loose, as `virtc lint` would), xm configs and domain XMLs also to
convert and import.
"""
from __future__ import annotations

import ast
import os
from functools import lru_cache
from pathlib import Path

from virtc import targets

ROOT = Path(__file__).resolve().parents[2]
CORPUS = Path(os.environ.get("VIRTC_FUZZ_CORPUS", ROOT.parent / "shared" / "corpus"))
MAX_SEED_BYTES = 64 * 1024  # bigger files make slow seeds, not better ones
LANGUAGE = ("parse", "check", "fmt", "lsp")
GUESTS = ("convert", "import")  # they take an xm config or a domain XML


def _files(folder: Path):
    if not folder.is_dir():
        return
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink() and 0 < path.stat().st_size <= MAX_SEED_BYTES \
                and not any(part.startswith(".") or part == "__pycache__" for part in path.parts):
            yield path


def _format(path: Path, text: str):
    parts = path.parts
    for i in range(len(parts) - 1, 0, -1):  # the place in a host tree it ends with
        fmt = targets.placed("/".join(parts[i:]))
        if fmt is not None and not fmt.link:
            return fmt
    return targets.recognised(str(path), text)


@lru_cache(maxsize=None)
def seeds() -> dict[str, tuple[bytes, ...]]:
    """Target name -> its seed inputs (deduplicated, in a stable order)."""
    from .targets import TARGETS

    out: dict[str, dict[bytes, None]] = {name: {} for name in TARGETS}
    folders = [ROOT / "examples", ROOT / "tests" / "cases", ROOT / "tests" / "hosts", ROOT / "tests" / "fixtures",
               CORPUS]
    for folder in folders:
        for path in _files(folder):
            data = path.read_bytes()
            if b"\0" in data:
                continue
            if path.suffix == ".virt":
                for name in LANGUAGE:
                    out[name][data] = None
                continue
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                continue
            fmt = _format(path, text)
            if fmt is None or f"read-{fmt.name}" not in out:
                continue
            out[f"read-{fmt.name}"][data] = None
            if fmt.name in ("xm", "domain-xml"):
                for name in GUESTS:
                    out[name][data] = None
    if "lint-tree" in out:  # each file of each host tree of tests/hosts, in its place
        from .targets import HOSTS, tree_input

        for tree in sorted(p for kind in HOSTS.iterdir() if kind.is_dir() for p in kind.iterdir() if p.is_dir()):
            for path in _files(tree):
                rel = path.relative_to(tree)
                out["lint-tree"][tree_input(f"{tree.parent.name}/{tree.name}", str(rel), path.read_bytes())] = None
    for name, text in _saved_outputs().items():  # no file of these kinds in the project
        out[f"read-{name}"][text.encode()] = None
    out["read-guest-grub"].update(out["read-grub"])  # a guest's grub.conf is a grub.conf
    return {name: tuple(found) or (b"",) for name, found in out.items()}


def _saved_outputs() -> dict[str, str]:
    """The saved `xm info` and `virsh nodeinfo` outputs tests/test_hostinfo.py reads."""
    tree = ast.parse((ROOT / "tests" / "test_hostinfo.py").read_text(encoding="utf-8"))
    wanted = {"XM_INFO": "xm-info", "NODEINFO": "nodeinfo"}
    return {wanted[node.targets[0].id]: ast.literal_eval(node.value) for node in tree.body
            if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id in wanted}
