"""virtc: compile and lint Xen/KVM configuration against the RHEL 5 Virtualization Guide."""

__version__ = "0.1.0"
