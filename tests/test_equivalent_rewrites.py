"""Files that mean the same lint the same. Each host tree of tests/hosts is linted as it
is, then with its files written the other ways their programs read alike: quotes of
another kind, comments, blank lines and trailing blanks, CRLF line ends, `key value` for
`key=value` in grub.conf, lists over several lines and statements in another order in an
xm config (Python reads them all the same), attributes in another order or quoting, an
XML declaration and a comment in a domain XML. The findings (code and severity, each
counted) must not change: an admin's style is neither a defect nor a way to hide one.

The trees' own files are written in one style; the hosts linted in the field are not.
A reader that trusted the style would report false alarms on clean trees, or miss the
seeded trees' defects, and this finds it without a hand-written case per style."""
from __future__ import annotations

import collections
import os
import re
import shutil
from pathlib import Path

import pytest
from virtc import api

HOSTS = Path(__file__).parent / "hosts"


# ---------------------------------------------------------------- rewrites, one meaning

def crlf(t: str) -> str:
    return t.replace("\r\n", "\n").replace("\n", "\r\n")


def trailing_blanks(t: str) -> str:
    return t.replace("\n", " \t\n")


def comments_and_blank_lines(t: str) -> str:
    return "# edited by hand\n\n" + t.replace("\n", "\n\n")


def xm_single_quotes(t: str) -> str:
    return re.sub(r'"([^"\'\\\n]*)"', r"'\1'", t)


def xm_no_spaces(t: str) -> str:
    return re.sub(r"^(\w+)[ \t]*=[ \t]*", r"\1=", t, flags=re.MULTILINE)


def xm_trailing_comments(t: str) -> str:
    return re.sub(r"^(\w+\s*=[^\n#\\]*[\]\"'0-9])[ \t]*$", r"\1   # note", t, flags=re.MULTILINE)


def xm_lists_over_lines(t: str) -> str:
    """`k = [ "a", "b" ]` on one line as one item a line, with a trailing comma."""
    def one(m):
        string = r'"[^"\n]*"|\'[^\'\n]*\''
        items = re.findall(string, m.group(2))
        if not items or re.sub(string, "", m.group(2)).strip(" \t,") or ",," in re.sub(string + r"|\s", "", m.group(2)):
            return m.group(0)
        return m.group(1) + "[\n    " + ",\n    ".join(items) + ",\n]"
    return re.sub(r"^(\w+\s*=\s*)\[([^\]\n]*)\][ \t]*$", one, t, flags=re.MULTILINE)


def xm_reversed(t: str) -> str:
    """The assignments in the other order, where each is one line and no name repeats (the
    last of two assignments wins, so their order would matter)."""
    lines = [ln for ln in t.split("\n") if ln.strip() and not ln.lstrip().startswith("#")]
    names = [re.match(r"(\w+)\s*=", ln) for ln in lines]
    if not all(names) or len({m.group(1) for m in names}) != len(names) \
            or any(ln.rstrip().endswith(("[", ",", "\\", "(")) for ln in lines):
        return t
    return "\n".join(reversed(lines)) + "\n"


def shell_quotes(t: str) -> str:
    return re.sub(r"^([ \t]*[A-Za-z_]\w*)=([^\"'\s#$`\\;|&<>()]+)[ \t]*$", r'\1="\2"', t, flags=re.MULTILINE)


def grub_spaces(t: str) -> str:
    return re.sub(r"^(default|timeout|fallback|splashimage)=", r"\1 ", t, flags=re.MULTILINE)


def grub_indent(t: str) -> str:
    return re.sub(r"^[ \t]+", "    ", t, flags=re.MULTILINE)


def xml_single_quotes(t: str) -> str:
    return re.sub(r"""(\s[\w:.-]+)="([^"'<&]*)\"""", r"\1='\2'", t)


def xml_declaration(t: str) -> str:
    return t if t.lstrip().startswith("<?xml") else '<?xml version="1.0"?>\n<!-- edited by hand -->\n' + t


def xml_attributes_reversed(t: str) -> str:
    return re.sub(r'<([\w:.-]+)((?:[ \t]+[\w:.-]+="[^"]*")+)([ \t]*/?>)',
                  lambda m: "<" + m.group(1) + "".join(reversed(re.findall(r'[ \t]+[\w:.-]+="[^"]*"', m.group(2))))
                  + m.group(3), t)


def sysctl_no_spaces(t: str) -> str:
    return re.sub(r"^([\w.\-/]+)[ \t]*=[ \t]*", r"\1=", t, flags=re.MULTILINE)


def udev_spaced(t: str) -> str:
    """`KEY=="v", KEY+="v"` as `KEY == "v" ,  KEY += "v"` (udev reads blanks around both)."""
    lines = []
    for ln in t.split("\n"):
        if ln.lstrip().startswith("#"):
            lines.append(ln)
            continue
        ln = re.sub(r'([A-Z{}_*]+)(==|!=|\+=|:=|=)"', r'\1 \2 "', ln)
        lines.append(re.sub(r'",[ \t]*', '" ,  ', ln))
    return "\n".join(lines)


