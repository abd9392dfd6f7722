// The Pacemaker/Corosync form of a Heartbeat pair (nodes, links, primitives, groups, constraints) and the findings of the conversion: pure, no I/O.

import * as crypto from "node:crypto";
import type { ClusterConfig, MediumConfig, ResourceSpec, SourceLocation } from "../config/cluster-config";
import { DEFAULT_FAILURE_TIMEOUT_MS, DEFAULT_MIGRATION_THRESHOLD, type MonitorConfig } from "../config/monitor-directives";
import { classicResource } from "../resources/classic-resources";
import { parseVirtualAddress } from "../resources/ip-address-agent";
import type { NodeName } from "../cluster/time";

/**
 * A monitor for one resource, from twinbeat.cf's `monitor RESOURCE interval=… timeout=… on-fail=…`
 * (see monitorsFromTwinbeatCf). `resource` is matched against a haresources
 * token as written (`IPaddr::192.0.2.10/24`) or against its name (`httpd`).
 */
export interface ExportMonitor {
  readonly resource: string;
  readonly intervalMs: number;
  readonly timeoutMs?: number;
  /** Pacemaker's on-fail value (restart, fence, standby, block, ignore, stop). */
  readonly onFail?: string;
  readonly at: SourceLocation;
}

/** What runs a non-built-in resource on the exporting machine (the CLI looks on disk). */
export type ScriptOrigin = "lsb" | "resource.d" | "missing";

/** Facts from outside the config files; the CLI gathers them, tests give them. */
export interface PacemakerExportInput {
  readonly config: ClusterConfig;
  /** `--address NODE=ADDR[,ADDR…]`: a node's address on each link, in ha.cf media order. */
  readonly addresses: ReadonlyMap<NodeName, readonly string[]>;
  /**
   * This machine's interfaces and their addresses (when exporting on a node): the local node's
   * address on a medium is its device's, and it tells our own ucast line from the peer's.
   */
  readonly localInterfaces?: ReadonlyMap<string, readonly string[]>;
  /** Where a plain script name is found (resource.d before /etc/init.d, as Heartbeat looks). */
  readonly scriptOrigin: (spec: ResourceSpec) => ScriptOrigin;
  /** `OCF::TYPE::INSTANCE`: the provider and the NAME=value lines of conf/OCF/TYPE/INSTANCE, if readable. */
  readonly ocfInstance?: (
    type: string,
    instance: string,
  ) => { readonly provider: string; readonly params: ReadonlyArray<readonly [string, string]> } | undefined;
  /** Overrides the monitors read from twinbeat.cf (tests). */
  readonly monitors?: readonly ExportMonitor[];
  /** Override twinbeat.cf's `migration_threshold` and `failure_timeout`, exported as resource defaults. */
  readonly migrationThreshold?: number;
  readonly failureTimeoutMs?: number;
  /** 256 random bytes: Corosync's authkey when authkeys is crc (nothing to derive it from). */
  readonly randomKey: Uint8Array;
  readonly clusterName?: string;
}

/** Something the export could not carry over as is: always with the line it came from. */
export interface ExportFinding {
  readonly at?: SourceLocation;
  /**
   * error: nothing is written (e.g. a node without an address); not-converted: left out of the
   * export (the README lists it with its line); warning/note: converted with a change to know about.
   */
  readonly severity: "error" | "not-converted" | "warning" | "note";
  readonly message: string;
}

export interface CorosyncLink {
  readonly linknumber: number;
  /** The Heartbeat medium this link replaces (all ucast lines of one device are one medium). */
  readonly from: string;
  readonly at: SourceLocation;
  /** Only for mcast media: knet has no multicast, the link becomes unicast between the nodes. */
  readonly mcastNote?: string;
}

export interface CorosyncNode {
  readonly name: string;
  readonly nodeid: number;
  /** One address per link, in link order. */
  readonly addrs: readonly string[];
}

export interface Primitive {
  readonly id: string;
  readonly cls: "ocf" | "lsb";
  readonly provider?: string;
  readonly type: string;
  readonly params: ReadonlyArray<readonly [string, string]>;
  readonly monitor?: ExportMonitor;
  /** The haresources token it came from. */
  readonly raw: string;
}

export interface PacemakerGroup {
  readonly id: string;
  readonly homeNode: string;
  readonly primitives: readonly Primitive[];
  readonly at: SourceLocation;
}

