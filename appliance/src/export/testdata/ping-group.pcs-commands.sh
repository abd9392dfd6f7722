#!/bin/sh
# pcs: run once on one node after both nodes are up (pcs cluster start --all)
set -e
pcs property set stonith-enabled=false cluster-name=twinbeat
pcs resource defaults update resource-stickiness=0
pcs resource create ip_192.0.2.10 ocf:heartbeat:IPaddr2 ip=192.0.2.10 --group grp_ip_192.0.2.10
pcs constraint location grp_ip_192.0.2.10 prefers alpha=100
pcs resource create ping ocf:pacemaker:ping name=pingd host_list=203.0.113.1 multiplier=1000 dampen=3s op monitor interval=10s timeout=60s clone
pcs constraint location grp_ip_192.0.2.10 rule score-attribute=pingd defined pingd
pcs resource create ping_uplinks ocf:pacemaker:ping name=pingd_uplinks "host_list=203.0.113.2 203.0.113.3" multiplier=1 dampen=3s op monitor interval=10s timeout=60s clone
pcs constraint location grp_ip_192.0.2.10 rule score=1000 pingd_uplinks gt integer 0