def fields_with_tabs(t: str) -> str:
    """Blanks between the fields of a line as tabs (outside comments)."""
    return "\n".join(ln if ln.lstrip().startswith("#") else re.sub(r"(?<=\S)[ ]+(?=\S)", "\t", ln)
                     for ln in t.split("\n"))


def xml_empty_expanded(t: str) -> str:
    return re.sub(r"<([\w:.-]+)((?:\s+[\w:.-]+=(?:\"[^\"]*\"|'[^']*'))*)\s*/>", r"<\1\2></\1>", t)


XM = [xm_single_quotes, xm_no_spaces, xm_trailing_comments, xm_lists_over_lines, xm_reversed, crlf,
      trailing_blanks]
SHELL = [shell_quotes, comments_and_blank_lines, trailing_blanks]
XML = [xml_single_quotes, xml_declaration, xml_attributes_reversed, xml_empty_expanded, crlf]
# (where a file is, by its path in the tree) -> its rewrites
REWRITES = [
    (re.compile(r"\.xml$"), XML),
    (re.compile(r"^etc/xen/(?!xend-config\.sxp$|scripts/|qemu-ifup$|xmexample)[^/]+$"), XM),
    (re.compile(r"/ifcfg-[^/]+$|^etc/sysconfig/(kernel|libvirtd)$|^etc/selinux/config$"), SHELL),
    (re.compile(r"(^|/)grub\.conf$"), [grub_spaces, grub_indent, comments_and_blank_lines, trailing_blanks]),
    (re.compile(r"^etc/sysctl\.conf$"), [sysctl_no_spaces, comments_and_blank_lines, trailing_blanks]),
    (re.compile(r"^etc/(modprobe\.conf|hosts|fstab|exports)$"),
     [fields_with_tabs, comments_and_blank_lines, trailing_blanks]),
    (re.compile(r"^etc/multipath\.conf$"), [comments_and_blank_lines, trailing_blanks]),
    (re.compile(r"^etc/udev/rules\.d/[^/]+\.rules$"), [udev_spaced, comments_and_blank_lines]),
]


def rewrites_of(rel: str) -> list:
    for where, funcs in REWRITES:
        if where.search(rel):
            return funcs
    return []


def findings(root: Path) -> collections.Counter:
    return collections.Counter((d.code, d.severity.name) for d in api.lint([], roots=[str(root)], jobs=1).diagnostics)


def trees(kind: str) -> list[str]:
    return sorted(p.name for p in (HOSTS / kind).iterdir() if p.is_dir())


def _files(root: Path) -> dict[str, str]:
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_file() and not p.is_symlink() and rewrites_of(p.relative_to(root).as_posix()):
            out[p.relative_to(root).as_posix()] = p.read_bytes().decode("utf-8", "surrogateescape")
    return out


def _write(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8", errors="surrogateescape", newline="") as fh:
        fh.write(text)


@pytest.mark.parametrize("tree", [f"clean/{t}" for t in trees("clean")] + [f"seeded/{t}" for t in trees("seeded")])
def test_a_host_written_in_another_style_lints_the_same(tree, tmp_path):
    """Each rewrite, applied to every file of the tree it applies to, in one lint each."""
    root = tmp_path / "host"
    shutil.copytree(HOSTS / tree, root, symlinks=True)
    before = findings(root)
    files = _files(root)
    kinds = sorted({f for rel in files for f in rewrites_of(rel)}, key=lambda f: f.__name__)
    changed = []
    for rewrite in kinds:
        touched = {rel: rewrite(text) for rel, text in files.items() if rewrite in rewrites_of(rel)}
        touched = {rel: text for rel, text in touched.items() if text != files[rel]}
        if not touched:
            continue
        for rel, text in touched.items():
            _write(root / rel, text)
        after = findings(root)
        for rel in touched:
            _write(root / rel, files[rel])
        if after != before:
            changed.append(f"{rewrite.__name__} of {', '.join(sorted(touched))}: "
                           f"new {dict(after - before)}, gone {dict(before - after)}")
    assert not changed, "\n".join(changed)


def test_the_rewrites_change_the_files_they_are_for():
    """Each rewrite changes some file of the trees (a rewrite that matches nothing tests
    nothing), and keeps what the file says: an xm config's values read by Python's ast
    are the same after each xm rewrite."""
    import ast

    texts = {}
    for kind in ("clean", "seeded"):
        for tree in trees(kind):
            for rel, text in _files(HOSTS / kind / tree).items():
                texts[f"{kind}/{tree}/{rel}"] = (rel, text)
    used = collections.Counter()
    for key, (rel, text) in texts.items():
        for rewrite in rewrites_of(rel):
            new = rewrite(text)
            if new == text:
                continue
            used[rewrite.__name__] += 1
            if rewrites_of(rel) is XM:
                def values(src):
                    return {n.targets[0].id: ast.literal_eval(n.value) for n in ast.parse(src).body
                            if isinstance(n, ast.Assign)}
                assert values(new.replace("\r\n", "\n")) == values(text), (key, rewrite.__name__)
    every = {f.__name__ for _, funcs in REWRITES for f in funcs}
    assert {name for name in every if used[name] == 0} == set(), used
    assert os.path.isdir(HOSTS)
