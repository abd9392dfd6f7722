// Renders a DaemonStatus as Prometheus text exposition format 0.0.4 (/metrics).

import type { DaemonStatus } from "./daemon-status";
import { renderResourceMetrics } from "./resource-status";

/** The Content-Type Prometheus expects for this format. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

const NODE_STATUSES = ["init", "up", "active", "dead", "ping"] as const;
const RSC_STATUSES = ["none", "local", "foreign", "all", "transition"] as const;
const GROUP_STATES = ["stopped", "starting", "running", "stopping", "start-failed", "stop-failed"] as const;

/** The core's counters exported as `_total` counters (name, help, counter key). */
const HEARTBEAT_COUNTERS: readonly (readonly [string, string, string])[] = [
  ["twinbeat_heartbeats_sent_total", "Status messages (heartbeats) sent by this node.", "heartbeatsSent"],
  ["twinbeat_heartbeats_received_total", "Status messages (heartbeats) accepted from peers.", "heartbeatsReceived"],
  ["twinbeat_heartbeats_late_total", "Peer heartbeats that arrived later than warntime after the previous one.", "lateHeartbeats"],
  ["twinbeat_messages_duplicate_total", "Messages received again on a second link (they still refresh that link).", "duplicates"],
  ["twinbeat_messages_replayed_total", "Messages dropped because their generation was older than known (replays).", "replays"],
];

class Exposition {
  #text = "";

  family(name: string, type: "gauge" | "counter" | "histogram", help: string): void {
    this.#text += `# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}\n`;
  }

  sample(name: string, labels: Readonly<Record<string, string>>, value: number): void {
    const keys = Object.keys(labels);
    const l = keys.length ? `{${keys.map((k) => `${k}="${escapeLabel(labels[k]!)}"`).join(",")}}` : "";
    this.#text += `${name}${l} ${formatValue(value)}\n`;
  }

  get text(): string {
    return this.#text;
  }
}

/**
 * Every metric is derived from the status document alone, so /metrics, /status.json and
 * the page always agree. Names follow Prometheus conventions: `_total` counters,
 * `_seconds` units, one-hot gauges for status words.
 */
export function renderPrometheusMetrics(status: DaemonStatus): string {
  const e = new Exposition();
  const local = status.localNode;

  e.family("twinbeat_info", "gauge", "Constant 1, labelled with the version and this node's name.");
  e.sample("twinbeat_info", { version: status.version, node: local, managed_by: status.managedBy }, 1);

  e.family("twinbeat_uptime_seconds", "gauge", "Time since this daemon started.");
  if (status.uptimeMs !== null) e.sample("twinbeat_uptime_seconds", {}, status.uptimeMs / 1000);

  e.family("twinbeat_node_up", "gauge", "1 when the node is up, active or (ping nodes) answering; 0 otherwise.");
  for (const n of status.nodes)
    e.sample("twinbeat_node_up", { node: n.name, type: n.type }, n.status === "active" || n.status === "up" || n.status === "ping" ? 1 : 0);

  e.family("twinbeat_node_status", "gauge", "1 for the node's current Heartbeat status word, 0 for the others.");
  for (const n of status.nodes) {
    for (const s of NODE_STATUSES) e.sample("twinbeat_node_status", { node: n.name, type: n.type, status: s }, n.status === s ? 1 : 0);
  }

  e.family("twinbeat_node_last_heartbeat_age_seconds", "gauge", "Time since the node's last status message (peers and answering ping nodes only).");
  for (const n of status.nodes) {
    if (n.lastHeardAgoMs !== null) e.sample("twinbeat_node_last_heartbeat_age_seconds", { node: n.name, type: n.type }, n.lastHeardAgoMs / 1000);
  }

  e.family("twinbeat_link_up", "gauge", "1 when packets arrive on the heartbeat link (node x local interface), 0 when it is dead or never heard.");
  for (const n of status.nodes) {
    for (const l of n.links) e.sample("twinbeat_link_up", { node: n.name, link: l.name }, l.status === "up" ? 1 : 0);
  }

  e.family("twinbeat_link_last_heard_age_seconds", "gauge", "Time since any packet arrived on the heartbeat link.");
  for (const n of status.nodes) {
    for (const l of n.links)
      if (l.lastHeardAgoMs !== null) e.sample("twinbeat_link_last_heard_age_seconds", { node: n.name, link: l.name }, l.lastHeardAgoMs / 1000);
  }

  for (const [name, help, key] of HEARTBEAT_COUNTERS) {
    e.family(name, "counter", help);
    e.sample(name, {}, status.counters[key] ?? 0);
  }

  e.family("twinbeat_heartbeats_rejected_total", "counter", "Datagrams dropped by the decoder (bad signature, malformed, unknown auth index...), by reason.");
  const reasons = Object.keys(status.counters)
    .filter((k) => k.startsWith("rejected:"))
    .sort();
  for (const k of reasons) e.sample("twinbeat_heartbeats_rejected_total", { reason: k.slice("rejected:".length) }, status.counters[k]!);
  if (reasons.length === 0) e.sample("twinbeat_heartbeats_rejected_total", { reason: "any" }, status.counters.rejected ?? 0);

  e.family("twinbeat_resource_status", "gauge", "1 for what cl_status rscstatus says now (none, local, foreign, all, transition).");
  for (const s of RSC_STATUSES) e.sample("twinbeat_resource_status", { status: s }, status.rscStatus === s ? 1 : 0);

  e.family("twinbeat_resource_group_held", "gauge", "1 when the resource group runs (or is starting or stopping) on this node.");
  for (const g of status.groups) e.sample("twinbeat_resource_group_held", { group: g.key, home: g.homeNode }, g.heldHere ? 1 : 0);

  e.family("twinbeat_resource_group_state", "gauge", "1 for the group's current state on this node, 0 for the others.");
  for (const g of status.groups) {
    for (const s of GROUP_STATES) e.sample("twinbeat_resource_group_state", { group: g.key, state: s }, g.state === s ? 1 : 0);
  }

  e.family("twinbeat_failovers_total", "counter", "Takeovers of a dead peer's resource groups completed by this node.");
  e.sample("twinbeat_failovers_total", {}, status.failovers.total);

  e.family("twinbeat_last_failover_timestamp_seconds", "gauge", "When the peer of the last takeover was declared dead (Unix time).");
  if (status.failovers.last) e.sample("twinbeat_last_failover_timestamp_seconds", {}, Date.parse(status.failovers.last.at) / 1000);

  const h = status.failovers.takeoverSeconds;
  e.family("twinbeat_takeover_duration_seconds", "histogram", "From a peer's death to its groups running here.");
  let cumulative = 0;
  h.bounds.forEach((b, i) => {
    cumulative += h.counts[i] ?? 0;
    e.sample("twinbeat_takeover_duration_seconds_bucket", { le: formatValue(b) }, cumulative);
  });
  cumulative += h.counts[h.bounds.length] ?? 0;
  e.sample("twinbeat_takeover_duration_seconds_bucket", { le: "+Inf" }, cumulative);
  e.sample("twinbeat_takeover_duration_seconds_sum", {}, h.sum);
  e.sample("twinbeat_takeover_duration_seconds_count", {}, h.count);

  return e.text + (status.resources ? renderResourceMetrics(status.resources) : "");
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(Math.round(v * 1e6) / 1e6);
}
