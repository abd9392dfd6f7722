// The chaos campaign's fault catalogue and its seeded schedule: which fault, on which role, at which timer phase, for how long.

import { seededRandom } from "../../appliance/src/cluster/seeded-random";

/** Who a fault hits, resolved against the pair just before injection (the holder of the VIP, or the other node). */
export type Role = "holder" | "standby";

/** The heartbeat ping nodes of the seed: the gateway on eth0, the third host (witness) on eth1. */
export type PingNodeKey = "gateway" | "witness";

export type FaultKind =
  | "kill9"
  | "kill9-mid-takeover"
  | "kill9-mid-standby"
  | "kill9-mid-failback"
  | "sigstop"
  | "graceful-restart"
  | "both-start"
  | "cable-pull"
  | "ifdown"
  | "hb-switch-dead"
  | "no-receive"
  | "no-send"
  | "partial-partition"
  | "loss-burst"
  | "latency"
  | "ping-node-dead"
  | "sighup-mid-transition"
  | "resource-start-fails"
  | "resource-stop-fails"
  | "resource-start-hangs"
  | "resource-stop-hangs";

/** One planned fault: everything random about it is decided here, from the seed, before the lab runs. */
export interface FaultPlan {
  readonly iteration: number;
  readonly kind: FaultKind;
  /** The node the fault hits (for kill9-mid-*: the node killed; for sighup: the node signalled). */
  readonly target: Role;
  /** The cable or interface for cable-pull / ifdown / loss / one-way faults. */
  readonly ifName?: "eth0" | "eth1";
  /** For ping-node-dead: which ping node becomes unreachable from the target only. */
  readonly pingNode?: PingNodeKey;
  /** Random wait (0 ≤ phase < keepalive) before injecting: the fault lands at a random phase of the heartbeat timer. */
  readonly phaseMs: number;
  /** For *-mid-* faults: delay between triggering the transition and the kill / signal. */
  readonly delayMs: number;
  /** How long the fault lasts before it is healed. */
  readonly holdMs: number;
  /** For loss-burst: percent of frames dropped each way. */
  readonly lossPercent?: number;
  /** For sighup-mid-transition: which transition is running when the signal lands. */
  readonly transition?: "standby" | "takeover";
}

export interface CatalogueTimings {
  readonly keepaliveMs: number;
  readonly deadtimeMs: number;
}

/** Every kind the campaign knows, in table order. */
export const FAULT_KINDS: readonly FaultKind[] = [
  "kill9",
  "kill9-mid-takeover",
  "kill9-mid-standby",
  "kill9-mid-failback",
  "sigstop",
  "graceful-restart",
  "both-start",
  "cable-pull",
  "ifdown",
  "hb-switch-dead",
  "no-receive",
  "no-send",
  "partial-partition",
  "loss-burst",
  "latency",
  "ping-node-dead",
  "sighup-mid-transition",
  "resource-start-fails",
  "resource-stop-fails",
  "resource-start-hangs",
  "resource-stop-hangs",
];

/**
 * Whether this fault is one of the rows of DESIGN.md's split-brain table where both nodes may
 * hold the VIP (until the heal + rtt + stop): the standby's own heartbeat cable cut while both
 * still reach the witness ("the standby cannot tell this from a dead switch"; taking the
 * standby's eth1 down is the same seen from the node), and the path between the nodes broken
 * while both reach every ping node (a partial partition: to the standby exactly a peer death,
 * which only fencing or a quorum device could tell apart). Everything else allows one holder.
 */
export function allowsDoubleHolding(plan: Pick<FaultPlan, "kind" | "target" | "ifName">): boolean {
  if (plan.kind === "partial-partition") return true;
  return (plan.kind === "cable-pull" || plan.kind === "ifdown") && plan.ifName === "eth1" && plan.target === "standby";
}

