// ResourceMonitor: the pure decision logic of resource monitoring (rise/fall, failure counts with expiry, on-fail, threshold → move, no ping-pong).

import type { ClusterAction, LogLevel } from "./cluster-actions";
import type { CheckFinished, ResourceRestarted } from "./cluster-events";
import { later, type Millis } from "./time";

/** What a confirmed failure of a check leads to (Pacemaker's `on-fail`). */
export type OnFail = "restart" | "failover" | "ignore";

/** One periodic check of one resource: its own status/monitor action, or a built-in http/tcp/script check. */
export interface ResourceCheckSpec {
  /** Unique on this node, used in actions and events: `httpd monitor`, `httpd http://127.0.0.1/`. */
  readonly id: string;
  /** The resource token (as written in haresources) this check watches. */
  readonly resource: string;
  readonly intervalMs: number;
  /** A run still unanswered after this long counts as a failed run (≤ intervalMs, checked by the config). */
  readonly timeoutMs: number;
  /** Consecutive failed runs that make a healthy check failing (keepalived's `fall`). */
  readonly fall: number;
  /** Consecutive good runs that make a failing check healthy again (keepalived's `rise`). */
  readonly rise: number;
  readonly onFail: OnFail;
}

/** A haresources group with monitoring. */
export interface MonitoredGroup {
  readonly key: string;
  /** Resource tokens in haresources order (a restart respects it). */
  readonly resources: readonly string[];
  readonly checks: readonly ResourceCheckSpec[];
  /** Failures within failureTimeoutMs after which the group moves (Pacemaker's migration-threshold). */
  readonly migrationThreshold: number;
  /** How long a failure counts (Pacemaker's failure-timeout); 0 = until reset by the operator. */
  readonly failureTimeoutMs: number;
}

/** What the monitor needs from the rest of the core (the resource manager, membership). */
export interface ResourceMonitorOptions {
  readonly groups: readonly MonitoredGroup[];
  /** The group's state in the resource manager. */
  readonly groupState: (key: string) => "running" | "held" | "not-held";
  /** True when the resource manager is settled: no group operation queued or running, no standby exchange. */
  readonly managerQuiet: () => boolean;
  readonly peerAlive: () => boolean;
  /** Hands the group to the peer through the standby handshake; false when it could not even ask. */
  readonly moveGroup: (key: string, at: Millis, out: ClusterAction[]) => boolean;
  /** Stops the group here and keeps it stopped (not retried) until resumeGroup. */
  readonly stopGroup: (key: string, at: Millis, out: ClusterAction[]) => void;
  /** Starts a group stopped by stopGroup again. */
  readonly resumeGroup: (key: string, at: Millis, out: ClusterAction[]) => void;
}

/** How many recent runs each check keeps for the status page's chart. */
export const CHECK_HISTORY_SIZE = 60;
/** Upper bounds (ms) of the check latency histogram's buckets (for /metrics). */
export const CHECK_LATENCY_BOUNDS_MS: readonly number[] = [1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000];

/**
 * A check due within this fraction of its interval runs when the node is awake anyway (a
 * heartbeat to send or read, a ping reply): it then costs no wake-up of its own. It never
 * runs later than due, and at most a tenth of an interval early.
 */
export const CHECK_EARLY_FRACTION = 0.1;

/** How early a check may run to share a wake-up: a tenth of its interval, in whole ms. */
export function checkEarlyMs(intervalMs: number): number {
  return Math.floor(intervalMs * CHECK_EARLY_FRACTION);
}

/** A check's debounced verdict. */
export type CheckHealth = "healthy" | "failing";

/** One check, for status output. */
export interface CheckSnapshot {
  readonly id: string;
  readonly resource: string;
  readonly health: CheckHealth;
  readonly lastCheckAt?: Millis;
  readonly lastLatencyMs?: number;
  readonly lastWords?: string;
  /** The words of the last failed run. */
  readonly lastFailure?: string;
  readonly runs: number;
  readonly failedRuns: number;
  /** Recent runs, oldest first: when it ended, how long it took, whether it passed. */
  readonly history: readonly { readonly at: Millis; readonly latencyMs: number; readonly ok: boolean }[];
  /** Every run's latency: counts per CHECK_LATENCY_BOUNDS_MS bucket (one more for above), sum in ms. */
  readonly latency: { readonly counts: readonly number[]; readonly sumMs: number };
}

