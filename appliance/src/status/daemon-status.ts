// DaemonStatus: one JSON-serialisable picture of the running node for cl_status, the status page and /metrics; buildDaemonStatus makes it.

import type { MembershipSnapshot } from "../cluster/cluster-node";
import type { GroupState, HeldSet, RscState } from "../cluster/resource-manager";
import type { Millis, NodeName } from "../cluster/time";
import type { ClusterConfig, ResourceSpec } from "../config/cluster-config";
import { isBuiltinIpfail } from "../config/builtin-agents";
import { HEARTBEAT_COMPAT_VERSION, TWINBEAT_VERSION } from "../cli/version";
import type { ApplianceFacts } from "../adapters/appliance-facts";
import type { FailoverRecord, HistogramData } from "./failover-tracker";
import { TAKEOVER_BUCKETS_SECONDS } from "./failover-tracker";
import { buildResourceStatus, type StatusMonitoredGroup } from "./resource-status";
import type { RecentEvents, StatusEvent } from "./recent-events";

/** Bumped when a field changes meaning or goes away (adding fields does not bump it). */
export const DAEMON_STATUS_SCHEMA_VERSION = 1;

/** What `hbparameter -p hbversion` and `hbstatus -v` print: Heartbeat's version, then who we are. */
export const STATUS_VERSION_STRING = `${HEARTBEAT_COMPAT_VERSION} (Twinbeat ${TWINBEAT_VERSION})`;

/** Heartbeat's defaults for every node (config.c add_node): nothing in ha.cf changes them. */
export const DEFAULT_NODE_WEIGHT = 100;
export const DEFAULT_NODE_SITE = "";

export type LinkStatusWord = "up" | "dead" | "init";

/** One heartbeat link (peer × local interface; a ping node's one link is named after it). */
export interface StatusLink {
  readonly name: string;
  /** `init` = never heard on this link (Heartbeat reports it as `dead`). */
  readonly status: LinkStatusWord;
  /** Time since any packet last arrived on it (ms), or null if never. */
  readonly lastHeardAgoMs: number | null;
  /** The same as a wall-clock time, ISO 8601, or null. */
  readonly lastHeardAt: string | null;
  /** Recent intervals between heartbeats on this link (ms, oldest first), for the page's chart; absent when none. */
  readonly heartbeatIntervalsMs?: readonly number[];
}

export interface StatusNode {
  readonly name: NodeName;
  readonly type: "normal" | "ping";
  /** This node is the one answering. */
  readonly local: boolean;
  /** Heartbeat's status word: init, up, active, dead (normal nodes), ping or dead (ping nodes). */
  readonly status: string;
  readonly weight: number;
  readonly site: string;
  /** False for a ping node this daemon does not probe (its status stays `init`). */
  readonly monitored: boolean;
  /** Time since its last status message (ms); null for this node and for never-heard nodes. */
  readonly lastHeardAgoMs: number | null;
  readonly lastHeardAt: string | null;
  readonly links: readonly StatusLink[];
  /** Ping nodes: the hosts probed (one, or several for a ping_group). Empty for normal nodes. */
  readonly hosts: readonly string[];
  /**
   * Heartbeat API clients signed on at that node (`cl_status clientstatus`). Here: the built-in
   * ipfail when ha.cf respawns it (not in legacy mode, where ipfail exits). For an active peer,
   * the same list is assumed (ha.cf is normally the same on both nodes); offline nodes have none.
   */
  readonly apiClients: readonly string[];
}

export interface StatusGroup {
  /** The first resource as written: the group's identity (`IPaddr::198.51.100.100/32`). */
  readonly key: string;
  readonly homeNode: NodeName;
  /** Every resource token as written in haresources, in start order. */
  readonly resources: readonly string[];
  /** IP addresses the group carries (IPaddr, IPaddr2, IPv6addr and bare addresses). */
  readonly addresses: readonly string[];
  /** What the group is doing on this node. */
  readonly state: GroupState;
  /** Running (or starting, stopping, stop-failed) here. */
  readonly heldHere: boolean;
  /** Who serves it: this node, the peer, or null when nobody is known to. */
  readonly holder: NodeName | null;
  /** How `holder` is known: `local` (held here), `peer-report` (the peer said so), `inferred` (the peer is active and stable, and it is not here), `none`. */
  readonly holderSource: "local" | "peer-report" | "inferred" | "none";
}

