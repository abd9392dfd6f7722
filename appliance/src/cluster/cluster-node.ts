// ClusterNode: the pure membership core. Timestamped events in, ordered actions out; no I/O, no clock.

import type { HaMessage } from "../protocol/ha-message";
import { getBinaryField, getField, str } from "../protocol/ha-message";
import type { ClusterAction, LogLevel } from "./cluster-actions";
import type { ClusterEvent, DatagramRejected, MessageReceived } from "./cluster-events";
import { LINK_INTERVAL_HISTORY, PeerLiveness, type LinkState, type NodeStatus } from "./peer-liveness";
import { Ipfail } from "./ipfail";
import { PingLiveness, pingIntervalFor } from "./ping-liveness";
import { ReliableDelivery } from "./reliable-delivery";
import { parseFailureField, ResourceMonitor, type MonitoredGroup, type MonitoredGroupSnapshot } from "./resource-monitor";
import { ResourceManager, type AutoFailbackMode, type GroupState, type HeldSet, type RscState } from "./resource-manager";
import { seededRandom } from "./seeded-random";
import { SequenceTracker } from "./sequence-tracker";
import { later, latest, millis, normalizeNodeName, type Millis, type NodeName } from "./time";

/**
 * Heartbeat advertises deadtime + 2 s for the first 5 s after start (spec §4.7), to cover a slow
 * start-up. Twinbeat drops the grace once it is `active`: a node that is up and paired has started,
 * and a death in the seconds after a (re)start would otherwise be noticed 2 s late (measured: a
 * daemon killed 4.5 s after its restart was declared dead after 3 s instead of 1 s).
 */
const STARTUP_DT_GRACE_MS = 2000;
const STARTUP_DT_GRACE_PERIOD_MS = 5000;
/** At most one log line per sender address and reject reason in this window. */
const REJECT_LOG_INTERVAL_MS = 10_000;

export interface ClusterNodeOptions {
  readonly localNode: NodeName;
  /** Every declared node, the local one included. */
  readonly nodes: readonly NodeName[];
  /** Local interface names carrying heartbeats (one per distinct medium device), in ha.cf order. */
  readonly links: readonly string[];
  readonly keepaliveMs: number;
  readonly deadtimeMs: number;
  readonly warntimeMs: number;
  readonly initdeadMs: number;
  /** Our generation (`hg`), raised by the state store at every start. */
  readonly generation: number;
  /** haresources groups (key and home node), in file order; none = membership only. */
  readonly groups?: readonly { readonly key: string; readonly homeNode: NodeName }[];
  readonly autoFailback?: AutoFailbackMode;
  /** Ping nodes (`ping`, `ping_group`), in ha.cf order. */
  readonly pingNodes?: readonly { readonly name: NodeName; readonly hosts: readonly string[] }[];
  /** Silence after which a ping node is dead [deadtime]. */
  readonly deadpingMs?: number;
  /** How often the pinger gets a reply from a healthy ping node [keepalive, clamped to 0.2–1 s]. */
  readonly pingIntervalMs?: number;
  /** Run the built-in ipfail (ha.cf `respawn … ipfail`). */
  readonly ipfail?: boolean;
  /** `max_rexmit_delay` [250 ms]. */
  readonly maxRexmitDelayMs?: number;
  /** Randomness for ACK triggers and retransmission delays; seeded in tests. */
  readonly random?: () => number;
  /** Resource monitoring (twinbeat.cf `monitor` / `check`): groups with their checks. */
  readonly monitoredGroups?: readonly MonitoredGroup[];
}

/** A read-only view of the membership, for cl_status, the status page and tests. */
export interface MembershipSnapshot {
  readonly localNode: NodeName;
  readonly localStatus: NodeStatus;
  readonly commUp: boolean;
  readonly generation: number;
  readonly nodes: readonly {
    readonly name: NodeName;
    readonly type: "normal" | "ping";
    readonly status: NodeStatus;
    readonly lastStatusAt?: Millis;
    readonly links: readonly {
      readonly name: string;
      readonly status: LinkState["status"];
      readonly lastHeardAt?: Millis;
      readonly statusIntervals?: readonly { readonly at: Millis; readonly intervalMs: number }[];
    }[];
  }[];
  readonly counters: Readonly<Record<string, number>>;
  /** cl_status rscstatus: the held set when stable, else `transition`. */
  readonly rscStatus: HeldSet | "transition";
  readonly rscState: RscState;
  readonly groups: readonly { readonly key: string; readonly homeNode: NodeName; readonly state: GroupState }[];
  /** Resource monitoring, per monitored group (empty without monitors). */
  readonly monitors?: readonly MonitoredGroupSnapshot[];
}

/**
 * The membership half of a Heartbeat node (spec §4.6, §4.7): sends our status every
 * keepalive, tracks every peer's status and links, declares them dead after their
 * deadtime, and brings our own status from init through up to active.
 */
