// A fake monotonic clock with timers for the driver (ClockPort): time moves only when a test runs it forward.

import type { CancelTimer, ClockPort } from "../../src/daemon/daemon-ports";
import { later, latest, millis, type Millis } from "../../src/cluster/time";

interface Pending {
  readonly at: Millis;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

/** Lets promise chains (the driver's async group operations, reloads) run to their next wait. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
}

/**
 * Timers fire in deadline order (then in the order they were set); between two
 * deadlines the test's promises are allowed to settle, so an async group start that
 * finished "instantly" is seen before the next timer. Nothing ever sleeps.
 */
export class FakeClock implements ClockPort {
  #now: Millis;
  #seq = 0;
  readonly #timers: Pending[] = [];

  constructor(start = 1_000_000) {
    this.#now = millis(start);
  }

  now(): Millis {
    return this.#now;
  }

  setTimer(delayMs: number, fn: () => void): CancelTimer {
    const t: Pending = { at: later(this.#now, Math.max(0, delayMs)), seq: this.#seq++, fn, cancelled: false };
    this.#timers.push(t);
    return () => {
      t.cancelled = true;
    };
  }

  /** Timers not yet fired nor cancelled. */
  get pendingTimers(): number {
    return this.#timers.filter((t) => !t.cancelled).length;
  }

  /** Runs every timer due up to now + ms, in order, letting promises settle between them; ends at now + ms. */
  async advance(ms: number): Promise<void> {
    const end = later(this.#now, ms);
    await settle();
    for (;;) {
      const live = this.#timers.filter((t) => !t.cancelled);
      this.#timers.length = 0;
      this.#timers.push(...live);
      live.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = live[0];
      if (!next || next.at > end) break;
      this.#timers.splice(this.#timers.indexOf(next), 1);
      this.#now = latest(this.#now, next.at);
      next.fn();
      await settle();
    }
    this.#now = end;
    await settle();
  }

  /**
   * A stall: the process did not run for `ms` (SIGSTOP, swap storm). Time jumps without
   * firing anything; the overdue timers fire on the next advance, all late, as they would.
   */
  freeze(ms: number): void {
    this.#now = later(this.#now, ms);
  }
}
