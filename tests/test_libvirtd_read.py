"""libvirtd's configuration and the certificate files of a host tree, as `virtc lint` reads them.

libvirtd.conf is read in libvirt's own syntax (numbers, quoted strings, lists across
lines), /etc/sysconfig/libvirtd for the --listen of LIBVIRTD_ARGS (never sourced), and
certificate and key files only for their presence: they are never opened.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from virtc import api, lint
from virtc.targets import libvirtd

STOCK_SYSCONFIG = '# Listen for TCP/IP connections\n#LIBVIRTD_ARGS="--listen"\n'


def _tree(root: Path, conf: str, sysconfig: str, files: tuple[str, ...] = ()) -> Path:
    (root / "etc" / "libvirt").mkdir(parents=True)
    (root / "etc" / "sysconfig").mkdir(parents=True)
    (root / "etc" / "libvirt" / "libvirtd.conf").write_text(conf)
    (root / "etc" / "sysconfig" / "libvirtd").write_text(sysconfig)
    for rel in files:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("never read\n")
    return root


def _codes(outcome) -> list[str]:
    return sorted(d.code for d in outcome.diagnostics if d.code in ("VA104", "VA111", "VF881"))


def test_libvirtd_conf_values_as_libvirt_reads_them():
    found = libvirtd.read_conf('listen_tcp = 1 # on\nmdns_name = \'Host A\'\n'
                               'tls_allowed_dn_list = ["C=GB,O=x",\n  # inside\n  "C=US" ,\n]\n'
                               'max_clients = -1\n', "libvirtd.conf")
    assert [(s.key, s.value, s.span.line) for s in found.host["libvirtd"]] == [
        ("listen_tcp", "1", 1), ("mdns_name", "Host A", 2), ("tls_allowed_dn_list", "C=GB,O=x,C=US", 3),
        ("max_clients", "-1", 7)]
    assert not found.diagnostics


@pytest.mark.parametrize("text", ["listen_tcp = yes\n", "listen_tcp\n", 'auth_tcp = "sasl\n', "x = [1, 2\n",
                                  "= 1\n", "x = 1 2\n", "x = [[1]]\n", "\x00 = \u00e9\n"])
def test_a_line_libvirtd_refuses_is_vf881_never_an_exception(text):
    found = libvirtd.read_conf(text, "libvirtd.conf")
    assert [d.code for d in found.diagnostics] == ["VF881"]
    assert found.diagnostics[0].span.line == 1


@pytest.mark.parametrize("args,listens", [
    ('LIBVIRTD_ARGS="--listen"', True), ("LIBVIRTD_ARGS=-l", True), ('LIBVIRTD_ARGS="-d -l"', True),
    ('LIBVIRTD_ARGS="-dl"', True), ('LIBVIRTD_ARGS="-p /var/run/l.pid"', False),
    ('LIBVIRTD_ARGS="-p/var/run/l.pid"', False), ('LIBVIRTD_ARGS=""', False), ('#LIBVIRTD_ARGS="--listen"', False),
    ('LIBVIRTD_ARGS="$(echo --listen)"', False),  # shell code: not known, so nothing is said
])
def test_listen_tcp_counts_only_with_listen(tmp_path, args, listens):
    root = _tree(tmp_path / "h", "listen_tls = 0\nlisten_tcp = 1\n", args + "\n")
    assert _codes(api.lint([], [str(root)])) == (["VA104"] if listens else [])


def test_stock_files_say_nothing(tmp_path):
    stock = Path(__file__).parent / "cases" / "VA104" / "pass-stock-libvirtd" / "etc" / "libvirt" / "libvirtd.conf"
    root = _tree(tmp_path / "h", stock.read_text(), STOCK_SYSCONFIG)
    assert _codes(api.lint([], [str(root)])) == []


def test_certificates_are_noted_and_never_opened(tmp_path, monkeypatch):
    files = ("etc/pki/CA/cacert.pem", "etc/pki/libvirt/servercert.pem", "etc/pki/libvirt/private/serverkey.pem")
    root = _tree(tmp_path / "h", "", 'LIBVIRTD_ARGS="--listen"\n', files)
    opened = []
    real = lint.read_text

    def spy(path, shown=None, walked=False):
        opened.append(path)
        return real(path, shown, walked)

    monkeypatch.setattr(lint, "read_text", spy)
    outcome = api.lint([], [str(root)])
    assert _codes(outcome) == []
    assert outcome.model.hosts[0].certificates == ("/etc/pki/CA/cacert.pem", "/etc/pki/libvirt/private/serverkey.pem",
                                                   "/etc/pki/libvirt/servercert.pem")
    assert not [p for p in opened if "/pki/" in p]
    # given as loose files, a key is not opened either, and what a tree lacks is not known
    opened.clear()
    loose = api.lint([str(p) for p in sorted(root.rglob("*")) if p.is_file()])
    assert not [p for p in opened if "/pki/" in p]
    assert outcome.model.hosts[0].certificates is not None and loose.model.hosts[0].certificates is None


def test_without_pki_only_a_tree_tells(tmp_path):
    root = _tree(tmp_path / "h", "", 'LIBVIRTD_ARGS="--listen"\n')
    assert _codes(api.lint([], [str(root)])) == ["VA111"]
    assert _codes(api.lint([str(p) for p in sorted(root.rglob("*")) if p.is_file()])) == []