/** One ocf:pacemaker:ping clone: `ping h1 h2` share one (attribute pingd), each ping_group has its own. */
export interface PingClone {
  readonly id: string;
  readonly attribute: string;
  readonly hosts: readonly string[];
  /** ping_group: alive when any member answers (a rule on > 0), not counted per host. */
  readonly anyOf: boolean;
  readonly at: SourceLocation;
}

export interface PacemakerCluster {
  readonly clusterName: string;
  readonly nodes: readonly CorosyncNode[];
  readonly links: readonly CorosyncLink[];
  readonly tokenMs: number;
  readonly knetPingIntervalMs: number;
  readonly knetPingTimeoutMs: number;
  readonly authkey: Uint8Array;
  readonly authkeyDerived: boolean;
  readonly groups: readonly PacemakerGroup[];
  readonly stickiness: number;
  readonly homeScore: number;
  readonly pingMultiplier: number;
  readonly pingClones: readonly PingClone[];
  readonly pingDampenMs: number;
  readonly migrationThreshold?: number;
  readonly failureTimeoutMs?: number;
  /** Every resource that became a primitive, with the line it came from (for the README). */
  readonly converted: ReadonlyArray<{ readonly at: SourceLocation; readonly from: string; readonly to: string }>;
}

export interface PacemakerExport {
  /** Undefined when an error leaves nothing usable (e.g. a node without an address). */
  readonly cluster?: PacemakerCluster;
  readonly findings: readonly ExportFinding[];
}

/** Location score of a group on its home node: what auto_failback on turns into. */
export const HOME_SCORE = 100;
/** Per answering ping host: above home and stickiness, so connectivity wins as with ipfail. */
export const PING_MULTIPLIER = 1000;
/** auto_failback off: stay where you are (above HOME_SCORE), yet still follow the ping nodes. */
export const STAY_STICKINESS = 200;

