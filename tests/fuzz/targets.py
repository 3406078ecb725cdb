"""The fuzz targets: one function per in-process entry point, `run(data: bytes)`.

A target raises only on a real bug: an exception out of virtc's public in-process APIs
(every bad input must come back as a diagnostic), a formatter whose output formats
differently again, or a language server handler that failed. Whatever the input, a
returned diagnostic is a pass.

The text handed to a reader is what `virtc lint` would hand it: the bytes as UTF-8 (bad
bytes replaced), without NUL bytes and a byte order mark (virtc.loading refuses binary
files before any reader sees them). The language server gets the text as a client sends
it, NULs included.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from lark.exceptions import UnexpectedInput
from virtc import api, parsetree, targets
from virtc.checker import run_rules, suppressions
from virtc.convert import xm_to_xml, xml_to_xm
from virtc.fmt import FormatError, format_text
from virtc.lint import HostRead, assemble_host, missing_facts
from virtc.loading import NotFound
from virtc.model import Model
from virtc.parse import parse
from virtc.peers import with_peers
from virtc.readback import whole_file
from virtc.source import SourceFile
from virtc.targets.libvirt import schema


class Bug(AssertionError):
    """A property of the output failed (not an exception out of virtc itself)."""


def text_of(data: bytes) -> str:
    return data.decode("utf-8", errors="replace").replace("\0", "").removeprefix("\ufeff")


# ------------------------------------------------------------------ the language

VIRT = "fuzz.virt"


def _only(texts: dict[str, str]):
    """A loader that knows the given texts and nothing else: an include of any other file
    does not exist (the fuzzer never reads the machine's files)."""
    def load(path: str):
        text = texts.get(os.path.normpath(path))
        if text is None:
            return None, NotFound("No such file or directory")
        return SourceFile(path, text), None
    return load


def run_parse(data: bytes) -> None:
    """The parse with recovery; and parsetree's loop reads the text as Lark's own loop
    does: the same tree and comments, or both refuse it."""
    text = text_of(data)
    parse(SourceFile(VIRT, text))
    fast, slow = _tree_or_none(parsetree.parse, text), _tree_or_none(parsetree.lark_parse, text)
    if fast != slow:
        raise Bug("parsetree's loop and Lark's loop read the text differently")


def _tree_or_none(parse_text, text: str):
    try:
        node, comments = parse_text(text)
    except UnexpectedInput:
        return None
    return _shape(node), [(c.value, c.start_pos, c.line, c.column) for c in comments]


def _shape(n):
    if isinstance(n, parsetree.Node):
        return n.data, n.start, n.end, [_shape(c) for c in n.children]
    return n.type, n.value, n.start_pos, n.end_pos, n.line, n.column, n.end_line, n.end_column


def run_check(data: bytes) -> None:
    """Parse, resolve (templates, ranges, includes) and every area rule: `virtc check`."""
    text = text_of(data)
    api.check([VIRT], loader=_only({VIRT: text}), config=os.devnull)


def run_fmt(data: bytes) -> None:
    """`virtc fmt`: a text that parses formats to a fixed point (formatting the output
    changes nothing) and the output still parses."""
    text = text_of(data)
    try:
        once = format_text(text, VIRT)
    except FormatError:
        return
    try:
        twice = format_text(once, VIRT)
    except FormatError as exc:
        raise Bug(f"fmt output does not parse: {exc.diagnostics[:1]}") from None
    if twice != once:
        raise Bug("fmt is not idempotent: formatting its output changes it again")


# ------------------------------------------------------------------ the formats

def place_of(fmt) -> str:
    """A path at the format's canonical place on a host (`etc/xen/*` -> `etc/xen/fuzz`)."""
    if not fmt.paths:
        return {"selinux-commands": "selinux-setup.sh", "xml-unknown": "unknown.xml"}.get(fmt.name, fmt.name)
    path = re.sub(r"\*\*/", "", fmt.paths[0])
    path = path.replace("*.xml", "fuzz.xml").replace("*.rules", "fuzz.rules")
    return path.replace("*", "fuzz")


def read_format(fmt, data: bytes) -> None:
    """What `virtc lint` does with one file of this format, in memory: the reader, the
    RelaxNG schema of libvirt's XML, the host assembled from it, and every rule (the
    format's rules on the document, the area rules on the host and its guests), and the
    file's own suppression comments; with the cyclic garbage collector paused, as lint
    pauses it (api._no_cyclic_gc; its scans of a big file's thousands of entries and
    findings cost a read up to as much again, which `virtc lint` never pays)."""
    with api._no_cyclic_gc():
        _read_format(fmt, data)


def _read_format(fmt, data: bytes) -> None:
    path = place_of(fmt)
    text = text_of(data)
    found = fmt.read(text, path)
    found.format = fmt.name
    suppressions({}, {path: found.source}, {path: fmt.name})  # its `virtc: ignore` comments, as lint reads them
    if fmt.schema is not None and not any(d.code in ("VF701", "VF702") for d in found.diagnostics):
        schema.check(SourceFile(path, text), fmt.schema)
    hr = HostRead("fuzzhost")
    (hr.guest_files if fmt.name == "guest-grub" else hr.found).append(found)
    host, guests, _ = assemble_host(hr, whole_file(found.source))
    documents = [found.document] if found.document is not None else []
    model = with_peers(Model((host,), tuple(guests), (path,)), documents)
    run_rules(model, None, documents, {host.name: set(missing_facts(host, {fmt.name}))})


def run_convert(data: bytes) -> None:
    """`virtc convert`: an xm config to domain XML, or domain XML to an xm config (by
    the text's first character, as a person would tell them apart)."""
    text = text_of(data)
    if text.lstrip().startswith("<"):
        xml_to_xm(text, "fuzz.xml")
    else:
        xm_to_xml(text, "fuzz")


SCRATCH: str | None = None  # where working folders go; the runner sets it (see scratch())


def scratch(prefix: str) -> str:
    """A working folder for this process, removed when it exits. Under SCRATCH when the
    runner set it: its pool's workers end with os._exit, or are terminated, and run no
    atexit handler, so the runner removes the whole of SCRATCH itself at the end (1,400
    folders an hour were left in /tmp before). multiprocessing's Finalize runs at a
    worker's ordinary exit and, through atexit, at the main process's."""
    from multiprocessing.util import Finalize

    folder = tempfile.mkdtemp(prefix=prefix, dir=SCRATCH)
    Finalize(None, shutil.rmtree, args=(folder, True), exitpriority=0)
    return folder


_TREE = None


def run_import(data: bytes) -> None:
    """`virtc import` of a host tree holding the one file (an xm config, or a domain XML
    by its first character), to text only (-o not given: nothing written)."""
    global _TREE
    if _TREE is None:
        _TREE = scratch("virtc-fuzz-")
    text = text_of(data)
    xml = text.lstrip().startswith("<")
    rel = "etc/libvirt/xen/fuzz.xml" if xml else "etc/xen/fuzz"
    for old in ("etc/libvirt/xen/fuzz.xml", "etc/xen/fuzz"):
        if old != rel and os.path.exists(os.path.join(_TREE, old)):
            os.remove(os.path.join(_TREE, old))
    full = os.path.join(_TREE, rel)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "w", encoding="utf-8") as fh:
        fh.write(text)
    api.import_([], [_TREE])


