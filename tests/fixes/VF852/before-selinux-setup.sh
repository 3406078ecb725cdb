#!/bin/sh
setsebool virt_use_sysfs 1
