#!/bin/sh
# pcs: run once on one node after both nodes are up (pcs cluster start --all)
set -e
pcs property set stonith-enabled=false cluster-name=twinbeat
pcs resource defaults update resource-stickiness=0
pcs resource create ip_192.0.2.10 ocf:heartbeat:IPaddr2 ip=192.0.2.10 --group grp_ip_192.0.2.10
pcs constraint location grp_ip_192.0.2.10 prefers beta=100
