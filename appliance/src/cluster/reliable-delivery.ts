// Heartbeat's reliability layer (spec §4.6): ACKs for flow control, retransmission requests for gaps, answers to NS_rexmit.

import type { HaMessage } from "../protocol/ha-message";
import { getField, str } from "../protocol/ha-message";
import type { ClusterAction } from "./cluster-actions";
import { later, type Millis, type NodeName } from "./time";

/** Heartbeat keeps this many sequenced packets for retransmission (MAXMSGHIST). */
export const HISTORY_SIZE = 500;
/** At most this many packets are retransmitted for one request. */
const MAX_REXMIT_PER_REQUEST = 50;

export interface ReliableDeliveryOptions {
  readonly localNode: NodeName;
  /** `max_rexmit_delay`: the upper bound of the random delay before a request, and the re-request period. */
  readonly maxRexmitDelayMs: number;
  /** Injected randomness (seeded in tests). */
  readonly random: () => number;
}

/** A gap we are asking a peer to fill. */
interface MissingPacket {
  readonly peer: NodeName;
  readonly seq: number;
  nextRequestAt: Millis;
}

/**
 * Owns what Heartbeat's hb_rexmit.c and the ACK logic do. The membership core
 * tells it about accepted packets and gaps; it returns NS_ackmsg / NS_rexmit /
 * NS_nak_rexmit messages and `retransmit` actions (the driver keeps the encoded
 * bytes of our last HISTORY_SIZE packets and sends them again unchanged).
 */
export class ReliableDelivery {
  readonly #opts: ReliableDeliveryOptions;
  /** Per peer: which in-order sequence numbers (seq % 10) we ACK, chosen at random like Heartbeat. */
  readonly #ackTrigger = new Map<NodeName, number>();
  /** Gaps by "peer/seq". */
  readonly #missing = new Map<string, MissingPacket>();
  /** When each of our packets was last retransmitted, to ignore a burst of identical requests. */
  readonly #lastRexmitAt = new Map<number, Millis>();
  /** Counters for the status snapshot. */
  readonly counters = { acksSent: 0, rexmitRequested: 0, rexmitAnswered: 0, naksSent: 0, lostPackets: 0 };

  constructor(options: ReliableDeliveryOptions) {
    this.#opts = options;
  }

  /** A peer restarted or came back: forget its gaps and pick a new ACK trigger. */
  resetPeer(peer: NodeName): void {
    this.#ackTrigger.set(peer, Math.floor(this.#opts.random() * 10));
    for (const [k, m] of this.#missing) if (m.peer === peer) this.#missing.delete(k);
  }

  /**
   * A sequenced packet from `peer` was accepted. In order and on its trigger → ACK it.
   * `newGaps` are sequence numbers that this packet showed to be missing.
   */
  onAccepted(
    peer: NodeName,
    seq: number,
    inOrder: boolean,
    newGaps: readonly number[],
    at: Millis,
    out: ClusterAction[],
    send: (body: HaMessage) => void,
  ): void {
    this.#missing.delete(`${peer}/${seq}`);
    for (const gap of newGaps) {
      const r = this.#opts.random();
      const max = this.#opts.maxRexmitDelayMs;
      // Heartbeat waits a random [50, max] ms (or [0, max] below 100 ms) before asking: the packet may just be late.
      const delay = max < 100 ? r * max : 50 + r * (max - 50);
      this.#missing.set(`${peer}/${gap}`, { peer, seq: gap, nextRequestAt: later(at, Math.round(delay)) });
    }
    if (!this.#ackTrigger.has(peer)) this.#ackTrigger.set(peer, Math.floor(this.#opts.random() * 10));
    const hasGap = [...this.#missing.values()].some((m) => m.peer === peer && m.seq < seq);
    if (inOrder && !hasGap && seq % 10 === this.#ackTrigger.get(peer)) {
      this.counters.acksSent++;
      send([str("t", "NS_ackmsg"), str("dest", peer), str("ackseq", seq.toString(16))]);
    }
    void out;
  }

  /** The peer died: nothing more will come from it. */
  onPeerDead(peer: NodeName): void {
    for (const [k, m] of this.#missing) if (m.peer === peer) this.#missing.delete(k);
  }

  nextWakeAt(): Millis | undefined {
    let next: Millis | undefined;
    for (const m of this.#missing.values()) if (next === undefined || m.nextRequestAt < next) next = m.nextRequestAt;
    return next;
  }

  /** Sends the retransmission requests that are due; `alive(peer)` says whether asking still makes sense. */
  onClock(at: Millis, alive: (peer: NodeName) => boolean, send: (body: HaMessage) => void): void {
    for (const [k, m] of this.#missing) {
      if (!alive(m.peer)) {
        this.#missing.delete(k);
        continue;
      }
      if (at < m.nextRequestAt) continue;
      this.counters.rexmitRequested++;
      send([str("t", "NS_rexmit"), str("dest", m.peer), str("firstseq", String(m.seq)), str("lastseq", String(m.seq))]);
      m.nextRequestAt = later(at, this.#opts.maxRexmitDelayMs);
    }
  }

  /**
   * An NS_* message addressed to us. `ourSeq` is our highest sequence number sent.
   * Returns log lines through `out` only for real losses.
   */
  onControlMessage(type: string, msg: HaMessage, from: NodeName, ourSeq: number, at: Millis, out: ClusterAction[], send: (body: HaMessage) => void): void {
    if (type === "NS_rexmit") {
      const first = parseInt(getField(msg, "firstseq") ?? "", 10);
      const last = parseInt(getField(msg, "lastseq") ?? "", 10);
      if (!Number.isFinite(first) || !Number.isFinite(last) || last < first) return;
      let answered = 0;
      for (let seq = first; seq <= last && answered < MAX_REXMIT_PER_REQUEST; seq++) {
        if (seq < 1 || seq > ourSeq) continue;
        if (seq <= ourSeq - HISTORY_SIZE) {
          this.counters.naksSent++;
          send([str("t", "NS_nak_rexmit"), str("dest", from), str("firstseq", seq.toString(16)), str("info", "not in history")]);
          continue;
        }
        const prev = this.#lastRexmitAt.get(seq);
        if (prev !== undefined && at - prev < this.#opts.maxRexmitDelayMs - 10) continue;
        this.#lastRexmitAt.set(seq, at);
        if (this.#lastRexmitAt.size > HISTORY_SIZE) this.#lastRexmitAt.delete(this.#lastRexmitAt.keys().next().value!);
        this.counters.rexmitAnswered++;
        answered++;
        out.push({ type: "retransmit", seq });
      }
      return;
    }
    if (type === "NS_nak_rexmit") {
      const seq = parseInt(getField(msg, "firstseq") ?? "", 16);
      if (!Number.isFinite(seq)) return;
      if (this.#missing.delete(`${from}/${seq}`)) {
        this.counters.lostPackets++;
        out.push({ type: "log", level: "error", text: `Irretrievably lost packet: node ${from} seq ${seq}` });
      }
    }
    // NS_ackmsg: we keep every packet in the history anyway, so ACKs need no bookkeeping here.
  }
}