export interface DaemonStatus {
  readonly schemaVersion: typeof DAEMON_STATUS_SCHEMA_VERSION;
  /** `3.0.6 (Twinbeat 0.1.0)`: what `hbparameter -p hbversion` prints. */
  readonly version: string;
  readonly managedBy: "haresources";
  /** Grows whenever something a viewer sees changed (cache key; not a time). */
  readonly revision: number;
  /** When this status was made (wall clock, ISO 8601). */
  readonly generatedAt: string;
  /** The daemon's monotonic clock (ms) at that moment: ages in this document are relative to it. */
  readonly nowMs: number;
  readonly pid: number;
  /** Time since the daemon started (ms), or null if unknown. */
  readonly uptimeMs: number | null;
  readonly localNode: NodeName;
  readonly localStatus: string;
  /** Every configured node was heard from or declared dead (Heartbeat's comm-up). */
  readonly commUp: boolean;
  readonly generation: number;
  readonly timing: {
    readonly keepaliveMs: number;
    readonly deadtimeMs: number;
    readonly warntimeMs: number;
    readonly initdeadMs: number;
    readonly deadpingMs: number;
  };
  readonly autoFailback: "on" | "off" | "legacy";
  /** Normal nodes in ha.cf order, then ping nodes in ha.cf order. */
  readonly nodes: readonly StatusNode[];
  /** `cl_status rscstatus`: the held set when stable, `transition` otherwise. */
  readonly rscStatus: HeldSet | "transition";
  readonly rscState: RscState;
  readonly groups: readonly StatusGroup[];
  /** The core's counters: heartbeatsSent, heartbeatsReceived, duplicates, lateHeartbeats, rejected, replays, `rejected:<reason>`… */
  readonly counters: Readonly<Record<string, number>>;
  readonly failovers: {
    /** Takeovers completed since the daemon started. */
    readonly total: number;
    readonly last: FailoverRecord | null;
    /** Takeover durations, seconds. */
    readonly takeoverSeconds: HistogramData;
  };
  /** `cl_status hbparameter -p NAME` values: ha.cf's recorded values and defaults, plus `hbversion`. */
  readonly parameters: Readonly<Record<string, string>>;
  /** Latest log lines, oldest first. */
  readonly events: readonly StatusEvent[];
  readonly appliance: ApplianceFacts | null;
  /** Resource monitoring per monitored group (absent without monitors; see resource-status.ts). */
  readonly resources?: readonly StatusMonitoredGroup[];
}

/** What the daemon has at hand when it is asked for its status. */
export interface DaemonStatusInput {
  /** `core.snapshot()`. */
  readonly snapshot: MembershipSnapshot;
  readonly config: ClusterConfig;
  /** The daemon's monotonic clock now (`monotonicNow()`): the clock of the snapshot's times. */
  readonly nowMs: Millis;
  /** Wall clock at the same instant (ms since the epoch). Default Date.now(). */
  readonly wallClockMs?: number;
  readonly pid: number;
  /** Monotonic time the daemon started, for uptime. */
  readonly startedAtMs?: Millis;
  readonly revision?: number;
  readonly events?: RecentEvents | readonly StatusEvent[];
  readonly appliance?: ApplianceFacts | null;
  readonly lastFailover?: FailoverRecord | null;
  readonly failoverTotal?: number;
  readonly takeoverHistogram?: HistogramData;
  /** Ping node liveness, when the daemon probes them (else they are shown unmonitored, `init`). */
  readonly pingNodes?: readonly { readonly name: string; readonly status: string; readonly lastHeardAt?: Millis }[];
  /** Groups the peer says it holds (its last `resource` message), when known. */
  readonly peerHolds?: readonly string[];
}

