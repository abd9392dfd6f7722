// A virtual monotonic clock for simulations: time moves only when the test says so.

import { millis, type Millis } from "../../src/cluster/time";

export class VirtualClock {
  #now: Millis;

  constructor(start = 1_000_000) {
    this.#now = millis(start);
  }

  now(): Millis {
    return this.#now;
  }

  /** Moves time forward to `at` (never backwards). */
  advanceTo(at: Millis): void {
    if (at < this.#now) throw new Error(`Invariant violated: virtual clock cannot go back from ${this.#now} to ${at}`);
    this.#now = at;
  }
}
