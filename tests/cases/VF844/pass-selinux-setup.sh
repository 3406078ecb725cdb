#!/bin/sh
semanage fcontext -a -t xen_image_t "/virtstorage(/.*)?"
semanage fcontext -a -t xen_image_t '/srv/xen(/.*)?'
restorecon -R /virtstorage /srv/xen