/** A snapshot node whose type may be wider than the core's current `normal`. */
type AnySnapshotNode = Omit<MembershipSnapshot["nodes"][number], "type"> & { readonly type: string };

const HELD_STATES: ReadonlySet<GroupState> = new Set(["running", "starting", "stopping", "stop-failed"]);

/**
 * Builds the status document from the core's snapshot and the configuration. Pure apart
 * from reading `input.events`; cheap (a two-node status is a few dozen small objects).
 */
export function buildDaemonStatus(input: DaemonStatusInput): DaemonStatus {
  const { snapshot: snap, config, nowMs } = input;
  const wall = input.wallClockMs ?? Date.now();
  const ago = (t: Millis | undefined): { lastHeardAgoMs: number | null; lastHeardAt: string | null } => {
    if (t === undefined || !Number.isFinite(t)) return { lastHeardAgoMs: null, lastHeardAt: null };
    const a = Math.max(0, Math.round(nowMs - t));
    return { lastHeardAgoMs: a, lastHeardAt: new Date(wall - a).toISOString() };
  };
  const ha = config.ha;
  const ipfailOn = ha.respawn.some((r) => isBuiltinIpfail(r.command)) && ha.autoFailback !== "legacy";
  const localClients = ipfailOn ? ["ipfail"] : [];

  const nodes: StatusNode[] = [];
  // The core lists normal nodes only today; ping nodes it may list one day are picked up below.
  const snapNodes = snap.nodes as readonly AnySnapshotNode[];
  for (const n of snapNodes) {
    if (n.type !== "normal") continue;
    const local = n.name === snap.localNode;
    nodes.push({
      name: n.name,
      type: "normal",
      local,
      status: local ? snap.localStatus : n.status,
      weight: DEFAULT_NODE_WEIGHT,
      site: DEFAULT_NODE_SITE,
      monitored: true,
      ...(local ? { lastHeardAgoMs: null, lastHeardAt: null } : ago(n.lastStatusAt)),
      links: n.links.map((l) => ({
        name: l.name,
        status: linkWord(l.status),
        ...ago(l.lastHeardAt),
        ...(l.statusIntervals?.length ? { heartbeatIntervalsMs: l.statusIntervals.map((x) => x.intervalMs) } : {}),
      })),
      hosts: [],
      apiClients: local ? localClients : n.status === "active" ? localClients : [],
    });
  }
  for (const p of ha.pingNodes) {
    const fromCore = snapNodes.find((n) => n.name === p.name && n.type === "ping");
    const fromInput = input.pingNodes?.find((n) => n.name === p.name);
    const status = fromCore?.status ?? fromInput?.status ?? "init";
    const heard = fromCore?.lastStatusAt ?? fromInput?.lastHeardAt;
    const link = fromCore?.links[0];
    nodes.push({
      name: p.name,
      type: "ping",
      local: false,
      status,
      weight: DEFAULT_NODE_WEIGHT,
      site: DEFAULT_NODE_SITE,
      monitored: fromCore !== undefined || fromInput !== undefined,
      ...ago(heard),
      links: [
        link
          ? { name: p.name, status: linkWord(link.status), ...ago(link.lastHeardAt) }
          : { name: p.name, status: status === "ping" ? "up" : status === "dead" ? "dead" : "init", ...ago(heard) },
      ],
      hosts: [...p.hosts],
      apiClients: [],
    });
  }

  const peer = nodes.find((n) => n.type === "normal" && !n.local && (n.status === "active" || n.status === "up"));
  const stable = snap.rscStatus !== "transition";
  const groups: StatusGroup[] = snap.groups.map((g) => {
    const cfg = config.groups.find((c) => c.key === g.key);
    const heldHere = HELD_STATES.has(g.state);
    let holder: NodeName | null = null;
    let holderSource: StatusGroup["holderSource"] = "none";
    if (heldHere) {
      holder = snap.localNode;
      holderSource = "local";
    } else if (peer && input.peerHolds !== undefined) {
      if (input.peerHolds.includes(g.key)) {
        holder = peer.name;
        holderSource = "peer-report";
      }
    } else if (peer && peer.status === "active" && stable && g.state === "stopped") {
      holder = peer.name;
      holderSource = "inferred";
    }
    return {
      key: g.key,
      homeNode: g.homeNode,
      resources: cfg ? cfg.resources.map((r) => r.raw) : [g.key],
      addresses: cfg ? cfg.resources.flatMap(addressOf) : [],
      state: g.state,
      heldHere,
      holder,
      holderSource,
    };
  });

  const parameters: Record<string, string> = {};
  for (const [k, v] of ha.parameters) parameters[k] = v;
  parameters.hbversion = STATUS_VERSION_STRING;

  const events = input.events === undefined ? [] : Array.isArray(input.events) ? [...input.events] : (input.events as RecentEvents).list();

  return {
    schemaVersion: DAEMON_STATUS_SCHEMA_VERSION,
    version: STATUS_VERSION_STRING,
    managedBy: "haresources",
    revision: input.revision ?? 0,
    generatedAt: new Date(wall).toISOString(),
    nowMs: Math.round(nowMs),
    pid: input.pid,
    uptimeMs: input.startedAtMs === undefined ? null : Math.max(0, Math.round(nowMs - input.startedAtMs)),
    localNode: snap.localNode,
    localStatus: snap.localStatus,
    commUp: snap.commUp,
    generation: snap.generation,
    timing: {
      keepaliveMs: ha.keepaliveMs,
      deadtimeMs: ha.deadtimeMs,
      warntimeMs: ha.warntimeMs,
      initdeadMs: ha.initdeadMs,
      deadpingMs: ha.deadpingMs,
    },
    autoFailback: ha.autoFailback,
    nodes,
    rscStatus: snap.rscStatus,
    rscState: snap.rscState,
    groups,
    counters: { ...snap.counters },
    failovers: {
      total: input.failoverTotal ?? 0,
      last: input.lastFailover ?? null,
      takeoverSeconds: input.takeoverHistogram ?? {
        bounds: TAKEOVER_BUCKETS_SECONDS,
        counts: new Array<number>(TAKEOVER_BUCKETS_SECONDS.length + 1).fill(0),
        sum: 0,
        count: 0,
      },
    },
    parameters,
    events,
    appliance: input.appliance ?? null,
    ...(snap.monitors && snap.monitors.length > 0 ? { resources: buildResourceStatus(snap.monitors, nowMs, wall) } : {}),
  };
}

