// Several cluster cores wired through a SimNetwork on a VirtualClock: the simulator scenarios drive.

import { ClusterNode, type ClusterNodeOptions } from "../../src/cluster/cluster-node";
import type { ClusterAction } from "../../src/cluster/cluster-actions";
import type { ClusterEvent } from "../../src/cluster/cluster-events";
import { later, latest, normalizeNodeName, type Millis } from "../../src/cluster/time";
import type { MonitoredGroup } from "../../src/cluster/resource-monitor";
import { stampControlFields } from "../../src/protocol/control-fields";
import { SimNetwork } from "./sim-network";
import { VirtualClock } from "./virtual-clock";

/** One log line a simulated node wrote, with the virtual time. */
export interface SimLogLine {
  readonly at: Millis;
  readonly node: string;
  readonly level: string;
  readonly text: string;
}

export interface SimClusterOptions {
  readonly nodes: readonly string[];
  readonly links: readonly string[];
  readonly keepaliveMs: number;
  readonly deadtimeMs: number;
  readonly warntimeMs?: number;
  readonly initdeadMs?: number;
  readonly seed?: number;
  /** haresources groups: key and home node. */
  readonly groups?: readonly { readonly key: string; readonly homeNode: string }[];
  readonly autoFailback?: "on" | "off" | "legacy";
  /** How long a simulated group start or stop takes. */
  readonly agentDelayMs?: number;
  /** Ping nodes (same on every node) and their deadping. */
  readonly pingNodes?: readonly { readonly name: string; readonly hosts: readonly string[] }[];
  readonly deadpingMs?: number;
  /** Run the built-in ipfail on every node. */
  readonly ipfail?: boolean;
  /** How often each node's pinger gets an answer from each reachable host [keepalive]. */
  readonly pingIntervalMs?: number;
  /** Resource monitoring on every node. */
  readonly monitoredGroups?: readonly MonitoredGroup[];
  /** How long a simulated check run takes [5 ms]. */
  readonly checkLatencyMs?: number;
}

/**
 * Core options as scenarios write them: node names as plain strings, branded (lower-cased) here
 * at the simulator's edge as the config parsers do for the daemon.
 */
export type SimNodeOptions = Omit<Partial<ClusterNodeOptions>, "localNode" | "nodes" | "groups" | "pingNodes"> & {
  readonly localNode?: string;
  readonly nodes?: readonly string[];
  readonly groups?: SimClusterOptions["groups"];
  readonly pingNodes?: SimClusterOptions["pingNodes"];
};

function toCoreOptions(o: SimNodeOptions): Partial<ClusterNodeOptions> {
  const { localNode, nodes, groups, pingNodes, ...rest } = o;
  return {
    ...rest,
    ...(localNode !== undefined ? { localNode: normalizeNodeName(localNode) } : {}),
    ...(nodes ? { nodes: nodes.map(normalizeNodeName) } : {}),
    ...(groups ? { groups: groups.map((g) => ({ ...g, homeNode: normalizeNodeName(g.homeNode) })) } : {}),
    ...(pingNodes ? { pingNodes: pingNodes.map((p) => ({ ...p, name: normalizeNodeName(p.name) })) } : {}),
  };
}

/** What one simulated check run answers; "hang" never answers. */
export type SimCheckAnswer = { readonly healthy: boolean; readonly words: string; readonly latencyMs?: number } | "hang";

/** A group operation the simulated runner is carrying out. */
interface PendingOperation {
  readonly at: Millis;
  readonly node: string;
  readonly key: string;
  readonly operation: "start" | "stop" | "restart";
  /** The resource restarted (restart only). */
  readonly resource?: string;
  /** The core instance that asked: a crashed-and-restarted node must not get its predecessor's answers. */
  readonly core: ClusterNode;
}

/** A simulated check run that will answer. */
interface PendingCheck {
  readonly at: Millis;
  readonly node: string;
  readonly core: ClusterNode;
  readonly check: string;
  readonly runId: number;
  readonly healthy: boolean;
  readonly words: string;
  readonly latencyMs: number;
}

