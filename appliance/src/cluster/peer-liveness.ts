// One peer's liveness as seen from here: its reported status, its links, and when it goes dead.

import { millis, type Millis, type NodeName } from "./time";

/** Heartbeat's node status values (include/heartbeat.h); `ping` is for ping nodes. */
export type NodeStatus = "init" | "up" | "active" | "dead" | "ping";

export type LinkStatus = "up" | "dead";

/** One (peer × local interface) path. */
export interface LinkState {
  readonly name: string;
  status: LinkStatus | "init";
  /** When any packet from this peer last arrived on this link (duplicates count). */
  lastHeardAt: Millis;
  /** When a status (heartbeat) from this peer last arrived on this link, for the intervals below. */
  lastStatusHeardAt?: Millis;
  /** The last LINK_INTERVAL_HISTORY intervals between heartbeats on this link (status page chart), oldest first. */
  readonly statusIntervals: { at: Millis; intervalMs: number }[];
}

/** How many heartbeat intervals each link keeps for the status page. */
export const LINK_INTERVAL_HISTORY = 60;

/**
 * The liveness record of one peer. Fields are updated only by ClusterNode.
 * A peer is alive while status messages keep arriving within its dead threshold:
 * `initdeadMs` until our communication is up, then the `dt` it advertises.
 */
export class PeerLiveness {
  readonly name: NodeName;
  /** What the peer last said about itself, or `dead` after it timed out. */
  status: NodeStatus = "init";
  /** True once any status from the peer was accepted (Heartbeat's "heard from"). */
  heardFrom = false;
  /** True after its `shutdone` until it speaks again: its return is a restart, not a partition. */
  leftCleanly = false;
  /** When its last accepted status message arrived; undefined before the first. */
  lastStatusAt: Millis | undefined;
  /**
   * When the current run of its statuses began: its first, or the first after it was dead or
   * silent for more than two keepalives. Its report of not hearing us (`tb_silent`) shows
   * one-way loss only for the time since: before, we did not hear it either.
   */
  heardSinceAt: Millis | undefined;
  /** The deadtime it advertised in its last status (`dt`), in ms; undefined before the first. */
  advertisedDeadtimeMs: number | undefined;
  /**
   * The generation that sent `shutdone`. Heartbeat keeps sending `status active` for a
   * second after it, until its media stop: those must not bring the node back.
   */
  shutdownGeneration: number | undefined;
  /** Its 16-byte node UUID (`srcuuid`), as text, once heard. */
  uuid: string | undefined;
  /** How many ping nodes it reached at its last status (Twinbeat's `tb_numping`), if it says. */
  pingCount: number | undefined;
  /** Links by local interface name, in media order. */
  readonly links = new Map<string, LinkState>();

  constructor(name: NodeName, linkNames: readonly string[]) {
    this.name = name;
    for (const link of linkNames) this.links.set(link, { name: link, status: "init", lastHeardAt: millis(0), statusIntervals: [] });
  }

  /** The silence after which this peer is dead: initdead before comm-up, else its own `dt`. */
  deadThresholdMs(commUp: boolean, deadtimeMs: number, initdeadMs: number): number {
    if (!commUp || this.lastStatusAt === undefined) return initdeadMs;
    return this.advertisedDeadtimeMs ?? deadtimeMs;
  }
}