/** Builds the Pacemaker model of a Twinbeat/Heartbeat config directory. */
export function buildPacemakerCluster(input: PacemakerExportInput): PacemakerExport {
  const { config } = input;
  const findings: ExportFinding[] = [];
  const ha = config.ha;
  const haCf = ha.media[0]?.at.file ?? `${config.configDir}/ha.cf`;
  const monitors = input.monitors ?? monitorsFromTwinbeatCf(config.twinbeat.monitors ?? [], findings);
  // Twinbeat's defaults (3 failures, 10 min) apply only where something is monitored; Pacemaker's own differ (INFINITY, never).
  const monitored = (config.twinbeat.monitors ?? []).length > 0;
  const migrationThreshold = input.migrationThreshold ?? (monitored ? (config.twinbeat.migrationThreshold ?? DEFAULT_MIGRATION_THRESHOLD) : undefined);
  const failureTimeoutMs = input.failureTimeoutMs ?? (monitored ? (config.twinbeat.failureTimeoutMs ?? DEFAULT_FAILURE_TIMEOUT_MS) : undefined);

  // Links: one per medium (redundant media stay redundant links); the ucast lines of one
  // device are one medium (a shared ha.cf lists both nodes' addresses, Heartbeat skips its own).
  const media: Array<{ readonly first: MediumConfig; readonly peers: readonly string[] }> = [];
  for (const m of ha.media) {
    const same = m.kind === "ucast" ? media.find((x) => x.first.kind === "ucast" && x.first.dev === m.dev) : undefined;
    if (same !== undefined && m.kind === "ucast") (same.peers as string[]).push(m.peer);
    else media.push({ first: m, peers: m.kind === "ucast" ? [m.peer] : [] });
  }
  const links: CorosyncLink[] = media.map(({ first: m, peers }, i) => ({
    linknumber: i,
    from:
      m.kind === "ucast"
        ? `ucast ${m.dev} ${peers.join(" ")}`
        : m.kind === "bcast"
          ? `bcast ${m.dev}`
          : `mcast ${m.dev} ${m.group} ${m.port} ${m.ttl} ${m.loop ? 1 : 0}`,
    at: m.at,
    ...(m.kind === "mcast" ? { mcastNote: `knet links are unicast: multicast group ${m.group} is replaced by the nodes' addresses on ${m.dev}` } : {}),
  }));
  if (links.length > 8) {
    findings.push({
      at: links[8]!.at,
      severity: "not-converted",
      message: "Corosync knet has at most 8 links; this medium and the ones after it have no link",
    });
  }
  if (links.length === 0) {
    findings.push({ at: { file: haCf, line: 0 }, severity: "error", message: "ha.cf has no heartbeat medium (ucast, bcast, mcast): no link to configure" });
  }

  // Addresses: --address wins; in a pair, a ucast peer that is not ours is the other node's.
  const local = new Set([...(input.localInterfaces?.values() ?? [])].flat());
  const nodes: CorosyncNode[] = [];
  const addressOn = (name: NodeName, l: number): string | undefined => {
    const given = input.addresses.get(name)?.[l];
    if (given !== undefined) return given;
    const { first, peers } = media[l]!;
    const onDevice = name === config.localNode ? input.localInterfaces?.get(first.dev)?.[0] : undefined;
    if (first.kind !== "ucast" || ha.nodes.length !== 2) return onDevice;
    const other = ha.nodes.find((n) => n !== name)!;
    const otherGiven = input.addresses.get(other)?.[l];
    if (name === config.localNode) {
      // Our own address is the ucast line Heartbeat skipped: one we own, or the one that is not the peer's.
      const own = peers.find((p) => local.has(p)) ?? onDevice;
      if (own !== undefined) return own;
      return peers.length === 2 && otherGiven !== undefined ? peers.find((p) => p !== otherGiven) : undefined;
    }
    const notOurs = peers.filter((p) => !local.has(p) && p !== input.addresses.get(config.localNode)?.[l]);
    return notOurs.length === 1 ? notOurs[0] : undefined;
  };
  ha.nodes.forEach((name, i) => {
    const addrs: string[] = [];
    links.slice(0, 8).forEach((link, l) => {
      const addr = addressOn(name, l);
      if (addr !== undefined) {
        addrs.push(addr);
        return;
      }
      findings.push({
        at: link.at,
        severity: "error",
        message: `node ${name} has no address on link ${l} (${link.from}): cannot be derived from ha.cf; give --address ${name}=ADDR${links.length > 1 ? " (comma-separated, one per medium in ha.cf order)" : ""}`,
      });
    });
    nodes.push({ name, nodeid: i + 1, addrs });
  });
  for (const name of input.addresses.keys()) {
    if (!ha.nodes.includes(name)) {
      findings.push({ severity: "error", message: `--address names ${name}, which is not a node of ha.cf (${ha.nodes.join(", ")})` });
    }
  }
  if (ha.nodes.length > 2) {
    findings.push({ at: { file: haCf, line: 0 }, severity: "note", message: `${ha.nodes.length} nodes: two_node is not set, quorum needs a majority` });
  }

  // Crypto: derive Corosync's key from the authkeys secret so that both nodes get the same file.
  const active = config.authKeys.keys.get(config.authKeys.activeIndex);
  let authkey: Uint8Array;
  let authkeyDerived = false;
  if (active?.method !== "crc" && active?.key !== undefined) {
    authkey = deriveAuthkey(active.key);
    authkeyDerived = true;
  } else {
    authkey = input.randomKey;
    findings.push({
      at: { file: `${config.configDir}/authkeys`, line: 0 },
      severity: "warning",
      message: "authkeys uses crc (no secret): a random Corosync authkey was generated; copy the same authkey file to every node",
    });
  }

  // Resources.
  const ids = new Set<string>();
  const converted: Array<{ at: SourceLocation; from: string; to: string }> = [];
  const groups: PacemakerGroup[] = [];
  const usedMonitors = new Set<ExportMonitor>();
  for (const group of config.groups) {
    const primitives: Primitive[] = [];
    for (const spec of group.resources) {
      const made = toPrimitive(spec, input, group.at, findings);
      if (made === undefined) continue;
      const id = uniqueId(made.idBase, ids);
      const monitor = monitors.find((m) => m.resource === spec.raw || m.resource === spec.name);
      if (monitor !== undefined) usedMonitors.add(monitor);
      const primitive: Primitive = { id, ...made.primitive, raw: spec.raw, ...(monitor !== undefined ? { monitor } : {}) };
      primitives.push(primitive);
      converted.push({ at: group.at, from: spec.raw, to: `${id} (${agentName(primitive)})` });
    }
    if (primitives.length === 0) {
      findings.push({ at: group.at, severity: "not-converted", message: `group ${group.key}: no resource could be converted, the group is left out` });
      continue;
    }
    groups.push({ id: uniqueId(`grp_${primitives[0]!.id}`, ids), homeNode: group.homeNode, primitives, at: group.at });
  }
  for (const m of monitors) {
    if (!usedMonitors.has(m))
      findings.push({ at: m.at, severity: "warning", message: `monitor ${m.resource}: no haresources resource is named so; not exported` });
  }

  // auto_failback → stickiness.
  let stickiness = 0;
  if (ha.autoFailback === "off") stickiness = STAY_STICKINESS;
  if (ha.autoFailback === "legacy") {
    findings.push({
      at: { file: haCf, line: 0 },
      severity: "note",
      message: "auto_failback legacy (the default) exported as on: groups go back to their home node",
    });
  }

  // ping / ping_group → ocf:pacemaker:ping clones (what ipfail did: prefer the better-connected node).
  const pingClones: PingClone[] = [];
  const plain = ha.pingNodes.filter((p) => p.kind === "ping");
  if (plain.length > 0) {
    pingClones.push({ id: "ping", attribute: "pingd", hosts: plain.flatMap((p) => p.hosts), anyOf: false, at: plain[0]!.at });
  }
  for (const g of ha.pingNodes.filter((p) => p.kind === "ping_group")) {
    pingClones.push({ id: uniqueId(`ping_${xmlId(g.name)}`, ids), attribute: `pingd_${xmlId(g.name)}`, hosts: g.hosts, anyOf: true, at: g.at });
  }
  if (pingClones.length > 0 && !ha.respawn.some((r) => /(^|\/)ipfail$/.test(r.command))) {
    findings.push({
      at: pingClones[0]!.at,
      severity: "note",
      message: "ping nodes without ipfail: exported with location rules anyway (Pacemaker acts on them as ipfail would)",
    });
  }
  for (const r of ha.respawn) {
    if (!/(^|\/)ipfail$/.test(r.command)) {
      findings.push({
        at: r.at,
        severity: "warning",
        message: `respawn ${r.command}: Pacemaker does not respawn programs; run it from a systemd unit or as an lsb:/systemd: resource`,
      });
    }
  }
  if (config.twinbeat.notify !== undefined) {
    findings.push({
      at: { file: `${config.configDir}/twinbeat.cf`, line: 0 },
      severity: "warning",
      message: `notify ${config.twinbeat.notify}: not exported; Pacemaker's alerts (pcs alert create path=…) call scripts with CRM_alert_* variables instead of arguments`,
    });
  }
  if (config.twinbeat.statusHttp !== undefined) {
    findings.push({
      at: { file: `${config.configDir}/twinbeat.cf`, line: 0 },
      severity: "note",
      message: "status_http: not exported; crm_mon / pcs status show the cluster",
    });
  }
  findings.push({
    severity: "warning",
    message:
      "STONITH IS DISABLED (stonith-enabled=false), as Heartbeat v1 had no fencing: before going to production configure a fence device for every node (e.g. fence_ipmilan for each box's BMC, or fence_sbd with a shared disk) and set stonith-enabled=true",
  });

  if (findings.some((f) => f.severity === "error")) return { findings };
  return {
    findings,
    cluster: {
      clusterName: input.clusterName ?? "twinbeat",
      nodes,
      links: links.slice(0, 8),
      tokenMs: ha.deadtimeMs,
      knetPingIntervalMs: ha.keepaliveMs,
      knetPingTimeoutMs: ha.warntimeMs,
      authkey,
      authkeyDerived,
      groups,
      stickiness,
      homeScore: HOME_SCORE,
      pingMultiplier: PING_MULTIPLIER,
      pingClones,
      pingDampenMs: ha.deadpingMs,
      ...(migrationThreshold !== undefined ? { migrationThreshold } : {}),
      ...(failureTimeoutMs !== undefined ? { failureTimeoutMs } : {}),
      converted,
    },
  };
}