interface SimMember {
  readonly name: string;
  core: ClusterNode | undefined;
  /** The options its core runs with (a reload replaces them): its links and ping hosts. */
  options: ClusterNodeOptions | undefined;
  /** While set, the node's process is frozen (SIGSTOP, VM pause) until this time. */
  frozenUntil: Millis | undefined;
  /** What arrived while frozen (socket buffer, runner results), handed over on waking. */
  readonly buffered: ClusterEvent[];
  generation: number;
  /** Stamped sequenced messages by seq, for retransmission. */
  readonly history: Map<number, import("../../src/protocol/ha-message").HaMessage>;
}

/** A core broke one of its own invariants during a simulated step. */
export class InvariantBreach extends Error {
  override name = "InvariantBreach";
}

/** Runs cores against each other with no sockets and no sleeping. */
export class SimCluster {
  readonly clock = new VirtualClock();
  readonly network: SimNetwork;
  readonly log: SimLogLine[] = [];
  readonly #opts: SimClusterOptions;
  readonly #members = new Map<string, SimMember>();
  /** What really runs on each node (survives a daemon crash, like a VIP left on an interface). */
  readonly running = new Map<string, Set<string>>();
  /** "node/key" pairs whose start fails. */
  readonly failingStarts = new Set<string>();
  /**
   * "node/key" pairs whose stop fails, as a service that will not stop: it stays up, but the
   * runner goes on right to left past it and removes the group's address (not a holder then).
   */
  readonly failingStops = new Set<string>();
  /** Per node: how long its group starts and stops take, instead of agentDelayMs (a slower machine, a slower agent). */
  readonly agentDelayOf = new Map<string, number>();
  readonly #pendingOps: PendingOperation[] = [];
  /** "node/host" pairs whose ICMP echoes get no answer. */
  readonly #pingBlocked = new Set<string>();
  #nextPingAt: Millis | undefined;
  /**
   * Resources that are down on a node although their group runs: "crashed" until the next
   * start or restart of that resource there, "broken" for good (starts succeed, checks fail).
   */
  readonly brokenResources = new Map<string, "crashed" | "broken">();
  /** Overrides the answer of a check run on a node (flapping, hanging checks); undefined = the default model. */
  checkAnswer: ((node: string, check: string, resource: string) => SimCheckAnswer | undefined) | undefined;
  /** Check runs each node started: for "never overlaps" checks. */
  readonly checkRuns: { readonly at: Millis; readonly node: string; readonly check: string; readonly runId: number }[] = [];
  /** When true, every step is recorded in `steps` (off by default: long simulations would keep too much). */
  traceSteps = false;
  /** Each step of each core while traceSteps: what woke it and which actions it returned, in order. */
  readonly steps: { readonly at: Millis; readonly node: string; readonly event: ClusterEvent["type"]; readonly actions: readonly ClusterAction["type"][] }[] =
    [];
  /** Restarts carried out: node, group, resource, when they began. */
  readonly restarts: { readonly at: Millis; readonly node: string; readonly key: string; readonly resource: string }[] = [];
  readonly #pendingChecks: PendingCheck[] = [];
  /** When each node's (serialized) group runner is free again. */
  readonly #runnerFreeAt = new Map<string, Millis>();
  /** Every change of a group's holders: for "exactly one holder" checks. */
  readonly holderHistory: { at: Millis; key: string; holders: string[] }[] = [];

  constructor(options: SimClusterOptions) {
    this.#opts = options;
    this.network = new SimNetwork(options.seed ?? 1);
    for (const name of options.nodes) {
      this.#members.set(name, { name, core: undefined, options: undefined, frozenUntil: undefined, buffered: [], generation: 0, history: new Map() });
      this.running.set(name, new Set());
    }
  }

