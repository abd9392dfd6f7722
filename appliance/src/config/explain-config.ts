// What Twinbeat will do with a configuration (`twinbeat check --explain`): the effective settings, in words and as JSON.

import type { ClusterConfig, MediumConfig, ResourceSpec } from "./cluster-config";
import { isBuiltinIpfail, isIpAgent } from "./builtin-agents";

/** The effective settings as data: what `--explain=json` prints and the differential harness compares. */
export interface ExplainedConfig {
  readonly localNode: string;
  readonly nodes: readonly string[];
  readonly autoFailback: string;
  /** `ha.cf:LINE: TEXT` of the line that decided it, or "default". */
  readonly autoFailbackFrom: string;
  readonly media: readonly string[];
  readonly pingNodes: readonly string[];
  readonly timingsMs: {
    readonly keepalive: number;
    readonly deadtime: number;
    readonly warntime: number;
    readonly initdead: number;
    readonly deadping: number;
  };
  readonly ipfail: string;
  readonly respawn: readonly string[];
  readonly fencing: string;
  readonly logging: string;
  readonly auth: string;
  readonly groups: ReadonlyArray<{ readonly home: string; readonly line: number; readonly resources: readonly string[] }>;
}

/** One medium in a fixed form, also used to compare with Heartbeat's log: `bcast eth1 port 694`. */
export function describeMedium(m: MediumConfig): string {
  switch (m.kind) {
    case "bcast":
      return `bcast ${m.dev} port ${m.port}`;
    case "ucast":
      return `ucast ${m.dev} to ${m.peer} port ${m.port}`;
    case "mcast":
      return `mcast ${m.dev} group ${m.group} port ${m.port} ttl ${m.ttl} loop ${m.loop ? 1 : 0}`;
  }
}

const FAILBACK_MEANING: Readonly<Record<string, string>> = {
  on: "groups go back to their home node when it returns; hb_standby and ipfail work",
  off: "groups stay where they run until that node fails or an operator moves them; hb_standby and ipfail work",
  legacy: "Heartbeat's deprecated legacy mode: like on, but hb_standby and ipfail do nothing",
};

/** Builds the effective settings of a loaded configuration. */
export function explainConfig(config: ClusterConfig): ExplainedConfig {
  const ha = config.ha;
  const src = ha.autoFailbackSource;
  const ipfail = ha.respawn.find((c) => isBuiltinIpfail(c.command));
  let ipfailText = "off (no respawn line for ipfail)";
  if (ipfail !== undefined) {
    ipfailText =
      ha.autoFailback === "legacy"
        ? `configured (ha.cf:${ipfail.at.line}) but idle: it does nothing with auto_failback legacy`
        : ha.pingNodes.length === 0
          ? `configured (ha.cf:${ipfail.at.line}) but idle: there are no ping nodes`
          : `on, built into Twinbeat (ha.cf:${ipfail.at.line}: respawn ${ipfail.user} ${ipfail.command})`;
  }
  const logTargets = [
    ha.logfile !== undefined ? `logfile ${ha.logfile}` : undefined,
    ha.debugfile !== undefined ? `debugfile ${ha.debugfile}` : undefined,
    ha.logfacility !== undefined && ha.logfacility !== "none" ? `syslog facility ${ha.logfacility}` : undefined,
    ha.useLogd ? "logd (written to syslog by Twinbeat)" : undefined,
  ].filter((t): t is string => t !== undefined);
  const active = config.authKeys.keys.get(config.authKeys.activeIndex);
  return {
    localNode: config.localNode,
    nodes: ha.nodes,
    autoFailback: ha.autoFailback,
    autoFailbackFrom: src === undefined ? "default" : `ha.cf:${src.at.line}: ${src.text}`,
    media: ha.media.map(describeMedium),
    pingNodes: ha.pingNodes.map((p) => (p.kind === "ping" ? `ping ${p.hosts[0]}` : `ping_group ${p.name}: ${p.hosts.join(" ")}`)),
    timingsMs: { keepalive: ha.keepaliveMs, deadtime: ha.deadtimeMs, warntime: ha.warntimeMs, initdead: ha.initdeadMs, deadping: ha.deadpingMs },
    ipfail: ipfailText,
    respawn: ha.respawn.filter((c) => !isBuiltinIpfail(c.command)).map((c) => `${c.command}${c.args.length > 0 ? " " + c.args.join(" ") : ""} as ${c.user}`),
    fencing:
      ha.stonithLines.length === 0
        ? "none"
        : `none: the stonith line${ha.stonithLines.length === 1 ? "" : "s"} at ha.cf:${ha.stonithLines.map((a) => a.line).join(",")} ha${ha.stonithLines.length === 1 ? "s" : "ve"} no effect`,
    logging: logTargets.length === 0 ? "nowhere" : logTargets.join(", "),
    auth: active === undefined ? "none" : `key ${config.authKeys.activeIndex} (${active.method})`,
    groups: config.groups.map((g) => ({ home: g.homeNode, line: g.at.line, resources: g.resources.map(describeResource) })),
  };
}

/** `IPaddr 10.0.30.15/8 on eth0:10` or `Filesystem /dev/drbd0 /data ext4`. */
function describeResource(r: ResourceSpec): string {
  if (isIpAgent(r.name)) {
    const [address, mask, third, fourth] = (r.args[0] ?? "").split("/");
    const nicIsBroadcast = third !== undefined && /^\d/.test(third);
    const nic = nicIsBroadcast ? undefined : third;
    const broadcast = nicIsBroadcast ? third : fourth;
    return [
      `${r.name} ${address}${mask !== undefined ? "/" + mask : ""}`,
      nic !== undefined ? `on ${nic}` : "on the interface that holds its network",
      broadcast !== undefined ? `broadcast ${broadcast}` : undefined,
    ]
      .filter((t) => t !== undefined)
      .join(" ");
  }
  return [r.name, ...r.args].join(" ");
}

/** The effective settings as text lines, for people. */
export function explainLines(e: ExplainedConfig): string[] {
  const s = (ms: number): string => (ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`);
  const lines = [
    `nodes: ${e.nodes.map((n) => (n === e.localNode ? `${n} (this node)` : n)).join(", ")}`,
    `auto_failback: ${e.autoFailback} (${e.autoFailbackFrom === "default" ? "not set: Heartbeat's default" : e.autoFailbackFrom}): ${FAILBACK_MEANING[e.autoFailback] ?? ""}`,
    `media (every message goes out on each): ${e.media.join("; ")}`,
    `timings: keepalive ${s(e.timingsMs.keepalive)}, deadtime ${s(e.timingsMs.deadtime)}, warntime ${s(e.timingsMs.warntime)}, initdead ${s(e.timingsMs.initdead)}, deadping ${s(e.timingsMs.deadping)}`,
    `ping nodes: ${e.pingNodes.length === 0 ? "none" : e.pingNodes.join("; ")}`,
    `ipfail: ${e.ipfail}`,
    `other respawned programs: ${e.respawn.length === 0 ? "none" : e.respawn.join("; ")}`,
    `fencing: ${e.fencing}`,
    `logging: ${e.logging}`,
    `signing: ${e.auth}`,
    `resource groups: ${e.groups.length === 0 ? "none" : ""}`,
  ];
  for (const g of e.groups) {
    lines.push(`  haresources:${g.line}: home ${g.home}${g.home === e.localNode ? " (this node)" : ""}: ${g.resources.join(", then ")}`);
  }
  return lines;
}