/** `ocf:heartbeat:IPaddr2`, `lsb:httpd`. */
export function agentName(p: Pick<Primitive, "cls" | "provider" | "type">): string {
  return p.cls === "ocf" ? `ocf:${p.provider}:${p.type}` : `lsb:${p.type}`;
}

/** A name made fit for an XML ID (letters, digits, `_`, `-`, `.`; not starting with a digit). */
export function xmlId(text: string): string {
  const cleaned = text
    .replace(/[^A-Za-z0-9_.-]+/g, "_")
    .replace(/_+/g, "_")
    .replace(/^_|_$/g, "");
  return /^[A-Za-z_]/.test(cleaned) ? cleaned : `r_${cleaned}`;
}

function uniqueId(base: string, used: Set<string>): string {
  let id = xmlId(base);
  for (let n = 2; used.has(id); n++) id = `${xmlId(base)}_${n}`;
  used.add(id);
  return id;
}

/** 256 bytes from the authkeys secret (SHA-512 in counter mode): the same on both nodes. */
export function deriveAuthkey(secret: string): Uint8Array {
  const out = Buffer.alloc(256);
  for (let i = 0; i < 4; i++) {
    crypto
      .createHash("sha512")
      .update(`twinbeat-corosync-authkey:${i}:`)
      .update(secret)
      .digest()
      .copy(out, i * 64);
  }
  return out;
}

