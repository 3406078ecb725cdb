"""Shared test helpers: paths, the real validators, and snapshot extensions."""
from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
EXAMPLES = ROOT / "examples"
# Files tests read for what they hold (reader values, clean configs, host trees); the
# files that expect findings are rule cases, under tests/cases/CODE/.
FIXTURES = ROOT / "tests" / "fixtures"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


# ---------------------------------------------------------------- property tests

# A property test states how many examples it is worth (`examples(300)`); the default
# profile runs a third of that, so the README's test command stays within minutes on two
# cores, and `--hypothesis-profile thorough` runs the full count (HYPOTHESIS_PROFILE=thorough
# does the same). Tests without a count get the profile's max_examples.
settings.register_profile("virtc", max_examples=34)
settings.register_profile("thorough", max_examples=100)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "virtc"))


def examples(n: int) -> int:
    """n examples under the thorough profile, a third of n (at least 20) by default; read
    when a test module is imported, after --hypothesis-profile is applied."""
    return max(20, n * settings.default.max_examples // 100)


# ---------------------------------------------------------------- byte code

def pytest_configure(config):
    """Compile virtc's modules to .pyc once, as pip does when it installs the package.
    Hundreds of tests start `python -m virtc`; where PYTHONDONTWRITEBYTECODE is set (as on
    the CI machine) Python never writes the .pyc itself, so each start compiled every
    module again. Python still reads .pyc files that exist, and checks them against the
    sources. The controller does it before the workers start."""
    if hasattr(config, "workerinput"):
        return
    import compileall

    for folder in ("compiler", "targets", "grammar", "schemas"):
        compileall.compile_dir(str(ROOT / folder), quiet=1)


# ---------------------------------------------------------------- timing tests

def pytest_addoption(parser):
    parser.addoption("--perf", action="store_true", help="also run the timing tests (marked perf)")


def pytest_collection_modifyitems(config, items):
    """Timing is not asserted in the normal run (a loaded machine would fail it): tests
    marked `perf` run only with --perf or a -m expression that asks for them (-m perf)."""
    markexpr = config.getoption("markexpr") or ""
    if config.getoption("--perf") or ("perf" in markexpr and "not perf" not in markexpr):
        return
    skip = pytest.mark.skip(reason="timing test: run with -m perf or --perf")
    for item in items:
        if item.get_closest_marker("perf") is not None:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _not_in_github_actions(monkeypatch):
    """The CLI picks the `github` format by default under GitHub Actions; the tests check
    the terminal's default (`full`) unless they set GITHUB_ACTIONS themselves."""
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)


def tree_bytes(folder: Path) -> dict[str, bytes]:
    """A built tree as {relative path: bytes}, a symlink as b"-> " and its target: what two
    builds are compared by, byte for byte."""
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_symlink():
            out[p.relative_to(folder).as_posix()] = b"-> " + os.fsencode(os.readlink(p))
        elif p.is_file():
            out[p.relative_to(folder).as_posix()] = p.read_bytes()
    return out


@contextlib.contextmanager
def recursion_headroom(frames: int):
    """Python's recursion limit set to `frames` above the caller's own depth, for the
    block: code that calls itself once per level of its input fails under it long before
    the input gets as deep as one that breaks the usual limit (about 1,000) would have to."""
    frame, depth = sys._getframe(), 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(depth + frames)
    try:
        yield
    finally:
        sys.setrecursionlimit(limit)


def need(available: bool, what: str):
    """Skip a test whose validator is missing; under CI=true fail instead."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"validator missing in CI: {what}")
    pytest.skip(f"validator not installed: {what}")


def need_shared(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is absent (../shared is not beside the project)")
    return path


class TextSnapshot(SingleFileSnapshotExtension):
    _write_mode = WriteMode.TEXT
    file_extension = "txt"


@pytest.fixture
def text_snapshot(snapshot):
    return snapshot.use_extension(TextSnapshot)


# ---------------------------------------------------------------- libvirt validators

@pytest.fixture(scope="session")
def domain_rng():
    """libvirt's RelaxNG schema for domains (the corpus copy, libvirt 11.3)."""
    from lxml import etree

    rng = need_shared(CORPUS / "libvirt-rng" / "domain.rng")
    return etree.RelaxNG(etree.parse(str(rng)))


@pytest.fixture(scope="session")
def virt_xml_validate():
    exe = shutil.which("virt-xml-validate")
    need(exe is not None, "virt-xml-validate (apt-get install libvirt-clients)")

    def run(path: Path) -> subprocess.CompletedProcess:
        return subprocess.run([exe, str(path), "domain"], capture_output=True, text=True)

    return run


@pytest.fixture(scope="session")
def libvirt_test_driver(tmp_path_factory):
    """A define() function backed by libvirt's own parser (test driver, empty node)."""
    try:
        import libvirt
    except ImportError:
        libvirt = None
    need(libvirt is not None, "libvirt-python (pip install libvirt-python; needs libvirt-dev)")
    libvirt.registerErrorHandler(lambda ctx, err: None, None)
    node = tmp_path_factory.mktemp("libvirt") / "empty-node.xml"
    node.write_text("<node><cpu><nodes>1</nodes><sockets>1</sockets><cores>4</cores><threads>1</threads>"
                    "<active>4</active><mhz>2000</mhz><model>i686</model><vendor>Intel</vendor></cpu>"
                    "<memory>8388608</memory></node>")
    conn = libvirt.open(f"test://{node}")

    class Driver:
        def __call__(self, xml: str) -> str:
            dom = conn.defineXMLFlags(xml, libvirt.VIR_DOMAIN_DEFINE_VALIDATE)
            try:
                return dom.XMLDesc(0)
            finally:
                dom.undefine()

        def network(self, xml: str) -> str:
            net = conn.networkDefineXML(xml)
            try:
                return net.XMLDesc(0)
            finally:
                net.undefine()

    yield Driver()
    conn.close()
