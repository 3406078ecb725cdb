"""The language server, end to end: a real LSP client (pytest-lsp) talks to
`python -m virtc lsp` over stdin/stdout. Plus the pieces that do not need a server: the
piece-wise parser gives exactly the CLI's syntax trees, the keyword-to-limit table names
real limits, and `virtc lsp` without pygls exits 2."""
from __future__ import annotations

import random
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from virtc import api
from virtc.limits import limits
from virtc.lsp_hover import KEYWORD_LIMITS
from virtc.lsp_parsecache import ParseCache, pieces
from virtc.parse import parse
from virtc.ruleset import all_rules
from virtc.source import SourceFile

from conftest import EXAMPLES, IN_CI, ROOT

sys.path.insert(0, str(ROOT / "tests" / "bench"))
from bench_lsp import fleet  # the generated fleet the latency benchmark edits

try:
    import pytest_lsp
    from lsprotocol import types as T
    from pygls.protocol import default_converter
    from pygls.uris import from_fs_path
    from pytest_lsp import ClientServerConfig, LanguageClient
    from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features
except ImportError:  # the `test` extra installs them; CI must not silently skip the server
    if IN_CI:
        raise
    pytest.skip("pygls / pytest-lsp not installed (pip install -e '.[test]')", allow_module_level=True)

# under xdist the tests of this module run on one worker: the module's language servers and
# their event loop are shared by its tests
pytestmark = pytest.mark.xdist_group("lsp")

LATENCY_LIMIT = 0.050  # seconds from an edit to fresh diagnostics on a 2,000-line file (median)


# ---------------------------------------------------------------- without a server

def test_lsp_without_pygls_exits_2():
    # sys.modules[name] = None makes `import name` raise ImportError, as when not installed
    code = ("import sys; sys.modules['pygls'] = None; sys.argv = ['virtc', 'lsp']; "
            "from virtc.cli import main; main()")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert "pip install 'virtc[lsp]'" in r.stderr
    assert r.stdout == ""


def _virt_files():
    return sorted([*EXAMPLES.glob("*.virt"), *EXAMPLES.glob("broken/*.virt"),
                   *(ROOT / "tests" / "cases").glob("*/*.virt")])


def test_piecewise_parse_equals_whole_parse():
    files = _virt_files()
    assert len(files) > 100
    for path in files:
        src = SourceFile(str(path), path.read_text(encoding="utf-8"))
        assert ParseCache().parse(src) == parse(src), path


