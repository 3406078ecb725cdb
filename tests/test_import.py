"""`virtc import`: existing configs -> .virt. The round trip build -> import -> build gives
the same files for every example, and the imported text uses templates and ranges."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from virtc import api
from virtc.resolve import compile_sources

from conftest import ROOT

EXAMPLES = sorted((ROOT / "examples").glob("*.virt"))


def tree(folder: Path) -> dict[str, str]:
    """Every file and link of a build output (without virtc's manifest), as text."""
    out = {}
    for dirpath, _dirs, files in os.walk(folder):
        for f in files:
            p = Path(dirpath) / f
            rel = str(p.relative_to(folder))
            if rel == ".virtc-manifest":
                continue
            out[rel] = ("-> " + os.readlink(p)) if p.is_symlink() else p.read_text()
    return out


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_build_import_build_gives_the_same_files(example, tmp_path):
    first = tmp_path / "first"
    assert not api.build([str(example)], str(first)).has_errors
    virt = tmp_path / "imported.virt"
    result = api.import_([], roots=[str(first)], output=str(virt))
    assert not result.has_errors, [str(d) for d in result.diagnostics if d.severity.name == "ERROR"]
    assert [d.message for d in result.diagnostics if d.code == "VF006"] == []
    second = tmp_path / "second"
    again = api.build([str(virt)], str(second))
    assert not again.has_errors, [str(d) for d in again.diagnostics if d.severity.name == "ERROR"]
    a, b = tree(first), tree(second)
    assert sorted(a) == sorted(b)
    assert [p for p in sorted(a) if a[p] != b[p]] == []


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_imported_text_is_concise(example, tmp_path):
    """Guests that share settings share a template; numbered guests become ranges."""
    out = tmp_path / "out"
    model = api.build([str(example)], str(out)).model
    result = api.import_([], roots=[str(out)])
    text = result.text
    guests_written = text.count("\nguest ") + text.count("  guest ")
    assert guests_written <= len(model.guests)
    ranged = [g for g in model.guests if g.expansion and g.expansion.index is not None]
    if len(ranged) >= 3:
        assert "[" in text and ".." in text, "numbered guests are written as a range"
        assert guests_written < len(model.guests)


def run(*args):
    return subprocess.run([sys.executable, "-m", "virtc", *args], capture_output=True, text=True)


def test_cli_import_writes_once_and_refuses_to_overwrite(tmp_path):
    out = tmp_path / "out"
    assert not api.build([str(ROOT / "examples" / "xen-webfarm.virt")], str(out)).has_errors
    virt = tmp_path / "fleet.virt"
    r = run("import", "--root", str(out), "-o", str(virt))
    assert r.returncode == 0, r.stderr
    assert virt.read_text().startswith("#")
    assert "wrote" in r.stderr
    before = virt.read_text()
    again = run("import", "--root", str(out), "-o", str(virt))
    assert again.returncode == 1 and "exists" in again.stderr
    assert virt.read_text() == before
    forced = run("import", "--root", str(out), "-o", str(virt), "--force")
    assert forced.returncode == 0 and virt.read_text() == before  # deterministic
    check = run("check", str(virt))
    assert check.returncode == 0, check.stdout


def test_cli_import_to_standard_output(tmp_path):
    """`-o -` writes the .virt on stdout (as fmt's `-`), the same text as a file, and no
    file named '-'; the findings and the summary go to stderr."""
    out = tmp_path / "out"
    assert not api.build([str(ROOT / "examples" / "xen-webfarm.virt")], str(out)).has_errors
    virt = tmp_path / "fleet.virt"
    assert run("import", "--root", str(out), "-o", str(virt)).returncode == 0
    r = subprocess.run([sys.executable, "-m", "virtc", "import", "--root", str(out), "-o", "-"],
                       capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout == virt.read_text()
    assert "wrote standard output" in r.stderr
    assert not (tmp_path / "-").exists()


def test_import_leaves_out_a_guest_whose_file_cannot_be_read(tmp_path):
    """A guest whose config cannot be read whole is left out with a finding naming it; the
    rest is written, and the run fails (exit 1)."""
    out = tmp_path / "out"
    assert not api.build([str(ROOT / "examples" / "xen-webfarm.virt")], str(out)).has_errors
    bad = out / "xenweb1" / "etc" / "xen" / "web01"
    bad.write_text(bad.read_text() + "import os\n")
    virt = tmp_path / "fleet.virt"
    r = run("import", "--root", str(out), "-o", str(virt))
    assert r.returncode == 1
    assert "VF006" in r.stderr and "guest web01 is not imported" in r.stderr and "VF102" in r.stderr
    assert "1 guest(s) left out: web01" in r.stderr
    names = {g.name for g in compile_sources([str(virt)]).model.guests}
    assert "web01" not in names and "web02" in names
    assert run("check", str(virt)).returncode == 0


def test_import_leaves_out_guests_whose_files_give_no_guest_at_all(tmp_path):
    """Files that cannot be parsed (an xm config with a bracket left open, a domain XML
    that is not well-formed, an xm config that is not UTF-8) give no guest: each is still
    named as a guest left out (its name = / <name>, else the file's name), the rest is
    written and the run fails."""
    out = tmp_path / "out"
    assert not api.build([str(ROOT / "examples" / "xen-webfarm.virt")], str(out)).has_errors
    xen = out / "xenweb1" / "etc" / "xen"
    xml = out / "xenweb1" / "etc" / "libvirt" / "xen"
    # web01 and web02 have only their xm config, web03 only its domain XML
    for gone in (xml / "web01.xml", xml / "web02.xml", xen / "web03"):
        gone.unlink()
    (xen / "web01").write_text((xen / "web01").read_text().replace("]", "", 1))
    (xen / "web02").write_bytes((xen / "web02").read_bytes().replace(b"memory", b"\xffmemory", 1))
    (xml / "web03.xml").write_text((xml / "web03.xml").read_text().replace("</devices>", "", 1))
    # web04's xm config cannot be read, its domain XML can: the guest comes from the XML
    (xen / "web04").write_text((xen / "web04").read_text().replace("]", "", 1))
    virt = tmp_path / "fleet.virt"
    r = run("import", "--root", str(out), "-o", str(virt))
    assert r.returncode == 1, r.stderr
    for name in ("web01", "web02", "web03"):
        assert f"guest {name} is not imported: " in r.stderr
    assert "VF101" in r.stderr and "VF001" in r.stderr and "VF701" in r.stderr
    assert "3 guest(s) left out: web01, web02, web03;" in r.stderr
    assert "guest web04 is imported from " in r.stderr and "web04.xml alone" in r.stderr
    names = {g.name for g in compile_sources([str(virt)]).model.guests}
    assert not names & {"web01", "web02", "web03"} and {"web04", "web05"} <= names
    assert run("check", str(virt)).returncode == 0


def test_import_of_lone_xm_configs_declares_the_bridges_they_use(tmp_path):
    """Only /etc/xen copied: the guests' bridges are declared (the language needs them), the
    guests' own files build exactly as read, and the host files the .virt adds (virtc
    derives the bridge sysctls and xend's network-script) are named."""
    out = tmp_path / "out"
    assert not api.build([str(ROOT / "examples" / "xen-webfarm.virt")], str(out)).has_errors
    only = tmp_path / "copy"
    (only / "etc").mkdir(parents=True)
    subprocess.run(["cp", "-a", str(out / "xenweb1" / "etc" / "xen"), str(only / "etc" / "xen")], check=True)
    (only / "etc" / "xen" / "xend-config.sxp").unlink()
    result = api.import_([], roots=[str(only)])
    assert not result.has_errors, [str(d) for d in result.diagnostics if d.severity.name == "ERROR"]
    assert [d.message for d in result.diagnostics if d.code == "VF006" and d.severity.name == "WARNING"] == []
    notes = [d.message for d in result.diagnostics if d.code == "VF006" and d.severity.name == "INFO"]
    assert notes and "sysctl.conf" in notes[0]
    assert "bridge xenbr0" in result.text and "bridge xenbr1" in result.text


def test_a_value_the_language_rejects_is_an_error_at_the_guest(tmp_path):
    cfg = tmp_path / "etc" / "xen" / "odd"
    cfg.parent.mkdir(parents=True)
    cfg.write_text('name = "odd"\nmemory = 512\nbootloader = "/usr/bin/pygrub"\n'
                   'vif = [ "mac=00:16:3e:00:00:01,bridge=xenbr0,model=fakemodel" ]\n')
    result = api.import_([], roots=[str(tmp_path)], output=str(tmp_path / "x.virt"))
    errors = [d for d in result.diagnostics if d.code == "VF006" and d.severity.name == "ERROR"]
    assert errors and errors[0].span is not None and errors[0].span.file == str(cfg)
    assert not (tmp_path / "x.virt").exists()
