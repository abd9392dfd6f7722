#!/bin/sh
# pcs: run once on one node after both nodes are up (pcs cluster start --all)
set -e
pcs property set stonith-enabled=false cluster-name=twinbeat
pcs resource defaults update resource-stickiness=0
pcs resource create ip_192.168.8.100 ocf:heartbeat:IPaddr2 ip=192.168.8.100 cidr_netmask=32 --group grp_ip_192.168.8.100
pcs constraint location grp_ip_192.168.8.100 prefers srv5.localdomain=100
pcs resource create ping ocf:pacemaker:ping name=pingd "host_list=192.168.8.2 192.168.9.7" multiplier=1000 dampen=30s op monitor interval=10s timeout=60s clone
pcs constraint location grp_ip_192.168.8.100 rule score-attribute=pingd defined pingd
