#!/bin/sh
# pcs: run once on one node after both nodes are up (pcs cluster start --all)
set -e
pcs property set stonith-enabled=false cluster-name=twinbeat
pcs resource defaults update resource-stickiness=200
pcs resource create ip_192.0.2.10 ocf:heartbeat:IPaddr2 ip=192.0.2.10 --group grp_ip_192.0.2.10
pcs resource create httpd lsb:httpd --group grp_ip_192.0.2.10
pcs constraint location grp_ip_192.0.2.10 prefers alpha=100
pcs resource create ip_192.0.2.20 ocf:heartbeat:IPaddr2 ip=192.0.2.20 --group grp_ip_192.0.2.20
pcs resource create postfix lsb:postfix --group grp_ip_192.0.2.20
pcs constraint location grp_ip_192.0.2.20 prefers beta=100
pcs resource create ip_192.0.2.30 ocf:heartbeat:IPaddr2 ip=192.0.2.30 cidr_netmask=24 --group grp_ip_192.0.2.30
pcs resource create squid lsb:squid --group grp_ip_192.0.2.30
pcs constraint location grp_ip_192.0.2.30 prefers alpha=100