HOSTS = Path(__file__).resolve().parents[1] / "hosts"  # tests/hosts: clean/NAME and seeded/NAME host trees
TREE_HEADER = b"tree:"
_TREES: dict[str, str] = {}  # tree name -> its working copy (made once per process)


def host_trees() -> list[str]:
    """The host trees of tests/hosts, as "clean/NAME" and "seeded/NAME"."""
    return sorted(f"{kind.name}/{tree.name}" for kind in HOSTS.iterdir() if kind.is_dir()
                  for tree in kind.iterdir() if tree.is_dir())


def tree_input(tree: str, path: str, data: bytes) -> bytes:
    """The lint-tree input that puts `data` at `path` of host tree `tree`."""
    return TREE_HEADER + tree.encode() + b"\n" + path.encode() + b"\n" + data


def _tree_parts(data: bytes) -> tuple[str, str, bytes]:
    """(tree, path in it, the file's bytes) of a lint-tree input. A header a mutation
    garbled still names a tree and a path: chosen from the bytes, so the same input is
    always the same tree."""
    trees = host_trees()
    tree = path = None
    if data.startswith(TREE_HEADER):
        head, _, rest = data[len(TREE_HEADER):].partition(b"\n")
        where, _, body = rest.partition(b"\n")
        tree = head.decode("utf-8", "replace")
        path = os.path.normpath(where.decode("utf-8", "replace")) if where else ""
        parts = path.split(os.sep) if path else []
        if tree in trees and parts and not os.path.isabs(path) and parts[0] not in ("..", ".") \
                and "\0" not in path and len(parts) <= 32 and len(path.encode("utf-8", "surrogatepass")) <= 1000 \
                and all(len(p.encode("utf-8", "surrogatepass")) <= 200 for p in parts):
            return tree, path, body  # (names and a path any file system takes)
    tree = trees[sum(data[:64]) % len(trees)]
    return tree, "etc/xen/fuzzed", data


