#!/bin/sh
semanage fcontext -a -t xen_image_t "/virtstorage(/.*)?"
semanage fcontext -a -t xen_image_t -f -b /dev/sda2
setsebool -P virt_use_sysfs 1
setsebool -P qemu_use_comm=on qemu_use_nfs=on
