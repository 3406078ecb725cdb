#!/bin/sh
setsebool -P virt_use_sysfs 1
