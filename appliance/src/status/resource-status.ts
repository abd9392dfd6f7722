// Resource monitoring in the status document: per resource check healthy/failing, last check, failures, history; and its renderings (text, page section, metrics).

import { CHECK_LATENCY_BOUNDS_MS, type MonitoredGroupSnapshot } from "../cluster/resource-monitor";
import type { Millis } from "../cluster/time";
import { renderHistoryChart } from "./history-chart-svg";

/** One check as /status.json shows it. */
export interface StatusResourceCheck {
  readonly id: string;
  readonly resource: string;
  readonly health: "healthy" | "failing";
  readonly lastCheckAgoMs: number | null;
  readonly lastCheckAt: string | null;
  readonly lastLatencyMs: number | null;
  readonly lastWords: string | null;
  readonly lastFailure: string | null;
  readonly runs: number;
  readonly failedRuns: number;
  /** Recent runs, oldest first. */
  readonly history: readonly { readonly agoMs: number; readonly latencyMs: number; readonly ok: boolean }[];
  /** Latency of every run: bucket upper bounds (ms), counts (one more for above), sum (ms). */
  readonly latency: { readonly boundsMs: readonly number[]; readonly counts: readonly number[]; readonly sumMs: number };
}

/** One monitored group. */
export interface StatusMonitoredGroup {
  readonly key: string;
  /** idle, watching, restarting, moving, stopping, stopped (see resource-monitor.ts). */
  readonly phase: string;
  readonly failures: number;
  readonly migrationThreshold: number;
  readonly lastFailure: string | null;
  /** This node refuses the group until its failures expire or an operator resets them. */
  readonly refusing: boolean;
  /** The peer's failures for this group, when it is a Twinbeat node that reported them. */
  readonly peerFailures: number | null;
  readonly checks: readonly StatusResourceCheck[];
}

/** Builds the `resources` part of the status document from the core's snapshot. */
export function buildResourceStatus(monitors: readonly MonitoredGroupSnapshot[] | undefined, nowMs: Millis, wallClockMs: number): StatusMonitoredGroup[] {
  return (monitors ?? []).map((g) => ({
    key: g.key,
    phase: g.phase,
    failures: g.failures,
    migrationThreshold: g.migrationThreshold,
    lastFailure: g.lastFailure ?? null,
    refusing: g.refusing,
    peerFailures: g.peerFailures ?? null,
    checks: g.checks.map((c) => {
      const ago = c.lastCheckAt === undefined ? null : Math.max(0, Math.round(nowMs - c.lastCheckAt));
      return {
        id: c.id,
        resource: c.resource,
        health: c.health,
        lastCheckAgoMs: ago,
        lastCheckAt: ago === null ? null : new Date(wallClockMs - ago).toISOString(),
        lastLatencyMs: c.lastLatencyMs ?? null,
        lastWords: c.lastWords ?? null,
        lastFailure: c.lastFailure ?? null,
        runs: c.runs,
        failedRuns: c.failedRuns,
        history: c.history.map((h) => ({ agoMs: Math.max(0, Math.round(nowMs - h.at)), latencyMs: h.latencyMs, ok: h.ok })),
        latency: { boundsMs: CHECK_LATENCY_BOUNDS_MS, counts: c.latency.counts, sumMs: c.latency.sumMs },
      };
    }),
  }));
}

/** `twinbeat status`: one block per monitored group, one line per check. */
export function renderResourceStatusText(groups: readonly StatusMonitoredGroup[]): string {
  if (groups.length === 0) return "No resource monitors (twinbeat.cf has no monitor or check line).\n";
  let t = "";
  for (const g of groups) {
    t += `group ${g.key}: ${g.phase}, ${g.failures} failure(s) of ${g.migrationThreshold}${g.refusing ? ", refused here until the failures expire" : ""}${g.peerFailures !== null ? `; peer: ${g.peerFailures} failure(s)` : ""}\n`;
    if (g.lastFailure) t += `  last failure: ${g.lastFailure}\n`;
    for (const c of g.checks) {
      const last = c.lastCheckAgoMs === null ? "not run yet" : `last ${(c.lastCheckAgoMs / 1000).toFixed(1)} s ago in ${c.lastLatencyMs} ms: ${c.lastWords}`;
      t += `  ${c.health.padEnd(7)} ${c.id}  (${last}; ${c.failedRuns}/${c.runs} runs failed)\n`;
    }
  }
  return t;
}

