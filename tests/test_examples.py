"""Every example builds clean; every emitted file is snapshotted and checked by the real
tools that consume it; every broken example fails with its headline error."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from virtc import api
from virtc.build import artifacts

from conftest import EXAMPLES, ROOT

FLEETS = sorted(EXAMPLES.glob("*.virt"))
BROKEN = sorted(EXAMPLES.glob("broken/*.virt"))


def _rel(p: Path) -> str:
    return p.relative_to(ROOT).as_posix()


def _artifacts():
    out = []
    for f in FLEETS:
        result = api.check([str(f)])
        if result.model is None:
            out.append((f, None))
            continue
        arts, _ = artifacts(result.model)
        out.extend((f, a) for a in arts if a.link is None)
    return out


ARTIFACTS = _artifacts()
XML = [(f, a) for f, a in ARTIFACTS if a and a.path.endswith(".xml") and "/networks/" not in a.path]
NETWORKS = [(f, a) for f, a in ARTIFACTS if a and "/networks/" in a.path]
XM = [(f, a) for f, a in ARTIFACTS if a and "/etc/xen/" in a.path and not a.path.endswith(".sxp")]
HOST_FILES = [(f, a) for f, a in ARTIFACTS if a and not a.path.endswith(".xml") and (f, a) not in XM]


def _id(item):
    f, a = item
    return f"{f.stem}:{a.path}" if a else f.stem


class ArtifactSnapshot(SingleFileSnapshotExtension):
    _write_mode = WriteMode.TEXT
    file_extension = "txt"


def test_there_are_enough_examples():
    assert len(FLEETS) >= 4
    assert len(BROKEN) >= 10


@pytest.mark.parametrize("path", FLEETS, ids=lambda p: p.stem)
def test_example_builds_clean(path):
    """No error and no warning: the examples show configurations the guide accepts."""
    result = api.check([str(path)])
    assert [f"{d.span}: {d.code} {d.message}" for d in result.diagnostics if d.severity.name != "INFO"] == []
    assert result.model is not None and result.model.guests


@pytest.mark.parametrize("item", ARTIFACTS, ids=_id)
def test_emitted_file_snapshot(item, snapshot):
    f, art = item
    assert art is not None, f"{f} does not compile"
    assert art.text == snapshot.use_extension(ArtifactSnapshot)


@pytest.mark.parametrize("item", XML, ids=_id)
def test_domain_xml_passes_libvirt_rng(item, domain_rng):
    _, art = item
    doc = etree.fromstring(art.text.encode())
    assert domain_rng.validate(doc), str(domain_rng.error_log)


@pytest.mark.parametrize("item", XML, ids=_id)
def test_domain_xml_passes_virt_xml_validate(item, virt_xml_validate, tmp_path):
    _, art = item
    p = tmp_path / "domain.xml"
    p.write_text(art.text)
    r = virt_xml_validate(p)
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize("item", XML, ids=_id)
def test_domain_xml_accepted_by_libvirt_parser(item, libvirt_test_driver):
    _, art = item
    normalised = libvirt_test_driver(art.text)
    doc = etree.fromstring(art.text.encode())
    back = etree.fromstring(normalised.encode())
    assert back.findtext("name") == doc.findtext("name")
    assert back.findtext("uuid") == doc.findtext("uuid")
    assert back.findtext("memory") == doc.findtext("memory")
    assert len(back.findall("devices/disk")) == len(doc.findall("devices/disk"))
    assert [m.get("address") for m in back.findall("devices/interface/mac")] == \
           [m.get("address") for m in doc.findall("devices/interface/mac")]


@pytest.mark.parametrize("item", NETWORKS, ids=_id)
def test_network_xml_passes_libvirt_rng_and_parser(item, libvirt_test_driver):
    from conftest import CORPUS, need_shared

    rng = etree.RelaxNG(etree.parse(str(need_shared(CORPUS / "libvirt-rng" / "network.rng"))))
    doc = etree.fromstring(item[1].text.encode())
    assert rng.validate(doc), str(rng.error_log)
    back = etree.fromstring(libvirt_test_driver.network(item[1].text).encode())
    assert back.findtext("name") == doc.findtext("name")
    assert back.find("bridge").get("name") == doc.find("bridge").get("name")


def xm_literals(text: str) -> dict:
    """Read an xm file the way virtc's linter will: ast only, literal assignments only."""
    tree = ast.parse(text)
    values = {}
    for node in tree.body:
        assert isinstance(node, ast.Assign) and len(node.targets) == 1, ast.dump(node)
        assert isinstance(node.targets[0], ast.Name)
        values[node.targets[0].id] = ast.literal_eval(node.value)
    return values


