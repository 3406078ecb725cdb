"""The rule reference (`virtc docs -o DIR`): every code has a page, every page is
well-formed HTML (each tag closed in order), every link inside the site leads to a file it
wrote (and to an id there), every text is escaped, and two runs write the same bytes.
With `docs-url` in virtc.toml, SARIF's rules carry helpUri and the editor's diagnostics a
code link; without it, neither. Also `virtc rules --format json`."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from virtc import codes, docsite, report
from virtc.diagnostics import error
from virtc.ruleset import all_rules
from virtc.source import SourceFile

from conftest import ROOT
from test_output_formats import _valid, _validator, sarif_schema  # noqa: F401 (a fixture)

# under xdist the tests of this module run on one worker: one site, built once for the module
pytestmark = pytest.mark.xdist_group("docs")

CODES = [r.code for r in all_rules()]
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


def virtc(*args: str, cwd: Path | None = None):
    from typer.testing import CliRunner

    from virtc.cli import app

    old = os.getcwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        r = CliRunner().invoke(app, list(args), catch_exceptions=False)
    finally:
        os.chdir(old)
    return subprocess.CompletedProcess(args, r.exit_code, r.stdout, r.stderr)


class Strict(HTMLParser):
    """Well-formedness as a strict reader sees it: every element other than the void ones is
    closed, in order; no end tag without its start. Collects ids and links."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, tuple[int, int]]] = []
        self.errors: list[str] = []
        self.ids: list[str] = []
        self.links: list[str] = []
        self.doctype = False
        self.text: list[str] = []

    def handle_decl(self, decl):
        self.doctype = self.doctype or decl.lower() == "doctype html"

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.append(attrs["id"])
        for key in ("href", "src"):
            if key in attrs:
                self.links.append(attrs[key])
        if tag not in VOID:
            self.stack.append((tag, self.getpos()))

    def handle_startendtag(self, tag, attrs):
        self.errors.append(f"self-closing <{tag}/> at {self.getpos()}")

    def handle_endtag(self, tag):
        if tag in VOID:
            self.errors.append(f"end tag of void </{tag}> at {self.getpos()}")
        elif not self.stack or self.stack[-1][0] != tag:
            self.errors.append(f"</{tag}> at {self.getpos()} closes {self.stack[-1] if self.stack else 'nothing'}")
        else:
            self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def parse(path: Path) -> Strict:
    p = Strict()
    p.feed(path.read_text(encoding="utf-8"))
    p.close()
    assert p.doctype, f"{path.name}: no <!DOCTYPE html>"
    assert not p.errors, (path.name, p.errors[:5])
    assert not p.stack, (path.name, f"left open: {p.stack[:5]}")
    assert len(p.ids) == len(set(p.ids)), (path.name, "duplicate ids")
    return p


def test_the_checker_catches_what_it_must():
    for bad in ("<!DOCTYPE html><p><b>x</p></b>", "<!DOCTYPE html><div>", "<!DOCTYPE html></p>", "<p>no doctype</p>"):
        p = Strict()
        p.feed(bad)
        p.close()
        assert p.errors or p.stack or not p.doctype, bad


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site") / "docs"
    r = virtc("docs", "-o", str(out))
    assert r.returncode == 0, r.stderr
    return out


@pytest.fixture(scope="module")
def pages(site) -> dict[str, Strict]:
    return {p.name: parse(p) for p in sorted(site.glob("*.html"))}


def test_every_code_has_a_page_and_nothing_else_is_written(site):
    assert sorted(p.name for p in site.iterdir()) == sorted([*(codes.page_name(c) for c in CODES),
                                                             "index.html", "style.css"])
    assert len(CODES) > 300 and {"VP001", "VR012", "VT001", "VF101", "VS101"} <= set(CODES)


def test_every_page_is_well_formed_html(pages):
    assert len(pages) == len(CODES) + 1  # the parsing (and its assertions) is the fixture's


def test_every_link_inside_the_site_resolves(site, pages):
    ids = {name: set(p.ids) for name, p in pages.items()}
    checked = 0
    for name, p in pages.items():
        for link in p.links:
            parts = urlsplit(link)
            assert not parts.scheme and not parts.netloc, (name, link)  # the site links only to itself
            target = parts.path or name
            assert (site / target).is_file(), (name, link)
            if parts.fragment:
                assert parts.fragment in ids[target], (name, link)
            checked += 1
    assert checked > 2 * len(CODES)


