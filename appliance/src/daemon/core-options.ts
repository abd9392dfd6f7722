// The cluster core's options from a loaded configuration: built in one place, at start and at every reload.

import type { ClusterNodeOptions } from "../cluster/cluster-node";
import { pingIntervalFor } from "../cluster/ping-liveness";
import { isBuiltinIpfail } from "../config/builtin-agents";
import type { ClusterConfig, MediumConfig } from "../config/cluster-config";
import { monitoredGroupsOf } from "../config/monitor-directives";

/** Device names in ha.cf order, de-duplicated: Heartbeat's link names. */
export function linkNames(media: readonly MediumConfig[]): string[] {
  return [...new Set(media.map((m) => m.dev))];
}

/** Every distinct ping host of every ping node (`ping`, `ping_group`), in ha.cf order. */
export function pingHosts(config: ClusterConfig): string[] {
  return [...new Set(config.ha.pingNodes.flatMap((p) => p.hosts))];
}

/**
 * The core's configuration for `config`. The ping interval is decided here and nowhere
 * else: the core (arbitration freshness) and the pinger (echo interval) get the same value.
 */
export function coreOptionsFor(config: ClusterConfig, generation: number): ClusterNodeOptions {
  const ha = config.ha;
  return {
    localNode: config.localNode,
    nodes: ha.nodes,
    links: linkNames(ha.media),
    keepaliveMs: ha.keepaliveMs,
    deadtimeMs: ha.deadtimeMs,
    warntimeMs: ha.warntimeMs,
    initdeadMs: ha.initdeadMs,
    generation,
    groups: config.groups.map((g) => ({ key: g.key, homeNode: g.homeNode })),
    autoFailback: ha.autoFailback,
    maxRexmitDelayMs: ha.maxRexmitDelayMs,
    pingNodes: ha.pingNodes.map((p) => ({ name: p.name, hosts: p.hosts })),
    deadpingMs: ha.deadpingMs,
    pingIntervalMs: pingIntervalFor(ha.keepaliveMs),
    ipfail: ha.respawn.some((r) => isBuiltinIpfail(r.command)),
    monitoredGroups: monitoredGroupsOf(config),
  };
}