/** One group, for status output. */
export interface MonitoredGroupSnapshot {
  readonly key: string;
  readonly phase: GroupPhase;
  /** Failures counted now (within failure_timeout). */
  readonly failures: number;
  readonly migrationThreshold: number;
  /** The last failure's words. */
  readonly lastFailure?: string;
  /** We gave the group away (or stopped it) for failures and refuse it back until they expire. */
  readonly refusing: boolean;
  /** What the peer reported for this group (Twinbeat peers only). */
  readonly peerFailures?: number;
  readonly peerRefusing?: boolean;
  readonly checks: readonly CheckSnapshot[];
}

/**
 * idle: not watched (not running here, or a start/stop/standby is under way: monitoring pauses);
 * watching: checks run; restarting: a restart-resource is under way; moving: handed to the peer;
 * stopping / stopped: stopped here for failures, waiting for them to expire or an operator.
 */
export type GroupPhase = "idle" | "watching" | "restarting" | "moving" | "stopping" | "stopped";

interface CheckRecord {
  readonly spec: ResourceCheckSpec;
  health: CheckHealth;
  /** Consecutive failed / good runs; reset by the opposite result. */
  failStreak: number;
  okStreak: number;
  /** When false, a failing streak is not a new failure (on-fail=ignore already reported it). */
  armed: boolean;
  /** When the next run is due; undefined while not watching or while a run is out. */
  dueAt: Millis | undefined;
  /** The run out now: its id and when it times out. */
  inFlight: { readonly runId: number; readonly startedAt: Millis; readonly deadline: Millis } | undefined;
  lastCheckAt: Millis | undefined;
  lastLatencyMs: number | undefined;
  lastWords: string | undefined;
  lastFailure: string | undefined;
  runs: number;
  failedRuns: number;
  readonly history: { at: Millis; latencyMs: number; ok: boolean }[];
  readonly latencyCounts: number[];
  latencySumMs: number;
}

interface GroupRecord {
  readonly spec: MonitoredGroup;
  readonly checks: CheckRecord[];
  phase: GroupPhase;
  /** When each counted failure happened (pruned when older than failureTimeoutMs). */
  failures: Millis[];
  lastFailure: string | undefined;
  /** We gave the group away (or stopped it here) for failures: refuse it back until expiry or reset. */
  refusing: boolean;
  /** The resource being restarted. */
  restarting: string | undefined;
  peerFailures: number | undefined;
  peerRefusing: boolean;
}

/**
 * Watches the resources of the groups this node holds and decides what a failure means.
 * Checks run only while a group runs here and the resource manager is quiet (monitoring
 * pauses during any start, stop and standby exchange). A check becomes failing after `fall`
 * failed runs in a row and healthy again after `rise` good ones; the change to failing is one
 * failure of the group. on-fail=restart restarts the resource in place, until the group has
 * `migrationThreshold` failures within `failureTimeoutMs`; then (or at once with
 * on-fail=failover) the group moves to the peer, but only to a peer that is alive and not
 * failing it itself. Otherwise the group is stopped here and reported, so two broken nodes never
 * pass a group back and forth. See DESIGN.md, "Resource monitoring".
 */
export class ResourceMonitor {
  readonly #opts: ResourceMonitorOptions;
  readonly #groups: GroupRecord[];
  #nextRunId = 1;

  constructor(options: ResourceMonitorOptions) {
    this.#opts = options;
    this.#groups = options.groups.map(newGroup);
  }