export class ClusterNode {
  #opts: ClusterNodeOptions;
  /** Peers (every declared node but us), by name. */
  readonly #peers = new Map<NodeName, PeerLiveness>();
  /** Per-sender sequence tracking, by node name. */
  readonly #sequences = new Map<NodeName, SequenceTracker>();
  /** Per sender: the highest sequence number of a `resource` message acted on (this generation). */
  readonly #lastResourceSeq = new Map<NodeName, number>();
  /** Highest status seq per peer: only the newest status counts for `tb_silent`. */
  readonly #lastStatusSeq = new Map<NodeName, number>();
  /** Our own status as we advertise it. */
  #localStatus: NodeStatus = "init";
  /** True once every peer was heard from or declared dead (Heartbeat's comm-up). */
  #commUp = false;
  /** When `started` arrived; undefined before. */
  #startedAt: Millis | undefined;
  /** When our next status message is due. */
  #nextStatusAt: Millis | undefined;
  /** When we last sent our status: the peers judge our silence from it. */
  #lastStatusSentAt: Millis | undefined;
  /** Our last sequence number used (Heartbeat starts at 1 on every start). */
  #seq = 0;
  /** Time of the previous event, to notice our own stalls. */
  #lastEventAt: Millis | undefined;
  /** While `at` < this, nobody is declared dead: we were stalled, the silence may be ours. */
  #graceUntil: Millis = millis(0);
  /** A graceful stop is under way (resources being released); heartbeats go on meanwhile. */
  #shuttingDown = false;
  /** shutdone was sent: nothing more happens. */
  #stopped = false;
  readonly #resources: ResourceManager;
  readonly #monitor: ResourceMonitor;
  readonly #reliable: ReliableDelivery;
  readonly #ping: PingLiveness;
  #ipfail: Ipfail | undefined;
  /** A peer death waiting for the ping nodes to settle before deciding take-over or give-up. */
  #arbitration: { readonly peer: PeerLiveness; readonly at: Millis; readonly waited?: boolean } | undefined;
  /** When our local status last became `active` (it ends the start-up dt grace); undefined while not active. */
  #activeSince: Millis | undefined;
  /** Heartbeat interfaces the driver reports without link (MediaChanged). */
  readonly #mediaDown = new Set<string>();
  /**
   * After we gave way: our ping count came back up to the peer's at `since`; if the peer
   * stays silent until `at` (a full deadtime later), it is dead and we take over.
   */
  #rearbitration: { readonly peer: PeerLiveness; readonly since: Millis; readonly at: Millis } | undefined;
  /** Last reject log time per "address reason", and how many were suppressed since. */
  readonly #rejectLog = new Map<string, { at: Millis; suppressed: number }>();
  readonly #counters: Record<string, number> = {
    heartbeatsSent: 0,
    heartbeatsReceived: 0,
    duplicates: 0,
    lateHeartbeats: 0,
    rejected: 0,
    replays: 0,
    longStalls: 0,
  };

  constructor(options: ClusterNodeOptions) {
    this.#opts = options;
    for (const name of options.nodes) {
      if (name === options.localNode) continue;
      this.#peers.set(name, new PeerLiveness(name, options.links));
      this.#sequences.set(name, new SequenceTracker());
    }
    this.#reliable = new ReliableDelivery({
      localNode: options.localNode,
      maxRexmitDelayMs: options.maxRexmitDelayMs ?? 250,
      random: options.random ?? seededRandom(options.generation),
    });
    this.#ping = new PingLiveness(options.pingNodes ?? [], options.deadpingMs ?? options.deadtimeMs);
    this.#ipfail = this.#makeIpfail(options);
    this.#resources = new ResourceManager({
      localNode: options.localNode,
      peer: options.nodes.find((n) => n !== options.localNode),
      groups: options.groups ?? [],
      autoFailback: options.autoFailback ?? "legacy",
      send: (out, body) => out.push({ type: "send", body, seq: ++this.#seq }),
      refuseToTake: (key) => this.#monitor.refusal(key),
    });
    this.#monitor = new ResourceMonitor({
      groups: options.monitoredGroups ?? [],
      groupState: (key) => this.#resources.monitorState(key),
      managerQuiet: () => this.#resources.quiet() && !this.#shuttingDown,
      peerAlive: () => this.#peerAlive(),
      moveGroup: (key, at, out) => this.#resources.handOverGroup(key, at, out),
      stopGroup: (key, at, out) => this.#resources.stopForFailures(key, at, out),
      resumeGroup: (key, at, out) => this.#resources.resumeGroup(key, at, out),
    });
  }

  /** The built-in ipfail for these options, or undefined when it is off (or cannot run: legacy, no partner). */
  #makeIpfail(options: ClusterNodeOptions): Ipfail | undefined {
    const partner = options.nodes.find((n) => n !== options.localNode);
    if (!options.ipfail || !partner || options.autoFailback === "legacy") return undefined;
    return new Ipfail({
      partner,
      keepaliveMs: options.keepaliveMs,
      autoFailback: options.autoFailback === "on",
      send: (out, body) => out.push({ type: "send", body, seq: ++this.#seq }),
      pingCount: () => this.#ping.aliveCount(),
      pingUnknown: () => this.#ping.nodes.some((n) => n.status === "init"),
      stable: () => this.#resources.rscStatus() !== "transition",
      giveUp: (set, at, out) => this.#resources.standby(set, at, out),
    });
  }

  /** Feeds one event; returns what to do, in order. */
  step(event: ClusterEvent): ClusterAction[] {
    const out: ClusterAction[] = [];
    if (this.#stopped) return out;
    // Datagrams that beat our own start (media open just before `started`) are dropped:
    // processed early they would bring comm-up before the start sets us back to `up`.
    if (this.#startedAt === undefined && (event.type === "message-received" || event.type === "datagram-rejected")) return out;
    this.#noticeStall(event.at, out);
    switch (event.type) {
      case "started":
        this.#start(event.at, out);
        break;
      case "clock-advanced":
        break;
      case "message-received":
        this.#receive(event, out);
        break;
      case "datagram-rejected":
        this.#rejected(event, out);
        break;
      case "shutdown-requested":
        this.#shutdown(event.at, out);
        break;
      case "group-finished":
        this.#resources.onGroupFinished(event, out);
        break;
      case "admin-requested":
        // hb_takeover is the operator saying "try again here": monitor failures are forgiven.
        if (event.command === "takeover") this.#monitor.reset(event.at, out);
        this.#resources.onAdmin(event.command, event.which, event.at, out);
        break;
      case "ping-replied":
        this.#pingReplied(event.host, event.at, out);
        break;
      case "guard-dropped-addresses":
        this.#guardDropped(event.keys, event.at, out);
        break;
      case "media-changed":
        if (event.up) this.#mediaDown.delete(event.link);
        else if (this.#opts.links.includes(event.link)) this.#mediaDown.add(event.link);
        break;
      case "check-finished":
        this.#monitor.onCheckFinished(event, out);
        break;
      case "resource-restarted":
        this.#monitor.onResourceRestarted(event, out);
        break;
      case "failures-reset-requested":
        this.#monitor.reset(event.at, out, event.key);
        break;
      case "config-reloaded":
        this.#reload(event.options, event.at, out);
        break;
    }
    if (this.#startedAt !== undefined && !this.#stopped) {
      this.#checkTimers(event.at, out);
      this.#resources.onClock(event.at, out);
      this.#monitor.onClock(event.at, out);
      this.#reliable.onClock(
        event.at,
        (p) => this.#peers.get(p)?.status !== "dead",
        (body) => out.push({ type: "send", body }),
      );
      this.#ipfail?.onClock(event.at, out);
      if (this.#arbitration && event.at >= this.#arbitration.at) this.#arbitrate(event.at, out);
      this.#watchRecovery(event.at, out);
    }
    this.#lastEventAt = event.at;
    return out;
  }

  /**
   * Every internal invariant that does not hold now (empty when all is well): the
   * membership's and the resource manager's. Checked by the simulator after every step.
   */
  invariantBreaches(): string[] {
    const breaches = this.#resources.invariantBreaches();
    if (this.#commUp && this.#localStatus !== "active" && !this.#stopped) breaches.push(`comm-up but local status ${this.#localStatus}`);
    if (this.#rearbitration && this.#rearbitration.peer.status !== "dead") breaches.push("re-arbitration pending for a live peer");
    if (this.#arbitration && this.#arbitration.peer.status !== "dead") breaches.push("arbitration pending for a live peer");
    return breaches;
  }

  /** Peer name → UUID text as Heartbeat's hostcache keeps it (only peers heard from). */
  peerUuids(): ReadonlyMap<NodeName, string> {
    const m = new Map<NodeName, string>();
    for (const p of this.#peers.values()) if (p.uuid) m.set(p.name, p.uuid);
    return m;
  }

  /** True once every peer was heard from or declared dead (cheap: no snapshot). */
  get commUp(): boolean {
    return this.#commUp;
  }

  /** The earliest time the core wants to be woken with `clock-advanced`, or undefined. */
  nextWakeAt(): Millis | undefined {
    if (this.#startedAt === undefined || this.#stopped) return undefined;
    let next = this.#nextStatusAt;
    const pingWake = this.#ping.nextWakeAt();
    // Ping nodes, like peers, are not expired during the grace after a local stall.
    for (const t of [
      this.#monitor.nextWakeAt(),
      this.#resources.nextWakeAt(),
      this.#reliable.nextWakeAt(),
      pingWake === undefined ? undefined : latest(pingWake, this.#graceUntil),
      this.#ipfail?.nextWakeAt(),
      this.#arbitration?.at,
      this.#rearbitration?.at,
    ]) {
      if (t !== undefined && (next === undefined || t < next)) next = t;
    }
    const consider = (t: Millis) => {
      if (next === undefined || t < next) next = t;
    };
    for (const peer of this.#peers.values()) {
      if (peer.status === "dead") continue;
      consider(latest(this.#deadlineOf(peer), this.#graceUntil));
      const early = this.#cutOffDeadlineOf(peer);
      if (early !== undefined) consider(latest(early, this.#graceUntil));
      for (const link of peer.links.values()) {
        if (link.status === "up") consider(latest(this.#linkDeadlineOf(peer, link), this.#graceUntil));
      }
    }
    return next;
  }

  snapshot(): MembershipSnapshot {
    const nodes: MembershipSnapshot["nodes"][number][] = [];
    for (const name of this.#opts.nodes) {
      if (name === this.#opts.localNode) {
        nodes.push({
          name,
          type: "normal",
          status: this.#localStatus,
          links: this.#opts.links.map((l) => ({ name: l, status: "up" as const })),
        });
        continue;
      }
      const peer = this.#peers.get(name)!;
      nodes.push({
        name,
        type: "normal",
        status: peer.status,
        ...(peer.lastStatusAt !== undefined ? { lastStatusAt: peer.lastStatusAt } : {}),
        links: [...peer.links.values()].map((l) => ({
          name: l.name,
          status: l.status,
          ...(l.status !== "init" ? { lastHeardAt: l.lastHeardAt } : {}),
          ...(l.statusIntervals.length > 0 ? { statusIntervals: l.statusIntervals.map((x) => ({ ...x })) } : {}),
        })),
      });
    }
    for (const p of this.#ping.nodes) {
      nodes.push({
        name: p.name,
        type: "ping",
        status: p.status === "ping" ? "ping" : p.status === "dead" ? "dead" : "init",
        ...(p.lastReplyAt !== undefined ? { lastStatusAt: p.lastReplyAt } : {}),
        links: [
          {
            name: p.name,
            status: p.status === "ping" ? "up" : p.status === "dead" ? "dead" : "init",
            ...(p.lastReplyAt !== undefined ? { lastHeardAt: p.lastReplyAt } : {}),
          },
        ],
      });
    }
    return {
      localNode: this.#opts.localNode,
      localStatus: this.#localStatus,
      commUp: this.#commUp,
      generation: this.#opts.generation,
      nodes,
      counters: { ...this.#counters, ...this.#reliable.counters },
      rscStatus: this.#resources.rscStatus(),
      rscState: this.#resources.state,
      groups: this.#resources.groups(),
      monitors: this.#monitor.snapshot(),
    };
  }

  #start(at: Millis, out: ClusterAction[]): void {
    if (this.#startedAt !== undefined) return;
    this.#startedAt = at;
    this.#ping.start(at);
    // The first status says `init` (with the startup dt grace); we are `up` right after.
    this.#sendStatus(at, out);
    this.#setLocalStatus("up", at, out);
    this.#maybeCommUp(at, out);
  }

  /**
   * A graceful stop: tell the peers with `shutdone` so they take over at once
   * instead of waiting for deadtime (resources are released first, once the core
   * manages them).
   */
  #shutdown(at: Millis, out: ClusterAction[]): void {
    if (this.#shuttingDown) return;
    this.#shuttingDown = true;
    log(out, "info", "Heartbeat shutdown in progress.");
    this.#resources.onShutdown(at, out, (o) => {
      if (this.#startedAt !== undefined) o.push({ type: "send", body: [str("t", "shutdone"), str("st", "dead")], seq: ++this.#seq });
      log(o, "info", "Heartbeat shutdown complete.");
      this.#stopped = true;
      o.push({ type: "shutdown-complete" });
    });
  }

  /**
   * A configuration reload (SIGHUP): applies what can change live and logs what cannot
   * (DESIGN.md, "Live reload"). Liveness, sequence numbers, generations and held groups
   * carry on untouched: a reload never costs a heartbeat or a running group that stays configured.
   */
  #reload(next: ClusterNodeOptions, at: Millis, out: ClusterAction[]): void {
    const prev = this.#opts;
    log(out, "info", "Configuration reload requested: applying the new configuration");
    if (next.localNode !== prev.localNode)
      log(
        out,
        "warn",
        `Configuration reload: this node's name cannot change while running (${prev.localNode} → ${next.localNode}): kept ${prev.localNode} until heartbeat restarts`,
      );
    const sameNodes = next.nodes.length === prev.nodes.length && next.nodes.every((n) => prev.nodes.includes(n));
    if (!sameNodes)
      log(
        out,
        "warn",
        `Configuration reload: the node list cannot change while running (${prev.nodes.join(" ")} → ${next.nodes.join(" ")}): kept until heartbeat restarts`,
      );
    this.#opts = { ...next, localNode: prev.localNode, nodes: prev.nodes, generation: prev.generation, ...(prev.random ? { random: prev.random } : {}) };
    const o = this.#opts;
    for (const [name, a, b] of [
      ["keepalive", prev.keepaliveMs, o.keepaliveMs],
      ["deadtime", prev.deadtimeMs, o.deadtimeMs],
      ["warntime", prev.warntimeMs, o.warntimeMs],
      ["initdead", prev.initdeadMs, o.initdeadMs],
      ["deadping", prev.deadpingMs ?? prev.deadtimeMs, o.deadpingMs ?? o.deadtimeMs],
    ] as const) {
      if (a !== b) log(out, "info", `Configuration reload: ${name} ${a} ms → ${b} ms`);
    }
    // Links (media devices): a new one starts as `init` for every peer, a removed one is forgotten.
    for (const l of o.links.filter((l) => !prev.links.includes(l))) {
      log(out, "info", `Configuration reload: heartbeat link ${l} added`);
      for (const peer of this.#peers.values()) peer.links.set(l, { name: l, status: "init", lastHeardAt: millis(0), statusIntervals: [] });
    }
    for (const l of prev.links.filter((l) => !o.links.includes(l))) {
      log(out, "info", `Configuration reload: heartbeat link ${l} removed`);
      for (const peer of this.#peers.values()) peer.links.delete(l);
    }
    const countBefore = this.#ping.aliveCount();
    const ping = this.#ping.reconfigure(o.pingNodes ?? [], o.deadpingMs ?? o.deadtimeMs, at);
    for (const n of ping.added) log(out, "info", `Configuration reload: ping node ${n} added`);
    for (const n of ping.removed) log(out, "info", `Configuration reload: ping node ${n} removed`);
    // ipfail: started, stopped, or rebuilt on its new settings (the partner's last count is kept).
    const ipfailWas = this.#ipfail;
    const ipfailNow = this.#makeIpfail(o);
    if (ipfailWas && ipfailNow && ipfailWas.partnerCount !== undefined) ipfailNow.partnerCount = ipfailWas.partnerCount;
    ipfailWas?.cancel();
    this.#ipfail = ipfailNow;
    if (!ipfailWas && ipfailNow) {
      log(out, "info", "Configuration reload: starting the built-in ipfail");
      if (this.#commUp && !this.#shuttingDown) ipfailNow.announceJoin(out);
    } else if (ipfailWas && !ipfailNow) {
      log(out, "info", "Configuration reload: the built-in ipfail stopped");
    }
    this.#resources.reconfigure(o.groups ?? [], o.autoFailback ?? "legacy", at, out);
    this.#monitor.reconfigure(o.monitoredGroups ?? [], at, out);
    if (this.#commUp && !this.#shuttingDown && this.#peerAlive() && ipfailNow && ipfailWas && this.#ping.aliveCount() !== countBefore) {
      ipfailNow.ask(out, "the ping nodes changed");
    }
    // The peers learn our new deadtime (and ping count) from a status sent now; the
    // keepalive counts from it. Sequence numbers simply go on.
    if (this.#startedAt !== undefined && !this.#stopped) this.#sendStatus(at, out);
    log(out, "info", "Configuration reload complete.");
  }

  #setLocalStatus(status: NodeStatus, at: Millis, out: ClusterAction[]): void {
    if (this.#localStatus === status) return;
    this.#localStatus = status;
    this.#activeSince = status === "active" ? at : undefined;
    log(out, "info", `Local status now set to: '${status}'`);
    // A status change is announced at once, not at the next keepalive.
    this.#sendStatus(at, out);
  }

  #sendStatus(at: Millis, out: ClusterAction[]): void {
    const dtMs = this.#advertisedDeadtimeMs(at);
    // protocol=1 announces ACK/retransmission support, as Heartbeat 2.x/3.x does (spec §4.6).
    const body: HaMessage = [str("t", "status"), str("st", this.#localStatus), str("dt", dtMs.toString(16)), str("protocol", "1")];
    // Twinbeat's own field (ignored by Heartbeat): how many ping nodes we reach, for arbitration
    // when every heartbeat link is lost (see DESIGN.md, "Split brain").
    if (this.#ping.nodes.length > 0) (body as HaMessage[number][]).push(str("tb_numping", String(this.#ping.aliveCount())));
    // Twinbeat's own field: how long we have not heard the partner (ms). A partner that hears us
    // but is not heard releases its groups before our deadtime takes them (one-way loss, #peerSilence).
    const partner = this.#peers.size === 1 ? [...this.#peers.values()][0]! : undefined;
    if (partner && this.#commUp && partner.status !== "dead" && partner.lastStatusAt !== undefined) {
      (body as HaMessage[number][]).push(str("tb_silent", String(Math.max(0, at - partner.lastStatusAt))));
    }
    // Twinbeat's own field: our unexpired monitor failures per group, so that two broken
    // nodes do not pass a group back and forth (see DESIGN.md, "Resource monitoring").
    const failures = this.#monitor.failureField();
    if (failures !== "") (body as HaMessage[number][]).push(str("tb_rscfail", failures));
    out.push({ type: "send", body, seq: ++this.#seq });
    this.#counters.heartbeatsSent!++;
    this.#nextStatusAt = later(at, this.#opts.keepaliveMs);
    this.#lastStatusSentAt = at;
  }

  /** The deadtime our status sent at `at` advertises (`dt`): the peers declare us dead after it. */
  #advertisedDeadtimeMs(at: Millis): number {
    const sinceStart = at - (this.#startedAt ?? at);
    const active = this.#activeSince !== undefined && at >= this.#activeSince;
    return this.#opts.deadtimeMs + (sinceStart < STARTUP_DT_GRACE_PERIOD_MS && !active ? STARTUP_DT_GRACE_MS : 0);
  }

  /** Comm-up: every peer was heard from or declared dead (spec §4.7). */
  #maybeCommUp(at: Millis, out: ClusterAction[]): void {
    if (this.#commUp) return;
    for (const peer of this.#peers.values()) if (!peer.heardFrom && peer.status !== "dead") return;
    this.#commUp = true;
    log(out, "info", "Comm_now_up(): updating status to active");
    this.#setLocalStatus("active", at, out);
    if (!this.#shuttingDown) {
      const peerAlive = [...this.#peers.values()].some((p) => p.status !== "dead");
      this.#resources.onCommUp(at, out, peerAlive);
      if (this.#ipfail) {
        log(out, "info", "Starting the built-in ipfail (ha.cf respawn … ipfail)");
        this.#ipfail.announceJoin(out);
      }
    }
  }

  #deadlineOf(peer: PeerLiveness): Millis {
    const since = peer.lastStatusAt ?? this.#startedAt ?? millis(0);
    return later(since, peer.deadThresholdMs(this.#commUp, this.#opts.deadtimeMs, this.#opts.initdeadMs));
  }

  /**
   * When a holder whose every heartbeat medium is down (the cable pulled, the interface
   * down) declares the silent peer dead: 1.5 keepalives before its deadtime. The peer
   * declares us dead at its own deadtime, counted from our last status, which can be up to
   * a keepalive (the timers' phase) before the peer's last status reached us: arbitrating
   * at our full deadtime could find the peer already serving while we still hold. Only
   * for a holder with ping nodes (arbitration decides) and a deadtime long enough for
   * the margin; undefined otherwise.
   */
  #cutOffDeadlineOf(peer: PeerLiveness): Millis | undefined {
    if (!this.#commUp || this.#shuttingDown || this.#ping.nodes.length === 0 || peer.lastStatusAt === undefined) return undefined;
    if (this.#mediaDown.size === 0 || this.#opts.links.some((l) => !this.#mediaDown.has(l))) return undefined;
    if (!this.#holdingGroups()) return undefined;
    const marginMs = 1.5 * this.#opts.keepaliveMs;
    const deadtimeMs = peer.deadThresholdMs(true, this.#opts.deadtimeMs, this.#opts.initdeadMs);
    if (deadtimeMs - marginMs < 2 * this.#opts.keepaliveMs) return undefined;
    return later(peer.lastStatusAt, deadtimeMs - marginMs);
  }

  #linkDeadlineOf(peer: PeerLiveness, link: LinkState): Millis {
    return later(link.lastHeardAt, peer.deadThresholdMs(this.#commUp, this.#opts.deadtimeMs, this.#opts.initdeadMs));
  }

  #checkTimers(at: Millis, out: ClusterAction[]): void {
    if (this.#nextStatusAt !== undefined && at >= this.#nextStatusAt) this.#sendStatus(at, out);
    if (at < this.#graceUntil) return;
    for (const peer of this.#peers.values()) {
      if (peer.status === "dead") continue;
      let linkDied = false;
      for (const link of peer.links.values()) {
        if (link.status === "up" && at >= this.#linkDeadlineOf(peer, link)) {
          link.status = "dead";
          linkDied = true;
          log(out, "info", `Link ${peer.name}:${link.name} dead.`);
        }
      }
      const early = this.#cutOffDeadlineOf(peer);
      if (at >= this.#deadlineOf(peer)) this.#declareDead(peer, at, out);
      else if (early !== undefined && at >= early) {
        log(
          out,
          "warn",
          `Every heartbeat medium of ours is down (${[...this.#mediaDown].join(", ")}) and ${peer.name} has been silent for ${at - (peer.lastStatusAt ?? at)} ms: declaring it dead now, before it declares us dead and takes over`,
        );
        this.#declareDead(peer, at, out);
      } else if (linkDied && this.#commUp) this.#ipfail?.ask(out, "a heartbeat link died");
    }
    for (const p of this.#ping.expire(at)) {
      log(out, "warn", `node ${p.name}: is dead`);
      log(out, "info", `Link ${p.name}:${p.name} dead.`);
      if (this.#commUp && this.#peerAlive()) this.#ipfail?.ask(out, `ping node ${p.name} died`);
    }
  }

  #declareDead(peer: PeerLiveness, at: Millis, out: ClusterAction[]): void {
    peer.status = "dead";
    log(out, "warn", `node ${peer.name}: is dead`);
    for (const link of peer.links.values()) {
      if (link.status === "up") log(out, "info", `Link ${peer.name}:${link.name} dead.`);
      link.status = "dead";
    }
    this.#reliable.onPeerDead(peer.name);
    this.#ipfail?.cancel();
    this.#monitor.onPeerGone();
    if (this.#commUp && this.#ping.nodes.length > 0 && !this.#shuttingDown) {
      // Every link to the peer is silent: it died, or one of us is cut off. Decide now,
      // from the ping nodes that still answer (see #arbitrate).
      this.#arbitration = { peer, at };
      this.#arbitrate(at, out);
    } else {
      this.#resources.onPeerDead(at, out, "deadtime");
    }
    this.#maybeCommUp(at, out);
  }

  /**
   * If far more time passed since the previous event than our own timers allow,
   * the silence was ours (GC pause, starved CPU, suspended VM, SIGSTOP): give every peer
   * one keepalive before counting deadtime, instead of a false failover. If our own
   * silence outlasted the deadtime we advertise, the peers have very likely declared us
   * dead and taken our groups meanwhile: that is a partition (DESIGN.md, "Local stalls").
   */
  #noticeStall(at: Millis, out: ClusterAction[]): void {
    if (this.#lastEventAt === undefined || this.#startedAt === undefined) return;
    const gap = at - this.#lastEventAt;
    const expected = this.#opts.keepaliveMs;
    if (gap <= 2 * expected || gap <= 500) return;
    this.#graceUntil = later(at, this.#opts.keepaliveMs);
    const silentMs = at - (this.#lastStatusSentAt ?? this.#startedAt);
    const peersAlive = this.#peerAlive();
    if (silentMs < this.#opts.deadtimeMs || !peersAlive || !this.#commUp || this.#shuttingDown) {
      log(out, "warn", `Local stall of ${gap} ms detected (expected at most ${expected} ms): peers get one keepalive of grace`);
      return;
    }
    this.#counters.longStalls!++;
    log(
      out,
      "crit",
      `Local stall of ${gap} ms detected: we sent nothing for ${silentMs} ms, longer than our deadtime (${this.#opts.deadtimeMs} ms): the peer has probably declared us dead and taken our resources. Treating it as a partition`,
    );
    this.#arbitration = undefined;
    this.#rearbitration = undefined;
    this.#ipfail?.cancel();
    this.#resources.onLocalStall(at, out);
  }

  /**
   * The resource guard removed the addresses of groups we hold while we were frozen
   * (cluster-events.ts). Those groups no longer serve and the peer has most likely taken
   * them over, so whatever the stall check concluded, this is handled as a partition:
   * release everything, announce `starting`, rejoin through the handshake. Groups already
   * being stopped (the stall check got there first) need nothing more.
   */
  #guardDropped(keys: readonly string[], at: Millis, out: ClusterAction[]): void {
    const affected = this.#resources.groups().filter((g) => keys.includes(g.key) && (g.state === "running" || g.state === "starting"));
    if (affected.length === 0) {
      log(out, "info", `Resource guard removed the addresses of ${keys.join(", ")} while this node was frozen: already released`);
      return;
    }
    log(
      out,
      "crit",
      `Resource guard removed the addresses of ${affected.map((g) => g.key).join(", ")} while this node was frozen: releasing every group and rejoining`,
    );
    this.#counters.longStalls!++;
    this.#arbitration = undefined;
    this.#rearbitration = undefined;
    this.#ipfail?.cancel();
    this.#resources.onLocalStall(at, out);
  }

  #receive(event: MessageReceived, out: ClusterAction[]): void {
    const msg = event.message;
    const srcField = getField(msg, "src");
    const src = srcField === undefined ? undefined : normalizeNodeName(srcField);
    const type = getField(msg, "t");
    if (src === undefined || type === undefined) return; // the decoder guarantees both
    if (src === this.#opts.localNode) return; // our own broadcast or a ucast back to ourselves
    const peer = this.#peers.get(src);
    if (!peer) {
      this.#rateLimitedLog(
        event.at,
        `${event.fromAddress} unknown-node`,
        out,
        "warn",
        `Received a message from node "${src}" that is not declared in ha.cf (from ${event.fromAddress} on ${event.link}): ignored`,
      );
      return;
    }
    // Any packet, even a duplicate, shows this link works.
    this.#linkHeard(peer, event.link, event.at, out, type === "status");
    const uuid = getBinaryField(msg, "srcuuid");
    if (uuid && uuid.length === 16 && peer.uuid !== undefined && peer.uuid !== uuidText(uuid)) {
      log(out, "warn", `Node ${peer.name} changed its UUID from ${peer.uuid} to ${uuidText(uuid)} (reinstalled?)`);
    }
    if (uuid && uuid.length === 16) peer.uuid = uuidText(uuid);
    const dest = getField(msg, "dest");
    const forUs = dest === undefined || dest.toLowerCase() === this.#opts.localNode;
    if (type.startsWith("NS_")) {
      // Unsequenced control traffic: retransmission requests and answers, ACKs.
      if (forUs && dest !== undefined) this.#reliable.onControlMessage(type, msg, src, this.#seq, event.at, out, (body) => out.push({ type: "send", body }));
      return;
    }
    const seq = parseInt(getField(msg, "seq") ?? "", 16);
    const generation = parseInt(getField(msg, "hg") ?? "0", 16);
    const isStatus = type === "status";
    const verdict = this.#sequences.get(src)!.observe(Number.isFinite(generation) ? generation : 0, seq, isStatus);
    if (verdict.kind === "duplicate") {
      this.#counters.duplicates!++;
      return;
    }
    if (verdict.kind === "replay") {
      this.#counters.replays!++;
      this.#rateLimitedLog(
        event.at,
        `${src} replay`,
        out,
        "error",
        `should_drop_message: attempted replay attack [${src}]? [gen = ${generation}, curgen = ${verdict.knownGeneration}] from ${event.fromAddress}`,
      );
      return;
    }
    this.#reliable.onAccepted(src, seq, verdict.inOrder, verdict.newGaps, event.at, out, (body) => out.push({ type: "send", body }));
    if (verdict.restarted) {
      this.#reliable.resetPeer(src);
      log(out, "info", `Heartbeat restart on node ${src}`);
      this.#lastResourceSeq.delete(src);
      this.#lastStatusSeq.delete(src);
      // A restart is not a partition: whatever it was doing before is over.
      peer.leftCleanly = true;
      peer.shutdownGeneration = undefined;
      if (this.#resources.onPeerRestarted()) log(out, "info", `Standby exchange cancelled: ${src} restarted`);
    }
    if (!forUs) return; // sequence-tracked above, but for somebody else
    if (type === "resource") {
      // A `resource` message is the sender's whole held set: one retransmitted from before a
      // newer one we already acted on (sent during a partition) would claim what it no longer holds.
      const last = this.#lastResourceSeq.get(src);
      if (last !== undefined && seq < last) return;
      this.#lastResourceSeq.set(src, seq);
    }
    // A `starting` sent before a `resource` we already acted on: the peer's handshake went past
    // it (see ResourceManager.onMessage).
    const lastResourceSeq = this.#lastResourceSeq.get(src);
    const late = type === "starting" ? lastResourceSeq !== undefined && seq < lastResourceSeq : verdict.filledGap;
    // The last words of a node that said shutdone: its links count, its status does not.
    if (peer.shutdownGeneration !== undefined && generation <= peer.shutdownGeneration) return;
    if (isStatus) {
      // Only the newest status says how long the peer has not heard us: a retransmitted one
      // (answering our rexmit request after a heal) says how it was back then.
      const last = this.#lastStatusSeq.get(src);
      const newest = !Number.isFinite(seq) || last === undefined || seq > last;
      if (newest && Number.isFinite(seq)) this.#lastStatusSeq.set(src, seq);
      this.#receiveStatus(peer, msg, event.at, out, newest);
    } else if (type === "shutdone") this.#receiveShutdone(peer, generation, event.at, out);
    else if (type === "reqnodes") this.#answerReqnodes(src, out);
    else if (type === "num_ping_nodes" || type === "you_are_dead" || type === "abort_giveup" || type === "hbapi-clstat") {
      if (!this.#shuttingDown) this.#ipfail?.onMessage(type, msg, event.at, out);
    } else if (!this.#shuttingDown) this.#resources.onMessage(type, msg, event.at, out, late);
  }

  /**
   * A Heartbeat peer with flow control asks who is in the cluster before it goes
   * active; unanswered, it never does. The list must hold every normal node.
   */
  #answerReqnodes(requester: NodeName, out: ClusterAction[]): void {
    out.push({
      type: "send",
      body: [str("t", "repnodes"), str("dest", requester), str("nodelist", this.#opts.nodes.map((n) => `${n} `).join("")), str("delnodelist", " ")],
      seq: ++this.#seq,
    });
  }

  /** The peer stopped cleanly: it is dead now, no deadtime wait (spec §4.8). */
  #receiveShutdone(peer: PeerLiveness, generation: number, at: Millis, out: ClusterAction[]): void {
    log(out, "info", `Received shutdown notice from '${peer.name}'.`);
    peer.shutdownGeneration = generation;
    if (peer.status === "dead") return;
    peer.status = "dead";
    peer.leftCleanly = true;
    log(out, "info", `Status update for node ${peer.name}: status dead`);
    for (const link of peer.links.values()) link.status = "dead";
    this.#monitor.onPeerGone();
    this.#resources.onPeerDead(at, out, "shutdone");
    this.#maybeCommUp(at, out);
  }

  #receiveStatus(peer: PeerLiveness, msg: HaMessage, at: Millis, out: ClusterAction[], newest = true): void {
    const st = getField(msg, "st") as NodeStatus | undefined;
    const dt = parseInt(getField(msg, "dt") ?? "", 16);
    this.#counters.heartbeatsReceived!++;
    if (peer.lastStatusAt !== undefined && peer.status !== "dead") {
      const intervalMs = at - peer.lastStatusAt;
      if (intervalMs > this.#opts.warntimeMs) {
        this.#counters.lateHeartbeats!++;
        const over = intervalMs > this.#opts.deadtimeMs;
        log(out, over ? "crit" : "warn", `Late heartbeat: Node ${peer.name}: interval ${intervalMs} ms${over ? " (> deadtime)" : ""}`);
      }
    }
    const wasDead = peer.status === "dead" && peer.heardFrom && !peer.leftCleanly;
    // A peer dead to us that we first hear (ever, or since it restarted or said shutdone) already
    // active passed its comm-up without hearing us: it may have taken every group alone at
    // initdead, as we took them when it died. Both may hold the same groups: heal as after a partition.
    const activeUnheard = peer.status === "dead" && st === "active" && (!peer.heardFrom || peer.leftCleanly) && this.#commUp;
    const cameBack = peer.status === "dead" || peer.status === "init";
    peer.leftCleanly = false;
    peer.heardFrom = true;
    if (cameBack || peer.lastStatusAt === undefined || at - peer.lastStatusAt > 2 * this.#opts.keepaliveMs) peer.heardSinceAt = at;
    peer.lastStatusAt = at;
    if (Number.isFinite(dt) && dt > 0) peer.advertisedDeadtimeMs = dt;
    const numping = parseInt(getField(msg, "tb_numping") ?? "", 10);
    if (Number.isFinite(numping)) peer.pingCount = numping;
    this.#monitor.onPeerFailures(parseFailureField(getField(msg, "tb_rscfail")));
    if (newest) this.#peerSilence(peer, parseInt(getField(msg, "tb_silent") ?? "", 10), at, out);
    if (this.#arbitration?.peer === peer) this.#arbitration = undefined; // it spoke again before we decided
    if (this.#rearbitration?.peer === peer) {
      log(
        out,
        "info",
        `${peer.name} is heard again ${at - this.#rearbitration.since} ms after our network came back: no takeover, healing as after a partition`,
      );
      this.#rearbitration = undefined;
    }
    if (wasDead) log(out, "crit", `Cluster node ${peer.name} returning after partition.`);
    else if (activeUnheard) log(out, "crit", `Cluster node ${peer.name} is active and was never heard since it started: healing as after a partition.`);
    if (st !== undefined && st !== peer.status && isNodeStatus(st)) {
      peer.status = st;
      log(out, "info", `Status update for node ${peer.name}: status ${st}`);
    }
    if (cameBack && peer.status !== "dead") this.#resources.onPeerAlive(at, out, wasDead || activeUnheard);
    this.#maybeCommUp(at, out);
    // A peer that gave way without being dead to us leaves its groups to nobody (takeForeignOrphans).
    if (peer.pingCount !== undefined && peer.status === "active" && this.#commUp && !this.#shuttingDown) {
      const mine = this.#ping.freshCount(at, this.#pingSettleMs());
      if (peer.pingCount < mine) this.#resources.takeForeignOrphans(at, out, `${peer.name} reaches ${peer.pingCount} ping node(s) and we reach ${mine}`);
      else this.#resources.onPeerConnected(at, out);
    }
  }

  /**
   * What the peer says about hearing us (`tb_silent`, ms). Its statuses come every keepalive,
   * so one reporting at least its deadtime for us less 1.5 keepalives is the last before it
   * declares us dead: we release then, at least half a keepalive before its takeover. Its
   * deadtime for us is the `dt` we advertised when it last heard us (deadtime + 2 s early
   * after our start). Only the part of its silence during which we heard it shows one-way
   * loss: a silence that began while we did not hear it either (a partition that just healed)
   * ends with our next status. Heartbeat peers send no such field.
   */
  #peerSilence(peer: PeerLiveness, silentMs: number, at: Millis, out: ClusterAction[]): void {
    if (!Number.isFinite(silentMs) || this.#shuttingDown || !this.#commUp) return;
    const deadtimeMs = this.#advertisedDeadtimeMs(later(at, -silentMs));
    const limitMs = deadtimeMs - 1.5 * this.#opts.keepaliveMs;
    if (silentMs < Math.min(limitMs, deadtimeMs / 2)) {
      this.#resources.onPeerHearsUs(at, out);
      return;
    }
    const oneWayMs = Math.min(silentMs, at - (peer.heardSinceAt ?? at));
    // Only when the limit is well above the normal silence between two statuses (up to a keepalive).
    if (oneWayMs >= limitMs && limitMs >= 2 * this.#opts.keepaliveMs)
      this.#resources.onPeerDeaf(at, out, `${peer.name} has not heard us for ${silentMs} ms (its deadtime for us is ${deadtimeMs} ms) although we hear it`);
  }

  /** Two ping intervals and a margin: a ping node silent for longer is not counted at a peer's death. */
  #pingSettleMs(): number {
    return 2 * (this.#opts.pingIntervalMs ?? pingIntervalFor(this.#opts.keepaliveMs)) + 100;
  }

  #holdingGroups(): boolean {
    return this.#resources.groups().some((g) => g.state === "running" || g.state === "starting");
  }

  #peerAlive(): boolean {
    return [...this.#peers.values()].some((p) => p.status !== "dead" && p.status !== "init");
  }

  /**
   * The split-brain rule (DESIGN.md, "Split brain"). Every link to the peer went
   * silent: it died, or one of us is cut off. Ping counts are compared with what the
   * peer reached at its last status:
   * - we hold groups and now reach fewer ping nodes than the peer did: we are probably
   *   the node cut off, so we release everything and let the peer serve;
   * - we hold nothing and reach fewer: the peer may have lost the same ones (a dead
   *   heartbeat switch), and it gives way by the rule above, so we take over as long as
   *   we still reach at least one ping node, but only after one keepalive and a half more:
   *   the peer declares us dead up to a keepalive after we declare it (the phase between
   *   the two heartbeat timers, plus the latency), and taking over before it gave way
   *   would make two holders;
   * - otherwise (as many or more, or no ping information): take over, like Heartbeat.
   */
  #arbitrate(at: Millis, out: ClusterAction[]): void {
    const { peer, waited } = this.#arbitration!;
    this.#arbitration = undefined;
    // Only ping nodes heard from in the last two ping intervals count: one that went
    // quiet together with the heartbeats is behind the same broken link, and waiting
    // deadping to learn that would leave both nodes holding the VIP meanwhile.
    const mine = this.#ping.freshCount(at, this.#pingSettleMs());
    const theirs = peer.pingCount ?? this.#ipfail?.partnerCount;
    const holding = this.#holdingGroups();
    if (theirs !== undefined && mine < theirs && (holding || mine === 0)) {
      log(out, "warn", `Arbitration: ${peer.name} reached ${theirs} ping node(s) at last contact and we reach ${mine}: we are cut off, so we give way`);
      this.#resources.onPeerDead(at, out, "deadtime", "give-up");
      return;
    }
    if (theirs !== undefined && mine < theirs && !waited) {
      const waitMs = Math.round(1.5 * this.#opts.keepaliveMs);
      log(
        out,
        "info",
        `Arbitration: we reach ${mine} ping node(s), ${peer.name} reached ${theirs} at last contact: it lost them too and gives way; taking over in ${waitMs} ms`,
      );
      this.#arbitration = { peer, at: later(at, waitMs), waited: true };
      return;
    }
    log(out, "info", `Arbitration: we reach ${mine} ping node(s), ${peer.name} reached ${theirs ?? "an unknown number of"} at last contact: taking over`);
    this.#resources.onPeerDead(at, out, "deadtime", "take-over");
  }

  #pingReplied(host: string, at: Millis, out: ClusterAction[]): void {
    const p = this.#ping.replied(host, at);
    if (!p) return;
    log(out, "info", `Link ${p.name}:${p.name} up.`);
    log(out, "info", `Status update for node ${p.name}: status ping`);
    if (!this.#commUp || this.#shuttingDown) return;
    if (this.#peerAlive()) this.#ipfail?.ask(out, `ping node ${p.name} came up`);
  }

  /**
   * After giving way (DESIGN.md, "Split brain", last rows): when our ping count is back
   * to what the peer reached at its last status, our network is back, and a network that
   * comes back usually brings the peer's heartbeats with it: the peer is most likely alive
   * and serving. So we take over only if the peer then stays silent for a full deadtime
   * counted from that moment; a count that drops again meanwhile restarts the wait.
   */
  #watchRecovery(at: Millis, out: ClusterAction[]): void {
    const peer = [...this.#peers.values()].find((x) => x.status === "dead");
    if (!this.#commUp || this.#shuttingDown || !this.#resources.gaveUp || !peer || this.#peerAlive()) {
      this.#rearbitration = undefined;
      return;
    }
    const theirs = peer.pingCount ?? this.#ipfail?.partnerCount;
    const mine = this.#ping.freshCount(at, this.#pingSettleMs());
    const recovered = theirs !== undefined && mine > 0 && mine >= theirs;
    const r = this.#rearbitration;
    if (!r) {
      if (!recovered) return;
      const waitMs = peer.deadThresholdMs(true, this.#opts.deadtimeMs, this.#opts.initdeadMs);
      this.#rearbitration = { peer, since: at, at: later(at, waitMs) };
      log(
        out,
        "info",
        `Our network is back (${mine} ping node(s), ${peer.name} reached ${theirs}): taking over only if ${peer.name} stays silent for another ${waitMs} ms`,
      );
      return;
    }
    if (!recovered) {
      log(out, "info", `Ping nodes lost again (${mine} < ${theirs ?? "?"}): no takeover yet`);
      this.#rearbitration = undefined;
      return;
    }
    if (at < r.at) return;
    this.#rearbitration = undefined;
    log(
      out,
      "warn",
      `Arbitration: ${peer.name} stayed silent for ${at - r.since} ms after our network came back (we reach ${mine}, it reached ${theirs}): taking over`,
    );
    this.#resources.onPeerDead(at, out, "deadtime", "take-over");
  }

  #linkHeard(peer: PeerLiveness, linkName: string, at: Millis, out: ClusterAction[], isStatus = false): void {
    const link = peer.links.get(linkName);
    if (!link) return;
    link.lastHeardAt = at;
    if (isStatus) {
      if (link.lastStatusHeardAt !== undefined) {
        link.statusIntervals.push({ at, intervalMs: at - link.lastStatusHeardAt });
        if (link.statusIntervals.length > LINK_INTERVAL_HISTORY) link.statusIntervals.shift();
      }
      link.lastStatusHeardAt = at;
    }
    if (link.status !== "up") {
      link.status = "up";
      log(out, "info", `Link ${peer.name}:${link.name} up.`);
    }
  }

  #rejected(event: DatagramRejected, out: ClusterAction[]): void {
    this.#counters.rejected!++;
    const key = `rejected:${event.reason}`;
    this.#counters[key] = (this.#counters[key] ?? 0) + 1;
    this.#rateLimitedLog(
      event.at,
      `${event.fromAddress} ${event.reason}`,
      out,
      "warn",
      `Dropped a packet from ${event.fromAddress} on ${event.link}: ${event.reason}: ${event.detail}`,
    );
  }

  /** Logs at most once per REJECT_LOG_INTERVAL_MS per key, and says how many were suppressed. */
  #rateLimitedLog(at: Millis, key: string, out: ClusterAction[], level: LogLevel, text: string): void {
    const prev = this.#rejectLog.get(key);
    if (prev && at - prev.at < REJECT_LOG_INTERVAL_MS) {
      prev.suppressed++;
      return;
    }
    const suffix = prev && prev.suppressed > 0 ? ` (${prev.suppressed} similar suppressed)` : "";
    this.#rejectLog.set(key, { at, suppressed: 0 });
    if (this.#rejectLog.size > 1024) this.#rejectLog.clear(); // a flood of forged addresses must not grow memory
    log(out, level, text + suffix);
  }
}

/** A node UUID as text: 8-4-4-4-12 lower-case hex. */
export function uuidText(b: Buffer): string {
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function isNodeStatus(s: string): s is NodeStatus {
  return s === "init" || s === "up" || s === "active" || s === "dead";
}

function log(out: ClusterAction[], level: LogLevel, text: string): void {
  out.push({ type: "log", level, text });
}
