#!/bin/sh
#> VF844 error 3:37
semanage fcontext -a -t xen_image_t /virtstorage(/.*)?
restorecon -R /virtstorage