def test_the_index_lists_every_code_with_its_metadata(pages, site):
    index = pages["index.html"]
    assert [link for link in index.links if re.fullmatch(r"V[A-Z]\d{3}\.html", link)] == \
        [codes.page_name(c) for c in CODES]
    text = (site / "index.html").read_text()
    row = re.search(r"<tr><td><a href=\"VS101.html\">VS101</a></td>.*?</tr>", text).group(0)
    for cell in ("disk-target-name", "error", "STO-01", "§9, lines 1273-1283", "storage.target_names"):
        assert cell in row, cell
    assert 'href="VS101.html#limits">(table)</a>' in row  # a table of values: on the page
    assert "<code>xen.pv_block_per_guest</code> = 254 devices" in text
    for prefix, area in codes.AREAS.items():
        assert f'<h2 id="{prefix}">{prefix}: ' in text, prefix


def test_a_page_has_the_documentation_limits_and_a_bad_and_good_example(site, pages):
    page = (site / "VS101.html").read_text()
    text = "".join(pages["VS101.html"].text)
    for heading in ("What it checks", "Why", "Example", "Fix", "Limits", "Examples"):
        assert "<h2" in page and f">{heading}</h2>" in page, heading
    assert "Bad: VS101/fail.virt" in text and "Good: VS101/pass.virt" in text
    assert "disk sdq phy" in text and "#> VS101 error 5:3" in text
    assert '"partitions": 63' in text  # the limit's value, from schemas/limits.json
    # a host-tree case: every file of the folder, by its path in the tree
    tree = "".join(pages["VX111.html"].text)
    assert "VX111/fail-missing-custom-script/" in tree and "etc/xen/xend-config.sxp" in tree
    # a language code
    vp = "".join(pages["VP001.html"].text)
    assert "A code of the language itself" in vp and "virtc's own check" in vp
    # codes named in the documentation link to their pages
    assert '<a href="VN104.html">VN104</a>' in (site / "VN103.html").read_text()


def test_output_is_byte_identical_across_runs(site, tmp_path):
    # another process, with other hash seeds (set order) and another working folder
    again = tmp_path / "again"
    r = subprocess.run([sys.executable, "-m", "virtc", "docs", "-o", str(again)], cwd=tmp_path,
                       capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "4242"})
    assert r.returncode == 0, r.stderr
    names = sorted(p.name for p in site.iterdir())
    assert names == sorted(p.name for p in again.iterdir())
    for name in names:
        assert (site / name).read_bytes() == (again / name).read_bytes(), name


def test_everything_from_the_cases_is_escaped(tmp_path):
    cases = tmp_path / "cases"
    (cases / "VS101").mkdir(parents=True)
    hostile = '</code></pre><script>alert("x")</script><a href="evil.html">&amp;'
    (cases / "VS101" / "fail.virt").write_text(f"# {hostile}\n")
    (cases / "VS101" / "pass.virt").write_text(f'guest "{hostile}"\n')
    out = tmp_path / "out"
    assert virtc("docs", "-o", str(out), "--cases", str(cases)).returncode == 0
    page = (out / "VS101.html").read_text()
    assert "<script" not in page and "evil.html" not in parse(out / "VS101.html").links
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page and "&amp;amp;" in page
    # a code without cases there falls back to its documented example
    assert "(from the documentation)" in (out / "VN122.html").read_text()


def test_without_cases_each_page_shows_the_documented_example(tmp_path):
    files = docsite.site(None)
    for name, text in files.items():
        if name.endswith(".html") and name != "index.html":
            (tmp_path / name).write_text(text)
            p = parse(tmp_path / name)
            assert "Bad (from the documentation)" in "".join(p.text), name
    assert "disk sdq phy" in files["VS101.html"]


def test_docs_needs_an_output_folder_and_a_real_cases_folder(tmp_path):
    assert virtc("docs").returncode == 2
    r = virtc("docs", "-o", str(tmp_path / "o"), "--cases", str(tmp_path / "missing"))
    assert r.returncode == 2 and "not a folder" in r.stderr


def test_fix_availability_is_read_from_the_rules_fix_attribute():
    from virtc.rules.base import Rule

    class Plain(Rule):
        code = "VZ901"

    class Declared(Rule):
        code = "VZ902"
        fix = type("Fix", (), {"safe": False})()

    class Method(Rule):
        code = "VZ903"

        def fix(self, diagnostic):
            return None

    assert codes.fix_kind(Plain) is None
    assert codes.fix_kind(Declared) == "unsafe"
    assert codes.fix_kind(Method) == "yes"


# -- links from reports to the pages -------------------------------------------------------

def test_help_url_joins_the_base_and_the_page():
    assert codes.help_url(None, "VS101") is None and codes.help_url("", "VS101") is None
    assert codes.help_url("https://example.org/virtc/", "VS101") == "https://example.org/virtc/VS101.html"
    assert codes.help_url("https://example.org/virtc", "VS101") == "https://example.org/virtc/VS101.html"


