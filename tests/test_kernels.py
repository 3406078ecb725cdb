"""A Red Hat kernel's name says which RHEL update a guest runs."""
from __future__ import annotations

import pytest

from virtc import api
from virtc.kernels import guest_os, image_release, split_release


@pytest.mark.parametrize("release, name", [
    ("2.6.18-308.el5", "rhel5.8"), ("2.6.18-8.el5", "rhel5.0"), ("2.6.18-398.el5", "rhel5.11"),
    ("2.6.18-274.18.1.el5", "rhel5.7"), ("2.6.9-89.EL", "rhel4.8"), ("2.6.9-5.EL", "rhel4.0"),
    ("2.4.21-63.EL", "rhel3.9"), ("2.6.32-279.el6", "rhel6.3"),
])
def test_the_update_a_kernel_shipped_in(release, name):
    assert guest_os(release).name == name


@pytest.mark.parametrize("release", ["3.10.0-123.el7", "2.6.32-5-xen-amd64", "4.4.0-21-generic", "mini-os"])
def test_other_kernels_say_nothing_or_only_the_major_release(release):
    found = guest_os(release)
    assert found is None or found.release is None


def test_image_names():
    assert image_release("/boot/vmlinuz-2.6.9-89.ELxenU") == ("2.6.9-89.EL", "xenU")
    assert image_release("/var/lib/xen/vmlinuz-2.6.18-308.el5xen") == ("2.6.18-308.el5", "xen")
    assert image_release("/usr/lib/xen/boot/pv-grub-x86_64.gz") is None
    assert split_release("2.6.18-128.el5PAE") == ("2.6.18-128.el5", "PAE")


def test_a_guest_read_from_an_xm_config_runs_the_rhel_its_kernel_says(tmp_path):
    cfg = tmp_path / "rhel4"
    cfg.write_text('name = "rhel4"\nmemory = 512\nkernel = "/boot/vmlinuz-2.6.9-89.ELxenU"\n'
                   'ramdisk = "/boot/initrd-2.6.9-89.ELxenU.img"\ndisk = [ "phy:/dev/vg/rhel4,xvda,w" ]\n')
    (g,) = api.lint([str(cfg)]).model.guests
    assert (g.os.name, g.kernel_release, g.kernel_variant) == ("rhel4.8", "2.6.9-89.EL", "xenU")