function linkWord(s: string): LinkStatusWord {
  return s === "up" ? "up" : s === "dead" ? "dead" : "init";
}

const IP_AGENTS: ReadonlySet<string> = new Set(["IPaddr", "IPaddr2", "IPv6addr", "ocf:heartbeat:IPaddr", "ocf:heartbeat:IPaddr2", "ocf:heartbeat:IPv6addr"]);

/** The address an IP resource carries (`IPaddr::198.51.100.100/24/eth0` → `198.51.100.100`). */
function addressOf(r: ResourceSpec): string[] {
  if (!IP_AGENTS.has(r.name) || r.args.length === 0) return [];
  const first = r.args[0]!;
  const slash = first.indexOf("/");
  return [slash >= 0 ? first.slice(0, slash) : first];
}

/** Looks a parameter up without tripping over inherited names (`constructor`, `__proto__`). */
export function parameterOf(status: Pick<DaemonStatus, "parameters">, name: string): string | undefined {
  return Object.prototype.hasOwnProperty.call(status.parameters, name) ? status.parameters[name] : undefined;
}

/** Finds a node as Heartbeat's lookup_node does: names are compared lower-cased. */
export function findNode(status: Pick<DaemonStatus, "nodes">, name: string): StatusNode | undefined {
  const wanted = name.toLowerCase();
  return status.nodes.find((n) => n.name === wanted);
}