interface MadePrimitive {
  readonly idBase: string;
  readonly primitive: Omit<Primitive, "id" | "raw" | "monitor">;
}

function toPrimitive(spec: ResourceSpec, input: PacemakerExportInput, at: SourceLocation, findings: ExportFinding[]): MadePrimitive | undefined {
  const name = spec.name.startsWith("ocf:heartbeat:") && /IPaddr2?$|IPv6addr$/.test(spec.name) ? spec.name.slice("ocf:heartbeat:".length) : spec.name;
  if (name === "IPaddr" || name === "IPaddr2" || name === "IPv6addr") {
    const parsed = parseVirtualAddress(spec);
    if (!parsed.ok) {
      findings.push({ at, severity: "not-converted", message: parsed.message });
      return undefined;
    }
    const a = parsed.value;
    if (name === "IPv6addr") {
      const params: Array<[string, string]> = [["ipv6addr", a.address]];
      if (a.prefix !== undefined) params.push(["cidr_netmask", String(a.prefix)]);
      if (a.nic !== undefined) params.push(["nic", a.nic]);
      return { idBase: `ip_${a.address}`, primitive: { cls: "ocf", provider: "heartbeat", type: "IPv6addr", params } };
    }
    const params: Array<[string, string]> = [["ip", a.address]];
    if (a.prefix !== undefined) params.push(["cidr_netmask", String(a.prefix)]);
    if (a.nic !== undefined) params.push(["nic", a.nic]);
    if (a.label !== undefined) params.push(["iflabel", a.label]);
    if (a.broadcast !== undefined) params.push(["broadcast", a.broadcast]);
    if (name === "IPaddr") {
      findings.push({ at, severity: "note", message: `${spec.raw}: IPaddr exported as ocf:heartbeat:IPaddr2 (the same address, managed with ip(8))` });
    }
    return { idBase: `ip_${a.address}`, primitive: { cls: "ocf", provider: "heartbeat", type: "IPaddr2", params } };
  }
  if (spec.name === "OCF") {
    const [type, instance] = spec.args;
    const found = type !== undefined && instance !== undefined ? input.ocfInstance?.(type, instance) : undefined;
    if (type === undefined || instance === undefined || spec.args.length !== 2 || found === undefined) {
      findings.push({
        at,
        severity: "not-converted",
        message: `${spec.raw}: cannot read its OCF agent or instance file conf/OCF/${type ?? "?"}/${instance ?? "?"} (NAME=value parameters)`,
      });
      return undefined;
    }
    const params = found.params.filter(([k]) => k.startsWith("OCF_RESKEY_") || /^[a-z]/.test(k)).map(([k, v]) => [k.replace(/^OCF_RESKEY_/, ""), v] as const);
    return { idBase: instance, primitive: { cls: "ocf", provider: found.provider, type, params: dedupe(params) } };
  }
  const ocf = /^ocf:([A-Za-z0-9_.+-]+):([A-Za-z0-9_.+-]+)$/.exec(spec.name);
  if (ocf !== null) {
    const params: Array<readonly [string, string]> = [];
    let instance: string | undefined;
    for (const arg of spec.args) {
      const eq = arg.indexOf("=");
      if (eq <= 0) {
        findings.push({ at, severity: "not-converted", message: `${spec.raw}: argument "${arg}" is not KEY=VALUE` });
        return undefined;
      }
      const key = arg.slice(0, eq);
      const value = arg.slice(eq + 1);
      if (key === "OCF_RESOURCE_INSTANCE") instance = value;
      else if (key.startsWith("OCF_RESKEY_")) params.push([key.slice("OCF_RESKEY_".length), value]);
      else if (key.startsWith("OCF_")) findings.push({ at, severity: "warning", message: `${spec.raw}: variable ${key} has no Pacemaker equivalent; dropped` });
      else params.push([key, value]);
    }
    return { idBase: instance ?? `${ocf[2]}_${params[0]?.[1] ?? ""}`, primitive: { cls: "ocf", provider: ocf[1]!, type: ocf[2]!, params } };
  }
  const origin = input.scriptOrigin(spec);
  const classic = classicResource(spec.name);
  if (origin === "resource.d") {
    findings.push({
      at,
      severity: "not-converted",
      message: `${spec.raw}: a Heartbeat resource.d script (called as "${spec.name} ${spec.args.join(" ")} start|stop|status") has no Pacemaker class; rewrite it as an OCF agent or an LSB init script, then add it to the group`,
    });
    return undefined;
  }
  if (classic !== undefined) {
    const mapped = classic.map(spec.args, { isFile: () => false });
    if (!mapped.ok) {
      findings.push({ at, severity: "not-converted", message: `${spec.raw}: ${mapped.message}` });
      return undefined;
    }
    return {
      idBase: mapped.instance,
      primitive: { cls: "ocf", provider: "heartbeat", type: classic.name, params: mapped.params.map(([k, v]) => [k.replace(/^OCF_RESKEY_/, ""), v] as const) },
    };
  }
  if (origin === "lsb") {
    if (spec.args.length > 0) {
      findings.push({
        at,
        severity: "not-converted",
        message: `${spec.raw}: an init script called with arguments (${spec.args.join(" ")}): lsb: resources take none; write an OCF agent`,
      });
      return undefined;
    }
    return { idBase: spec.name, primitive: { cls: "lsb", type: spec.name, params: [] } };
  }
  if (spec.args.length > 0) {
    findings.push({
      at,
      severity: "not-converted",
      message: `${spec.raw}: no script of that name on this machine (resource.d, /etc/init.d), and lsb: resources take no arguments`,
    });
    return undefined;
  }
  findings.push({
    at,
    severity: "warning",
    message: `${spec.raw}: no script found on this machine (resource.d, /etc/init.d); exported as lsb:${spec.name}, install its init script on every node`,
  });
  return { idBase: spec.name, primitive: { cls: "lsb", type: spec.name, params: [] } };
}

