// Per-sender sequence and generation bookkeeping: accept, duplicate, replay or restart (spec §4.6).

/** How far ahead a sequence number may jump before tracking is reset (Heartbeat's limit). */
export const MAX_MISSING_SEQS = 250;

/** The verdict on one sequenced message from one sender. */
export type SequenceVerdict =
  /** New: process it. `restarted` when the sender's generation went up (it restarted). */
  | {
      readonly kind: "accept";
      readonly restarted: boolean;
      readonly filledGap: boolean;
      /** Exactly the next expected number (or a fresh start): no gap before it. */
      readonly inOrder: boolean;
      /** Sequence numbers this packet revealed as missing. */
      readonly newGaps: readonly number[];
    }
  /** Already seen (another medium carried it, or a retransmission): refresh the link only. */
  | { readonly kind: "duplicate" }
  /** From an older generation than we know: a replay, or a confused peer. Drop and log. */
  | { readonly kind: "replay"; readonly knownGeneration: number };

/**
 * Tracks one sender's generation, highest sequence number and the gaps below it.
 * Only `status` messages may raise the generation (Heartbeat: non-status packets
 * never update it), so a restarted peer is first recognised by its status.
 */
export class SequenceTracker {
  /** The sender's generation (`hg`), or -1 before anything was accepted. */
  #generation = -1;
  /** Highest sequence number accepted in this generation, or 0 before any. */
  #highestSeq = 0;
  /** Sequence numbers below #highestSeq that never arrived (candidates for retransmission). */
  readonly #missing = new Set<number>();

  get generation(): number {
    return this.#generation;
  }

  get highestSeq(): number {
    return this.#highestSeq;
  }

  /** Sequence numbers still missing, lowest first. */
  missing(): number[] {
    return [...this.#missing].sort((a, b) => a - b);
  }

  /**
   * Judges message `seq` of generation `generation`. `isStatus` says whether it may
   * move the generation forward.
   */
  observe(generation: number, seq: number, isStatus: boolean): SequenceVerdict {
    if (this.#generation >= 0 && generation < this.#generation) {
      return { kind: "replay", knownGeneration: this.#generation };
    }
    let restarted = false;
    if (generation > this.#generation) {
      if (this.#generation >= 0 && !isStatus) {
        // A non-status packet from a newer generation before its status: treat it
        // as new but keep the old generation, as Heartbeat does.
        return this.#observeSeq(seq, false);
      }
      restarted = this.#generation >= 0;
      this.#generation = generation;
      this.#reset(seq);
      return { kind: "accept", restarted, filledGap: false, inOrder: true, newGaps: [] };
    }
    return this.#observeSeq(seq, restarted);
  }

  #observeSeq(seq: number, restarted: boolean): SequenceVerdict {
    if (this.#highestSeq === 0) {
      this.#reset(seq);
      return { kind: "accept", restarted, filledGap: false, inOrder: true, newGaps: [] };
    }
    if (seq > this.#highestSeq) {
      if (seq - this.#highestSeq > MAX_MISSING_SEQS) {
        // Too far ahead to ever fill in: start over from here.
        this.#reset(seq);
        return { kind: "accept", restarted, filledGap: false, inOrder: true, newGaps: [] };
      }
      const newGaps: number[] = [];
      for (let s = this.#highestSeq + 1; s < seq; s++) {
        this.#missing.add(s);
        newGaps.push(s);
      }
      this.#highestSeq = seq;
      return { kind: "accept", restarted, filledGap: false, inOrder: newGaps.length === 0, newGaps };
    }
    if (this.#missing.delete(seq)) return { kind: "accept", restarted, filledGap: true, inOrder: false, newGaps: [] };
    return { kind: "duplicate" };
  }

  #reset(seq: number): void {
    this.#highestSeq = seq;
    this.#missing.clear();
  }
}