  /** Makes `host` unreachable (or reachable again) by ping from `node`. */
  setPingReachable(node: string, host: string, reachable: boolean): void {
    if (reachable) this.#pingBlocked.delete(`${node}/${host}`);
    else this.#pingBlocked.add(`${node}/${host}`);
  }

  /** Nodes on which group `key` runs now. */
  holders(key: string): string[] {
    return [...this.running].filter(([, keys]) => keys.has(key)).map(([n]) => n);
  }

  /** The longest time group `key` had two or more holders, from the history so far. */
  longestDoubleHolding(key: string): number {
    let longest = 0;
    let since: Millis | undefined;
    for (const h of this.holderHistory.filter((x) => x.key === key)) {
      if (h.holders.length > 1 && since === undefined) since = h.at;
      if (h.holders.length <= 1 && since !== undefined) {
        longest = Math.max(longest, h.at - since);
        since = undefined;
      }
    }
    if (since !== undefined) longest = Math.max(longest, this.clock.now() - since);
    return longest;
  }

  /** Boots (or reboots, with a higher generation) node `name` now. */
  start(name: string, overrides: SimNodeOptions = {}): ClusterNode {
    const m = this.#member(name);
    m.generation++;
    m.history.clear();
    m.frozenUntil = undefined;
    m.buffered.length = 0;
    m.options = this.#optionsFor(m, overrides);
    m.core = new ClusterNode(m.options);
    this.#deliver(m, { type: "started", at: this.clock.now() });
    return m.core;
  }

