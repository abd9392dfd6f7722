// Branded quantities used across the cluster core: monotonic milliseconds and node names.

/** Milliseconds on the monotonic clock (never wall time). */
export type Millis = number;

/** A node name as Heartbeat uses it: always lower-case. */
export type NodeName = string & { readonly __brand: "NodeName" };

/** Lower-cases a node name, as Heartbeat does everywhere (add_node, lookup_node). */
export function normalizeNodeName(name: string): NodeName {
  return name.toLowerCase() as NodeName;
}
