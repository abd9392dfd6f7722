// RecentEvents: a fixed-size ring buffer of the daemon's latest log lines, for the status page and /status.json.

import type { LogLevel } from "../cluster/cluster-actions";

/** One logged line as the status page shows it. */
export interface StatusEvent {
  /** Wall-clock time of the line, ISO 8601 (UTC). */
  readonly at: string;
  readonly level: LogLevel;
  readonly text: string;
}

/** Longest text kept per event: a runaway message must not grow the status document. */
const MAX_TEXT_CHARS = 500;

/**
 * Keeps the last `capacity` events, oldest first. Pushing is O(1) and allocates one small
 * object, so it can sit on the logging path of the daemon. Debug lines are not kept.
 */
export class RecentEvents {
  readonly #capacity: number;
  readonly #ring: (StatusEvent | undefined)[];
  /** Index where the next event goes. */
  #next = 0;
  #size = 0;
  /** How many events were ever pushed (including dropped debug lines: no). */
  #total = 0;

  constructor(capacity = 50) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`RecentEvents capacity must be a positive integer, got ${capacity}`);
    this.#capacity = capacity;
    this.#ring = new Array<StatusEvent | undefined>(capacity);
  }

  /** Records one log line; `wallMs` defaults to now. Debug lines are ignored. */
  push(level: LogLevel, text: string, wallMs: number = Date.now()): void {
    if (level === "debug") return;
    const kept = text.length > MAX_TEXT_CHARS ? `${text.slice(0, MAX_TEXT_CHARS - 1)}…` : text;
    this.#ring[this.#next] = { at: new Date(wallMs).toISOString(), level, text: kept };
    this.#next = (this.#next + 1) % this.#capacity;
    if (this.#size < this.#capacity) this.#size++;
    this.#total++;
  }

  /** The kept events, oldest first (a copy). */
  list(): StatusEvent[] {
    const out: StatusEvent[] = [];
    const start = (this.#next - this.#size + this.#capacity) % this.#capacity;
    for (let i = 0; i < this.#size; i++) out.push(this.#ring[(start + i) % this.#capacity]!);
    return out;
  }

  /** How many events were recorded since the start (kept or not). */
  get total(): number {
    return this.#total;
  }

  get size(): number {
    return this.#size;
  }
}
