// Heartbeat's ipfail, built into the core: compare reachable ping nodes with the partner and give way when we see fewer (spec §5).

import type { HaMessage } from "../protocol/ha-message";
import { getField, str } from "../protocol/ha-message";
import type { ClusterAction } from "./cluster-actions";
import { later, type Millis, type NodeName } from "./time";

export interface IpfailOptions {
  readonly partner: NodeName;
  readonly keepaliveMs: number;
  readonly autoFailback: boolean;
  /** Sends a sequenced message to the cluster. */
  readonly send: (out: ClusterAction[], body: HaMessage) => void;
  /** Our current count of ping nodes with status `ping`. */
  readonly pingCount: () => number;
  /**
   * Whether some ping node has not answered yet since start (or reload) and is not dead
   * either: our count is not known, and giving way on it would hand the groups over for a
   * ping program that had not had time to answer. The comparison runs again when it answers.
   */
  readonly pingUnknown?: () => boolean;
  /** Whether our resources are stable (cl_status rscstatus is not `transition`). */
  readonly stable: () => boolean;
  /** hb_standby of `set`: give these groups to the partner. */
  readonly giveUp: (set: "all" | "foreign", at: Millis, out: ClusterAction[]) => void;
}

/** The fields every ipfail message carries so a real ipfail's API filter delivers it. */
function ipfailRouting(partner: NodeName): HaMessage {
  return [str("dest", partner), str("from_id", "ipfail"), str("to_id", "ipfail")];
}

/**
 * The same exchange as Heartbeat's contrib/ipfail, message for message, so a
 * Twinbeat node and a Heartbeat node running ipfail arbitrate together:
 * `num_ping_nodes num_ping=N`, `you_are_dead`, `abort_giveup`, and the
 * `hbapi-clstat st=join` announcement that makes the partner's ipfail ask.
 */
export class Ipfail {
  readonly #opts: IpfailOptions;
  /** A give-up waiting for its 2 × keepalive delay (or for stability). */
  #pendingGiveUp: { set: "all" | "foreign"; at: Millis } | undefined;
  /** The partner's count from its last num_ping_nodes. */
  partnerCount: number | undefined;
  /** Our count when we last asked (a you_are_dead answers that number). */
  #askedWith: number | undefined;

  constructor(options: IpfailOptions) {
    this.#opts = options;
  }

  /** Our ipfail "signs on": the partner's ipfail reacts by comparing counts. */
  announceJoin(out: ClusterAction[]): void {
    this.#opts.send(out, [
      str("t", "hbapi-clstat"),
      str("st", "join"),
      str("from_id", "ipfail"),
      str("to_id", "ipfail"),
      str("client_gen", "0"),
      str("info", "twinbeat-ipfail"),
    ]);
  }

  /** Ask the partner how many ping nodes it sees (after a ping node came up, a link died, or its ipfail joined). */
  ask(out: ClusterAction[], why: string): void {
    this.#askedWith = this.#opts.pingCount();
    out.push({ type: "log", level: "info", text: `ipfail: asking ${this.#opts.partner} for its ping node count (${why}); we see ${this.#askedWith}` });
    this.#opts.send(out, [str("t", "num_ping_nodes"), str("num_ping", String(this.#opts.pingCount())), ...ipfailRouting(this.#opts.partner)]);
  }

  onMessage(type: string, msg: HaMessage, at: Millis, out: ClusterAction[]): void {
    switch (type) {
      case "hbapi-clstat":
        if (getField(msg, "st") === "join" && getField(msg, "from_id") === "ipfail") this.ask(out, "its ipfail joined");
        break;
      case "num_ping_nodes": {
        const theirs = parseInt(getField(msg, "num_ping") ?? "", 10);
        if (!Number.isFinite(theirs)) return;
        this.partnerCount = theirs;
        const mine = this.#opts.pingCount();
        if (mine > theirs) {
          out.push({ type: "log", level: "info", text: `ipfail: telling ${this.#opts.partner} that we see more ping nodes (${mine} > ${theirs})` });
          this.#opts.send(out, [str("t", "you_are_dead"), ...ipfailRouting(this.#opts.partner)]);
        } else if (mine < theirs) {
          if (this.#opts.pingUnknown?.()) {
            out.push({
              type: "log",
              level: "info",
              text: `ipfail: we see fewer ping nodes (${mine} < ${theirs}), but not all of ours have answered yet: not giving up`,
            });
            break;
          }
          out.push({ type: "log", level: "info", text: `ipfail: giving up because we see fewer ping nodes (${mine} < ${theirs})` });
          this.#delayGiveUp("all", at, out);
        } else {
          this.#opts.send(out, [str("t", "abort_giveup"), ...ipfailRouting(this.#opts.partner)]);
          if (this.#pendingGiveUp) {
            out.push({ type: "log", level: "info", text: "ipfail: ping node count is balanced: aborted the delayed give-up" });
            this.#pendingGiveUp = undefined;
          } else if (this.#opts.autoFailback && this.#opts.stable()) {
            this.#delayGiveUp("foreign", at, out);
          }
        }
        break;
      }
      case "you_are_dead":
        if (this.#opts.pingUnknown?.()) {
          out.push({ type: "log", level: "info", text: "ipfail: told that we see fewer ping nodes, but not all of ours have answered yet: not giving up" });
          break;
        }
        out.push({ type: "log", level: "info", text: "ipfail: giving up because we were told that we see fewer ping nodes" });
        // The partner sees more than we had when we asked.
        if (this.#askedWith !== undefined) this.partnerCount = Math.max(this.partnerCount ?? 0, this.#askedWith + 1);
        this.#delayGiveUp("all", at, out);
        break;
      case "abort_giveup":
        if (this.#pendingGiveUp) out.push({ type: "log", level: "info", text: "ipfail: the partner asked to abort the delayed give-up" });
        this.#pendingGiveUp = undefined;
        break;
    }
  }

  /** The partner died: nothing to arbitrate with it any more. */
  cancel(): void {
    this.#pendingGiveUp = undefined;
  }

  nextWakeAt(): Millis | undefined {
    return this.#pendingGiveUp?.at;
  }

  onClock(at: Millis, out: ClusterAction[]): void {
    const p = this.#pendingGiveUp;
    if (!p || at < p.at) return;
    if (!this.#opts.stable()) {
      // In transition: try again shortly (Heartbeat waits for the partner's stable message).
      p.at = later(at, this.#opts.keepaliveMs);
      return;
    }
    this.#pendingGiveUp = undefined;
    // A ping node that only dropped a few echoes is back by now: re-ask instead of failing over.
    if (p.set === "all" && this.partnerCount !== undefined && this.#opts.pingCount() >= this.partnerCount) {
      this.ask(out, "our ping count recovered before the give-up");
      return;
    }
    this.#opts.giveUp(p.set, at, out);
  }

  #delayGiveUp(set: "all" | "foreign", at: Millis, out: ClusterAction[]): void {
    const delayMs = 2 * this.#opts.keepaliveMs;
    if (set === "foreign") out.push({ type: "log", level: "info", text: `ipfail: balanced: giving up foreign resources in ${delayMs} ms (auto_failback)` });
    this.#pendingGiveUp = { set, at: later(at, delayMs) };
  }
}
