#!/bin/sh
# network-xen-multi-bridge
# Exit if anything goes wrong.
set -e
# First arg is the operation.
OP=$1
shift
script=/etc/xen/scripts/network-bridge.xen
case ${OP} in
start)
	$script start vifnum=1 bridge=xenbr1 netdev=eth1
	$script start vifnum=0 bridge=xenbr0 netdev=eth0
	;;
stop)
	$script stop vifnum=1 bridge=xenbr1 netdev=eth1
	$script stop vifnum=0 bridge=xenbr0 netdev=eth0
	;;
status)
	$script status vifnum=1 bridge=xenbr1 netdev=eth1
	$script status vifnum=0 bridge=xenbr0 netdev=eth0
	;;
*)
	echo 'Unknown command: ' ${OP}
	echo 'Valid commands are: start, stop, status'
	exit 1
esac