def _inside(root: str, path: str) -> str | None:
    """root/path if writing there stays in the tree: every folder on the way a real one
    (or not there yet), the file itself no folder or symlink (the trees link out to
    /etc/...); else None."""
    full = root
    parts = path.split(os.sep)
    for part in parts[:-1]:
        full = os.path.join(full, part)
        if os.path.islink(full) or (os.path.exists(full) and not os.path.isdir(full)):
            return None
    full = os.path.join(full, parts[-1])
    return None if os.path.islink(full) or os.path.isdir(full) else full


def run_tree(data: bytes) -> None:
    """`virtc lint` and `virtc import` (to text) of a whole host tree of tests/hosts with
    one of its files replaced by the input (or the input added at a new place): every
    file of the host read, placed and assembled together, and every rule on the host."""
    tree, path, body = _tree_parts(data)
    if tree not in _TREES:
        work = scratch("virtc-fuzz-tree-")
        _TREES[tree] = os.path.join(work, "host")
        shutil.copytree(HOSTS / tree, _TREES[tree], symlinks=True)
    root = _TREES[tree]
    full = _inside(root, path) or os.path.join(root, "etc", "xen", "fuzzed")
    before = None
    if os.path.exists(full):
        with open(full, "rb") as fh:
            before = fh.read()
    made = []  # folders this input made, removed after it
    folder = os.path.dirname(full)
    while not os.path.isdir(folder):
        made.append(folder)
        folder = os.path.dirname(folder)
    written = False
    try:
        for f in reversed(made):
            os.mkdir(f)
        with open(full, "wb") as fh:
            written = True
            fh.write(body)
        api.lint([], roots=[root], jobs=1)
        api.import_([], [root])
    finally:
        if before is not None:
            with open(full, "wb") as fh:
                fh.write(before)
        elif written:
            os.remove(full)
        for f in made:
            if os.path.isdir(f):
                os.rmdir(f)


# ------------------------------------------------------------------ the registry

def _reader(fmt) -> Callable[[bytes], None]:
    return lambda data: read_format(fmt, data)


def _lsp(data: bytes) -> None:
    from .lsp_target import run_lsp  # pygls is a test extra; only this target needs it

    run_lsp(data)


TARGETS: dict[str, Callable[[bytes], None]] = {
    "parse": run_parse,
    "check": run_check,
    "fmt": run_fmt,
    "convert": run_convert,
    "import": run_import,
    "lsp": _lsp,
    "lint-tree": run_tree,
    **{f"read-{f.name}": _reader(f) for f in targets.FORMATS if f.read is not None and not f.link},
}


def names(spec: str) -> list[str]:
    """`all`, one name, or a comma-separated list; `read-*` means every format's reader."""
    out: list[str] = []
    for part in spec.split(","):
        part = part.strip()
        if part == "all":
            out += list(TARGETS)
        elif part.endswith("*"):
            out += [n for n in TARGETS if n.startswith(part[:-1])]
        elif part in TARGETS:
            out.append(part)
        else:
            raise SystemExit(f"no fuzz target {part!r}; targets: {', '.join(TARGETS)}")
    return list(dict.fromkeys(out))