@pytest.mark.parametrize("item", XM, ids=_id)
def test_xm_config_is_literal_python_matching_the_xml(item):
    f, art = item
    cfg = xm_literals(art.text)
    host, _, _, name = art.path.split("/")
    xml = next(a for g, a in XML if a.path == f"{host}/etc/libvirt/xen/{name}.xml")
    doc = etree.fromstring(xml.text.encode())
    assert cfg["name"] == doc.findtext("name") == name
    assert cfg["uuid"] == doc.findtext("uuid")
    assert cfg["memory"] * 1024 == int(doc.findtext("currentMemory"))
    assert cfg["maxmem"] * 1024 == int(doc.findtext("memory"))
    assert len(cfg.get("disk", [])) == len([d for d in doc.findall("devices/disk") if d.get("device") != "floppy"])
    macs = [m.get("address") for m in doc.findall("devices/interface/mac")]
    assert [dict(kv.split("=", 1) for kv in v.split(","))["mac"] for v in cfg.get("vif", [])] == macs
    assert text_is_ascii(art.text)


def text_is_ascii(text: str) -> bool:
    return text.isascii()


@pytest.mark.parametrize("path", BROKEN, ids=lambda p: p.stem)
def test_broken_example_output(path, text_snapshot):
    r = subprocess.run([sys.executable, "-m", "virtc", "check", _rel(path)], capture_output=True,
                       text=True, cwd=ROOT, env={"NO_COLOR": "1", "PATH": "/usr/bin:/bin"})
    assert r.returncode == 1, r.stdout + r.stderr
    assert "Traceback" not in r.stderr
    first = path.read_text().splitlines()[0]
    assert first.startswith("#"), "each broken example starts with a comment saying what it shows"
    assert r.stdout == text_snapshot


@pytest.mark.parametrize("item", XM, ids=_id)
def test_emitted_xm_config_passes_the_xm_format_rules(item, tmp_path):
    """virtc's own xm output, read back by its xm reader: only the informational notes (the
    hand-editing note, and that a lone file says nothing of the host's CPUs and memory)."""
    p = tmp_path / "etc" / "xen" / item[1].path.rsplit("/", 1)[-1]
    p.parent.mkdir(parents=True)
    p.write_text(item[1].text)
    result = api.lint([str(p)])
    assert [d.code for d in result.diagnostics] == ["VF004", "VF113"], [d.message for d in result.diagnostics]


def _declared_host_files(text: str) -> set[str]:
    """The 'Host files it writes' block of an example's header comment, as output paths."""
    lines = text.split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("# Host files it writes"))
    declared, owner = set(), None
    for line in lines[start + 2:]:
        body = line[1:].strip()
        if not line.startswith("#") or not body:
            break
        if body.split()[0].endswith(":"):
            owner, body = body.split(":", 1)
        declared.update(owner + path for path in body.split())
    return declared


@pytest.mark.parametrize("path", FLEETS, ids=lambda p: p.stem)
def test_example_header_lists_its_host_files(path):
    """Each example's header comment says which host files it produces, and is kept true."""
    built = {a.path for f, a in HOST_FILES if f == path}
    assert built and _declared_host_files(path.read_text(encoding="utf-8")) == built
