#!/bin/sh
#> VF852 warning 3:1
setsebool virt_use_sysfs 1