def test_piecewise_parse_after_edits_equals_whole_parse():
    text = fleet(600)
    cache = ParseCache()
    edits = [("vcpus 2", "vcpus 3"), ("vcpus 2", "vcpus 12\n  memory 1G"), ("# end of the fleet", ""),
             ("host h003 {", "host h003 {\n  # a comment { with a brace\n"), ("}", ""),  # unbalanced
             ("}\n", '}\ninclude "other.virt"\n')]
    for i, (old, new) in enumerate(edits):
        at = text.find(old, len(text) // (i + 2))
        at = at if at >= 0 else text.index(old)
        text = text[:at] + new + text[at + len(old):]
        src = SourceFile("/tmp/fleet.virt", text)
        assert cache.parse(src) == parse(src), (old, new)


def test_piecewise_parse_of_broken_text_reports_the_clis_errors():
    # random damage (braces, quotes, keywords, deletions) to warm caches: the syntax
    # errors the editor shows are the ones `virtc check` prints, at the same places
    texts = [p.read_text(encoding="utf-8") for p in sorted(EXAMPLES.glob("*.virt"))] + [fleet(200)]
    damage = ["{", "}", '"', ";", "\n", "host ", "guest x ", "template t {", "x", "memory", "1X", "#",
              "\\\n", " on ", "from", "[01..", "=", "'", "}\n}", "{{"]
    rnd = random.Random(2024)
    caches = [ParseCache() for _ in texts]
    for cache, text in zip(caches, texts, strict=True):
        cache.parse(SourceFile("/tmp/f.virt", text))
    for _ in range(200):
        k = rnd.randrange(len(texts))
        text = texts[k]
        for _ in range(rnd.randint(1, 3)):
            at = rnd.randrange(len(text) + 1)
            if rnd.random() < 0.6:
                text = text[:at] + rnd.choice(damage) + text[at:]
            else:
                text = text[:at] + text[at + rnd.randint(1, 5):]
        src = SourceFile("/tmp/f.virt", text)
        assert caches[k].parse(src) == parse(src), text
        caches[k].parse(SourceFile("/tmp/f.virt", texts[k]))


def test_a_piece_with_errors_is_read_alone_as_the_whole_file_reads_it():
    """A syntax error typed into one item of a big file: that item is read by the CLI's
    recovery from its start to its end (parse.recover_piece), not the whole file; what
    comes out is the whole file's parse, errors included. Where the item's recovery could
    read on into the next (a block left open), the whole file is parsed."""
    text = fleet(400)
    cache = ParseCache()
    cache.parse(SourceFile("/tmp/f.virt", text))
    half = text.replace("  vcpus 2\n", "  vcpus\n", 1)  # a statement half typed
    two = half.replace("  vcpus 2\n", "  vcpus 2 =\n", 1)  # and one more, below it
    for broken in (half, two):
        src = SourceFile("/tmp/f.virt", broken)
        parsed = cache.stats["parsed"]
        assert cache.parse(src) == parse(src)
        assert cache.parse(src)[1], "no syntax error"
        assert cache.stats["parsed"] - parsed <= 2  # the pieces changed, not the file's 50
    assert cache.stats["recovered"] >= 3 and cache.stats["whole"] == 0
    opened = text.replace("  vnc listen 127.0.0.1\n}\n", "  vnc listen 127.0.0.1\n", 1)  # a '}' deleted
    src = SourceFile("/tmp/f.virt", opened)
    assert cache.parse(src) == parse(src) and cache.stats["whole"] == 1


def test_pieces_with_errors_read_alone_give_the_whole_files_parse():
    """Random damage to one or two items of a fleet, many times: each parse of the cache,
    whichever way it read the pieces with errors, equals the CLI's parse of the text."""
    text = fleet(300)
    damage = ["{", "}", '"', ";", "=", "x", "memory", "1X", "#", "\\\n", "\n", "host ", "guest y ", "[01..",
              '"a\\\nb"', "}\n}", "{{", "template t {", " on "]
    rnd = random.Random(77)
    cache = ParseCache()
    cache.parse(SourceFile("/tmp/f.virt", text))
    for _ in range(300):
        now = text
        for _ in range(rnd.choice((1, 1, 2))):
            at = rnd.randrange(len(now) + 1)
            now = now[:at] + rnd.choice(damage) + now[at:] if rnd.random() < 0.7 else now[:at] + now[at + 3:]
        src = SourceFile("/tmp/f.virt", now)
        assert cache.parse(src) == parse(src), now
    assert cache.stats["recovered"] > 50 and cache.stats["whole"] > 20, cache.stats


def test_pieces_start_at_top_level_items():
    text = 'include "a.virt"\nhost h { # }\n  guest g { memory 1G }\n}\n  guest x \\\nfrom t {}\ntemplate t {}\n'
    starts = [offset for offset, _line, _text in pieces(text)]
    assert [text[s:].split()[0] for s in starts] == ["include", "host", "guest", "template"]


def test_keyword_limits_name_real_limits_and_cover_the_rules():
    known = {lim.key for lim in limits()}
    named = {k for keys in KEYWORD_LIMITS.values() for k in keys}
    assert named <= known
    used = {k for r in all_rules() for k in r.uses}
    assert used <= named, f"limits rules use that no keyword shows on hover: {sorted(used - named)}"


# ---------------------------------------------------------------- the server

def _make_client() -> LanguageClient:
    """pytest-lsp's client, but keeping every publishDiagnostics with its arrival time and
    document version, so a test can wait for the diagnostics of one exact edit."""
    client = LanguageClient(converter_factory=default_converter)
    features = dict(DEFAULT_CLIENT_FEATURES)
    features[T.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = _record
    register_lsp_features(client, features)
    client.published = []
    return client


def _record(client: LanguageClient, params: T.PublishDiagnosticsParams):
    client.diagnostics[params.uri] = params.diagnostics
    client.published.append((time.perf_counter(), params))


@pytest_lsp.fixture(scope="module", config=ClientServerConfig(
    server_command=[sys.executable, "-m", "virtc", "lsp"], client_factory=_make_client))
async def client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(T.InitializeParams(
        capabilities=T.ClientCapabilities(
            general=T.GeneralClientCapabilities(position_encodings=[T.PositionEncodingKind.Utf16]))))
    yield
    await lsp_client.shutdown_session()


# every server test shares the module's client and its event loop
on_server = pytest.mark.asyncio(loop_scope="module")


async def published(client, uri: str, version: int, timeout: float = 30.0) -> tuple[float, list]:
    """(arrival time, diagnostics) of the first publication for this document version."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        for when, p in client.published:
            if p.uri == uri and p.version == version:
                return when, p.diagnostics
        await _tick()
    raise AssertionError(f"no diagnostics for {uri} version {version}")


async def latest_until(client, uri: str, wanted, timeout: float = 30.0) -> list:
    """Wait until the latest diagnostics of uri have codes that satisfy wanted(codes)."""
    deadline = time.perf_counter() + timeout
    while True:
        mine = [p for _, p in client.published if p.uri == uri]
        if mine and wanted([d.code for d in mine[-1].diagnostics]):
            return list(mine[-1].diagnostics)
        assert time.perf_counter() < deadline, [d.code for d in mine[-1].diagnostics] if mine else None
        await _tick()


async def _tick():
    import asyncio

    await asyncio.sleep(0.001)


def open_doc(client, path: Path, text: str | None = None, version: int = 1) -> str:
    uri = from_fs_path(str(path))
    client.text_document_did_open(T.DidOpenTextDocumentParams(T.TextDocumentItem(
        uri=uri, language_id="virt", version=version,
        text=path.read_text(encoding="utf-8") if text is None else text)))
    return uri


def change_doc(client, uri: str, version: int, text: str):
    client.text_document_did_change(T.DidChangeTextDocumentParams(
        T.VersionedTextDocumentIdentifier(uri=uri, version=version),
        [T.TextDocumentContentChangeWholeDocument(text=text)]))


def edit_doc(client, uri: str, version: int, line: int, start: int, end: int, new: str):
    """An incremental change of one line, as editors send while typing."""
    client.text_document_did_change(T.DidChangeTextDocumentParams(
        T.VersionedTextDocumentIdentifier(uri=uri, version=version),
        [T.TextDocumentContentChangePartial(
            range=T.Range(T.Position(line, start), T.Position(line, end)), text=new)]))


def pos(text: str, needle: str, delta: int = 0, nth: int = 0) -> T.Position:
    """The LSP (UTF-16) position of the nth occurrence of needle, plus delta characters."""
    at = -1
    for _ in range(nth + 1):
        at = text.index(needle, at + 1)
    at += delta
    line = text.count("\n", 0, at)
    col = at - (text.rfind("\n", 0, at) + 1)
    prefix = text.splitlines()[line][:col] if line < len(text.splitlines()) else ""
    return T.Position(line, len(prefix.encode("utf-16-le")) // 2)


HOSTS = """\
host xen1 {
  hypervisor xen; arch x86_64; release 5.8; memory 32G
  dom0 memory 2G vcpus 2
  cpu intel cores 8 threads 16 flags vmx pae nx constant_tsc
  bridge xenbr0 on eth0
  bridge xenbr1 on eth1
  network isolated bridge virbr5 forward none
}
"""

TEMPLATES = """\
template rhel5pv { type xen-pv; os rhel5.8 x86_64; memory 1G; vcpus 2; bootloader pygrub }
"""


@pytest.fixture(scope="module")
def fleet_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("lsp")
    (d / "hosts.virt").write_text(HOSTS)
    (d / "templates.virt").write_text(TEMPLATES)
    return d


def _diag(diags, code):
    found = [d for d in diags if d.code == code]
    assert found, [(d.code, d.message) for d in diags]
    return found[0]


@on_server
async def test_diagnostics_on_open_with_code_severity_range_and_related(client, fleet_dir):
    text = textwrap.dedent("""\
        include "hosts.virt"
        include "templates.virt"
        guest web01 from rhel5pv on xen1 {
          disk xvda tap:aio "/var/lib/libvirt/images/web01.img" size 8G
          nic bridge xenbr9
        }
        guest web01 from rhel5pv on xen1 {}
        """)
    path = fleet_dir / "dup.virt"
    path.write_text(text)
    uri = open_doc(client, path)
    _, diags = await published(client, uri, 1)
    cli = api.check([str(path)])
    assert sorted(d.code for d in diags) == sorted(d.code for d in cli.diagnostics)
    bridge = _diag(diags, "VR003")
    assert bridge.source == "virtc"
    assert bridge.severity == T.DiagnosticSeverity.Error
    assert bridge.range == T.Range(pos(text, "xenbr9"), pos(text, "xenbr9", len("xenbr9")))
    assert "did you mean" in bridge.message
    dup = _diag(diags, "VR004")
    assert dup.range.start.line == 6
    assert dup.related_information and dup.related_information[0].location.range.start.line == 2
    assert dup.related_information[0].location.uri == uri


@on_server
async def test_positions_count_utf16_units(client, fleet_dir):
    # the emoji is one character but two UTF-16 code units: the error after it must move
    text = ('include "hosts.virt"\ninclude "templates.virt"\n'
            'guest w2 from rhel5pv on xen1 { description "café 😋"; memory 1X }\n')
    path = fleet_dir / "utf16.virt"
    path.write_text(text, encoding="utf-8")
    uri = open_doc(client, path)
    _, diags = await published(client, uri, 1)
    size = _diag(diags, "VR005")
    line = text.splitlines()[2]
    chars = line.index("1X")
    assert size.range.start == T.Position(2, chars + 1)  # + 1: the second unit of the emoji
    assert size.range.end == T.Position(2, chars + 3)


@pytest_lsp.fixture(scope="module", config=ClientServerConfig(
    server_command=[sys.executable, "-m", "virtc", "lsp"], client_factory=_make_client))
async def utf8_client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(T.InitializeParams(
        capabilities=T.ClientCapabilities(
            general=T.GeneralClientCapabilities(position_encodings=[T.PositionEncodingKind.Utf8]))))
    yield
    await lsp_client.shutdown_session()


@on_server
async def test_positions_in_utf8_when_the_client_asks(utf8_client, fleet_dir):
    text = ('include "hosts.virt"\ninclude "templates.virt"\n'
            'guest w6 from rhel5pv on xen1 { description "café 😋"; memory 1X }\n')
    path = fleet_dir / "utf8.virt"
    path.write_text(text, encoding="utf-8")
    uri = open_doc(utf8_client, path)
    _, diags = await published(utf8_client, uri, 1)
    line = text.splitlines()[2]
    byte = len(line[:line.index("1X")].encode("utf-8"))
    assert _diag(diags, "VR005").range.start == T.Position(2, byte)
    hover = await utf8_client.text_document_hover_async(
        T.HoverParams(T.TextDocumentIdentifier(uri), T.Position(2, byte + 1)))
    assert "guest.memory_minimum" in hover.contents.value


@on_server
async def test_diagnostics_follow_edits(client, fleet_dir):
    text = 'include "hosts.virt"\ninclude "templates.virt"\nguest w3 from rhel5pv on xen1 { memory 1X }\n'
    path = fleet_dir / "edits.virt"
    path.write_text(text)
    uri = open_doc(client, path)
    _, diags = await published(client, uri, 1)
    assert "VR005" in [d.code for d in diags]
    change_doc(client, uri, 2, text.replace("1X", "1G"))
    _, diags = await published(client, uri, 2)
    assert not diags
    change_doc(client, uri, 3, text.replace("memory 1X", "memory 1G\n  vcpus 2 max\n"))
    _, diags = await published(client, uri, 3)
    assert [d.code for d in diags] == ["VP001"]


@on_server
async def test_unsaved_new_document(client):
    uri = "untitled:Untitled-1"
    client.text_document_did_open(T.DidOpenTextDocumentParams(T.TextDocumentItem(
        uri=uri, language_id="virt", version=1, text="template t { memory 1X }\n")))
    _, diags = await published(client, uri, 1)
    assert [d.code for d in diags] == ["VR005"] and diags[0].range.start == T.Position(0, 20)


@on_server
async def test_configuration_is_the_clis(client, tmp_path):
    (tmp_path / "virtc.toml").write_text('[rules]\nVE104 = "error"\nVM103 = "off"\n')
    (tmp_path / "hosts.virt").write_text(HOSTS)
    text = 'include "hosts.virt"\nguest w4 on xen1 { type xen-pv; memory 256M; disk xvda phy "/dev/vg/w4" }\n'
    path = tmp_path / "configured.virt"
    path.write_text(text)
    uri = open_doc(client, path)
    _, diags = await published(client, uri, 1)
    cli = api.check([str(path)])
    assert sorted((d.code, int(d.severity)) for d in diags) == \
        sorted((d.code, {"error": 1, "warning": 2, "info": 3}[str(d.severity)]) for d in cli.diagnostics)
    assert _diag(diags, "VE104").severity == T.DiagnosticSeverity.Error
    assert not [d for d in diags if d.code == "VM103"]


@on_server
async def test_codes_link_to_the_rule_reference_under_docs_url(client, tmp_path):
    (tmp_path / "hosts.virt").write_text(HOSTS)
    text = 'include "hosts.virt"\nguest w7 on xen1 { type xen-pv; memory 512M; disk sdq phy "/dev/vg/w7" }\n'
    path = tmp_path / "linked.virt"
    path.write_text(text)
    uri = open_doc(client, path)
    _, diags = await published(client, uri, 1)
    assert _diag(diags, "VS101").code_description is None  # no docs-url: no link
    (tmp_path / "virtc.toml").write_text('docs-url = "https://docs.example.org/virtc"\n')
    change_doc(client, uri, 2, text + "\n")
    _, diags = await published(client, uri, 2)
    assert _diag(diags, "VS101").code_description.href == "https://docs.example.org/virtc/VS101.html"


@on_server
async def test_included_file_uses_unsaved_text(client, tmp_path):
    (tmp_path / "hosts.virt").write_text(HOSTS)
    common = tmp_path / "common.virt"
    common.write_text("# templates come here\n")
    main_text = ('include "hosts.virt"\ninclude "common.virt"\n'
                 'guest w5 from base on xen1 { disk xvda tap:aio "/var/lib/libvirt/images/w5.img" }\n')
    main = tmp_path / "main.virt"
    main.write_text(main_text)
    main_uri = open_doc(client, main)
    _, diags = await published(client, main_uri, 1)
    assert "VR001" in [d.code for d in diags]  # `base` is not on disk
    common_uri = open_doc(client, common, "# templates come here\n")
    await published(client, common_uri, 1)
    # typed, not saved: the guest in main.virt now finds its template
    change_doc(client, common_uri, 2, "template base { type xen-pv; memory 1G }\n")
    await latest_until(client, main_uri, lambda codes: codes == [])
    # an error in the unsaved included file shows on the include line of main.virt
    change_doc(client, common_uri, 3, "template base { type xen-pv; memory 1X }\n")
    shown = (await latest_until(client, main_uri, lambda codes: codes == ["VR005"]))[0]
    assert shown.range.start.line == 1 and "common.virt:1:" in shown.message
    assert shown.related_information[0].location.uri == common_uri
    _, own = await published(client, common_uri, 3)
    assert [d.code for d in own] == ["VR005"]


@on_server
async def test_hover_keyword_shows_limits_with_citations(client, fleet_dir):
    text = (TEMPLATES + "template small { type xen-pv; memory 512M; vcpus 4 }\n"
            'guest h1 on xen1 { disk xvda tap:aio "/var/lib/libvirt/images/h1.img" sparse'
            "  # virtc: ignore[VS109, image-outside-default-dir] scratch\n}\n")
    path = fleet_dir / "hover.virt"
    path.write_text(text)
    uri = open_doc(client, path)
    doc = T.TextDocumentIdentifier(uri)

    async def hover(needle, delta=1, nth=0):
        h = await client.text_document_hover_async(T.HoverParams(doc, pos(text, needle, delta, nth)))
        return h.contents.value if h else None

    vcpus = await hover("vcpus")
    for key in ("kvm.vcpus_per_core_max", "kvm.vcpus_per_core_safe"):
        lim = limits()[key]
        assert key in vcpus and lim.citation in vcpus and lim.summary in vcpus
    assert "VC101 kvm-vcpus-per-core" in vcpus
    memory = await hover("512M")
    assert "guest.memory_recommended" in memory and "512 MiB" in memory
    assert "host.min_memory" not in memory  # a guest's memory, not a host's
    driver = await hover("tap:aio")
    assert "xen.tap_aio_per_host" in driver and "254" in driver
    rule = await hover("VS109")
    doc109 = next(r for r in all_rules() if r.code == "VS109").doc()
    assert "VS109 sparse-image" in rule and doc109.summary in rule
    by_name = await hover("image-outside-default-dir", 3)
    assert "VE102 image-outside-default-dir" in by_name
    assert await hover("scratch") is None


@on_server
async def test_completion(client, fleet_dir):
    text = ('include "hosts.virt"\ninclude "templates.virt"\n'
            "template local { memory 1G }\n"
            "guest c1 from  on  {\n"
            "  \n"
            "  nic bridge \n"
            "  nic network \n"
            "}\n"
            "host kvm9 {\n"
            "  \n"
            "}\n"
            "\n")
    path = fleet_dir / "complete.virt"
    path.write_text(text)
    uri = open_doc(client, path)
    doc = T.TextDocumentIdentifier(uri)

    async def labels(position):
        result = await client.text_document_completion_async(T.CompletionParams(doc, position))
        items = result.items if isinstance(result, T.CompletionList) else result
        return {i.label for i in items}

    assert {"rhel5pv", "local"} == await labels(pos(text, "from ", 5))
    assert {"xen1", "kvm9"} == await labels(pos(text, " on ", 4))
    guest_body = await labels(pos(text, "{\n  \n", 4))
    assert {"vcpus", "memory", "disk", "nic", "pv-drivers"} <= guest_body and "hypervisor" not in guest_body
    host_body = await labels(pos(text, "kvm9 {\n  ", 9))
    assert {"hypervisor", "bridge", "dom0", "guest"} <= host_body and "vcpus" not in host_body
    assert {"include", "host", "template", "guest"} == await labels(pos(text, "}\n\n", 3))
    assert {"xenbr0", "xenbr1"} == await labels(pos(text, "nic bridge ", 11))
    assert {"isolated", "default"} == await labels(pos(text, "nic network ", 12))
    # a partly typed keyword is replaced whole, hyphens included
    change_doc(client, uri, 2, text.replace("{\n  \n", "{\n  pv-d\n", 1))
    result = await client.text_document_completion_async(
        T.CompletionParams(doc, pos(text.replace("{\n  \n", "{\n  pv-d\n", 1), "pv-d", 4)))
    item = next(i for i in result.items if i.label == "pv-drivers")
    assert item.text_edit.range.start.character == 2 and item.text_edit.new_text == "pv-drivers"


@on_server
async def test_completion_of_options_and_rule_codes(client, fleet_dir):
    text = 'template t { disk xvda tap:aio "/x.img"  }\n# virtc: ignore-file[VS1] why\n'
    path = fleet_dir / "options.virt"
    path.write_text(text)
    uri = open_doc(client, path)
    doc = T.TextDocumentIdentifier(uri)
    result = await client.text_document_completion_async(T.CompletionParams(doc, pos(text, '.img" ', 6)))
    assert {"size", "bus", "format", "sparse", "ro"} <= {i.label for i in result.items}
    result = await client.text_document_completion_async(T.CompletionParams(doc, pos(text, "VS1", 3)))
    assert {"VS101", "VS109"} <= {i.label for i in result.items}
    # the language's own codes cannot be suppressed, so they are not offered
    assert not [i.label for i in result.items if i.label.startswith(("VP", "VR", "VT"))]


@on_server
async def test_definition(client, fleet_dir):
    text = ('include "hosts.virt"\ninclude "templates.virt"\n'
            "guest d1 from rhel5pv on xen1 { nic bridge xenbr1 }\n")
    path = fleet_dir / "definition.virt"
    path.write_text(text)
    uri = open_doc(client, path)
    doc = T.TextDocumentIdentifier(uri)

    async def goto(needle, delta=1):
        result = await client.text_document_definition_async(T.DefinitionParams(doc, pos(text, needle, delta)))
        assert result, needle
        loc = result[0] if isinstance(result, list) else result
        return loc.uri, loc.range

    target, rng = await goto("rhel5pv")
    assert target == from_fs_path(str(fleet_dir / "templates.virt"))
    assert rng == T.Range(T.Position(0, 9), T.Position(0, 16))
    target, rng = await goto("xen1")
    assert target == from_fs_path(str(fleet_dir / "hosts.virt")) and rng.start == T.Position(0, 5)
    target, rng = await goto("xenbr1")
    assert target == from_fs_path(str(fleet_dir / "hosts.virt")) and rng.start.line == 5
    target, rng = await goto('"templates.virt"', 3)
    assert target == from_fs_path(str(fleet_dir / "templates.virt")) and rng.start == T.Position(0, 0)
    none = await client.text_document_definition_async(T.DefinitionParams(doc, pos(text, "d1", 1)))
    assert not none


@on_server
async def test_formatting_uses_fmt(client, fleet_dir):
    from virtc.fmt import format_text

    text = "template   f {type xen-pv ;memory 1G}\nguest g1 from f on xen1 {  vcpus 2 }\n"
    path = fleet_dir / "format.virt"
    path.write_text(text)
    uri = open_doc(client, path)
    edits = await client.text_document_formatting_async(T.DocumentFormattingParams(
        T.TextDocumentIdentifier(uri), T.FormattingOptions(tab_size=2, insert_spaces=True)))
    assert len(edits) == 1 and edits[0].new_text == format_text(text, str(path))
    assert edits[0].range == T.Range(T.Position(0, 0), T.Position(2, 0))
    change_doc(client, uri, 2, "template f { memory 1G\n")
    edits = await client.text_document_formatting_async(T.DocumentFormattingParams(
        T.TextDocumentIdentifier(uri), T.FormattingOptions(tab_size=2, insert_spaces=True)))
    assert not edits


def _apply(text: str, edits: list) -> str:
    lines = text.split("\n")
    for e in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        assert e.range.start.line == e.range.end.line
        line = lines[e.range.start.line]
        lines[e.range.start.line] = line[:e.range.start.character] + e.new_text + line[e.range.end.character:]
    return "\n".join(lines)


@on_server
async def test_code_action_suppresses_on_the_line(client, fleet_dir):
    text = ('include "hosts.virt"\ninclude "templates.virt"\n'
            "guest s1 from rhel5pv on xen1 {\n"
            '  disk xvdb tap:aio "/var/lib/libvirt/images/s1.img" sparse\n'
            '  disk xvdc tap:aio "/srv/s1.img"  # kept outside on purpose\n'
            '  disk xvdd tap:aio "/var/lib/libvirt/images/s1d.img" sparse  # virtc: ignore[VS121] why\n'
            "}\n")
    path = fleet_dir / "actions.virt"
    path.write_text(text)
    uri = open_doc(client, path)
    _, diags = await published(client, uri, 1)
    assert {"VS109", "VE101"} <= {d.code for d in diags}
    not_a_rule = T.Diagnostic(T.Range(T.Position(2, 0), T.Position(2, 5)), "bad size", code="VR005",
                              source="virtc")
    actions = await client.text_document_code_action_async(T.CodeActionParams(
        T.TextDocumentIdentifier(uri), T.Range(T.Position(0, 0), T.Position(7, 0)),
        T.CodeActionContext(diagnostics=[*diags, not_a_rule])))
    titles = sorted(a.title for a in actions)
    assert "Suppress VS109 on this line" in titles and "Suppress VE101 on this line" in titles
    assert not [t for t in titles if "VR005" in t]  # a malformed value is not a rule
    edits = [e for a in actions if a.title.startswith("Suppress") for e in a.edit.changes[uri]]
    fixed = _apply(text, edits)
    assert "# virtc: ignore[VE101] kept outside on purpose" in fixed
    assert "# virtc: ignore[VS121, VS109] why" in fixed
    assert 'sparse  # virtc: ignore[VS109] TODO say why' in fixed
    after = api.check([str(path)], texts={str(path): fixed})
    assert [(d.code, d.span.line) for d in after.diagnostics if d.code != "VR030"] == []


@on_server
async def test_code_action_applies_the_findings_own_fix(client, fleet_dir):
    """The same fixes as `check --fix`: a quick fix per finding that has one, preferred
    when it is safe; applied, the finding is gone and nothing else changed."""
    text = ('include "hosts.virt"\n'
            "guest f1 on xen1 {\n"
            '  type xen-pv; memory 1g; arch X86_64\n'
            '  disk XVDA tap:aio "/var/lib/libvirt/images/f1.img"   # virtc: ignore[VS109] sparse\n'
            "}\n")
    path = fleet_dir / "fixes.virt"
    path.write_text(text)
    uri = open_doc(client, path)
    _, diags = await published(client, uri, 1)
    assert {"VR005", "VR012", "VR014"} <= {d.code for d in diags}
    actions = await client.text_document_code_action_async(T.CodeActionParams(
        T.TextDocumentIdentifier(uri), T.Range(T.Position(0, 0), T.Position(5, 0)),
        T.CodeActionContext(diagnostics=list(diags))))
    fixes = {a.diagnostics[0].code: a for a in actions if a.title.startswith("Fix ")}
    assert set(fixes) == {"VR005", "VR012", "VR014"}
    assert all(a.kind == T.CodeActionKind.QuickFix and a.is_preferred for a in fixes.values())
    fixed = _apply(text, [e for a in fixes.values() for e in a.edit.changes[uri]])
    assert fixed == text.replace("1g", "1G").replace("X86_64", "x86_64").replace("XVDA", "xvda")
    after = api.check([str(path)], texts={str(path): fixed})
    assert not {"VR005", "VR012", "VR014"} & {d.code for d in after.diagnostics}



@pytest.mark.perf
@on_server
async def test_latency_of_diagnostics_on_a_2000_line_file(client, tmp_path):
    text = fleet(2000)
    assert text.count("\n") == 2000
    path = tmp_path / "big.virt"
    path.write_text(text)
    uri = open_doc(client, path)
    _, first = await published(client, uri, 1, timeout=60)
    assert len(first) == len(api.check([str(path)]).diagnostics) > 100
    lines = text.split("\n")
    # keystrokes in the middle of the file: a value changed, a new statement, an error and its fix
    target = next(i for i in range(len(lines) // 2, len(lines)) if lines[i] == "  vcpus 2")
    edits = [(target, 8, 9, "3", None), (target, 8, 9, "4", None),
             (target, 9, 9, "\n  maxmem 2G", None), (target + 1, 10, 10, "X", "VR005"),
             (target + 1, 10, 11, "", None), (target, 2, 7, "vcpu", "VP001"), (target, 2, 6, "vcpus", None)]
    times = []
    for version, (line, start, end, new, expect) in enumerate(edits, start=2):
        t0 = time.perf_counter()
        edit_doc(client, uri, version, line, start, end, new)
        when, diags = await published(client, uri, version)
        times.append(when - t0)
        codes = {d.code for d in diags}
        if expect:
            assert expect in codes
        else:
            assert "VR005" not in codes and "VP001" not in codes and len(diags) >= len(first)
    shown = ", ".join(f"{t * 1000:.0f}" for t in times)
    print(f"\nLSP latency, edit -> publishDiagnostics on a 2,000-line file: {shown} ms "
          f"(median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms)")
    # The limit holds for the typical edit; a single edit may lose the CPU to another
    # process on a shared 2-core runner (202 ms seen once with a second test suite running),
    # so the slowest edit gets twice the budget rather than making the test flaky.
    assert statistics.median(times) < LATENCY_LIMIT, times
    assert max(times) < 2 * LATENCY_LIMIT, times
