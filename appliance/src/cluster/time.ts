// Branded quantities used across the cluster core: points on the monotonic clock and node names.

/**
 * A point on the monotonic clock, in milliseconds (never wall time). Only the clock adapter,
 * the simulator's clock and `later` make one; durations are plain numbers named `…Ms`, so a
 * duration passed where a deadline is expected (or a wall-clock Date.now()) does not compile.
 */
export type Millis = number & { readonly __brand: "Millis" };

/** The monotonic-clock reading `ms` (the clock adapters, and tests that write times out). */
export function millis(ms: number): Millis {
  return ms as Millis;
}

/** The point `durationMs` after `at`. */
export function later(at: Millis, durationMs: number): Millis {
  return (at + durationMs) as Millis;
}

/** A node name as Heartbeat uses it: always lower-case. */
export type NodeName = string & { readonly __brand: "NodeName" };

/** Lower-cases a node name, as Heartbeat does everywhere (add_node, lookup_node). */
export function normalizeNodeName(name: string): NodeName {
  return name.toLowerCase() as NodeName;
}

/** The later of two points. */
export function latest(a: Millis, b: Millis): Millis {
  return a >= b ? a : b;
}