  /**
   * A configuration reload: a group whose monitoring is unchanged keeps everything; a changed
   * one keeps its failure count and refusal but starts its checks afresh (runs still out are
   * answered into the void); a group no longer monitored that was stopped here for failures is
   * started again, since nothing else would ever resume it.
   */
  reconfigure(groups: readonly MonitoredGroup[], at: Millis, out: ClusterAction[]): void {
    const before = new Map(this.#groups.map((g) => [g.spec.key, g]));
    const next = groups.map((spec): GroupRecord => {
      const old = before.get(spec.key);
      before.delete(spec.key);
      if (!old) {
        if (spec.checks.length > 0) log(out, "info", `Configuration reload: monitoring of group ${spec.key} added`);
        return newGroup(spec);
      }
      if (JSON.stringify(old.spec) === JSON.stringify(spec)) return old;
      log(out, "info", `Configuration reload: monitoring of group ${spec.key} changed: its checks start again, its failure count is kept`);
      return {
        ...old,
        spec,
        checks: spec.checks.map(newCheck),
        phase: old.phase === "watching" || old.phase === "restarting" ? "idle" : old.phase,
        restarting: undefined,
      };
    });
    for (const old of before.values()) {
      if (old.spec.checks.length > 0) log(out, "info", `Configuration reload: monitoring of group ${old.spec.key} removed`);
      if (old.phase === "stopped") this.#opts.resumeGroup(old.spec.key, at, out);
    }
    this.#groups.splice(0, this.#groups.length, ...next);
  }

  /** True when any group has a check: messages then carry our failure counts. */
  get active(): boolean {
    return this.#groups.some((g) => g.checks.length > 0);
  }

  nextWakeAt(): Millis | undefined {
    let next: Millis | undefined;
    const consider = (t: Millis | undefined) => {
      if (t !== undefined && (next === undefined || t < next)) next = t;
    };
    for (const g of this.#groups) {
      for (const c of g.checks) consider(c.inFlight ? c.inFlight.deadline : c.dueAt);
      if (g.failures.length > 0 && g.spec.failureTimeoutMs > 0) consider(later(g.failures[0]!, g.spec.failureTimeoutMs));
    }
    return next;
  }

  /**
   * Called after every event: follows the resource manager (pause / resume), expires
   * failures, times out runs and sends the runs that are due (or due within checkEarlyMs:
   * the daemon is awake for this event, so the run costs no wake-up of its own).
   */
  onClock(at: Millis, out: ClusterAction[]): void {
    for (const g of this.#groups) {
      this.#expire(g, at, out);
      this.#follow(g, at, out);
      if (g.phase !== "watching") continue;
      for (const c of g.checks) {
        if (c.inFlight && at >= c.inFlight.deadline) {
          const { startedAt } = c.inFlight;
          this.#result(g, c, at, false, `timed out after ${c.spec.timeoutMs} ms`, at - startedAt, out);
          if (g.phase !== "watching") break;
        }
        // Due, or nearly due while we are awake anyway (its own wake-up at dueAt stays the fallback).
        if (!c.inFlight && c.dueAt !== undefined && at >= c.dueAt - checkEarlyMs(c.spec.intervalMs)) {
          const runId = this.#nextRunId++;
          c.inFlight = { runId, startedAt: at, deadline: later(at, c.spec.timeoutMs) };
          c.dueAt = undefined;
          out.push({ type: "run-check", key: g.spec.key, check: c.spec.id, runId, timeoutMs: c.spec.timeoutMs });
        }
      }
    }
  }

  /** A run asked for by run-check has ended. Late answers (after a timeout or a pause) are dropped. */
  onCheckFinished(event: CheckFinished, out: ClusterAction[]): void {
    for (const g of this.#groups) {
      for (const c of g.checks) {
        if (c.spec.id !== event.check || c.inFlight?.runId !== event.runId) continue;
        if (g.phase !== "watching") {
          c.inFlight = undefined;
          return;
        }
        this.#result(g, c, event.at, event.healthy, event.words, event.latencyMs, out);
        return;
      }
    }
  }

  /** A restart-resource has ended. */
  onResourceRestarted(event: ResourceRestarted, out: ClusterAction[]): void {
    const g = this.#groups.find((x) => x.spec.key === event.key);
    if (!g || g.phase !== "restarting" || g.restarting !== event.resource) return;
    g.restarting = undefined;
    if (event.succeeded) {
      log(out, "info", `Resource ${event.resource} of group ${g.spec.key} restarted`);
      g.phase = "idle"; // resumes (checks re-armed) at the next #follow when still quiet
      this.#follow(g, event.at, out, "after-restart");
      return;
    }
    const words = `restart of ${event.resource} failed${event.detail ? `: ${event.detail}` : ""}`;
    log(out, "error", `Resource group ${g.spec.key}: ${words}`);
    g.lastFailure = words;
    // A resource that cannot even start here will not get better by retrying here.
    this.#relocate(g, event.at, out, words);
  }

  /** What the peer said in its status (`tb_rscfail`), by group key; groups absent have no failures. */
  onPeerFailures(reported: ReadonlyMap<string, { readonly count: number; readonly refusing: boolean }>): void {
    for (const g of this.#groups) {
      const r = reported.get(g.spec.key);
      g.peerFailures = r?.count ?? 0;
      g.peerRefusing = r?.refusing ?? false;
    }
  }

  /** The peer died or restarted: what it said about its failures no longer holds. */
  onPeerGone(): void {
    for (const g of this.#groups) {
      g.peerFailures = undefined;
      g.peerRefusing = false;
    }
  }

  /**
   * Why this node must not take group `key` (it gave it away or stopped it for failures that
   * have not expired), or undefined. The resource manager asks before accepting a standby.
   */
  refusal(key: string): string | undefined {
    const g = this.#groups.find((x) => x.spec.key === key);
    if (!g || !g.refusing) return undefined;
    return `${g.failures.length} monitor failure(s) here (${g.lastFailure ?? "no details"}); they expire after failure_timeout, or run hb_takeover`;
  }

  /** Our failure counts for the peer (Twinbeat's `tb_rscfail` field): `count:refusing:key`, space-separated. */
  failureField(): string {
    return this.#groups
      .filter((g) => g.failures.length > 0 || g.refusing)
      .map((g) => `${g.failures.length}:${g.refusing ? 1 : 0}:${g.spec.key}`)
      .join(" ");
  }

  /** The operator reset the failures (hb_takeover, `twinbeat resource-reset`): groups stopped for failures start again. */
  reset(at: Millis, out: ClusterAction[], key?: string): void {
    for (const g of this.#groups) {
      if (key !== undefined && g.spec.key !== key) continue;
      if (g.failures.length > 0 || g.refusing) log(out, "info", `Failure count of group ${g.spec.key} reset by the operator`);
      g.failures = [];
      g.refusing = false;
      for (const c of g.checks) Object.assign(c, { health: "healthy", failStreak: 0, okStreak: 0, armed: true });
      if (g.phase === "stopped") {
        g.phase = "idle";
        this.#opts.resumeGroup(g.spec.key, at, out);
      }
    }
  }

  snapshot(): readonly MonitoredGroupSnapshot[] {
    return this.#groups.map((g) => ({
      key: g.spec.key,
      phase: g.phase,
      failures: g.failures.length,
      migrationThreshold: g.spec.migrationThreshold,
      ...(g.lastFailure !== undefined ? { lastFailure: g.lastFailure } : {}),
      refusing: g.refusing,
      ...(g.peerFailures !== undefined ? { peerFailures: g.peerFailures, peerRefusing: g.peerRefusing } : {}),
      checks: g.checks.map((c) => ({
        id: c.spec.id,
        resource: c.spec.resource,
        health: c.health,
        ...(c.lastCheckAt !== undefined ? { lastCheckAt: c.lastCheckAt } : {}),
        ...(c.lastLatencyMs !== undefined ? { lastLatencyMs: c.lastLatencyMs } : {}),
        ...(c.lastWords !== undefined ? { lastWords: c.lastWords } : {}),
        ...(c.lastFailure !== undefined ? { lastFailure: c.lastFailure } : {}),
        runs: c.runs,
        failedRuns: c.failedRuns,
        history: c.history.map((h) => ({ ...h })),
        latency: { counts: [...c.latencyCounts], sumMs: c.latencySumMs },
      })),
    }));
  }

  // ---- following the resource manager -----------------------------------------------------

  /** Pauses or resumes watching as the group's state in the resource manager changes. */
  #follow(g: GroupRecord, at: Millis, out: ClusterAction[], why?: "after-restart"): void {
    const state = this.#opts.groupState(g.spec.key);
    const quiet = state === "running" && this.#opts.managerQuiet();
    switch (g.phase) {
      case "idle":
        if (quiet && g.checks.length > 0) {
          g.phase = "watching";
          for (const c of g.checks) {
            c.inFlight = undefined;
            c.failStreak = 0;
            c.okStreak = 0;
            c.armed = true;
            // After a restart the check stays failing until `rise` good runs say otherwise.
            if (why !== "after-restart") c.health = "healthy";
            c.dueAt = later(at, c.spec.intervalMs);
          }
        }
        break;
      case "watching":
        if (!quiet) {
          g.phase = "idle";
          for (const c of g.checks) {
            c.inFlight = undefined; // its answer, when it comes, is dropped
            c.dueAt = undefined;
          }
        }
        break;
      case "moving":
        if (state === "not-held") {
          g.phase = "idle";
          log(out, "info", `Resource group ${g.spec.key} moved to the peer after failures`);
        } else if (quiet) {
          // The standby was refused or timed out and the group is still here, still failing.
          log(out, "crit", `Resource group ${g.spec.key}: the peer did not take it: stopping it here`);
          this.#stopHere(g, at, out, "the peer did not take it");
        }
        break;
      case "stopping":
        if (state === "not-held" && this.#opts.managerQuiet()) g.phase = "stopped";
        break;
      case "restarting":
      case "stopped":
        break;
    }
  }

  // ---- results -----------------------------------------------------------------------------

  #result(g: GroupRecord, c: CheckRecord, at: Millis, ok: boolean, words: string, latencyMs: number, out: ClusterAction[]): void {
    c.inFlight = undefined;
    c.dueAt = later(at, Math.max(1, c.spec.intervalMs - latencyMs));
    c.lastCheckAt = at;
    c.lastLatencyMs = latencyMs;
    c.lastWords = words;
    c.runs++;
    c.history.push({ at, latencyMs, ok });
    if (c.history.length > CHECK_HISTORY_SIZE) c.history.shift();
    const bucket = CHECK_LATENCY_BOUNDS_MS.findIndex((b) => latencyMs <= b);
    c.latencyCounts[bucket < 0 ? CHECK_LATENCY_BOUNDS_MS.length : bucket]!++;
    c.latencySumMs += latencyMs;
    if (ok) {
      c.okStreak++;
      c.failStreak = 0;
      if (c.health === "failing" && c.okStreak >= c.spec.rise) {
        c.health = "healthy";
        c.armed = true;
        log(out, "info", `Resource ${c.spec.resource} (${c.spec.id}) is healthy again after ${c.okStreak} good check(s)`);
      }
      return;
    }
    c.failedRuns++;
    c.lastFailure = words;
    c.failStreak++;
    c.okStreak = 0;
    if (c.failStreak < c.spec.fall || !c.armed) {
      if (c.failStreak < c.spec.fall) log(out, "debug", `Check ${c.spec.id} failed (${c.failStreak} of ${c.spec.fall}): ${words}`);
      return;
    }
    c.health = "failing";
    c.armed = false;
    this.#failed(g, c, at, words, out);
  }

  /** A check confirmed a failure (fall runs in a row): apply its on-fail. */
  #failed(g: GroupRecord, c: CheckRecord, at: Millis, words: string, out: ClusterAction[]): void {
    const what = `Resource ${c.spec.resource} of group ${g.spec.key} failed ${c.spec.fall} check(s) in a row (${c.spec.id}): ${words}`;
    if (c.spec.onFail === "ignore") {
      log(out, "warn", `${what} (on-fail=ignore)`);
      return;
    }
    g.failures.push(at);
    g.lastFailure = `${c.spec.resource}: ${words}`;
    const count = g.failures.length;
    log(out, "error", `${what} [failure ${count} of ${g.spec.migrationThreshold}]`);
    if (c.spec.onFail === "restart" && count < g.spec.migrationThreshold) {
      g.phase = "restarting";
      g.restarting = c.spec.resource;
      for (const x of g.checks) {
        x.inFlight = undefined;
        x.dueAt = undefined;
      }
      log(out, "info", `Restarting resource ${c.spec.resource} of group ${g.spec.key} in place`);
      out.push({ type: "restart-resource", key: g.spec.key, resource: c.spec.resource });
      return;
    }
    this.#relocate(
      g,
      at,
      out,
      c.spec.onFail === "failover" ? `on-fail=failover: ${g.lastFailure}` : `migration_threshold ${g.spec.migrationThreshold} reached: ${g.lastFailure}`,
    );
  }

  /** The group cannot stay here: to the peer if it can take it, else stopped here. */
  #relocate(g: GroupRecord, at: Millis, out: ClusterAction[], why: string): void {
    for (const x of g.checks) {
      x.inFlight = undefined;
      x.dueAt = undefined;
    }
    g.refusing = true;
    if (!this.#opts.peerAlive()) {
      log(out, "crit", `Resource group ${g.spec.key} cannot move (${why}): no peer is alive to take it`);
      this.#stopHere(g, at, out, why);
      return;
    }
    if (g.peerRefusing) {
      log(
        out,
        "crit",
        `Resource group ${g.spec.key} fails on both nodes (the peer has ${g.peerFailures ?? "?"} failure(s) and refuses it): keeping it stopped here, no ping-pong; fix it and run hb_takeover or twinbeat resource-reset`,
      );
      this.#stopHere(g, at, out, why);
      return;
    }
    log(out, "warn", `Moving resource group ${g.spec.key} to the peer: ${why}`);
    out.push({ type: "report-transition", key: g.spec.key, state: "failed", reason: why });
    g.phase = "moving";
    if (!this.#opts.moveGroup(g.spec.key, at, out)) {
      log(out, "crit", `Resource group ${g.spec.key}: could not ask the peer to take it: stopping it here`);
      this.#stopHere(g, at, out, why, false);
    }
  }

  #stopHere(g: GroupRecord, at: Millis, out: ClusterAction[], why: string, report = true): void {
    g.refusing = true;
    g.phase = "stopping";
    if (report) out.push({ type: "report-transition", key: g.spec.key, state: "failed", reason: why });
    this.#opts.stopGroup(g.spec.key, at, out);
  }

  /** Forgets failures older than failure_timeout; when none is left, the group may come back. */
  #expire(g: GroupRecord, at: Millis, out: ClusterAction[]): void {
    if (g.spec.failureTimeoutMs <= 0 || g.failures.length === 0) return;
    const before = g.failures.length;
    g.failures = g.failures.filter((t) => at < t + g.spec.failureTimeoutMs);
    if (g.failures.length === before) return;
    log(out, "info", `${before - g.failures.length} failure(s) of group ${g.spec.key} expired (failure_timeout): ${g.failures.length} left`);
    if (g.failures.length > 0) return;
    g.refusing = false;
    if (g.phase === "stopped") {
      log(out, "info", `Starting resource group ${g.spec.key} again: its failures expired`);
      g.phase = "idle";
      this.#opts.resumeGroup(g.spec.key, at, out);
    }
  }
}

