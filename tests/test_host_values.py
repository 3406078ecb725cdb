"""Host values that would reach rc.local, multipath.conf, modprobe.conf or /etc/xen paths:
each bad one is an error at its file:line:col with a rule code, and `virtc build` writes
nothing (tests/test_injection.py proves the property over generated values)."""
from __future__ import annotations

import os

import pytest

from virtc import api

HOST = 'host xen1 {{\n  hypervisor xen; arch x86_64; memory 32G\n  {stmt}\n}}\n'
GUEST = 'host xen1 {{\n  hypervisor xen; arch x86_64; memory 32G; bridge xenbr0 on eth0\n' \
        '  guest {name} {{ type xen-pv; memory 1G; disk xvda "/var/lib/xen/images/a.img" }}\n}}\n'

CASES = [
    # (id, source, code, line, col, words in the message)
    ("iqn-shell", HOST.format(stmt='iscsi-target "iqn.2001-04.com.example:x;reboot" lun 1 "/dev/sdb"'),
     "VR011", 3, 16, "IQN"),
    ("iscsi-allow-not-address", HOST.format(stmt='iscsi-target "iqn.2001-04.com.example:t" lun 1 "/dev/sdb" '
                                                 'allow "ALL;reboot"'),
     "VR012", 3, 67, "initiator address"),
    ("devnode-negation", HOST.format(stmt='blacklist devnode "!^sd[a-c]"'), "VR011", 3, 21, "comment"),
    ("devnode-empty", HOST.format(stmt='blacklist devnode ""'), "VR011", 3, 21, "empty"),
    ("devnode-huge-repeat", HOST.format(stmt='blacklist devnode "a{99999999999}"'), "VR012", 3, 21,
     "repeat count"),
    ("modprobe-backslash", HOST.format(stmt='modprobe foo "opt=1 \\\\"'), "VR011", 3, 16, "backslash"),
    ("sysctl-dollar", HOST.format(stmt='sysctl kernel.sysrq "$(reboot)"'), "VR011", 3, 23, "'$'"),
    ("export-no-clients", HOST.format(stmt='export "/srv/images" to ""'), "VR015", 3, 27, "clients"),
    ("multipath-alias-twice", HOST.format(stmt='multipath mp1 wwid 3600805f30015987000000000768a0019\n'
                                                '  multipath mp1 wwid 3600805f30015987000000000768a0020'),
     "VR004", 4, 3, "multipath name 'mp1' is declared twice"),
    ("udev-name-twice", HOST.format(stmt='lun l2 wwid 3600805f30015987000000000768a0021\n'
                                         '  lun l2 wwid 3600805f30015987000000000768a0022'),
     "VR004", 4, 3, "udev name 'l2' is declared twice"),
    ("guest-named-auto", GUEST.format(name="auto"), "VR011", 3, 9, "/etc/xen/auto"),
    ("guest-named-scripts", GUEST.format(name="scripts"), "VR011", 3, 9, "/etc/xen/scripts"),
]


@pytest.mark.parametrize("src,code,line,col,words", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_host_value_is_an_error_at_its_place_and_nothing_is_written(tmp_path, src, code, line, col, words):
    path = tmp_path / "h.virt"
    path.write_text(src, encoding="utf-8")
    errors = [d for d in api.check([str(path)]).diagnostics if d.severity.name == "ERROR"]
    assert [(d.code, d.span.line, d.span.col) for d in errors] == [(code, line, col)], \
        [f"{d.span}: {d.code} {d.message}" for d in errors]
    assert words in errors[0].message and errors[0].span.file == str(path)
    outcome = api.build([str(path)], str(tmp_path / "out"))
    assert outcome.has_errors and sorted(os.listdir(tmp_path)) == ["h.virt"]


class _Clashing:
    """A stand-in target whose files clash: the path checks are a safety net under every
    emitter, so they are tested with outputs no real emitter produces today."""

    def __init__(self, paths):
        self.paths = paths

    def emit(self, model):
        from virtc.targets import Artifact

        g = model.guests[0]
        return [Artifact(p, "x\n", source=g.owner) for p in self.paths]


@pytest.mark.parametrize("paths,message", [
    (["xen1/etc/xen/a", "xen1/etc/xen/a"], "two outputs want the same file"),
    (["xen1/etc/xen/a", "xen1/etc/xen/a/b"], "is both a file and the folder"),
    (["xen1/../etc/passwd"], "refusing to write"),
], ids=["same-file", "file-and-folder", "dot-dot"])
def test_clashing_or_unsafe_output_paths_point_at_the_guest(monkeypatch, tmp_path, paths, message):
    from virtc import build

    path = tmp_path / "h.virt"
    path.write_text(GUEST.format(name="web1"), encoding="utf-8")
    monkeypatch.setattr(build, "registry", lambda: {"clash": _Clashing(paths)})
    model = api.check([str(path)]).model
    _, diags = build.artifacts(model)
    assert [(d.code[:2], d.span.file, d.span.line) for d in diags] == [("VT", str(path), 3)]
    assert message in diags[0].message
    outcome = api.build([str(path)], str(tmp_path / "out"))
    assert outcome.has_errors and sorted(os.listdir(tmp_path)) == ["h.virt"]


def test_a_devnode_pattern_re_warns_about_is_no_warning_on_stderr():
    """Python's re warns (FutureWarning, on stderr) of some patterns, a nested set among
    them: the user's devnode pattern is compiled with the warning kept quiet (fuzz seed 31)."""
    import warnings

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        out = api.check(["x.virt"], {"x.virt": HOST.format(stmt='blacklist devnode "[[a-z]"')})
    assert not [w for w in seen if issubclass(w.category, FutureWarning)]
    assert not [d for d in out.diagnostics if d.severity.name == "ERROR"]
