// The v1 resource-management half of the core: who holds which haresources group, and the takeover handshake (spec §4.8).

import type { HaMessage } from "../protocol/ha-message";
import { getField, str } from "../protocol/ha-message";
import type { ClusterAction, LogLevel } from "./cluster-actions";
import type { GroupFinished, ResourceSet } from "./cluster-events";
import { later, type Millis, type NodeName } from "./time";

/** Heartbeat's RQSTDELAY: how long a starting node waits for an unsettled peer before taking its own groups. */
export const HANDSHAKE_FALLBACK_MS = 10_000;
/** How often an unanswered legacy ip-request is repeated. */
const IP_REQUEST_RETRY_MS = 2000;
/** How long an hb_standby waits for the peer's answer ("No reply to standby request"). */
export const STANDBY_REPLY_TIMEOUT_MS = 10_000;
/**
 * How long a standby request that came while we could not take it (the peer not yet alive
 * again in our view, our own work running) waits to be answered, well inside the requester's
 * reply timeout. An auto failback sent the moment a partition heals often arrives just before
 * the heartbeat that ends the partition here: ignoring it would leave the groups on the peer.
 */
const STANDBY_DEFER_MS = STANDBY_REPLY_TIMEOUT_MS / 2;

export type AutoFailbackMode = "on" | "off" | "legacy";

/** What one group is doing on this node. */
export type GroupState = "stopped" | "starting" | "running" | "stopping" | "start-failed" | "stop-failed";

/** Heartbeat's resource-manager state (nice_failback): INIT → STARTING → RSCRCVD → STABLE → SHUTDOWN. */
export type RscState = "init" | "starting" | "rscrcvd" | "stable" | "shutdown";

/** The held-set words of `rsc_hold` and `cl_status rscstatus`. */
export type HeldSet = "none" | "local" | "foreign" | "all";

export interface ResourceManagerOptions {
  readonly localNode: NodeName;
  /** The other normal node (haresources mode is a two-node protocol). */
  readonly peer: NodeName | undefined;
  /** haresources groups in file order: key and home node. */
  readonly groups: readonly { readonly key: string; readonly homeNode: NodeName }[];
  readonly autoFailback: AutoFailbackMode;
  /** Sends a sequenced message (the membership core numbers it). */
  readonly send: (out: ClusterAction[], body: HaMessage) => void;
  /** Resource monitoring: why this node must not take group `key` from the peer now, or undefined. */
  readonly refuseToTake?: (key: string) => string | undefined;
}

interface GroupRecord {
  readonly key: string;
  homeNode: NodeName;
  /** True when this node is the group's home (preferred) node. */
  local: boolean;
  state: GroupState;
}

/** A queued series of group operations, run one at a time, with what to do after. */
interface Batch {
  readonly ops: readonly { readonly key: string; readonly op: "start" | "stop" }[];
  index: number;
  /** The runner is doing `ops[index]` now (only ever the batch at the head of the queue). */
  running: boolean;
  readonly failed: string[];
  readonly onDone: (out: ClusterAction[], at: Millis, failed: readonly string[]) => void;
}

/** An hb_standby exchange in progress (spec §4.8, standby protocol). */
interface StandbyExchange {
  /** requester = we give `set` away; taker = the peer gives it to us. */
  readonly role: "requester" | "taker";
  /** The set as the REQUESTER names it (its own point of view), as carried in rsc_hold. */
  readonly set: Exclude<ResourceSet, "failback">;
  /**
   * When to give up waiting: the requester for the peer's `other`; the taker, after its `other`,
   * for the requester's report that its release began (`resource … info=standby`, which both
   * Heartbeat and Twinbeat send first), cleared once it came (a release may take long).
   */
  replyDeadline?: Millis;
  phase: "asked" | "releasing" | "acquiring";
}

/**
 * Where this node stands in Heartbeat's resource handshake (nice_failback), each phase with
 * only the data that is valid in it: INIT → STARTING → RSCRCVD → STABLE → SHUTDOWN.
 * A local stall goes back from STABLE to STARTING (rejoining); legacy mode goes from INIT
 * straight to STABLE (it has no handshake).
 */
type LocalPhase = { readonly state: "init" } | Handshake | Stable | { readonly state: "shutdown" };

interface Stable {
  readonly state: "stable";
  /** The hb_standby exchange under way, if any. */
  standby: StandbyExchange | undefined;
  /**
   * We got here from a handshake whose deadline was still pending, neither acquisition nor a
   * dead peer having ended it: older work finishing (a standby acquisition done after a stall)
   * cut the handshake short. A bug, which invariantBreaches reports while this phase lasts.
   */
  readonly handshakeCutShort: boolean;
}

/** STARTING (we sent `starting`) or RSCRCVD (the peer's `resource` came): waiting to acquire our groups. */
interface Handshake {
  state: "starting" | "rscrcvd";
  /** When to stop waiting for an unsettled peer; cleared once acquisition begins or the peer dies. */
  handshakeDeadline: Millis | undefined;
  /** The acquisition of our local groups is queued or running. */
  acquiringLocal: boolean;
  /**
   * We run the handshake again after a local stall (see onLocalStall): once the peer
   * reports stable, we also take its groups that nobody holds.
   */
  readonly rejoining: boolean;
}

/**
 * The peer's liveness as membership last reported it. Only a dead peer can have made us give
 * way (arbitration found us the node cut off), and hearing it again undoes that.
 */
type PeerLiveness = { readonly status: "unknown" } | { readonly status: "dead"; gaveUp: boolean } | { readonly status: "alive" };

/**
 * What the peer last said of its own handshake: `starting` (it boots like us and has not
 * reported stable since), `stable` (its last `resource` had isstable=1), or `transition`
 * (anything else, or nothing heard since it died or we stalled). Its messages count even
 * while membership calls it dead: a `resource` may overtake the status that brings it back.
 */
type PeerSays = "transition" | "starting" | "stable";

function isHandshake(p: LocalPhase): p is Handshake {
  return p.state === "starting" || p.state === "rscrcvd";
}

/**
 * Decides which groups this node starts and stops, from membership changes, the
 * peer's resource messages and the operator's hb_standby / hb_takeover. It only
 * emits StartGroup / StopGroup actions and messages; the group runner does the
 * work and answers with GroupFinished. Operations run one at a time, as in
 * Heartbeat, so a shutdown or a standby waits for the operation in progress.
 */
export class ResourceManager {
  #opts: ResourceManagerOptions;
  /** The configured groups, in haresources order. */
  #groups: GroupRecord[];
  /** Groups a reload removed that still run here: stopped, then forgotten. */
  #retiring: GroupRecord[] = [];
  /** Where our handshake stands (see LocalPhase). */
  #phase: LocalPhase = { state: "init" };
  /** Groups the peer said it holds (its last `resource` message), by key. */
  #peerHolds = new Set<string>();
  /** The peer's handshake as it last reported it. */
  #peerSays: PeerSays = "transition";
  /** The peer's liveness (membership's verdict), with our give-way while it is dead. */
  #peer: PeerLiveness = { status: "unknown" };
  /**
   * Our communication came up (once, for good). Not folded into the phase: a shutdown can
   * come before or after it.
   */
  #commUp = false;
  /** The operation queue; the head batch's `running` says whether the runner is busy with it. */
  readonly #batches: Batch[] = [];
  /** Legacy ip-requests not answered yet: group key → when to ask again. */
  readonly #pendingIpRequests = new Map<string, Millis>();
  // The obligations below outlive phase changes on purpose (a failback due is set while the
  // peer is dead and met once it is alive; the peer stays deaf through its death until it
  // hears us), so they are fields of their own rather than data of a phase.
  /**
   * We took the peer's groups over (mach_down, or alone at start-up): when it is back and
   * reports stable, auto failback returns them. Heartbeat fails back only then, never
   * after a deliberate hb_standby / hb_takeover.
   */
  #failbackDue = false;
  /** A peer's standby request we could not take when it came, answered once we can (STANDBY_DEFER_MS). */
  #deferredAsk: { readonly msg: HaMessage; readonly until: Millis } | undefined;
  /**
   * We saw the peer dead since its claims last agreed with ours: a group both of us hold is
   * then a partition both sides saw, and its home node keeps it. Without it, the peer took our
   * groups while we saw it alive all along: it cannot hear us (one-way loss), so we give way.
   */
  #peerWasDead = false;
  /**
   * The peer reports (Twinbeat's `tb_silent`) that it has not heard us for nearly its
   * deadtime while we hear it: one-way loss, and it is about to declare us dead and take
   * every group. We released them ahead of it; until it hears us again we take nothing.
   */
  #peerDeaf = false;
  /** Look for orphans once the work under way is done (see onPeerHearsUs). */
  #orphansDue = false;
  /** We took the peer's groups after it gave way (takeForeignOrphans): fail back once its network is back. */
  #orphanFailbackDue = false;
  /** When the last takeover of the peer's groups began (for the timing in the log). */
  #takeoverStartedAt: Millis | undefined;