/**
 * Log lines at ERROR/CRIT level (or exceptions) that a fault explains. Anything else at those
 * levels during an iteration is a violation. Patterns are matched against the whole log line.
 */
export function expectedLogPatterns(kind: FaultKind): readonly RegExp[] {
  // Heartbeat's own CRIT lines when a node is silent longer than deadtime and comes back.
  const silence = [/CRIT: Late heartbeat: Node \S+: interval \d+ ms \(> deadtime\)/, /CRIT: Cluster node \S+ returning after partition/];
  // The flagged web server's script failing (its exit code), or killed at the resource timeout.
  const httpdFailed =
    /(ERROR|CRIT): ((Return code \d+ from|Timed out)[^\n]*\/resource\.d\/httpd\b|Giving up resources due to failure of httpd\b|Giving up resource group \S+: (start|stop) failed: httpd\b)/;
  // The resource guard releasing what a killed daemon held (its whole purpose).
  const guard = [/twinbeat-guard\[\d+\]: .*CRIT: The Twinbeat daemon on \S+ died without releasing its resources/];
  // A daemon frozen past deadtime: the core's stall rule, the guard dropping the addresses, the core told so.
  const frozen = [
    /CRIT: Local stall of \d+ ms detected: .*Treating it as a partition/,
    /twinbeat-guard\[\d+\]: .*CRIT: The Twinbeat daemon on \S+ has been silent for \d+ ms/,
    /CRIT: This node was frozen past the peer's deadtime: the resource guard removed the addresses/,
    /CRIT: Resource guard removed the addresses of .* while this node was frozen: releasing every group and rejoining/,
  ];
  switch (kind) {
    case "sigstop":
      return [...silence, ...frozen];
    case "kill9":
    case "kill9-mid-takeover":
    case "kill9-mid-standby":
    case "kill9-mid-failback":
    case "sighup-mid-transition": // a death by SIGHUP is itself reported as an unexpected exit
      return [...silence, ...guard];
    case "cable-pull":
    case "ifdown":
    case "hb-switch-dead":
    case "no-receive":
    case "no-send":
    case "partial-partition":
    case "loss-burst":
    case "latency":
      return silence;
    case "resource-start-fails":
    case "resource-start-hangs":
      return [httpdFailed];
    case "resource-stop-fails":
    case "resource-stop-hangs":
      // DESIGN.md: a failed stop is logged CRIT, the group kept as held, the standby aborted, nothing rebooted.
      return [httpdFailed, /CRIT: Resource STOP failure\b/, /CRIT: Twinbeat does not reboot\b/, /CRIT: Standby aborted: could not release\b/];
    case "graceful-restart":
    case "both-start":
    case "ping-node-dead":
      return [];
  }
}

/** Faults that stop both daemons first and then start both at once: the bound to one holder counts from a cold start. */
export function isColdStart(kind: FaultKind): boolean {
  return kind === "both-start";
}

function pick<T>(rnd: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rnd() * xs.length) % xs.length]!;
}

function between(rnd: () => number, lo: number, hi: number): number {
  return Math.round(lo + rnd() * (hi - lo));
}

/**
 * The campaign's schedule: `iterations` plans drawn from `seed`. Plan K depends only on
 * (seed, K), so `--only-iteration K` replays exactly the fault that iteration K ran.
 * `kinds` restricts the draw (default: every kind; `excluded` kinds are never drawn).
 */
export function planCampaign(
  seed: number,
  iterations: number,
  timings: CatalogueTimings,
  opts: { kinds?: readonly FaultKind[]; excluded?: readonly FaultKind[] } = {},
): FaultPlan[] {
  const kinds = (opts.kinds ?? FAULT_KINDS).filter((k) => !(opts.excluded ?? []).includes(k));
  if (kinds.length === 0) throw new Error("no fault kind left to draw from");
  const plans: FaultPlan[] = [];
  for (let i = 1; i <= iterations; i++) plans.push(planIteration(seed, i, timings, kinds));
  return plans;
}

