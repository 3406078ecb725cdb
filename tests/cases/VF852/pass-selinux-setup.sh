#!/bin/sh
setsebool -P virt_use_sysfs 1
setsebool -P qemu_use_comm=on qemu_use_nfs=on