  constructor(options: ResourceManagerOptions) {
    this.#opts = options;
    this.#groups = options.groups.map((g) => ({ key: g.key, homeNode: g.homeNode, local: g.homeNode === options.localNode, state: "stopped" as GroupState }));
  }

  get state(): RscState {
    return this.#phase.state;
  }

  /** The hb_standby exchange under way (only ever while stable). */
  get #standby(): StandbyExchange | undefined {
    return this.#phase.state === "stable" ? this.#phase.standby : undefined;
  }

  /** The group operation the runner is doing now: the current one of the batch at the head of the queue. */
  get #inFlight(): Batch["ops"][number] | undefined {
    const b = this.#batches[0];
    return b?.running ? b.ops[b.index] : undefined;
  }

  get #peerAlive(): boolean {
    return this.#peer.status === "alive";
  }

  get #peerStable(): boolean {
    return this.#peerSays === "stable";
  }

  /** Forgets what the peer said of its resources (it died, or we stalled and it may have moved on). */
  #forgetPeerReport(): void {
    this.#peerSays = "transition";
    this.#peerHolds.clear();
  }

  #endStandby(): void {
    if (this.#phase.state === "stable") this.#phase.standby = undefined;
  }

  /** Enters STABLE; an exchange under way there stays. */
  #enterStable(): void {
    const p = this.#phase;
    if (p.state !== "stable") this.#phase = { state: "stable", standby: undefined, handshakeCutShort: isHandshake(p) && p.handshakeDeadline !== undefined };
  }

  /** Starting or rejoining ends the handshake deadline, once acquisition begins or the peer dies. */
  #clearHandshakeDeadline(): void {
    if (isHandshake(this.#phase)) this.#phase.handshakeDeadline = undefined;
  }

  /** What `cl_status rscstatus` says: the held set when stable, `transition` otherwise. */
  rscStatus(): HeldSet | "transition" {
    if (this.#opts.autoFailback === "legacy") return this.heldSet();
    if (this.#phase.state !== "stable" || this.#inFlight || this.#batches.length > 0) return "transition";
    return this.heldSet();
  }

  /** Our held set (`rsc_hold`), from which groups run here. */
  heldSet(): HeldSet {
    // A side with no groups at all counts as held once we are stable, as Heartbeat's
    // bits do after its acquisition scripts ran (a node homing nothing says `all` after mach_down).
    const held = (local: boolean) => {
      const side = this.#groups.filter((g) => g.local === local);
      return side.length === 0 ? local && this.#phase.state === "stable" : side.some((g) => isHeld(g.state));
    };
    return setWord(held(true), held(false));
  }

  /** The held set once the groups of `set` are released. */
  #heldSetWithout(set: Exclude<ResourceSet, "failback">): HeldSet {
    const held = this.heldSet();
    const local = (held === "local" || held === "all") && !inSet(true, set);
    const foreign = (held === "foreign" || held === "all") && !inSet(false, set);
    return setWord(local, foreign);
  }

  /** Every group with its state, for status output. */
  groups(): readonly { readonly key: string; readonly homeNode: NodeName; readonly state: GroupState }[] {
    return [...this.#groups, ...this.#retiring].map((g) => ({ key: g.key, homeNode: g.homeNode, state: g.state }));
  }

  nextWakeAt(): Millis | undefined {
    const times = [
      isHandshake(this.#phase) ? this.#phase.handshakeDeadline : undefined,
      // Only while it can still expire (onClock): a deadline left in the past would wake us for ever.
      this.#standby?.phase === "asked" || this.#standby?.phase === "releasing" ? this.#standby.replyDeadline : undefined,
      ...this.#pendingIpRequests.values(),
    ].filter((t): t is Millis => t !== undefined);
    return times.length ? times.reduce((a, b) => (a <= b ? a : b)) : undefined;
  }

  /** Our communication came up (every peer heard from or dead): the handshake starts. */
  onCommUp(at: Millis, out: ClusterAction[], peerAlive: boolean): void {
    this.#commUp = true;
    this.#peer = peerAlive ? { status: "alive" } : { status: "dead", gaveUp: false };
    // Alone at initdead we take every group: if the peer was only out of earshot, both hold them.
    if (!peerAlive) this.#peerWasDead = true;
    if (this.#opts.autoFailback === "legacy") {
      this.#legacyAcquire(at, out);
      return;
    }
    this.#phase = { state: "starting", handshakeDeadline: peerAlive ? later(at, HANDSHAKE_FALLBACK_MS) : undefined, acquiringLocal: false, rejoining: false };
    this.#opts.send(out, [str("t", "starting")]);
    // Alone (the peer was declared dead at initdead): nothing to negotiate.
    if (!peerAlive) this.#acquireAlone(at, out, "peer not heard within initdead");
  }

  /**
   * The peer was declared dead (deadtime) or said shutdone: take its groups, or,
   * when arbitration found that we are the node cut off from the network, give ours up.
   */
  onPeerDead(at: Millis, out: ClusterAction[], cause: "deadtime" | "shutdone", verdict: "take-over" | "give-up" = "take-over"): void {
    // A give-way of ours stands until the peer is heard again.
    const dead = this.#peer.status === "dead" ? this.#peer : { status: "dead" as const, gaveUp: false };
    this.#peer = dead;
    this.#peerWasDead = true;
    this.#pendingIpRequests.clear();
    this.#forgetPeerReport();
    this.#deferredAsk = undefined;
    if (this.#standby) {
      log(out, "info", "Standby exchange cancelled: peer is dead");
      this.#endStandby();
    }
    if (!this.#commUp || this.#phase.state === "shutdown") return;
    const peer = this.#opts.peer ?? "peer";
    if (verdict === "give-up") {
      dead.gaveUp = true;
      this.#clearHandshakeDeadline();
      const ops = [...this.#groups]
        .reverse()
        .filter((g) => isHeld(g.state))
        .map((g) => ({ key: g.key, op: "stop" as const }));
      log(out, "warn", `Releasing every resource group: we are the node cut off from the network (${peer} is unreachable but was not)`);
      this.#dropAddresses(out, ops);
      this.#enqueue(out, at, ops, (o) => this.#becomeStable(o));
      return;
    }
    dead.gaveUp = false;
    this.#failbackDue = true;
    if (cause === "deadtime") {
      log(out, "warn", "No STONITH device configured.");
      log(out, "warn", "Shared disks are not protected.");
    } else {
      log(out, "info", `Dead node ${peer} gave up resources.`);
    }
    log(out, "info", `Resources being acquired from ${peer}.`);
    // A group that once failed to start here is not started again while the peer can run it
    // (no ping-pong). With the peer dead nobody else can: the failure may have passed (a
    // chaos run found a VIP nobody served for good after the holder gave way), so try again,
    // as Heartbeat's mach_down does (it keeps no memory of failures). If it fails again it
    // stays down, said at crit.
    const retried = this.#groups.filter((g) => g.state === "start-failed");
    if (retried.length > 0) {
      log(
        out,
        "warn",
        `${retried.map((g) => g.key).join(", ")} failed to start here before; ${peer} is dead, so nobody else can run ${retried.length > 1 ? "them" : "it"}: trying again`,
      );
      for (const g of retried) g.state = "stopped";
    }
    this.#takeoverStartedAt = at;
    this.#clearHandshakeDeadline();
    const ops = this.#groups.filter((g) => !isHeld(g.state) || g.state === "stopping").map((g) => ({ key: g.key, op: "start" as const }));
    // Our own groups first, then the dead node's, as Heartbeat's req_our_resources + mach_down do.
    ops.sort((a, b) => Number(!this.#group(a.key).local) - Number(!this.#group(b.key).local));
    this.#enqueue(out, at, ops, (o, doneAt, failed) => {
      log(o, "info", `mach_down takeover complete for node ${peer}${failed.length ? ` (failed: ${failed.join(", ")})` : ""}.`);
      if (this.#takeoverStartedAt !== undefined) log(o, "info", `Takeover of ${peer}'s resources took ${doneAt - this.#takeoverStartedAt} ms.`);
      this.#becomeStable(o);
    });
  }

  /** The peer is alive again (restarted, or back after a partition). */
  onPeerAlive(at: Millis, out: ClusterAction[], returningAfterPartition: boolean): void {
    const gaveUp = this.gaveUp;
    this.#peer = { status: "alive" }; // a give-way of ours is undone
    if (!returningAfterPartition) this.#peerWasDead = false; // a restart or a first contact: it holds nothing from before
    if (returningAfterPartition && this.#commUp) {
      // Clients and switches may have learnt the other node's MAC during the partition.
      for (const g of this.#groups) if (g.state === "running") out.push({ type: "announce-group", key: g.key });
      // Tell it what we hold, and ask for its own report (Twinbeat's `tb_rscask`): its answer
      // settles any group both of us hold. A peer that never saw us dead has no reason to
      // send one, and without it we would wait for its stable report for ever.
      if (this.#opts.autoFailback !== "legacy") this.#sendResource(out, this.#settled(), true);
      // Legacy has no `resource` messages: the home node asks for its groups again, which
      // makes a peer holding a copy release it (and brings them home, as legacy does).
      else this.#legacyHeal(at, out);
    } else if (gaveUp && this.#commUp && this.#opts.autoFailback === "legacy" && this.#phase.state === "stable") {
      // We gave way while it was dead, and it restarted meanwhile: it takes only its own groups
      // at start-up, so ours stay down unless we ask for them (the other modes' orphan rule).
      // A group our give-way is still stopping counts too: the answer starts it after the stop
      // (asked only once stopped, it was never asked: seed 15323).
      for (const g of this.#groups)
        if (g.local && (!isHeld(g.state) || g.state === "stopping") && g.state !== "start-failed") this.#sendIpRequest(g.key, at, out);
    }
    // Its `resource` may have overtaken the status that brought it back: act on it now.
    if (this.#phase.state === "stable") {
      this.#settleConflicts(at, out);
      this.#maybeFailback(at, out);
      this.#answerDeferredAsk(at, out);
    }
  }

  /**
   * The peer restarted (a new generation) before we declared it dead: it knows nothing of a
   * standby exchange with us and would never say done. What we released for it is ours to
   * take again once it reports (#takeOrphans). True if an exchange ended.
   */
  onPeerRestarted(): boolean {
    this.#deferredAsk = undefined; // the restarted peer no longer waits for an answer
    if (!this.#standby) return false;
    this.#endStandby();
    return true;
  }

  /**
   * Legacy's heal after a partition we saw: we ask for our own groups, and give back the
   * peer's groups we took while it was dead. A peer that never saw us dead kept serving them
   * and will not ask (it asks only after a death it saw, a stall or a restart), so without this
   * both would hold them for good; a peer that did see us dead asks for them anyway.
   */
  #legacyHeal(at: Millis, out: ClusterAction[]): void {
    for (const g of this.#groups) if (g.local && g.state !== "start-failed") this.#sendIpRequest(g.key, at, out);
    const ops = [...this.#groups]
      .reverse()
      .filter((g) => !g.local && (g.state === "running" || g.state === "starting"))
      .map((g) => ({ key: g.key, op: "stop" as const }));
    if (ops.length === 0) return;
    log(
      out,
      "warn",
      `Releasing ${ops.map((o) => o.key).join(", ")} to ${this.#opts.peer ?? "the peer"}, back after a partition: its home node (auto_failback legacy)`,
    );
    this.#dropAddresses(out, ops);
    this.#enqueue(out, at, ops, () => undefined);
  }

  /** True while we hold nothing because arbitration said we were the node cut off. */
  get gaveUp(): boolean {
    return this.#peer.status === "dead" && this.#peer.gaveUp;
  }

  /**
   * We were frozen (SIGSTOP, VM pause, swap) for longer than the deadtime the peer applies to
   * us: it has very likely declared us dead and taken our groups, and whatever we hold may be
   * held there too. Release everything at once, then rejoin as a starting node does (send
   * `starting`, learn what the peer holds, take what nobody holds) so that the normal
   * handshake and auto_failback decide where each group ends up.
   */
  onLocalStall(at: Millis, out: ClusterAction[]): void {
    if (!this.#commUp || this.#phase.state === "shutdown" || this.#phase.state === "init") return;
    this.#endStandby();
    this.#pendingIpRequests.clear();
    this.#deferredAsk = undefined;
    this.#failbackDue = false;
    if (this.#peer.status === "dead") this.#peer.gaveUp = false;
    // A stall past the deadtime is a partition on our side too (see #settleConflicts): a group
    // both then hold stays with its home node, rather than each side releasing what the other claims.
    this.#peerWasDead = true;
    this.#forgetPeerReport();
    const ops = [...this.#groups]
      .reverse()
      .filter((g) => isHeld(g.state) && g.state !== "stop-failed")
      .map((g) => ({ key: g.key, op: "stop" as const }));
    log(
      out,
      "warn",
      ops.length
        ? `Releasing every resource group after the stall: ${this.#opts.peer ?? "the peer"} has probably taken them over`
        : "Nothing held: rejoining after the stall",
    );
    this.#dropAddresses(out, ops);
    if (this.#opts.autoFailback === "legacy") {
      this.#enqueue(out, at, ops, (o, doneAt) => this.#legacyAcquire(doneAt, o));
      return;
    }
    this.#enqueue(out, at, ops, () => undefined);
    this.#phase = {
      state: "starting",
      handshakeDeadline: this.#peerAlive ? later(at, HANDSHAKE_FALLBACK_MS) : undefined,
      acquiringLocal: false,
      rejoining: true,
    };
    this.#opts.send(out, [str("t", "starting")]);
    if (!this.#peerAlive) this.#acquireAlone(at, out, "no peer after the stall");
  }

  /**
   * A configuration reload (DESIGN.md, "Live reload"): auto_failback takes effect at once;
   * a group that stays keeps its state (its home may change); a removed group is stopped if
   * it runs here, then forgotten; an added group is started if it is ours to hold: ours and
   * not held by a live peer, or anybody's while the peer is dead. The peer learns the
   * result from our next `resource` message.
   */
  reconfigure(
    groups: readonly { readonly key: string; readonly homeNode: NodeName }[],
    autoFailback: AutoFailbackMode,
    at: Millis,
    out: ClusterAction[],
  ): void {
    if (autoFailback !== this.#opts.autoFailback) {
      log(out, "info", `Configuration reload: auto_failback ${this.#opts.autoFailback} → ${autoFailback}`);
      if (autoFailback === "legacy" || this.#opts.autoFailback === "legacy")
        log(out, "warn", "Configuration reload: auto_failback legacy and on/off use different handshakes: the peer must be reloaded the same way");
      this.#opts = { ...this.#opts, autoFailback };
    }
    const before = new Map([...this.#groups, ...this.#retiring].map((g) => [g.key, g]));
    const added: GroupRecord[] = [];
    this.#groups = groups.map((c) => {
      const kept = before.get(c.key);
      if (!kept) {
        const g: GroupRecord = { key: c.key, homeNode: c.homeNode, local: c.homeNode === this.#opts.localNode, state: "stopped" };
        added.push(g);
        return g;
      }
      if (kept.homeNode !== c.homeNode) {
        log(out, "info", `Configuration reload: resource group ${c.key} now homes on ${c.homeNode} (was ${kept.homeNode}); it stays where it runs`);
        kept.homeNode = c.homeNode;
        kept.local = c.homeNode === this.#opts.localNode;
      }
      return kept;
    });
    const removed = [...before.values()].filter((g) => !groups.some((c) => c.key === g.key));
    this.#retiring = removed.filter((g) => isHeld(g.state));
    for (const g of removed) log(out, "info", `Configuration reload: resource group ${g.key} removed${isHeld(g.state) ? ": releasing it" : ""}`);
    const stops = [...this.#retiring]
      .reverse()
      .filter((g) => g.state === "running" || g.state === "starting")
      .map((g) => ({ key: g.key, op: "stop" as const }));
    const ours = added.filter((g) => (this.#peerAlive ? g.local && !this.#peerHolds.has(g.key) : true));
    for (const g of added)
      log(out, "info", `Configuration reload: resource group ${g.key} (home ${g.homeNode}) added${ours.includes(g) ? ": acquiring it" : ""}`);
    if (!this.#commUp || this.#phase.state === "init" || this.#phase.state === "shutdown") {
      if (stops.length > 0) this.#enqueue(out, at, stops, () => undefined);
      return; // the start-up handshake (or shutdown) handles the rest
    }
    const starts = isHandshake(this.#phase) && !this.#phase.acquiringLocal ? [] : ours.map((g) => ({ key: g.key, op: "start" as const }));
    if (!this.#peerAlive && ours.some((g) => !g.local)) this.#failbackDue = true;
    if (stops.length === 0 && starts.length === 0) {
      this.#maybeFailback(at, out);
      return;
    }
    this.#enqueue(out, at, [...stops, ...starts], (o) => {
      if (this.#phase.state === "stable" && this.#opts.autoFailback !== "legacy") this.#sendResource(o, this.#settled());
    });
  }

  /**
   * The handshake's invariants, written once: what must hold between any two steps. The
   * simulator checks them after every event it delivers; the daemon does not (a breach is
   * a bug in the core, never a consequence of remote input).
   */
  invariantBreaches(): string[] {
    const breaches: string[] = [];
    const all = [...this.#groups, ...this.#retiring];
    const moving = all.filter((g) => g.state === "starting" || g.state === "stopping");
    if (moving.length > 1) breaches.push(`more than one group operation at once: ${moving.map((g) => `${g.key}:${g.state}`).join(", ")}`);
    const f = this.#inFlight;
    if (f) {
      const g = all.find((x) => x.key === f.key);
      if (!g || g.state !== (f.op === "start" ? "starting" : "stopping"))
        breaches.push(`operation in flight ${f.op} ${f.key} but the group is ${g?.state ?? "unknown"}`);
    } else if (moving.length > 0) {
      breaches.push(`group ${moving[0]!.key} is ${moving[0]!.state} with no operation in flight`);
    }
    if (new Set(all.map((g) => g.key)).size !== all.length) breaches.push("a group key is listed twice");
    for (const g of this.#retiring) if (!isHeld(g.state)) breaches.push(`removed group ${g.key} is kept although it is ${g.state}`);
    if (this.#phase.state === "stable" && this.#phase.handshakeCutShort)
      breaches.push("a handshake deadline while stable: the handshake was cut short by older work finishing");
    if (this.#standby && !this.#peerAlive) breaches.push("a standby exchange with a dead peer");
    const state = this.#phase.state;
    if (!this.#commUp && (state === "stable" || state === "starting" || state === "rscrcvd") && this.#opts.autoFailback !== "legacy")
      breaches.push(`state ${state} before comm-up`);
    return breaches;
  }

  /** hb_standby from inside the core (ipfail's give-up); skipped when nothing of `set` is held. */
  standby(set: "all" | "foreign", at: Millis, out: ClusterAction[]): void {
    if (!this.#groups.some((g) => inSet(g.local, set) && isHeld(g.state))) return;
    this.#beginStandby(at, out, set);
  }

  /**
   * A resource-protocol message from the peer. `late`: newer messages of the peer were handled
   * before it (it filled a gap: a retransmission, or overtaken); for a `starting`, a newer
   * `resource` of the peer was.
   */
  onMessage(type: string, msg: HaMessage, at: Millis, out: ClusterAction[], late = false): void {
    const from = getField(msg, "src") ?? "";
    switch (type) {
      case "starting":
        // One sent before a report we already have is answered, but the peer's handshake went
        // past it: taken, it made the peer look starting and holding nothing until its next
        // report, which need never come, and no orphan was taken back (seed 18395).
        if (!late) {
          this.#peerSays = "starting";
          this.#peerHolds.clear();
        }
        if (this.#commUp && this.#opts.autoFailback !== "legacy") this.#sendResource(out, this.#settled());
        break;
      case "resource":
        this.#onResource(msg, at, out, late);
        break;
      case "ask_resources":
        this.#onAskResources(msg, at, out);
        break;
      case "hb_takeover": {
        const set = parseSet(getField(msg, "rsc_hold"));
        if (!set || set === "none") break;
        log(out, "info", `Takeover request [${set}] from ${from}: going standby [${mirror(set)}]`);
        this.#beginStandby(at, out, mirror(set));
        break;
      }
      case "ip-request":
        this.#onIpRequest(msg, at, out, from);
        break;
      case "ip-request-resp":
        if ((getField(msg, "dest") ?? "").toLowerCase() !== this.#opts.localNode) break;
        this.#onIpRequestResp(msg, at, out);
        break;
    }
  }

  /** The runner finished a start or stop. */
  onGroupFinished(event: GroupFinished, out: ClusterAction[]): void {
    const flight = this.#inFlight;
    if (!flight || flight.key !== event.key || flight.op !== event.operation) {
      log(out, "error", `Invariant violated: group result for ${event.key} ${event.operation} was not expected`);
      return;
    }
    const batch = this.#batches[0]!;
    batch.running = false;
    const g = this.#group(event.key);
    if (event.succeeded) {
      g.state = event.operation === "start" ? "running" : "stopped";
      out.push({ type: "report-transition", key: g.key, state: event.operation === "start" ? "acquired" : "released", reason: event.detail ?? "" });
    } else if (event.operation === "start") {
      g.state = "start-failed";
      batch.failed.push(g.key);
      log(out, "crit", `Giving up resource group ${g.key}: start failed${event.detail ? `: ${event.detail}` : ""}`);
      out.push({ type: "report-transition", key: g.key, state: "failed", reason: event.detail ?? "start failed" });
    } else {
      g.state = "stop-failed";
      batch.failed.push(g.key);
      log(
        out,
        "crit",
        `Resource STOP failure for group ${g.key}${event.detail ? `: ${event.detail}` : ""}. It may still be running here: fix it by hand; Twinbeat does not reboot or kill anything by name`,
      );
      out.push({ type: "report-transition", key: g.key, state: "failed", reason: event.detail ?? "stop failed" });
    }
    batch.index++;
    // A removed group is forgotten once it no longer runs here.
    this.#retiring = this.#retiring.filter((r) => isHeld(r.state));
    this.#pump(out, event.at);
    if (!event.succeeded && event.operation === "start") this.#handOverFailedGroup(g, event.at, out);
  }

  /** hb_standby / hb_takeover typed on this node. */
  onAdmin(command: "standby" | "takeover", which: ResourceSet, at: Millis, out: ClusterAction[]): void {
    if (this.#opts.autoFailback === "legacy") {
      log(out, "error", "Standby mode only implemented when nice_failback on");
      return;
    }
    if (command === "standby") {
      this.#beginStandby(at, out, which === "failback" ? "foreign" : which);
      return;
    }
    // The operator insists: failed marks no longer hold us back.
    for (const g of this.#groups) if (g.state === "start-failed") g.state = "stopped";
    const set = which === "failback" ? "local" : which;
    if (!this.#commUp) {
      // Before comm-up the peer is neither alive nor dead to us, and no handshake ran: nothing is
      // ours to take yet. Heartbeat ignores it too (a peer's standby finds us not stable). At
      // comm-up we take our groups, or every group if the peer was not heard within initdead
      // (seeds 2589 4434: the takeover made us STABLE before comm-up).
      log(out, "warn", `Takeover [${set}] ignored: communication is not up yet (the groups are shared out when it is)`);
      return;
    }
    if (!this.#peerAlive) {
      log(out, "info", `Takeover [${set}] requested while the peer is dead: acquiring`);
      const ops = this.#groups.filter((g) => inSet(g.local, set) && !isHeld(g.state)).map((g) => ({ key: g.key, op: "start" as const }));
      this.#enqueue(out, at, ops, (o) => this.#becomeStable(o));
      return;
    }
    log(out, "info", `Asking the peer to give up [${mirror(set)}] (hb_takeover ${which})`);
    this.#opts.send(out, [str("t", "hb_takeover"), str("rsc_hold", set)]);
    // A group of ours that the stable peer does not hold (it failed here, and the peer released
    // it or never took it) is nobody's: the peer's standby has nothing of it to hand over, and
    // a peer in flux ignores the request altogether. The orphan rule, which the failed mark
    // held back, starts it here (seed 4102).
    if (inSet(true, set) && this.#phase.state === "stable" && this.#peerStable) {
      if (this.#busy()) this.#orphansDue = true;
      else this.#takeOrphans(at, out);
    }
  }

  /** Graceful stop: release everything (after the operation in progress), then `then`. */
  onShutdown(at: Millis, out: ClusterAction[], then: (out: ClusterAction[]) => void): void {
    const before = this.#phase.state;
    // Any standby exchange or handshake deadline ends here.
    this.#phase = { state: "shutdown" };
    if (this.#inFlight) log(out, "info", "Shutdown delayed until current resource activity finishes.");
    if (this.#commUp && this.#opts.autoFailback !== "legacy" && before !== "init") {
      this.#opts.send(out, [str("t", "resource"), str("rsc_hold", "none"), str("rtype", "full"), str("isstable", "0"), str("info", "shutdown")]);
    }
    log(out, "info", "Giving up all HA resources.");
    const ops = [...this.#groups]
      .reverse()
      .filter((g) => isHeld(g.state))
      .map((g) => ({ key: g.key, op: "stop" as const }));
    this.#enqueue(out, at, ops, (o, _at, failed) => {
      log(o, failed.length ? "crit" : "info", failed.length ? `Could not relinquish: ${failed.join(", ")}` : "All HA resources relinquished.");
      then(o);
    });
  }

  /** Deadlines: the standby reply, the handshake fallback. */
  onClock(at: Millis, out: ClusterAction[]): void {
    for (const [key, due] of this.#pendingIpRequests) {
      if (at < due) continue;
      const g = this.#group(key);
      // A group still stopping keeps its request: the answer starts it after the stop.
      if (!this.#peerAlive || (isHeld(g.state) && g.state !== "stopping") || this.#phase.state === "shutdown") this.#pendingIpRequests.delete(key);
      else this.#sendIpRequest(key, at, out);
    }
    this.#answerDeferredAsk(at, out);
    const sb = this.#standby;
    const released = sb?.role === "requester" && sb.phase === "releasing";
    if (sb?.replyDeadline !== undefined && at >= sb.replyDeadline && (sb.phase === "asked" || released)) {
      // Our release is done and its done sent, but the taker never confirmed: it had ended the
      // exchange (our `other` came late), or is still starting what it took. Either way what it
      // holds is what its reports say; the orphan rule below takes only what nobody holds.
      if (released)
        log(
          out,
          "warn",
          `Standby [${sb.set}]: the peer did not confirm it took the resources within ${STANDBY_REPLY_TIMEOUT_MS / 1000} s of our release: exchange ended`,
        );
      else if (sb.role === "requester") log(out, "warn", "No reply to standby request.  Standby request cancelled.");
      // The requester never began its release: our `other` found no exchange there (it ended
      // it at a death, a stall or a restart of ours or its own, e.g. answered late after a
      // freeze) or was lost. Heartbeat's taker waits an hour; meanwhile it refuses every
      // standby request and the orphan rule waits (seeds 9521 9571).
      else log(out, "warn", `Standby resource acquisition [${mirror(sb.set)}] cancelled: the peer did not begin its release`);
      this.#endStandby();
      if (released) {
        // Not the orphan rule at once: a taker still starting what it took may have reported
        // stable before it began. Its answer to our report (`tb_rscask`) says what it holds and
        // whether it is still at work; the orphan rule runs on that answer.
        this.#enterStable();
        if (this.#opts.autoFailback !== "legacy") this.#sendResource(out, this.#settled(), true);
      }
      // The orphan rule waited for the exchange: a group of ours released meanwhile (both of us
      // released a group both held) that the stable peer does not hold is ours again (seed 1808).
      else if (this.#phase.state === "stable" && this.#peerStable) {
        if (this.#busy()) this.#orphansDue = true;
        else this.#takeOrphans(at, out);
      }
    }
    const hs = this.#phase;
    if (isHandshake(hs) && hs.handshakeDeadline !== undefined && at >= hs.handshakeDeadline) {
      hs.handshakeDeadline = undefined;
      log(out, "info", `Peer did not settle within ${HANDSHAKE_FALLBACK_MS / 1000} s: acquiring local resources anyway`);
      this.#acquireLocal(hs, at, out);
    }
  }

  // ---- handshake -------------------------------------------------------------------------

  #onResource(msg: HaMessage, at: Millis, out: ClusterAction[], late: boolean): void {
    const set = parseSet(getField(msg, "rsc_hold"));
    const full = getField(msg, "rtype") === "full";
    const stable = getField(msg, "isstable") === "1";
    const info = getField(msg, "info");
    if (set && set !== "failback") {
      // rsc_hold is from the peer's point of view: its local groups are our foreign ones.
      const peerKeys = this.#groups.filter((g) => inSet(!g.local, set)).map((g) => g.key);
      if (full) this.#peerHolds = new Set(peerKeys);
      else for (const k of peerKeys) this.#peerHolds.add(k);
    }
    // A `starting` peer stays starting until it reports stable.
    if (stable) this.#peerSays = "stable";
    else if (this.#peerSays === "stable") this.#peerSays = "transition";
    // The peer was giving us `set` by the standby exchange but could not release it (a stop
    // failed): it aborted and says so (Twinbeat's `tb_standby`), and will never say done.
    const sb = this.#standby;
    if (getField(msg, "tb_standby") === "aborted" && sb?.role === "taker" && sb.phase === "asked") {
      log(out, "warn", `The peer could not give up [${mirror(sb.set)}]: standby exchange ended`);
      this.#endStandby();
    }
    // The peer is back after seeing us dead (`tb_rscask`, see onPeerAlive): it cancelled its
    // side of any exchange with us at our death and will never say done. A node that never
    // saw the partition would wait for ever, and the exchange holds back the orphan rule and
    // every standby request (seeds 3830, 6742). Only an exchange the peer had joined before
    // this message (we took its ask, or it answered ours): a requester still waiting for `other`
    // may have asked after the peer came back, and its own deadline ends it otherwise. A late
    // copy may predate the exchange: not that one.
    const joined = sb?.role === "taker" ? sb.phase === "asked" : sb?.phase === "releasing";
    if (getField(msg, "tb_rscask") === "1" && !late && sb && joined) {
      log(
        out,
        "warn",
        `Standby exchange [${sb.role === "taker" ? mirror(sb.set) : sb.set}] cancelled: ${this.#opts.peer ?? "the peer"} saw us dead and cancelled its side`,
      );
      this.#endStandby();
    }
    // The requester began its release: its `done` may take as long as its stops do.
    if (info === "standby" && !late && this.#standby === sb && sb?.role === "taker" && sb.phase === "asked") sb.replyDeadline = undefined;
    if (info === "shutdown") return; // shutdone follows
    // The peer saw us dead and is back: it asks what we hold (see onPeerAlive).
    if (getField(msg, "tb_rscask") === "1" && this.#commUp && this.#phase.state !== "init" && this.#phase.state !== "shutdown")
      this.#sendResource(out, this.#settled());
    const hs = this.#phase;
    if (isHandshake(hs)) {
      hs.state = "rscrcvd";
      if (stable) log(out, "info", "remote resource transition completed.");
      if (stable || this.#peerSays === "starting") {
        if (stable) this.#sendResource(out, false);
        // What we acquire was decided on an earlier report: this one may claim less (the peer
        // restarted, or released, meanwhile; e.g. its takeover report waited out our freeze),
        // and a group it no longer holds would be nobody's. The orphan rule looks at it once our
        // work ends (seed 6770).
        if (stable && hs.acquiringLocal) this.#orphansDue = true;
        this.#acquireLocal(hs, at, out);
      }
      return;
    }
    if (hs.state !== "stable") return;
    this.#settleConflicts(at, out);
    // Busy (e.g. releasing a group both held), the orphans are looked for once our work ends:
    // the peer's stable claim may be the last message it sends.
    if (stable && this.#busy()) this.#orphansDue = true;
    else if (stable) this.#takeOrphans(at, out);
    // The peer's stable claims agree with ours: whatever partition there was is settled.
    if (stable && !this.#groups.some((g) => isHeld(g.state) && this.#peerHolds.has(g.key))) this.#peerWasDead = false;
    this.#maybeFailback(at, out);
    this.#answerDeferredAsk(at, out);
  }

  /**
   * Auto failback (auto_failback on): after we took the peer's groups over, give them
   * back once the peer is alive and reports stable. Checked whenever the peer reports and
   * whenever our own work ends, so no ordering of messages (retransmissions of what it
   * sent during a partition included) can make us miss the moment.
   */
  #maybeFailback(at: Millis, out: ClusterAction[]): void {
    if (!this.#failbackDue || this.#opts.autoFailback !== "on" || !this.#peerAlive || !this.#peerStable) return;
    if (this.#phase.state !== "stable" || this.#standby || this.#busy() || this.#peerDeaf) return;
    this.#failbackDue = false;
    if (!this.#groups.some((g) => !g.local && isHeld(g.state))) return;
    log(out, "info", "Initiating auto failback: the peer is back and stable");
    this.#beginStandby(at, out, "foreign");
  }

  /** Answers a deferred standby request once nothing stands in its way, or drops it when it is too old. */
  #answerDeferredAsk(at: Millis, out: ClusterAction[]): void {
    const d = this.#deferredAsk;
    if (!d) return;
    if (at >= d.until) {
      this.#deferredAsk = undefined;
      log(out, "warn", `Standby request [${getField(d.msg, "rsc_hold")}] from the peer ignored: local resources still in flux after ${STANDBY_DEFER_MS} ms`);
      return;
    }
    if (!this.#peerAlive || this.#phase.state !== "stable" || this.#busy()) return;
    this.#deferredAsk = undefined;
    this.#onAskResources(d.msg, at, out);
  }

  /** Start our local groups the peer does not hold, then report stable. */
  #acquireLocal(hs: Handshake, at: Millis, out: ClusterAction[]): void {
    if (hs.acquiringLocal) return; // a second peer message during the same handshake
    hs.acquiringLocal = true;
    hs.handshakeDeadline = undefined;
    // Held groups are not filtered out here: one still queued to stop (a rejoin) must start
    // again afterwards; the queue skips a group that is running when its turn comes.
    // Rejoining after a stall, the peer's own groups that it reports not holding are ours too.
    const takeForeign = hs.rejoining && this.#peerStable;
    const ops = this.#groups.filter((g) => (g.local || takeForeign) && !this.#peerHolds.has(g.key)).map((g) => ({ key: g.key, op: "start" as const }));
    ops.sort((a, b) => Number(!this.#group(a.key).local) - Number(!this.#group(b.key).local));
    const needed = ops.filter((o) => this.#group(o.key).state !== "running");
    if (needed.length === 0) log(out, "info", "Local Resource acquisition completed. (none)");
    this.#enqueue(out, at, ops, (o, _at, failed) => {
      // On the phase current then: a stall may have started a new handshake meanwhile.
      if (isHandshake(this.#phase)) this.#phase.acquiringLocal = false;
      if (needed.length > 0) log(o, "info", `Local Resource acquisition completed.${failed.length ? ` (failed: ${failed.join(", ")})` : ""}`);
      this.#becomeStable(o);
    });
  }

  #acquireAlone(at: Millis, out: ClusterAction[], why: string): void {
    this.#failbackDue = true;
    log(out, "info", `Acquiring every resource group: ${why}`);
    const ops = this.#groups.filter((g) => !isHeld(g.state)).map((g) => ({ key: g.key, op: "start" as const }));
    ops.sort((a, b) => Number(!this.#group(a.key).local) - Number(!this.#group(b.key).local));
    this.#enqueue(out, at, ops, (o) => this.#becomeStable(o));
  }

  #becomeStable(out: ClusterAction[]): void {
    if (this.#phase.state === "shutdown") return;
    // Work queued before a local stall (a takeover, a release, either side of a standby
    // exchange) can finish after it: the rejoin handshake the stall began, still waiting for the
    // peer's report, is not that work's to end. It ends with its own acquisition, its deadline
    // or the peer's death (seeds 3377 3539 3759 3987; 2848 was the standby taker's case).
    if (isHandshake(this.#phase) && this.#phase.handshakeDeadline !== undefined) return;
    this.#enterStable();
    // Stable only once the queue is empty (see #settled): the last batch to end reports it.
    if (this.#opts.autoFailback !== "legacy") this.#sendResource(out, this.#settled());
  }

  /**
   * What an unsolicited `resource` may say of us (`isstable`): stable with no group operation
   * queued or running. A stable claim settles conflicts on the peer (it releases a group we
   * name, see #settleConflicts), so a group we are stopping must not be named as stable:
   * our next stable report, when the work ends, says what we really hold.
   */
  #settled(): boolean {
    return this.#phase.state === "stable" && !this.#busy();
  }

  #sendResource(out: ClusterAction[], stable: boolean, askBack = false): void {
    const body = [str("t", "resource"), str("rsc_hold", this.heldSet()), str("rtype", "full"), str("isstable", stable ? "1" : "0")];
    if (askBack) body.push(str("tb_rscask", "1"));
    this.#opts.send(out, body);
  }

  /**
   * After a partition both nodes may hold the same group. If we saw the peer dead, both
   * sides saw the partition: the group's home node keeps it and the other releases it
   * (deterministic, and no restart of anything that is serving at home). If we never saw
   * the peer dead, it declared us dead while we heard it all along: our messages do not
   * reach it (one-way loss) and it cannot learn that we still serve, so we release
   * every group it claims, home or not. At most one side releases in either case.
   */
  #settleConflicts(at: Millis, out: ClusterAction[]): void {
    // Only a stable claim counts: a peer in transition may be releasing what it names.
    if (this.#busy() || !this.#peerStable) return;
    const both = this.#groups.filter((g) => g.state === "running" && this.#peerHolds.has(g.key));
    const release = this.#peerWasDead ? both.filter((g) => !g.local) : both;
    if (release.length === 0) {
      // We keep what the peer claims (its home is here): tell it again, in case our
      // `resource` crossed its declaring us dead (which wiped what it knew of us).
      if (both.length > 0) this.#sendResource(out, this.#phase.state === "stable");
      return;
    }
    for (const g of release) {
      if (g.local)
        log(
          out,
          "warn",
          `Resource group ${g.key} is claimed by ${this.#opts.peer ?? "the peer"}, which we heard all along: it declared us dead and cannot hear us; releasing it`,
        );
      else log(out, "warn", `Resource group ${g.key} is held by both nodes: releasing it to its home node ${g.homeNode}`);
    }
    const ops = release.map((g) => ({ key: g.key, op: "stop" as const }));
    this.#dropAddresses(out, ops);
    this.#enqueue(out, at, ops, (o) => this.#becomeStable(o));
  }

  /**
   * The peer cannot hear us and will take every group over at its deadtime (see #peerDeaf):
   * release what we hold now, addresses first, so that the two never hold the same address.
   */
  onPeerDeaf(at: Millis, out: ClusterAction[], why: string): void {
    // Legacy mode (ip-request handshake) has no way back for a group released this way: there the one-way-loss rule alone applies.
    if (this.#peerDeaf || this.#phase.state === "shutdown" || this.#phase.state === "init" || this.#opts.autoFailback === "legacy") return;
    const ops = [...this.#groups]
      .reverse()
      .filter((g) => g.state === "running" || g.state === "starting")
      .map((g) => ({ key: g.key, op: "stop" as const }));
    // Holding nothing, there is nothing to hand over and nothing to hold back afterwards.
    if (ops.length === 0) return;
    this.#peerDeaf = true;
    this.#failbackDue = false;
    log(out, "warn", `${why}: releasing every resource group before it takes them over (one-way loss)`);
    this.#dropAddresses(out, ops);
    this.#enqueue(out, at, ops, (o) => this.#becomeStable(o));
  }

  /**
   * The peer hears us again (its `tb_silent` is short). If it did not declare us dead meanwhile,
   * it took nothing: what we released is nobody's, so our own groups are started again here
   * (at once, or once our release has finished).
   */
  onPeerHearsUs(at: Millis, out: ClusterAction[]): void {
    if (!this.#peerDeaf) return;
    this.#peerDeaf = false;
    if (this.#busy()) this.#orphansDue = true;
    else if (this.#phase.state === "stable" && this.#peerStable) this.#takeOrphans(at, out);
  }

  /** A release the peer does not wait for: the addresses go at once (DropAddresses). */
  #dropAddresses(out: ClusterAction[], ops: readonly { readonly key: string; readonly op: "start" | "stop" }[]): void {
    // Only groups that are up: a start in flight may be about to add the address again (its
    // address agent runs after our removal); such a group is stopped after its start, in order.
    const keys = ops.filter((o) => o.op === "stop" && this.#group(o.key).state === "running").map((o) => o.key);
    if (keys.length > 0) out.push({ type: "drop-addresses", keys });
  }

  /**
   * Our own groups that nobody holds, while the peer is stable and says it does not hold
   * them (we gave way at a partition the peer never saw, or it failed to start them): ours
   * to start again. Never during a standby exchange, whose release precedes the peer's claim.
   */
  #takeOrphans(at: Millis, out: ClusterAction[]): void {
    if (this.#busy() || this.#standby || !this.#peerAlive || this.#peerDeaf || this.#opts.autoFailback === "legacy") return;
    // A group the monitor gave away or stopped for failures stays down until they expire or the operator acts.
    const orphans = this.#groups.filter((g) => g.local && g.state === "stopped" && !this.#peerHolds.has(g.key) && !this.#opts.refuseToTake?.(g.key));
    if (orphans.length === 0) return;
    log(out, "warn", `Nobody holds ${orphans.map((g) => g.key).join(", ")}: acquiring ${orphans.length > 1 ? "them" : "it"} here, at home`);
    this.#enqueue(
      out,
      at,
      orphans.map((g) => ({ key: g.key, op: "start" as const })),
      (o) => this.#becomeStable(o),
    );
  }

  /**
   * The peer's groups that nobody holds while the peer is up, stable, says it holds none of
   * them and reaches fewer ping nodes than we do: it gave way (it believes it is the node cut
   * off, e.g. it cannot receive on the heartbeat network, which is also the witness's) but it
   * is not dead to us, so no deadtime will ever hand them over. We take them, as arbitration
   * would: the better-connected node serves. It gets them back by the usual failback.
   */
  takeForeignOrphans(at: Millis, out: ClusterAction[], why: string): void {
    if (
      this.#phase.state !== "stable" ||
      this.#busy() ||
      this.#standby ||
      !this.#peerAlive ||
      !this.#peerStable ||
      this.#peerDeaf ||
      this.#opts.autoFailback === "legacy"
    )
      return;
    const orphans = this.#groups.filter((g) => !g.local && g.state === "stopped" && !this.#peerHolds.has(g.key) && !this.#opts.refuseToTake?.(g.key));
    if (orphans.length === 0) return;
    log(out, "warn", `Nobody holds ${orphans.map((g) => g.key).join(", ")}: ${why}, so it gave way: acquiring ${orphans.length > 1 ? "them" : "it"} here`);
    this.#orphanFailbackDue = true;
    this.#enqueue(
      out,
      at,
      orphans.map((g) => ({ key: g.key, op: "start" as const })),
      (o) => this.#becomeStable(o),
    );
  }

  /** The peer reaches as many ping nodes as we do again: groups taken by takeForeignOrphans go home by the usual failback. */
  onPeerConnected(at: Millis, out: ClusterAction[]): void {
    if (!this.#orphanFailbackDue) return;
    this.#orphanFailbackDue = false;
    this.#failbackDue = true;
    this.#maybeFailback(at, out);
  }

  // ---- standby ---------------------------------------------------------------------------

  #beginStandby(at: Millis, out: ClusterAction[], set: Exclude<ResourceSet, "failback">): void {
    if (!this.#peerAlive) {
      log(out, "warn", `Standby [${set}] ignored: the peer is not alive to take the resources`);
      return;
    }
    const p = this.#phase;
    if (p.state !== "stable" || this.#busy() || p.standby) {
      log(out, "warn", `Standby [${set}] ignored: local resources in flux`);
      return;
    }
    log(out, "info", `Going standby [${set}].`);
    p.standby = { role: "requester", set, replyDeadline: later(at, STANDBY_REPLY_TIMEOUT_MS), phase: "asked" };
    this.#opts.send(out, [str("t", "ask_resources"), str("rsc_hold", set), str("info", "me")]);
  }

  #onAskResources(msg: HaMessage, at: Millis, out: ClusterAction[]): void {
    const set = parseSet(getField(msg, "rsc_hold"));
    const info = getField(msg, "info");
    if (!set || set === "failback" || set === "none") return;
    if (info === "me") {
      // The peer wants to give `set` (its view) to us.
      const p = this.#phase;
      // An exchange under way (ours crossing theirs, or a repeat of the one we are taking) is
      // not deferred: answering it after that exchange would start a second one.
      if (this.#standby) {
        log(out, "warn", `Standby request [${set}] from the peer ignored: local resources in flux`);
        return;
      }
      if (!this.#peerAlive || p.state !== "stable" || this.#busy()) {
        if (p.state === "shutdown") {
          log(out, "warn", `Standby request [${set}] from the peer ignored: shutting down`);
          return;
        }
        const first = this.#deferredAsk === undefined;
        this.#deferredAsk = { msg, until: this.#deferredAsk?.until ?? later(at, STANDBY_DEFER_MS) };
        if (first) log(out, "info", `Standby request [${set}] from the peer deferred: local resources in flux (answered once they settle)`);
        return;
      }
      this.#deferredAsk = undefined;
      const failedHere = this.#groups.filter((g) => inSet(g.local, mirror(set)) && g.state === "start-failed");
      if (failedHere.length > 0) {
        // Taking it would only fail again and bounce it back: the peer keeps it.
        log(
          out,
          "warn",
          `Standby request [${set}] from the peer refused: ${failedHere.map((g) => g.key).join(", ")} failed to start here (hb_takeover on this node retries)`,
        );
        return;
      }
      const refused = this.#monitorRefusal(mirror(set));
      if (refused) {
        log(out, "warn", `Standby request [${set}] from the peer refused: ${refused}`);
        return;
      }
      log(out, "info", `Standby resource acquisition requested [${set}] by the peer`);
      p.standby = { role: "taker", set, replyDeadline: later(at, STANDBY_REPLY_TIMEOUT_MS), phase: "asked" };
      this.#opts.send(out, [str("t", "ask_resources"), str("rsc_hold", set), str("info", "other")]);
      return;
    }
    const sb = this.#standby;
    if (!sb || sb.set !== set) return;
    if (info === "other" && sb.role === "requester" && sb.phase === "asked") {
      sb.phase = "releasing";
      sb.replyDeadline = undefined; // set again once our release is done: then we wait for the taker's done
      this.#failbackDue = false;
      // Like Heartbeat: announce what we keep (the held set without `set`), as a full set,
      // so the peer does not merge the groups being released into what it thinks we hold.
      this.#opts.send(out, [
        str("t", "resource"),
        str("rsc_hold", this.#heldSetWithout(set)),
        str("rtype", "full"),
        str("isstable", "0"),
        str("info", "standby"),
      ]);
      const ops = [...this.#groups]
        .reverse()
        .filter((g) => inSet(g.local, set) && isHeld(g.state))
        .map((g) => ({ key: g.key, op: "stop" as const }));
      log(out, "info", `Giving up [${set}] HA resources (standby).`);
      this.#enqueue(out, at, ops, (o, doneAt, failed) => {
        if (failed.length) {
          log(o, "crit", `Standby aborted: could not release ${failed.join(", ")}`);
          this.#endStandby();
          // The taker waits for our done: tell it (Twinbeat's own field, ignored by Heartbeat).
          this.#opts.send(o, [
            str("t", "resource"),
            str("rsc_hold", this.heldSet()),
            str("rtype", "full"),
            str("isstable", "0"),
            str("info", "standby"),
            str("tb_standby", "aborted"),
          ]);
          // Nobody takes the set now, so what this exchange stopped is started again here: the
          // groups released before the failure, and the one that failed, whose stop went on right
          // to left past the resource that would not stop and took the rest down (its address).
          // The runner skips what still runs.
          const again = [...ops].reverse().map((op) => op.key);
          log(o, "warn", `Starting ${again.join(", ")} again here: the standby was aborted, so ${again.length > 1 ? "they stay" : "it stays"}`);
          for (const key of failed) if (this.#group(key).state === "stop-failed") this.#group(key).state = "stopped";
          this.#enqueue(
            o,
            doneAt,
            again.map((key) => ({ key, op: "start" as const })),
            (o2) => this.#becomeStable(o2),
          );
          return;
        }
        log(o, "info", "All HA resources relinquished. (standby)");
        this.#opts.send(o, [str("t", "ask_resources"), str("rsc_hold", set), str("info", "done")]);
        // The taker's done may never come: its `other` reached us late, after it had ended the
        // exchange at our death (seed 17869). Not waited for for ever (see onClock).
        if (this.#standby === sb) sb.replyDeadline = later(doneAt, STANDBY_REPLY_TIMEOUT_MS);
      });
      return;
    }
    if (info === "done" && sb.role === "taker" && sb.phase === "asked") {
      sb.phase = "acquiring";
      this.#failbackDue = false;
      const mine = mirror(set);
      // `done` says the peer released the set: an older claim of it (its report of what it keeps
      // may be lost or late) must not make us release what we now take as held by both.
      for (const g of this.#groups) if (inSet(g.local, mine)) this.#peerHolds.delete(g.key);
      const ops = this.#groups.filter((g) => inSet(g.local, mine) && !isHeld(g.state)).map((g) => ({ key: g.key, op: "start" as const }));
      log(out, "info", `Acquiring [${mine}] HA resources (the peer went standby).`);
      this.#enqueue(out, at, ops, (o) => {
        // The exchange may have ended meanwhile (the peer died, or a stall made us rejoin):
        // then this is older work finishing, and the phase is no longer this exchange's to end.
        if (this.#standby !== sb) {
          log(o, "info", `Standby resource acquisition [${mine}] finished after the exchange was cancelled.`);
          return;
        }
        log(o, "info", `Standby resource acquisition done [${mine}].`);
        this.#endStandby();
        this.#opts.send(o, [str("t", "ask_resources"), str("rsc_hold", set), str("info", "done")]);
        this.#becomeStable(o);
      });
      return;
    }
    if (info === "done" && sb.role === "requester" && sb.phase === "releasing") {
      log(out, "info", `Standby [${set}] complete: the peer holds the resources.`);
      this.#endStandby();
      this.#becomeStable(out);
    }
  }

  /** A group that failed to start here goes to the peer if it is there to take it. */
  #handOverFailedGroup(g: GroupRecord, at: Millis, out: ClusterAction[]): void {
    if (!this.#peerAlive) {
      log(out, "crit", `Resource group ${g.key} is down: it failed to start here and no peer is alive to take it`);
      return;
    }
    if (this.#opts.autoFailback === "legacy") return;
    const set = g.local ? "local" : "foreign";
    // Wait until the current batch ends; then ask.
    this.#enqueue(out, at, [], (o, doneAt) => {
      if (this.#phase.state !== "stable") this.#becomeStable(o);
      this.#beginStandby(doneAt, o, set);
    });
  }

  // ---- resource monitoring hooks (used by resource-monitor.ts through ClusterNode) --------

  /** A group's state as resource monitoring sees it. */
  monitorState(key: string): "running" | "held" | "not-held" {
    const g = this.#group(key);
    return g.state === "running" ? "running" : isHeld(g.state) ? "held" : "not-held";
  }

  /** True when nothing is queued or running and no standby exchange is under way: checks may run. */
  quiet(): boolean {
    return this.#phase.state === "stable" && !this.#busy() && this.#standby === undefined;
  }

  /** Gives group `key` (with the rest of its local/foreign set) to the peer by the standby handshake; false if it could not ask. */
  handOverGroup(key: string, at: Millis, out: ClusterAction[]): boolean {
    const g = this.#group(key);
    if (this.#opts.autoFailback === "legacy" || !this.#peerAlive) return false;
    this.#beginStandby(at, out, g.local ? "local" : "foreign");
    return this.#standby !== undefined;
  }

  /** Stops group `key` here for monitor failures and keeps it stopped (like a failed start) until resumed or hb_takeover. */
  stopForFailures(key: string, at: Millis, out: ClusterAction[]): void {
    this.#enqueue(out, at, [{ key, op: "stop" }], (o) => {
      const g = this.#group(key);
      if (g.state === "stopped") g.state = "start-failed";
      this.#becomeStable(o);
    });
  }

  /** Starts a group stopped by stopForFailures again (its failures expired or were reset). */
  resumeGroup(key: string, at: Millis, out: ClusterAction[]): void {
    // A group a reload removed is not resumed (the monitor may ask after the manager forgot it).
    const g = this.#groups.find((x) => x.key === key);
    if (!g || g.state !== "start-failed") return;
    g.state = "stopped";
    if (this.#peerHolds.has(key)) return;
    this.#enqueue(out, at, [{ key, op: "start" }], (o) => this.#becomeStable(o));
  }

  /** The monitor's objection to taking the groups of `set` (our point of view), if any. */
  #monitorRefusal(set: Exclude<ResourceSet, "failback">): string | undefined {
    const check = this.#opts.refuseToTake;
    if (!check) return undefined;
    for (const g of this.#groups) {
      if (!inSet(g.local, set)) continue;
      const why = check(g.key);
      if (why) return `${g.key}: ${why}`;
    }
    return undefined;
  }

  // ---- legacy (auto_failback legacy): ip-request ----------------------------------------

  #legacyAcquire(at: Millis, out: ClusterAction[]): void {
    // Unconditional, as it always was: even a shutdown under way comes back to STABLE here.
    this.#enterStable();
    if (!this.#peerAlive) {
      this.#acquireAlone(at, out, "no other node is active");
      return;
    }
    for (const g of this.#groups) if (g.local && !isHeld(g.state)) this.#sendIpRequest(g.key, at, out);
  }

  /**
   * Asks the holder for group `key`. A Heartbeat peer drops rc.d messages that arrive
   * before its own comm-up (it may still wait for repnodes), so the request is repeated
   * until answered or the peer dies.
   */
  #sendIpRequest(key: string, at: Millis, out: ClusterAction[]): void {
    this.#pendingIpRequests.set(key, later(at, IP_REQUEST_RETRY_MS));
    this.#opts.send(out, [str("t", "ip-request"), str("ipaddr", key)]);
  }

  #onIpRequest(msg: HaMessage, at: Millis, out: ClusterAction[], from: string): void {
    const key = getField(msg, "ipaddr");
    const g = key === undefined ? undefined : this.#groups.find((x) => x.key === key);
    if (!g) return;
    const reply = (o: ClusterAction[], weown: boolean) =>
      this.#opts.send(o, [str("t", "ip-request-resp"), str("dest", from), str("ipaddr", g.key), str("weown", weown ? "yes" : "no"), str("ok", "OK")]);
    // A start still queued here (a takeover begun just before the peer restarted) would run
    // after a `weown=no` and meet the requester's own start: release after it instead.
    if (!isHeld(g.state) && !this.#startQueued(g.key)) {
      reply(out, false);
      return;
    }
    log(out, "info", `Releasing resource group ${g.key}: requested by ${from}`);
    this.#enqueue(out, at, [{ key: g.key, op: "stop" }], (o) => reply(o, true));
  }

  #onIpRequestResp(msg: HaMessage, at: Millis, out: ClusterAction[]): void {
    const key = getField(msg, "ipaddr");
    // Only an answer to a request of ours: one addressed to our previous run (we restarted
    // since, under the same name) would start a group the peer may be about to take over.
    if (key === undefined || !this.#pendingIpRequests.delete(key)) return;
    const g = this.#groups.find((x) => x.key === key);
    // A group still stopping here (we gave way at the partition that just healed) starts after
    // its stop, in queue order: dropping the answer left it down for good (seed 5651).
    if (!g || (isHeld(g.state) && g.state !== "stopping") || this.#startQueued(g.key)) return;
    this.#enqueue(out, at, [{ key: g.key, op: "start" }], () => undefined);
  }

  // ---- the operation queue ---------------------------------------------------------------

  /** A start of group `key` waits in the queue (not yet in flight). */
  #startQueued(key: string): boolean {
    return this.#batches.some((b) => b.ops.some((o, i) => i >= b.index && o.key === key && o.op === "start"));
  }

  #busy(): boolean {
    return this.#inFlight !== undefined || this.#batches.length > 0;
  }

  #enqueue(out: ClusterAction[], at: Millis, ops: Batch["ops"], onDone: Batch["onDone"]): void {
    this.#batches.push({ ops, index: 0, running: false, failed: [], onDone });
    this.#pump(out, at);
  }

  /** Starts the next useful operation, or finishes batches whose work is done. */
  #pump(out: ClusterAction[], at: Millis): void {
    while (!this.#inFlight && this.#batches.length > 0) {
      const b = this.#batches[0]!;
      if (b.index >= b.ops.length) {
        this.#batches.shift();
        b.onDone(out, at, b.failed);
        if (this.#batches.length === 0 && !this.#inFlight && this.#phase.state === "stable") {
          // Whatever the peer claimed while we were busy is settled now that our work ended.
          this.#settleConflicts(at, out);
          if (!this.#busy()) this.#maybeFailback(at, out);
          this.#answerDeferredAsk(at, out);
          if (this.#orphansDue && !this.#busy() && this.#peerStable) {
            this.#orphansDue = false;
            this.#takeOrphans(at, out);
          }
        }
        continue;
      }
      const { key, op } = b.ops[b.index]!;
      const g = this.#group(key);
      const retiring = this.#retiring.includes(g);
      const skip =
        op === "start"
          ? retiring || g.state === "running" || g.state === "start-failed" || g.state === "stop-failed"
          : g.state === "stopped" || g.state === "start-failed";
      if (skip) {
        if (op === "start" && g.state === "start-failed") log(out, "warn", `Not starting resource group ${key} again: it failed here (hb_takeover retries it)`);
        b.index++;
        continue;
      }
      g.state = op === "start" ? "starting" : "stopping";
      b.running = true;
      out.push(op === "start" ? { type: "start-group", key } : { type: "stop-group", key });
    }
  }

  #group(key: string): GroupRecord {
    const g = this.#groups.find((x) => x.key === key) ?? this.#retiring.find((x) => x.key === key);
    // Only keys the manager itself queued reach here; see invariantBreaches for the rule on breaches.
    if (!g) throw new Error(`Invariant violated: unknown resource group "${key}"`);
    return g;
  }
}

function isHeld(state: GroupState): boolean {
  return state === "running" || state === "starting" || state === "stopping" || state === "stop-failed";
}

function setWord(local: boolean, foreign: boolean): HeldSet {
  return local ? (foreign ? "all" : "local") : foreign ? "foreign" : "none";
}

/** Whether a group (local or foreign to the node naming the set) is in `set`. */
function inSet(local: boolean, set: HeldSet | ResourceSet): boolean {
  return set === "all" || (set === "local" && local) || ((set === "foreign" || set === "failback") && !local);
}

/** The same groups seen from the other node: local ↔ foreign. */
function mirror(set: ResourceSet): Exclude<ResourceSet, "failback"> {
  return set === "local" ? "foreign" : set === "foreign" || set === "failback" ? "local" : "all";
}

function parseSet(v: string | undefined): ResourceSet | "none" | undefined {
  return v === "all" || v === "local" || v === "foreign" || v === "failback" || v === "none" ? v : undefined;
}

function log(out: ClusterAction[], level: LogLevel, text: string): void {
  out.push({ type: "log", level, text });
}
