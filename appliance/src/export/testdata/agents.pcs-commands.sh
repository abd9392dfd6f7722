#!/bin/sh
# pcs: run once on one node after both nodes are up (pcs cluster start --all)
set -e
pcs property set stonith-enabled=false cluster-name=twinbeat
pcs resource defaults update resource-stickiness=0
pcs resource create ip_192.0.2.10 ocf:heartbeat:IPaddr2 ip=192.0.2.10 cidr_netmask=24 nic=eth0 --group grp_ip_192.0.2.10
pcs resource create ip_192.0.2.11 ocf:heartbeat:IPaddr2 ip=192.0.2.11 cidr_netmask=24 nic=eth0 iflabel=web broadcast=192.0.2.255 --group grp_ip_192.0.2.10
pcs resource create ip_2001_db8_10 ocf:heartbeat:IPv6addr ipv6addr=2001:db8::10 cidr_netmask=64 nic=eth0 --group grp_ip_192.0.2.10
pcs resource create Filesystem_dev_sdb1 ocf:heartbeat:Filesystem device=/dev/sdb1 directory=/data fstype=ext4 --group grp_ip_192.0.2.10
pcs resource create MailTo ocf:heartbeat:MailTo email=root@example.org subject=failover --group grp_ip_192.0.2.10
pcs resource create httpd lsb:httpd op monitor interval=10s timeout=20s on-fail=restart --group grp_ip_192.0.2.10
pcs resource create dummy1 ocf:heartbeat:Dummy state=/run/dummy1.state --group grp_ip_192.0.2.10
pcs resource create Dummy_run_d2.state ocf:heartbeat:Dummy state=/run/d2.state --group grp_ip_192.0.2.10
pcs constraint location grp_ip_192.0.2.10 prefers alpha=100