/** The page's section: a table per group with a latency chart per check. */
export function renderResourceSection(groups: readonly StatusMonitoredGroup[], esc: (s: string) => string): string {
  if (groups.length === 0) return "";
  let h = `<section id="resources"><h2>Resource monitoring</h2>`;
  for (const g of groups) {
    h += `<h3>${esc(g.key)} <span class="muted">${esc(g.phase)}, ${g.failures} failure(s) of ${g.migrationThreshold}${g.refusing ? ", refused here" : ""}${g.peerFailures !== null ? `, peer ${g.peerFailures}` : ""}</span></h3>`;
    if (g.lastFailure) h += `<p>Last failure: ${esc(g.lastFailure)}</p>`;
    h += `<table class="stack"><thead><tr><th>Check</th><th>State</th><th>Last check</th><th>Failed runs</th><th>Latency (last ${g.checks[0]?.history.length ?? 0} runs)</th></tr></thead><tbody>`;
    for (const c of g.checks) {
      const points = c.history.map((p) => ({ x: -p.agoMs, y: p.latencyMs, bad: !p.ok }));
      const chart = renderHistoryChart(points, { title: `latency of ${c.id}`, unit: "ms" });
      const last = c.lastCheckAgoMs === null ? "not yet" : `${(c.lastCheckAgoMs / 1000).toFixed(1)} s ago: ${esc(c.lastWords ?? "")}`;
      h += `<tr class="${c.health === "healthy" ? "ok" : "bad"}" data-check="${esc(c.id)}"><td>${esc(c.id)}</td><td>${c.health}</td><td>${last}</td><td>${c.failedRuns} of ${c.runs}${c.lastFailure ? `<br><span class="muted">${esc(c.lastFailure)}</span>` : ""}</td><td>${chart}</td></tr>`;
    }
    h += `</tbody></table>`;
  }
  return `${h}</section>`;
}

/** Prometheus lines for the monitors (same exposition format as prometheus-metrics.ts). */
export function renderResourceMetrics(groups: readonly StatusMonitoredGroup[]): string {
  const lbl = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
  let t = "";
  const family = (name: string, type: string, help: string) => (t += `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`);
  family("twinbeat_resource_check_healthy", "gauge", "1 while the resource check is healthy (after rise/fall debouncing), 0 while failing.");
  for (const g of groups)
    for (const c of g.checks)
      t += `twinbeat_resource_check_healthy{group="${lbl(g.key)}",resource="${lbl(c.resource)}",check="${lbl(c.id)}"} ${c.health === "healthy" ? 1 : 0}\n`;
  family("twinbeat_resource_check_runs_total", "counter", "Runs of the resource check.");
  for (const g of groups)
    for (const c of g.checks) t += `twinbeat_resource_check_runs_total{group="${lbl(g.key)}",resource="${lbl(c.resource)}",check="${lbl(c.id)}"} ${c.runs}\n`;
  family("twinbeat_resource_check_failed_runs_total", "counter", "Runs of the resource check that failed or timed out.");
  for (const g of groups)
    for (const c of g.checks)
      t += `twinbeat_resource_check_failed_runs_total{group="${lbl(g.key)}",resource="${lbl(c.resource)}",check="${lbl(c.id)}"} ${c.failedRuns}\n`;
  family("twinbeat_resource_group_failures", "gauge", "Monitor failures of the group counted now (within failure_timeout).");
  for (const g of groups) t += `twinbeat_resource_group_failures{group="${lbl(g.key)}"} ${g.failures}\n`;
  family("twinbeat_resource_check_latency_seconds", "histogram", "How long each run of the resource check took.");
  for (const g of groups) {
    for (const c of g.checks) {
      const l = `group="${lbl(g.key)}",resource="${lbl(c.resource)}",check="${lbl(c.id)}"`;
      let cumulative = 0;
      c.latency.boundsMs.forEach((b, i) => {
        cumulative += c.latency.counts[i] ?? 0;
        t += `twinbeat_resource_check_latency_seconds_bucket{${l},le="${b / 1000}"} ${cumulative}\n`;
      });
      cumulative += c.latency.counts[c.latency.boundsMs.length] ?? 0;
      t += `twinbeat_resource_check_latency_seconds_bucket{${l},le="+Inf"} ${cumulative}\n`;
      t += `twinbeat_resource_check_latency_seconds_sum{${l}} ${c.latency.sumMs / 1000}\n`;
      t += `twinbeat_resource_check_latency_seconds_count{${l}} ${cumulative}\n`;
    }
  }
  return t;
}

/** The page's chart of heartbeat intervals per link of each peer, with the warntime as a reference line. */
export function renderLinkHistorySection(
  nodes: readonly {
    readonly name: string;
    readonly local: boolean;
    readonly type: string;
    readonly links: readonly { readonly name: string; readonly heartbeatIntervalsMs?: readonly number[] }[];
  }[],
  warntimeMs: number,
  esc: (s: string) => string,
): string {
  const rows = nodes
    .filter((n) => n.type === "normal" && !n.local)
    .flatMap((n) => n.links.map((l) => ({ node: n.name, link: l.name, intervals: l.heartbeatIntervalsMs ?? [] })));
  if (rows.length === 0) return "";
  let h = `<section id="link-history"><h2>Heartbeat intervals</h2><table class="stack"><thead><tr><th>Link</th><th>Interval between heartbeats (last ${Math.max(...rows.map((r) => r.intervals.length))})</th></tr></thead><tbody>`;
  for (const r of rows) {
    const chart = renderHistoryChart(
      r.intervals.map((y, i) => ({ x: i, y, bad: y > warntimeMs })),
      { title: `heartbeat interval ${r.node}:${r.link}`, unit: "ms", reference: { y: warntimeMs, label: "warntime" } },
    );
    h += `<tr data-link="${esc(`${r.node}:${r.link}`)}"><td>${esc(r.node)}:${esc(r.link)}</td><td>${chart}</td></tr>`;
  }
  return `${h}</tbody></table></section>`;
}