def _diags():
    src = SourceFile("a.virt", "guest g\n")
    return [error("VS101", "bad target", src.span(0, 5)), error("VZ999", "not a declared code", src.span(0, 1))]


def test_sarif_rules_link_to_their_pages_only_with_a_base_url():
    rules = report.sarif(_diags(), base=".", docs_url="https://example.org/rules")["runs"][0]["tool"]["driver"]["rules"]
    by_id = {r["id"]: r for r in rules}
    assert by_id["VS101"]["helpUri"] == "https://example.org/rules/VS101.html"
    assert "helpUri" not in by_id["VZ999"]  # no page for a code no class declares
    plain = report.sarif(_diags(), base=".")["runs"][0]["tool"]["driver"]["rules"]
    assert not any("helpUri" in r for r in plain)


FLEET = """\
host xen1 { hypervisor xen; memory 8G; bridge xenbr0 on eth0 }
guest g on xen1 { type xen-pv; memory 512M; disk sdq phy "/dev/VolGroup00/g"; nic bridge xenbr0 }
"""


def test_check_sarif_carries_help_uri_from_virtc_toml(tmp_path, sarif_schema):
    (tmp_path / "fleet.virt").write_text(FLEET)
    r = virtc("check", "--format", "sarif", "fleet.virt", cwd=tmp_path)
    rules = json.loads(r.stdout)["runs"][0]["tool"]["driver"]["rules"]
    assert "VS101" in [x["id"] for x in rules] and not any("helpUri" in x for x in rules)
    (tmp_path / "virtc.toml").write_text('docs-url = "https://docs.example.org/virtc/"\n')
    r = virtc("check", "--format", "sarif", "fleet.virt", cwd=tmp_path)
    log = json.loads(r.stdout)
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert {x["id"]: x["helpUri"] for x in rules}["VS101"] == "https://docs.example.org/virtc/VS101.html"
    assert _valid(_validator(sarif_schema), log) == []


@pytest.mark.parametrize("url", ["docs/<b>", "https://example.org/a b", "javascript:alert(1)",
                                 "https://example.org/ü"])
def test_docs_url_must_be_an_address(tmp_path, url):
    (tmp_path / "fleet.virt").write_text(FLEET)
    (tmp_path / "virtc.toml").write_text(f'docs-url = "{url}"\n')
    r = virtc("check", "fleet.virt", cwd=tmp_path)
    assert r.returncode == 2 and "VR040" in r.stdout


def test_lsp_diagnostics_link_to_their_pages_only_with_a_base_url():
    pytest.importorskip("lsprotocol")
    from virtc.lsp_diagnostics import convert

    src = SourceFile("/w/a.virt", "guest g\n")
    diags = [error("VS101", "bad target", src.span(0, 5))]
    linked = convert(diags, "/w/a.virt", {"/w/a.virt": src}, "utf-16", docs_url="https://example.org/r")
    assert linked[0].code_description.href == "https://example.org/r/VS101.html"
    assert convert(diags, "/w/a.virt", {"/w/a.virt": src}, "utf-16")[0].code_description is None


# -- virtc rules --format json ---------------------------------------------------------------

def test_rules_as_json_lists_every_code():
    r = virtc("rules", "--format", "json")
    assert r.returncode == 0
    rows = json.loads(r.stdout)
    assert [row["code"] for row in rows] == CODES
    assert all(set(row) == {"code", "name", "severity", "checklist", "section", "lines", "fix", "summary"}
               for row in rows)
    vs101 = next(row for row in rows if row["code"] == "VS101")
    assert vs101["name"] == "disk-target-name" and vs101["severity"] == "error"
    assert vs101["checklist"] == ["STO-01"] and vs101["section"] == "§9" and vs101["lines"] == "1273-1283"
    assert vs101["summary"] == codes.describe("VS101").summary and vs101["fix"] in (None, "safe", "unsafe", "yes")
    assert virtc("rules").stdout.splitlines()[0].split()[:2] == ["VA101", "uri-syntax"]


def test_the_areas_are_the_readmes_table_of_prefixes():
    readme = (ROOT / "README.md").read_text()
    table = readme.split("| prefix | area | prefix | area |", 1)[1].split("\n\n", 1)[0]
    cells = [c.strip() for line in table.splitlines()[2:] for c in line.strip().strip("|").split("|")]
    listed = dict(zip(cells[0::2], cells[1::2]))
    assert listed == codes.AREAS
    assert set(codes.AREAS) == {c[:2] for c in CODES}
