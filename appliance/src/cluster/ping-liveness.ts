// Ping nodes as Heartbeat keeps them: pseudo-members with status `ping` while ICMP echoes come back within deadping.

import { later, millis, type Millis, type NodeName } from "./time";

/**
 * How often a healthy ping node answers: one echo per keepalive, clamped to 0.2–1 s so
 * that ping detection is about as fast as heartbeats without flooding. The one place
 * this is computed: the daemon passes it to the core (pingIntervalMs) and the pinger.
 */
export function pingIntervalFor(keepaliveMs: number): number {
  return Math.min(Math.max(keepaliveMs, 200), 1000);
}

/** One ping node (`ping host` or `ping_group name host…`). */
export interface PingNodeState {
  readonly name: NodeName;
  readonly hosts: readonly string[];
  /** `init` before the first reply, `ping` while replies arrive, `dead` after deadping of silence. */
  status: "init" | "ping" | "dead";
  /** When any of its hosts last answered; undefined before the first answer. */
  lastReplyAt: Millis | undefined;
  /** When it was added by a configuration reload (its first deadping counts from there). */
  addedAt?: Millis;
}

/** Tracks every ping node; a `ping_group` is alive while any member answers. */
export class PingLiveness {
  #nodes: PingNodeState[];
  readonly #byHost = new Map<string, PingNodeState>();
  #deadpingMs: number;
  /** Deadline origin for nodes that never answered. */
  #startedAt: Millis = millis(0);

  constructor(config: readonly { readonly name: NodeName; readonly hosts: readonly string[] }[], deadpingMs: number) {
    this.#nodes = config.map((c) => ({ name: c.name, hosts: c.hosts, status: "init" as const, lastReplyAt: undefined }));
    for (const n of this.#nodes) for (const h of n.hosts) this.#byHost.set(h, n);
    this.#deadpingMs = deadpingMs;
  }

  /** Every ping node, in ha.cf order. */
  get nodes(): readonly PingNodeState[] {
    return this.#nodes;
  }

  /**
   * A configuration reload: ping nodes that stay keep their state (a `ping_group` whose
   * hosts changed too), new ones start as `init` with a full deadping from `at`, removed
   * ones are forgotten. Returns the names added and removed.
   */
  reconfigure(
    config: readonly { readonly name: NodeName; readonly hosts: readonly string[] }[],
    deadpingMs: number,
    at: Millis,
  ): { added: NodeName[]; removed: NodeName[] } {
    const old = new Map(this.#nodes.map((n) => [n.name, n]));
    const added: NodeName[] = [];
    this.#nodes = config.map((c) => {
      const kept = old.get(c.name);
      if (kept) return { ...kept, hosts: c.hosts };
      added.push(c.name);
      return { name: c.name, hosts: c.hosts, status: "init" as const, lastReplyAt: undefined, addedAt: at };
    });
    const removed = [...old.keys()].filter((name) => !config.some((c) => c.name === name));
    this.#byHost.clear();
    for (const n of this.#nodes) for (const h of n.hosts) this.#byHost.set(h, n);
    this.#deadpingMs = deadpingMs;
    return { added, removed };
  }

  start(at: Millis): void {
    this.#startedAt = at;
  }

  /** How many ping nodes answer now (a group counts once): ipfail's count. */
  aliveCount(): number {
    return this.#nodes.filter((n) => n.status === "ping").length;
  }

  /**
   * Ping nodes that answered within the last `freshnessMs`: used when the peer goes
   * silent. A ping node whose answers stopped when the heartbeats stopped went down
   * with the same link; counting it out now avoids waiting for deadping.
   */
  freshCount(at: Millis, freshnessMs: number): number {
    return this.#nodes.filter((n) => n.status === "ping" && n.lastReplyAt !== undefined && at - n.lastReplyAt <= freshnessMs).length;
  }

  /** A reply from `host`; returns the node if it just came (back) up. */
  replied(host: string, at: Millis): PingNodeState | undefined {
    const n = this.#byHost.get(host);
    if (!n) return undefined;
    n.lastReplyAt = at;
    if (n.status === "ping") return undefined;
    n.status = "ping";
    return n;
  }

  /** Nodes whose silence passed deadping at `at`; they are marked dead. */
  expire(at: Millis): PingNodeState[] {
    const died: PingNodeState[] = [];
    for (const n of this.#nodes) {
      if (n.status === "dead") continue;
      if (at >= this.#deadlineOf(n)) {
        n.status = "dead";
        died.push(n);
      }
    }
    return died;
  }

  nextWakeAt(): Millis | undefined {
    let next: Millis | undefined;
    for (const n of this.#nodes) {
      if (n.status === "dead") continue;
      const t = this.#deadlineOf(n);
      if (next === undefined || t < next) next = t;
    }
    return next;
  }

  #deadlineOf(n: PingNodeState): Millis {
    return later(n.lastReplyAt ?? n.addedAt ?? this.#startedAt, this.#deadpingMs);
  }
}