function newGroup(spec: MonitoredGroup): GroupRecord {
  return {
    spec,
    checks: spec.checks.map(newCheck),
    phase: "idle",
    failures: [],
    lastFailure: undefined,
    refusing: false,
    restarting: undefined,
    peerFailures: undefined,
    peerRefusing: false,
  };
}

function newCheck(spec: ResourceCheckSpec): CheckRecord {
  return {
    spec,
    health: "healthy",
    failStreak: 0,
    okStreak: 0,
    armed: true,
    dueAt: undefined,
    inFlight: undefined,
    lastCheckAt: undefined,
    lastLatencyMs: undefined,
    lastWords: undefined,
    lastFailure: undefined,
    runs: 0,
    failedRuns: 0,
    history: [],
    latencyCounts: new Array<number>(CHECK_LATENCY_BOUNDS_MS.length + 1).fill(0),
    latencySumMs: 0,
  };
}

/** Parses the peer's `tb_rscfail` field; malformed entries are skipped (remote input is data). */
export function parseFailureField(text: string | undefined): Map<string, { count: number; refusing: boolean }> {
  const m = new Map<string, { count: number; refusing: boolean }>();
  for (const entry of (text ?? "").split(" ")) {
    const match = /^(\d{1,6}):([01]):(.+)$/.exec(entry);
    if (match) m.set(match[3]!, { count: Number(match[1]), refusing: match[2] === "1" });
  }
  return m;
}

function log(out: ClusterAction[], level: LogLevel, text: string): void {
  out.push({ type: "log", level, text });
}