function dedupe(params: ReadonlyArray<readonly [string, string]>): ReadonlyArray<readonly [string, string]> {
  const seen = new Map<string, string>();
  for (const [k, v] of params) seen.set(k, v);
  return [...seen];
}

/**
 * twinbeat.cf's monitors as Pacemaker monitor operations. Only a resource's own status check
 * (`monitor RESOURCE`) has one: http/tcp/script checks are not resource operations in
 * Pacemaker (they become a custom agent or ocf:heartbeat:apache's statusurl), so they are
 * listed as not converted. on-fail=failover (move at once) has no on-fail value of its own.
 */
export function monitorsFromTwinbeatCf(monitors: readonly MonitorConfig[], findings: ExportFinding[]): ExportMonitor[] {
  const out: ExportMonitor[] = [];
  for (const m of monitors) {
    if (m.target.kind !== "status") {
      findings.push({
        at: m.at,
        severity: "not-converted",
        message: `check ${m.id}: Pacemaker has no ${m.target.kind} check of its own (write a custom agent, or use ocf:heartbeat:apache's statusurl); left out`,
      });
      continue;
    }
    if (out.some((o) => o.resource === m.resource)) {
      findings.push({
        at: m.at,
        severity: "not-converted",
        message: `monitor ${m.resource}: a second monitor of the same resource; only the first is exported`,
      });
      continue;
    }
    if (m.onFail === "failover")
      findings.push({
        at: m.at,
        severity: "warning",
        message: `monitor ${m.resource}: on-fail=failover exported as on-fail=restart; give the resource meta migration-threshold=1 to move at the first failure`,
      });
    if (m.fall > 1 || m.rise > 1)
      findings.push({ at: m.at, severity: "note", message: `monitor ${m.resource}: fall/rise have no Pacemaker equivalent (every failed monitor counts)` });
    out.push({ resource: m.resource, intervalMs: m.intervalMs, timeoutMs: m.timeoutMs, onFail: m.onFail === "ignore" ? "ignore" : "restart", at: m.at });
  }
  return out;
}
