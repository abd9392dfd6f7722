// What one run of a resource check found: the value every check kind returns (never thrown).

/** A check run's verdict, its words for the log and status, and how long it took. */
export interface CheckOutcome {
  readonly healthy: boolean;
  /** One line: `HTTP 200`, `HTTP 503 (expected 200)`, `connect ECONNREFUSED`, the agent's status words. */
  readonly words: string;
  readonly latencyMs: number;
}

/** Options every check kind takes. */
export interface CheckRunOptions {
  /** Aborting ends the run at once (the caller's timeout). */
  readonly signal: AbortSignal;
}

/** Milliseconds since `startedAt` (performance.now()), rounded to 0.1 ms. */
export function elapsedSince(startedAt: number): number {
  return Math.round((performance.now() - startedAt) * 10) / 10;
}
