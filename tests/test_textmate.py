"""The TextMate grammar (grammar/virtc.tmLanguage.json) and its VS Code extension folder.

Files are tokenised by the tokenizer VS Code runs (vscode-textmate on Oniguruma, npm
packages in tests/textmate/, installed by .ci/run with `npm ci`), so what these tests see
is what an editor shows. Token positions are found by the text of a line, not its number,
so editing an example does not break them as long as the line is still there.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from conftest import EXAMPLES, ROOT, need

# under xdist the tests of this module run on one worker: one node tokenizer run (the
# session's `tokens`) serves every test
pytestmark = pytest.mark.xdist_group("textmate")

GRAMMAR = ROOT / "grammar" / "virtc.tmLanguage.json"
EXTENSION = ROOT / "grammar" / "vscode"
HELPER = ROOT / "tests" / "textmate"
LARK = ROOT / "grammar" / "virtc.lark"
FORMS = HELPER / "forms.virt"

GOOD = sorted(EXAMPLES.glob("*.virt"))
BROKEN = sorted((EXAMPLES / "broken").glob("*.virt"))
CASES = sorted((ROOT / "tests" / "cases").glob("*/*.virt"))


def _lark_keywords() -> tuple[set[str], set[str]]:
    """(statement keywords, every other quoted keyword) of the Lark grammar."""
    text = LARK.read_text()
    statements = {m.group(2) for m in re.finditer(r'^(\w+):\s*"([^"]+)"', text, re.M)
                  if m.group(1).endswith("_stmt") or m.group(1) in ("include", "host", "template", "guest")}
    quoted = set(re.findall(r'"([a-z][a-z0-9\-]*)"', text))
    return statements, quoted - statements


STATEMENTS, OPTIONS = _lark_keywords()
DRIVERS = {"file", "phy", "qemu", "virtio"}  # DRIVER values, written after a disk target
OPTIONS -= DRIVERS


@pytest.fixture(scope="session")
def tokens(tmp_path_factory):
    """{path: [[(start, end, scopes), ...] per line]} for every file the tests look at,
    and the Oniguruma compile errors of the grammar's regexes."""
    node = shutil.which("node")
    need(node is not None, "node (apt-get install nodejs npm)")
    need((HELPER / "node_modules" / "vscode-textmate").is_dir(),
         "vscode-textmate (npm ci --prefix tests/textmate)")
    synthetic = tmp_path_factory.mktemp("textmate") / "keywords.virt"
    lines = [f"  {kw} x" for kw in sorted(STATEMENTS)] + [f"  cpu {kw} x" for kw in sorted(OPTIONS)]
    synthetic.write_text("\n".join(lines) + "\n")
    files = [*GOOD, *BROKEN, *CASES, FORMS, synthetic]
    run = subprocess.run([node, str(HELPER / "tokenize.js"), str(GRAMMAR), *map(str, files)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    out["synthetic"] = str(synthetic)
    return out


def _line(tokens, path, needle: str) -> tuple[str, list]:
    text = path.read_text().split("\n")
    for i, line in enumerate(text):
        if needle in line:
            return line, tokens["files"][str(path)][i]
    raise AssertionError(f"{path.name}: no line contains {needle!r}")


def scopes_at(tokens, path, needle: str, piece: str | None = None) -> list[list[str]]:
    """The scopes of the tokens that make up `piece` (default: all of `needle`), found
    from where `needle` starts on the first line of `path` containing `needle`. The piece must be whole tokens: a token
    that straddles its start or end is a failure."""
    line, toks = _line(tokens, path, needle)
    piece = piece or needle
    start = line.index(piece, line.index(needle))
    end = start + len(piece)
    covering = [(s, e, sc) for s, e, sc in toks if s < end and e > start]
    assert covering, f"{path.name}: nothing tokenised at {piece!r}"
    assert covering[0][0] == start and covering[-1][1] == end, \
        f"{path.name}: {piece!r} is not a whole token in {line!r}: {covering}"
    return [sc for _, _, sc in covering]


def has(scope_lists: list[list[str]], scope: str) -> bool:
    """Every token carries `scope` (or a more specific scope under it)."""
    return all(any(s == scope or s.startswith(scope + ".") for s in sc) for sc in scope_lists)


def expect(tokens, path, needle, piece, scope):
    got = scopes_at(tokens, path, needle, piece)
    assert has(got, scope), f"{path.name}: {piece!r} in {needle!r} should be {scope}, got {got}"


# ---------------------------------------------------------------- the grammar file

def test_grammar_is_valid_json_with_resolvable_includes():
    g = json.loads(GRAMMAR.read_text())
    assert g["scopeName"] == "source.virt"
    assert "virt" in g["fileTypes"]
    includes = set(re.findall(r'"include":\s*"#([^"]+)"', GRAMMAR.read_text()))
    missing = includes - set(g["repository"])
    assert not missing, f"includes of undefined repository entries: {missing}"


def test_every_regex_compiles_with_oniguruma(tokens):
    assert tokens["regexErrors"] == []


def test_every_file_is_tokenised_completely(tokens):
    """Each line is covered by contiguous tokens from its first to its last character."""
    assert len(tokens["files"]) == len(GOOD) + len(BROKEN) + len(CASES) + 2
    for path, lines in tokens["files"].items():
        text = open(path, encoding="utf-8").read().split("\n")
        for i, toks in enumerate(lines):
            pos = 0
            for s, e, sc in toks:
                assert s == pos and sc[0] == "source.virt", (path, i + 1, toks)
                pos = e
            assert pos == len(text[i]) or (not text[i] and pos in (0, 1)), (path, i + 1)


def test_valid_inputs_have_no_invalid_scope(tokens):
    """The examples and every passing rule case: nothing is highlighted as an error."""
    valid = [*GOOD, FORMS, *(p for p in CASES if p.name == "pass.virt")]
    for path in valid:
        for i, toks in enumerate(tokens["files"][str(path)]):
            bad = [sc for _, _, sc in toks if any(s.startswith("invalid") for s in sc)]
            assert not bad, f"{path}:{i + 1}: {bad}"


# ---------------------------------------------------------------- what the examples show

def test_keywords(tokens):
    farm = EXAMPLES / "xen-webfarm.virt"
    expect(tokens, farm, "host xenweb1 {", "host", "storage.type.host")
    expect(tokens, farm, "host xenweb1 {", "xenweb1", "entity.name.type.host")
    expect(tokens, farm, "template rhel5pv {", "template", "storage.type.template")
    expect(tokens, farm, "  hypervisor xen", "hypervisor", "keyword.other.statement")
    expect(tokens, farm, "  memory 1G", "memory", "keyword.other.statement")
    expect(tokens, farm, "dom0 memory 2G vcpus 2", "dom0", "keyword.other.statement")
    expect(tokens, farm, "dom0 memory 2G vcpus 2", "memory", "keyword.other.option")
    expect(tokens, farm, "dom0 memory 2G vcpus 2", "vcpus", "keyword.other.option")
    expect(tokens, farm, "bridge xenbr0 on eth0", "bridge", "keyword.other.statement")
    expect(tokens, farm, "bridge xenbr0 on eth0", "on", "keyword.other.option")
    expect(tokens, farm, "on crash restart", "on", "keyword.other.statement")
    expect(tokens, farm, "on crash restart", "crash", "support.constant")
    expect(tokens, farm, "nic bridge xenbr1 rate", "nic", "keyword.other.statement")
    expect(tokens, farm, "  autostart", "autostart", "keyword.other.statement")
    line = "guest web[01..12] from webnode on xenweb1 {"
    expect(tokens, farm, line, "guest", "storage.type.guest")
    expect(tokens, farm, line, "web", "entity.name.type.guest")
    expect(tokens, farm, line, "[01..12]", "meta.range")
    expect(tokens, farm, line, "01", "constant.numeric.integer")
    expect(tokens, farm, line, "..", "keyword.operator.range")
    expect(tokens, farm, line, "from", "keyword.other.from")
    expect(tokens, farm, line, "webnode", "entity.other.inherited-class")
    expect(tokens, farm, line, "on", "keyword.other.on")
    expect(tokens, farm, line, "xenweb1", "variable.other.host")
    expect(tokens, farm, line, "{", "punctuation.section.block.begin")
    dc = EXAMPLES / "datacenter.virt"
    expect(tokens, dc, "multipath oramp1 wwid", "multipath", "keyword.other.statement")
    expect(tokens, dc, "multipath oramp1 wwid", "wwid", "keyword.other.option")
    expect(tokens, dc, "shared \"/var/lib/libvirt/images\" from", "from", "keyword.other.option")


def test_every_keyword_of_the_lark_grammar_is_a_keyword(tokens):
    """Statement keywords at the start of a line, option keywords after one: the lists in
    the TextMate grammar stay in step with virtc.lark."""
    path = tokens["synthetic"]
    lines = tokens["files"][path]
    want = {"host": "storage.type.host", "guest": "storage.type.guest",
            "template": "storage.type.template", "include": "keyword.control.import"}
    for i, kw in enumerate(sorted(STATEMENTS)):
        scope = want.get(kw, "keyword.other.statement")
        first = next(t for t in lines[i] if t[0] <= 2 < t[1])
        assert first[0] == 2 and first[1] == 2 + len(kw) and has([first[2]], scope), (kw, lines[i])
    for j, kw in enumerate(sorted(OPTIONS)):
        toks = lines[len(STATEMENTS) + j]
        tok = next(t for t in toks if t[0] <= 6 < t[1])
        assert tok[0] == 6 and tok[1] == 6 + len(kw) and has([tok[2]], "keyword.other.option"), (kw, toks)


def test_no_stale_statement_keywords():
    """The other way round: the grammar's list of statement keywords is exactly the
    Lark grammar's (a keyword dropped from the language must not stay highlighted)."""
    rule = json.loads(GRAMMAR.read_text())["repository"]["statement"]["patterns"][-1]["match"]
    words = re.search(r"\(((?:[\w\\-]+\|)+[\w\\-]+)\)", rule).group(1).replace("\\-", "-").split("|")
    assert set(words) == STATEMENTS - {"host", "guest", "template", "include"}


def test_strings_escapes_and_interpolation(tokens):
    farm = EXAMPLES / "xen-webfarm.virt"
    s = '"/var/lib/libvirt/images/{name}.img"'
    expect(tokens, farm, s, s, "string.quoted.double")
    expect(tokens, farm, s, '"', "punctuation.definition.string.begin")
    expect(tokens, farm, s, "{name}", "meta.interpolation")
    expect(tokens, farm, s, "name", "variable.language.interpolation")
    expect(tokens, farm, '"web server {name} on {host}"', "host", "variable.language.interpolation")
    dc = EXAMPLES / "datacenter.virt"
    expect(tokens, dc, 'allow "^xen-b\\\\.example', "\\\\", "constant.character.escape")
    expect(tokens, dc, 'allow "^xen-b\\\\.example', "\\\\", "string.quoted.double")
    bad = EXAMPLES / "broken" / "unknown-variable.virt"
    expect(tokens, bad, '"/var/lib/libvirt/images/{guest}.img"', "guest", "invalid.illegal.interpolation")


def test_numbers_with_units(tokens):
    farm = EXAMPLES / "xen-webfarm.virt"
    expect(tokens, farm, "  memory 1G", "1G", "constant.numeric.size")
    expect(tokens, farm, "  memory 1G", "G", "keyword.other.unit")
    expect(tokens, farm, "  memory 64G", "64G", "constant.numeric.size")
    expect(tokens, farm, "size 10G", "10G", "constant.numeric.size")
    expect(tokens, farm, "rate 20MB/s", "20MB/s", "constant.numeric.rate")
    expect(tokens, farm, "rate 20MB/s", "MB/s", "keyword.other.unit")
    expect(tokens, farm, "  vcpus 4 max 8", "4", "constant.numeric.integer")
    expect(tokens, farm, "  cpuset 8-15", "8-15", "constant.numeric.cpuset")
    expect(tokens, farm, "  release 5.8", "5.8", "constant.numeric.version")
    expect(tokens, farm, "kernel 2.6.18-308.el5", "2.6.18-308.el5", "constant.numeric.version")
    # a name with digits stays one name: rhel5.8 is not a number
    expect(tokens, farm, "os rhel5.8 x86_64", "rhel5.8", "support.constant")
    bad = EXAMPLES / "broken" / "bad-size-unit.virt"
    line, _ = _line(tokens, bad, "GB")
    size = re.search(r"\d+GB", line).group()
    expect(tokens, bad, size, size, "constant.numeric.size")
    expect(tokens, bad, size, "GB", "invalid.illegal.unit")


def test_forms_file_is_valid_virtc():
    """forms.virt holds the literal forms the examples lack; virtc must accept them."""
    from virtc import api

    result = api.check([str(FORMS)])
    assert not result.has_errors, [f"{d.code} {d.message}" for d in result.diagnostics]


def test_other_literal_forms(tokens):
    expect(tokens, FORMS, "memory 1.5G", "1.5G", "constant.numeric.size")
    expect(tokens, FORMS, "memory 1.5G", "G", "keyword.other.unit")
    expect(tokens, FORMS, "memory 1.5T", "1.5T", "constant.numeric.size")
    expect(tokens, FORMS, "memory 512M", "512M", "constant.numeric.size")
    expect(tokens, FORMS, "maxmem 2GiB", "GiB", "keyword.other.unit")
    expect(tokens, FORMS, "rate 10Mb/s@50ms", "10Mb/s@50ms", "constant.numeric.rate")
    expect(tokens, FORMS, "rate 10Mb/s@50ms", "@", "punctuation.separator.burst")
    expect(tokens, FORMS, "rate 10Mb/s@50ms", "ms", "keyword.other.unit")
    expect(tokens, FORMS, "uuid 3c1b6f2e", "3c1b6f2e-9d4a-4b7e-8f21-0a5c6d7e8f90", "constant.other.uuid")
    expect(tokens, FORMS, "cpuset 0-3,6,^2", "0-3,6,^2", "constant.numeric.cpuset")
    expect(tokens, FORMS, "open 22/tcp 5900-5910/tcp", "5900-5910/tcp", "constant.numeric.port")
    expect(tokens, FORMS, "stp on delay", "on", "constant.language.boolean")
    expect(tokens, FORMS, "bridge br0 on eth0", "on", "keyword.other.option")
    expect(tokens, FORMS, "iommu off", "off", "constant.language.boolean")
    expect(tokens, FORMS, "tcp 127.0.0.1:4555", "127.0.0.1", "constant.other.ip-address")
    expect(tokens, FORMS, "tcp 127.0.0.1:4555", "4555", "constant.numeric.integer")
    expect(tokens, FORMS, '{{braces}}', "{{", "constant.character.escape")
    expect(tokens, FORMS, 'guest "db1"', '"db1"', "entity.name.type.guest")
    expect(tokens, FORMS, 'guest "db1"', '"db1"', "string.quoted.double")


def test_addresses(tokens):
    farm = EXAMPLES / "xen-webfarm.virt"
    expect(tokens, farm, "ip 192.0.2.10/24", "192.0.2.10/24", "constant.other.ip-address")
    expect(tokens, farm, "vnc listen 127.0.0.1", "127.0.0.1", "constant.other.ip-address")
    expect(tokens, farm, "mac 00:16:3e:10:00:01", "00:16:3e:10:00:01", "constant.other.mac-address")
    expect(tokens, farm, "grub root (hd0,0)", "(hd0,0)", "constant.other.grub-device")
    lab = EXAMPLES / "kvm-lab.virt"
    expect(tokens, lab, "pci 0000:09:00.0", "0000:09:00.0", "constant.other.pci-address")
    expect(tokens, lab, "dhcp 192.168.100.128 - 192.168.100.254", "-", "punctuation.separator.range")
    dc = EXAMPLES / "datacenter.virt"
    expect(tokens, dc, "wwid 3600805f30015987000000000768a0019", "3600805f30015987000000000768a0019",
           "constant.other.wwid")


def test_disks_and_drivers(tokens):
    farm = EXAMPLES / "xen-webfarm.virt"
    line = 'disk xvda tap:aio "/var/lib/libvirt/images/{name}.img" size 10G'
    expect(tokens, farm, line, "xvda", "variable.other.disk-target")
    expect(tokens, farm, line, "tap:aio", "support.constant.driver")
    expect(tokens, farm, line, "size", "keyword.other.option")
    expect(tokens, farm, 'disk xvdb phy "/dev/VolGroup01', "phy", "support.constant.driver")


def test_comments_and_directives(tokens):
    farm = EXAMPLES / "xen-webfarm.virt"
    c = "# MEM-03: at least 512 MB"
    expect(tokens, farm, c, c, "comment.line.number-sign")
    expect(tokens, farm, c, "#", "punctuation.definition.comment")
    # a trailing comment after a statement, and a comment holding keywords and numbers
    expect(tokens, farm, "  memory 1G                    # MEM-03: at least 512 MB", "# MEM-03: at least 512 MB",
           "comment.line.number-sign")
    lab = EXAMPLES / "kvm-lab.virt"
    d = "# virtc: ignore-file[VC102]"
    expect(tokens, lab, d, d, "comment.line.number-sign.directive")
    expect(tokens, lab, d, "ignore-file", "keyword.control.directive")
    expect(tokens, lab, d, "VC102", "constant.other.rule-code")
    line, _ = _line(tokens, lab, d)
    reason = line[line.index("]") + 1:]
    expect(tokens, lab, d, "VC102]", "comment.line.number-sign.directive")
    got = scopes_at(tokens, lab, line, reason)
    assert has(got, "comment.line.number-sign.directive"), got
    # a plain comment is not a directive
    assert not has(scopes_at(tokens, farm, c, c), "comment.line.number-sign.directive")


def test_punctuation(tokens):
    line = "template small { type kvm; memory 512M; maxmem 2GiB; vcpus 1 }"
    expect(tokens, FORMS, line, "{", "punctuation.section.block.begin")
    expect(tokens, FORMS, line, ";", "punctuation.terminator.statement")
    expect(tokens, FORMS, line, "}", "punctuation.section.block.end")
    # a statement after ";" starts with a statement keyword
    expect(tokens, FORMS, line, "memory", "keyword.other.statement")


# ---------------------------------------------------------------- the VS Code extension

def test_vscode_extension_manifest():
    pkg = json.loads((EXTENSION / "package.json").read_text())
    for key in ("name", "publisher", "version"):
        assert pkg[key]
    assert pkg["engines"]["vscode"]
    [lang] = pkg["contributes"]["languages"]
    assert lang["id"] == "virt" and lang["extensions"] == [".virt"]
    config = json.loads((EXTENSION / lang["configuration"]).read_text())
    assert config["comments"]["lineComment"] == "#"
    assert ["{", "}"] in config["brackets"]
    assert {"open": '"', "close": '"', "notIn": ["string", "comment"]} in config["autoClosingPairs"]
    re.compile(config["wordPattern"])
    [grammar] = pkg["contributes"]["grammars"]
    assert grammar["language"] == "virt" and grammar["scopeName"] == "source.virt"
    path = (EXTENSION / grammar["path"]).resolve()
    assert path.is_relative_to(EXTENSION.resolve()), "VS Code loads the grammar from inside the extension folder"
    # the extension carries a copy; grammar/virtc.tmLanguage.json is the one to edit
    assert path.read_bytes() == GRAMMAR.read_bytes(), \
        "grammar/vscode/syntaxes/ is stale: cp grammar/virtc.tmLanguage.json grammar/vscode/syntaxes/"
