#!/bin/sh
semanage fcontext -a -t xen_image_t "/virtstorage(/.*)?"
restorecon -R /virtstorage