  /** The core options of node `name`: the cluster's, then `overrides`. */
  #optionsFor(m: SimMember, overrides: SimNodeOptions): ClusterNodeOptions {
    const o = this.#opts;
    return {
      localNode: normalizeNodeName(m.name),
      nodes: o.nodes.map(normalizeNodeName),
      links: o.links,
      keepaliveMs: o.keepaliveMs,
      deadtimeMs: o.deadtimeMs,
      warntimeMs: o.warntimeMs ?? o.deadtimeMs / 2,
      initdeadMs: o.initdeadMs ?? o.deadtimeMs * 2,
      generation: m.generation,
      groups: toCoreOptions({ groups: o.groups ?? [] }).groups!,
      autoFailback: o.autoFailback ?? "on",
      pingNodes: toCoreOptions({ pingNodes: o.pingNodes ?? [] }).pingNodes!,
      deadpingMs: o.deadpingMs ?? o.deadtimeMs,
      ipfail: o.ipfail ?? false,
      pingIntervalMs: o.pingIntervalMs ?? o.keepaliveMs,
      monitoredGroups: o.monitoredGroups ?? [],
      ...toCoreOptions(overrides),
    };
  }

  /**
   * Reloads node `name`'s configuration (SIGHUP): its current options with `changes`
   * applied, delivered as `config-reloaded`. Its links and ping hosts follow.
   */
  reload(name: string, changes: SimNodeOptions): void {
    const m = this.#member(name);
    if (!m.core || !m.options) throw new Error(`Cannot reload "${name}": it is not running`);
    const options = { ...m.options, ...toCoreOptions(changes) };
    this.deliver(name, { type: "config-reloaded", at: this.clock.now(), options });
    // The daemon keeps its identity; the media and pingers follow the new files.
    m.options = { ...options, localNode: m.options.localNode, nodes: m.options.nodes, generation: m.options.generation };
  }

  /**
   * Kills node `name` without a word: it neither sends nor receives. A machine
   * crash takes its resources with it; `daemonOnly` (kill -9 of the daemon) leaves them.
   */
  crash(name: string, options: { daemonOnly?: boolean } = {}): void {
    const m = this.#member(name);
    m.core = undefined;
    m.frozenUntil = undefined;
    m.buffered.length = 0;
    if (!options.daemonOnly) {
      for (const key of [...this.running.get(name)!]) this.#setRunning(name, key, false);
    }
  }

  /**
   * Freezes node `name`'s daemon for `ms` (SIGSTOP, a paused VM, a long GC or swap storm):
   * it sends nothing and handles nothing; datagrams and the group runner's results wait in
   * its buffers (ping replies are lost) and are handed over, stamped with the wake-up time,
   * when it wakes. Its resources stay up meanwhile, as addresses on an interface do.
   */
  freeze(name: string, ms: number): void {
    const m = this.#member(name);
    m.frozenUntil = later(this.clock.now(), ms);
  }

  /** Carries out the operator's hb_standby / hb_takeover on `name`. */
  admin(name: string, command: "standby" | "takeover", which: "all" | "local" | "foreign" | "failback" = "all"): void {
    this.deliver(name, { type: "admin-requested", at: this.clock.now(), command, which });
  }

  /** Whether node `name`'s daemon runs (started, not crashed, not shut down). */
  isRunning(name: string): boolean {
    return this.#member(name).core !== undefined;
  }

  core(name: string): ClusterNode {
    const core = this.#member(name).core;
    if (!core) throw new Error(`Cannot get core of "${name}": it is not running`);
    return core;
  }

  /** Runs the simulation for `ms` of virtual time. */
  runFor(ms: number): void {
    this.runUntil(() => false, ms);
  }

  /** Runs until `pred()` holds (checked after every step) or `maxMs` passes; returns whether it held. */
  runUntil(pred: () => boolean, maxMs: number): boolean {
    const end = later(this.clock.now(), maxMs);
    for (let guard = 0; guard < 10_000_000; guard++) {
      if (pred()) return true;
      const next = this.#nextEventAt();
      if (next === undefined || next > end) {
        this.clock.advanceTo(end);
        return pred();
      }
      this.clock.advanceTo(latest(next, this.clock.now()));
      const at = this.clock.now();
      for (const m of this.#members.values()) {
        if (m.frozenUntil === undefined || m.frozenUntil > at) continue;
        m.frozenUntil = undefined;
        for (const e of m.buffered.splice(0)) this.#deliver(m, { ...e, at });
        this.#deliver(m, { type: "clock-advanced", at });
      }
      if (this.#nextPingAt !== undefined && at >= this.#nextPingAt) {
        this.#nextPingAt = later(at, this.#opts.pingIntervalMs ?? this.#opts.keepaliveMs);
        for (const m of this.#members.values()) {
          if (!m.core) continue;
          for (const p of m.options?.pingNodes ?? []) {
            for (const host of p.hosts) if (!this.#pingBlocked.has(`${m.name}/${host}`)) this.#deliver(m, { type: "ping-replied", at, host });
          }
        }
      }
      for (const op of this.#takeDueOps(at)) {
        const m = this.#members.get(op.node)!;
        if (m.core !== op.core) continue;
        if (op.operation === "restart") {
          const crashKey = `${op.node}/${op.resource!}`;
          if (this.brokenResources.get(crashKey) === "crashed") this.brokenResources.delete(crashKey);
          this.#deliver(m, { type: "resource-restarted", at, key: op.key, resource: op.resource!, succeeded: true });
          continue;
        }
        const failed = (op.operation === "start" ? this.failingStarts : this.failingStops).has(`${op.node}/${op.key}`);
        if (op.operation === "start") this.#clearCrashes(op.node, op.key);
        this.#setRunning(op.node, op.key, op.operation === "start" && !failed);
        this.#deliver(m, {
          type: "group-finished",
          at,
          key: op.key,
          operation: op.operation,
          succeeded: !failed,
          ...(failed ? { detail: `httpd: ${op.operation} failed (simulated)` } : {}),
        });
      }
      for (const c of this.#takeDueChecks(at)) {
        const m = this.#members.get(c.node)!;
        if (m.core !== c.core) continue;
        this.#deliver(m, { type: "check-finished", at, check: c.check, runId: c.runId, healthy: c.healthy, words: c.words, latencyMs: c.latencyMs });
      }
      for (const d of this.network.takeDue(at)) {
        const m = this.#members.get(d.to);
        if (m?.core) this.#deliver(m, { type: "message-received", at, link: d.link, fromAddress: d.from, message: d.message });
      }
      for (const m of this.#members.values()) {
        const wake = m.core?.nextWakeAt();
        if (m.core && wake !== undefined && wake <= at) this.#deliver(m, { type: "clock-advanced", at });
      }
    }
    throw new Error("Invariant violated: simulation did not settle");
  }

  /** Log lines of one node (or all) containing `text`. */
  logsMatching(text: string, node?: string): SimLogLine[] {
    return this.log.filter((l) => l.text.includes(text) && (node === undefined || l.node === node));
  }

  /** Delivers an event to a running node and carries out its actions. */
  deliver(name: string, event: ClusterEvent): void {
    this.#deliver(this.#member(name), event);
  }

  /** Every message goes out on every medium to every other node. */
  #broadcast(m: SimMember, at: Millis, message: import("../../src/protocol/ha-message").HaMessage): void {
    for (const peer of this.#opts.nodes) {
      if (peer === m.name) continue;
      for (const link of m.options?.links ?? this.#opts.links) this.network.send(at, m.name, peer, link, message);
    }
  }

  #takeDueChecks(at: Millis): PendingCheck[] {
    const due = this.#pendingChecks.filter((c) => c.at <= at);
    const keep = this.#pendingChecks.filter((c) => c.at > at);
    this.#pendingChecks.length = 0;
    this.#pendingChecks.push(...keep);
    return due;
  }

  /** A start of group `key` on `node` starts its crashed resources afresh. */
  #clearCrashes(node: string, key: string): void {
    const group = this.#opts.monitoredGroups?.find((g) => g.key === key);
    for (const r of group?.resources ?? []) if (this.brokenResources.get(`${node}/${r}`) === "crashed") this.brokenResources.delete(`${node}/${r}`);
  }

  /** Group operations on one node run one at a time, like the real runner's queue. */
  #scheduleOp(node: string, at: Millis, durationMs: number): Millis {
    const end = later(latest(at, this.#runnerFreeAt.get(node) ?? at), durationMs);
    this.#runnerFreeAt.set(node, end);
    return end;
  }

  #startCheck(m: SimMember, at: Millis, key: string, check: string, runId: number): void {
    this.checkRuns.push({ at, node: m.name, check, runId });
    const spec = this.#opts.monitoredGroups?.find((g) => g.key === key)?.checks.find((c) => c.id === check);
    const resource = spec?.resource ?? "";
    let answer = this.checkAnswer?.(m.name, check, resource);
    if (answer === undefined) {
      const state = this.brokenResources.get(`${m.name}/${resource}`);
      answer =
        state === undefined && this.running.get(m.name)!.has(key)
          ? { healthy: true, words: "running" }
          : { healthy: false, words: `${resource} is not running (simulated)` };
    }
    if (answer === "hang") return;
    const latencyMs = answer.latencyMs ?? this.#opts.checkLatencyMs ?? 5;
    this.#pendingChecks.push({ at: later(at, latencyMs), node: m.name, core: m.core!, check, runId, healthy: answer.healthy, words: answer.words, latencyMs });
  }

  #takeDueOps(at: Millis): PendingOperation[] {
    const due = this.#pendingOps.filter((o) => o.at <= at);
    const keep = this.#pendingOps.filter((o) => o.at > at);
    this.#pendingOps.length = 0;
    this.#pendingOps.push(...keep);
    return due;
  }

  #setRunning(node: string, key: string, running: boolean): void {
    const set = this.running.get(node)!;
    if (set.has(key) === running) return;
    if (running) set.add(key);
    else set.delete(key);
    this.holderHistory.push({ at: this.clock.now(), key, holders: this.holders(key) });
  }

  #nextEventAt(): Millis | undefined {
    const pinging = [...this.#members.values()].some((m) => m.core && (m.options?.pingNodes ?? []).length > 0);
    if (pinging && this.#nextPingAt === undefined) this.#nextPingAt = this.clock.now();
    let next = this.network.nextDeliveryAt();
    if (this.#nextPingAt !== undefined && (next === undefined || this.#nextPingAt < next)) next = this.#nextPingAt;
    for (const op of this.#pendingOps) if (next === undefined || op.at < next) next = op.at;
    for (const c of this.#pendingChecks) if (next === undefined || c.at < next) next = c.at;
    for (const m of this.#members.values()) {
      const w = m.frozenUntil ?? m.core?.nextWakeAt();
      if (w !== undefined && (next === undefined || w < next)) next = w;
    }
    return next;
  }

  #member(name: string): SimMember {
    const m = this.#members.get(name);
    if (!m) throw new Error(`Cannot find simulated node "${name}"`);
    return m;
  }

  #deliver(m: SimMember, event: ClusterEvent): void {
    if (!m.core) return;
    if (m.frozenUntil !== undefined) {
      if (event.type === "message-received" || event.type === "group-finished" || event.type === "admin-requested") m.buffered.push(event);
      return;
    }
    const core = m.core;
    const actions = core.step(event);
    if (this.traceSteps) this.steps.push({ at: event.at, node: m.name, event: event.type, actions: actions.map((a) => a.type) });
    this.#carryOut(m, actions);
    // The core's rule for its own bugs: it never throws from step(), it logs
    // "Invariant violated: …" and carries on; here every such line, and every breach of
    // the invariants it states, fails the simulation at the step that caused it.
    const logged = actions.filter((a) => a.type === "log" && a.text.startsWith("Invariant violated")).map((a) => (a.type === "log" ? a.text : ""));
    const breaches = [...logged, ...core.invariantBreaches()];
    if (breaches.length > 0) throw new InvariantBreach(`${m.name} after ${event.type} at ${this.clock.now()}: ${breaches.join("; ")}`);
  }

  #carryOut(m: SimMember, actions: ClusterAction[]): void {
    const at = this.clock.now();
    for (const a of actions) {
      switch (a.type) {
        case "log":
          this.log.push({ at, node: m.name, level: a.level, text: a.text });
          break;
        case "start-group":
        case "stop-group":
          this.#pendingOps.push({
            at: this.#scheduleOp(m.name, at, this.agentDelayOf.get(m.name) ?? this.#opts.agentDelayMs ?? 50),
            node: m.name,
            key: a.key,
            operation: a.type === "start-group" ? "start" : "stop",
            core: m.core!,
          });
          break;
        case "drop-addresses":
          // The addresses go at once (ip addr del takes milliseconds): from now on this node no longer answers for the VIP.
          for (const key of a.keys) this.#setRunning(m.name, key, false);
          break;
        case "restart-resource":
          this.restarts.push({ at, node: m.name, key: a.key, resource: a.resource });
          this.#pendingOps.push({
            at: this.#scheduleOp(m.name, at, 2 * (this.#opts.agentDelayMs ?? 50)),
            node: m.name,
            key: a.key,
            operation: "restart",
            resource: a.resource,
            core: m.core!,
          });
          break;
        case "run-check":
          this.#startCheck(m, at, a.key, a.check, a.runId);
          break;
        case "shutdown-complete":
          m.core = undefined;
          break;
        case "report-transition":
          break;
        case "retransmit": {
          const message = m.history.get(a.seq);
          if (message) this.#broadcast(m, at, message);
          break;
        }
        case "send": {
          const message = stampControlFields(a.body, a.seq, {
            src: m.name,
            uuid: Buffer.alloc(16, m.name.charCodeAt(m.name.length - 1)),
            generation: m.generation,
            wallClockSec: 1_700_000_000 + Math.floor(at / 1000),
            load: "0.00 0.00 0.00 1/100 1",
            ttl: this.#opts.nodes.length + 1,
          });
          if (a.seq !== undefined) m.history.set(a.seq, message);
          this.#broadcast(m, at, message);
          break;
        }
      }
    }
  }
}
