"""Checklist items no rule implements, each with the reason (one line).

Kinds of reason: "operational" (advice about doing something, not a setting), "no field"
(the setting lives somewhere the model does not describe), "emitter" (an info item that
virtc applies when it writes files), "explain" (background kept in a rule's text).
"""

REASONS: dict[str, str] = {
    "STO-03": "operational: virsh attach-disk on a running guest; virtc describes configuration, not live changes",
    "STO-15": "no field: the language and the readers only produce the supported back-ends (file, block device)",
    "STO-16": "explain: list of storage kinds, reflected in the disk statement",
    "STO-17": "operational: order of steps when adding storage to a running guest",
    "STO-24": "emitter: targets are named by the user; VS101/VS102 check them",
    "STO-29": "explain: how to switch a KVM disk to virtio (bus virtio)",
    "STO-34": "operational: IDE devices added to a running guest appear after a restart",
    "STO-36": "operational: image files are read only while the guest is off",
    "STO-40": "operational: qemu-img backing images",
    "STO-41": "emitter: RHEL 3 mknod scripts are not generated",
    "STO-42": "explain: phy: performance (VS103 hint)",
}
