// FailoverTracker: watches the core's actions and snapshots to time each takeover of a dead peer's resource groups.

import type { ClusterAction } from "../cluster/cluster-actions";
import type { MembershipSnapshot } from "../cluster/cluster-node";
import type { Millis, NodeName } from "../cluster/time";

/** One takeover of a dead peer's groups by this node, as the status page reports it. */
export interface FailoverRecord {
  /** When the peer was declared dead here (wall clock, ISO 8601). */
  readonly at: string;
  /** The same instant on the daemon's monotonic clock (ms). */
  readonly atMs: Millis;
  /** From the peer's death to the last of its groups running here (ms). */
  readonly durationMs: number;
  readonly from: NodeName;
  readonly to: NodeName;
  /** `deadtime`: its heartbeats stopped; `shutdone`: it said it was stopping. */
  readonly cause: "deadtime" | "shutdone" | "unknown";
  /** Groups now running here. */
  readonly groups: readonly string[];
  /** Groups that failed to start here. */
  readonly failedGroups: readonly string[];
}

/** A Prometheus-style histogram, JSON-serialisable. `counts[i]` counts observations ≤ `bounds[i]`, and the last one the rest (+Inf); not cumulative. */
export interface HistogramData {
  /** Upper bounds, ascending, in seconds. */
  readonly bounds: readonly number[];
  /** One count per bound plus one for +Inf. */
  readonly counts: readonly number[];
  readonly sum: number;
  readonly count: number;
}

/** Takeover durations are bucketed from 10 ms to 2 min: in-process starts are fast, scripts may be slow. */
export const TAKEOVER_BUCKETS_SECONDS: readonly number[] = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/** A pending takeover older than this is given up (its groups never all came up): 10 min. */
const PENDING_LIMIT_MS = 600_000;

interface PendingTakeover {
  readonly from: NodeName;
  readonly atMs: Millis;
  readonly atWall: number;
  readonly cause: FailoverRecord["cause"];
  readonly waiting: Set<string>;
  readonly acquired: string[];
  readonly failed: string[];
}

/**
 * Derives failovers from what the core does: a peer that was alive (up or active) and
 * is now dead starts a takeover of the groups not held here at that moment; it ends
 * when each of them has been reported acquired or failed. The core is not changed for
 * this: the tracker reads its actions and, only when an action could mean a change,
 * its snapshot.
 */
export class FailoverTracker {
  /** Each peer's status at the previous look. */
  readonly #peerStatus = new Map<NodeName, string>();
  #pending: PendingTakeover | undefined;
  #last: FailoverRecord | null = null;
  #total = 0;
  readonly #counts: number[] = new Array<number>(TAKEOVER_BUCKETS_SECONDS.length + 1).fill(0);
  #sumSeconds = 0;

  /**
   * Feeds the actions of one core step. `snapshot` is called only when an action could
   * reflect a membership or resource change (logs, group starts and ends), never for a
   * step that only sent heartbeats. Returns true when something a viewer sees changed.
   */
  observe(actions: readonly ClusterAction[], snapshot: () => MembershipSnapshot, monoMs: Millis, wallMs: number): boolean {
    let interesting = false;
    let cause: FailoverRecord["cause"] = "unknown";
    for (const a of actions) {
      // Resource checks run every few hundred ms: not worth a snapshot each (their results show in the status anyway).
      if (a.type === "send" || a.type === "retransmit" || a.type === "run-check") continue;
      interesting = true;
      if (a.type === "log") {
        if (/ is dead$/.test(a.text)) cause = "deadtime";
        else if (/shutdown notice/i.test(a.text)) cause = "shutdone";
      }
    }
    if (!interesting) return false;
    const snap = snapshot();
    this.#noticeDeaths(snap, cause, monoMs, wallMs);
    for (const a of actions) {
      if (a.type === "report-transition") this.#transition(a.key, a.state, snap.localNode, monoMs);
    }
    if (this.#pending && monoMs - this.#pending.atMs > PENDING_LIMIT_MS) this.#pending = undefined;
    return true;
  }

  /** The last completed takeover, or null. */
  get last(): FailoverRecord | null {
    return this.#last;
  }

  /** How many takeovers completed since the start. */
  get total(): number {
    return this.#total;
  }

  /** Takeover durations so far. */
  histogram(): HistogramData {
    return { bounds: TAKEOVER_BUCKETS_SECONDS, counts: [...this.#counts], sum: round6(this.#sumSeconds), count: this.#total };
  }

  #noticeDeaths(snap: MembershipSnapshot, cause: FailoverRecord["cause"], monoMs: Millis, wallMs: number): void {
    for (const node of snap.nodes) {
      if (node.name === snap.localNode || node.type !== "normal") continue;
      const before = this.#peerStatus.get(node.name);
      this.#peerStatus.set(node.name, node.status);
      if (node.status !== "dead") continue;
      // Alive at the previous look; or, at the very first look, declared dead in this very step
      // after having been heard (a death log came with it).
      const wasAlive = before === "up" || before === "active" || (before === undefined && cause !== "unknown" && node.lastStatusAt !== undefined);
      if (!wasAlive) continue;
      // Groups not running here now are the ones to take over (its own and any of ours it had).
      const waiting = new Set(snap.groups.filter((g) => g.state === "stopped" || g.state === "starting").map((g) => g.key));
      if (waiting.size === 0) continue;
      this.#pending = { from: node.name, atMs: monoMs, atWall: wallMs, cause, waiting, acquired: [], failed: [] };
    }
  }

  #transition(key: string, state: "acquired" | "released" | "failed", localNode: NodeName, monoMs: Millis): void {
    const p = this.#pending;
    if (!p || !p.waiting.has(key) || state === "released") return;
    p.waiting.delete(key);
    (state === "acquired" ? p.acquired : p.failed).push(key);
    if (p.waiting.size > 0) return;
    this.#pending = undefined;
    if (p.acquired.length === 0) return; // nothing was taken over
    const durationMs = Math.max(0, monoMs - p.atMs);
    this.#last = {
      at: new Date(p.atWall).toISOString(),
      atMs: p.atMs,
      durationMs,
      from: p.from,
      to: localNode,
      cause: p.cause,
      groups: p.acquired,
      failedGroups: p.failed,
    };
    this.#total++;
    const seconds = durationMs / 1000;
    this.#sumSeconds += seconds;
    let i = TAKEOVER_BUCKETS_SECONDS.findIndex((b) => seconds <= b);
    if (i < 0) i = TAKEOVER_BUCKETS_SECONDS.length;
    this.#counts[i]!++;
  }
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