/** One iteration's plan, from its own PRNG stream (seed mixed with the iteration number). */
export function planIteration(seed: number, iteration: number, timings: CatalogueTimings, kinds: readonly FaultKind[] = FAULT_KINDS): FaultPlan {
  const rnd = seededRandom(((seed >>> 0) ^ Math.imul(iteration, 0x9e3779b1)) >>> 0);
  rnd(); // the first draw of mulberry32 is weakly mixed for nearby seeds
  const kind = pick(rnd, kinds);
  const { keepaliveMs: ka, deadtimeMs: dt } = timings;
  const phaseMs = Math.floor(rnd() * ka);
  const target = pick<Role>(rnd, ["holder", "standby"]);
  const base = { iteration, kind, phaseMs };
  // Long enough for the peer to declare the target dead and act on it, plus a random margin.
  const outage = between(rnd, dt + 300, dt + 1800);
  switch (kind) {
    case "kill9":
    case "graceful-restart":
      return { ...base, target, delayMs: 0, holdMs: outage };
    case "kill9-mid-takeover":
    case "kill9-mid-standby":
      return { ...base, target, delayMs: between(rnd, 0, 1500), holdMs: between(rnd, 500, 1500) };
    case "kill9-mid-failback":
      return { ...base, target, delayMs: between(rnd, 0, 3000), holdMs: between(rnd, 500, 1500) };
    case "sigstop":
      return { ...base, target, delayMs: 0, holdMs: outage };
    case "both-start":
      return { ...base, target: "holder", delayMs: 0, holdMs: between(rnd, 300, 1000) };
    case "cable-pull":
    case "ifdown":
      return { ...base, target, ifName: pick(rnd, ["eth0", "eth1"] as const), delayMs: 0, holdMs: outage };
    case "hb-switch-dead":
    case "partial-partition":
      return { ...base, target: "holder", delayMs: 0, holdMs: outage };
    case "no-receive":
    case "no-send":
      return { ...base, target, ifName: "eth1", delayMs: 0, holdMs: outage };
    case "loss-burst":
      return { ...base, target, ifName: "eth1", delayMs: 0, holdMs: between(rnd, 2000, 4000), lossPercent: between(rnd, 20, 60) };
    case "latency":
      return { ...base, target, ifName: "eth1", delayMs: 0, holdMs: between(rnd, 2000, 4000) };
    case "ping-node-dead":
      return { ...base, target, pingNode: pick(rnd, ["gateway", "witness"] as const), delayMs: 0, holdMs: between(rnd, 2000, 4000) };
    case "sighup-mid-transition":
      return { ...base, target, transition: pick(rnd, ["standby", "takeover"] as const), delayMs: between(rnd, 0, 1000), holdMs: 500 };
    case "resource-start-fails":
    case "resource-start-hangs":
      // The group is sent to the standby, whose start fails or hangs.
      return { ...base, target: "standby", delayMs: 0, holdMs: between(rnd, 1500, 3500) };
    case "resource-stop-fails":
    case "resource-stop-hangs":
      // The holder is asked to go standby, and its stop fails or hangs.
      return { ...base, target: "holder", delayMs: 0, holdMs: between(rnd, 1500, 3500) };
  }
}

/** A plan in a few words, for tables and replay lines. */
export function describePlan(p: FaultPlan): string {
  const parts: string[] = [p.kind, `on ${p.target}`];
  if (p.ifName) parts.push(p.ifName);
  if (p.pingNode) parts.push(`ping node ${p.pingNode}`);
  if (p.transition) parts.push(`during ${p.transition}`);
  if (p.lossPercent !== undefined) parts.push(`${p.lossPercent}%`);
  if (p.delayMs) parts.push(`after ${p.delayMs} ms`);
  parts.push(`phase ${p.phaseMs} ms`, `held ${p.holdMs} ms`);
  return parts.join(", ");
}
