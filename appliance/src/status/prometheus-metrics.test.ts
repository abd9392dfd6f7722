// /metrics text parsed back with a strict Prometheus text-format parser; values checked against the status they come from.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { buildDaemonStatus, type DaemonStatus } from "./daemon-status";
import { FailoverTracker } from "./failover-tracker";
import { renderPrometheusMetrics } from "./prometheus-metrics";
import { seedConfig, seedSnapshot, SRV5, SRV6, VIP_KEY } from "../../test/support/status-fixtures";
import { parsePrometheusText, type PromFamily } from "../../test/support/prometheus-text-parser";
import { millis } from "../cluster/time";

function value(fams: Map<string, PromFamily>, family: string, labels: Record<string, string> = {}, sample = family): number | undefined {
  return fams.get(family)?.samples.find((s) => s.name === sample && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

function standbyAfterTakeover(): DaemonStatus {
  const t = new FailoverTracker();
  const snap = (peer: "active" | "dead", state: "stopped" | "starting" | "running") =>
    seedSnapshot({ localNode: SRV6, peerStatus: peer, groupState: state, rscStatus: state === "running" ? "all" : "none" });
  t.observe([{ type: "log", level: "info", text: "x" }], () => snap("active", "stopped"), millis(0), 0);
  t.observe([{ type: "log", level: "warn", text: `node ${SRV5}: is dead` }], () => snap("dead", "starting"), millis(1000), 1_700_000_000_000);
  t.observe([{ type: "report-transition", key: VIP_KEY, state: "acquired", reason: "" }], () => snap("dead", "running"), millis(1300), 0);
  return buildDaemonStatus({
    snapshot: snap("dead", "running"),
    config: seedConfig({ localNode: SRV6 }),
    nowMs: millis(2000),
    pid: 1,
    startedAtMs: millis(0),
    lastFailover: t.last,
    failoverTotal: t.total,
    takeoverHistogram: t.histogram(),
  });
}

describe("renderPrometheusMetrics", () => {
  it("parses as strict 0.0.4 text and says what the status says", () => {
    const fams = parsePrometheusText(
      renderPrometheusMetrics(
        buildDaemonStatus({ snapshot: seedSnapshot(), config: seedConfig(), nowMs: millis(100_000), pid: 1, startedAtMs: millis(40_000) }),
      ),
    );
    assert.equal(fams.get("twinbeat_info")?.type, "gauge");
    assert.equal(value(fams, "twinbeat_node_up", { node: SRV6, type: "normal" }), 1);
    assert.equal(value(fams, "twinbeat_node_up", { node: "198.51.100.2", type: "ping" }), 1);
    assert.equal(value(fams, "twinbeat_node_status", { node: SRV6, status: "active" }), 1);
    assert.equal(value(fams, "twinbeat_node_status", { node: SRV6, status: "dead" }), 0);
    assert.equal(value(fams, "twinbeat_node_last_heartbeat_age_seconds", { node: SRV6 }), 0.15);
    assert.equal(value(fams, "twinbeat_link_up", { node: SRV6, link: "eth1" }), 1);
    assert.equal(value(fams, "twinbeat_heartbeats_sent_total"), 120);
    assert.equal(value(fams, "twinbeat_heartbeats_received_total"), 118);
    assert.equal(value(fams, "twinbeat_heartbeats_late_total"), 1);
    assert.equal(value(fams, "twinbeat_heartbeats_rejected_total", { reason: "bad-signature" }), 2);
    assert.equal(fams.get("twinbeat_heartbeats_sent_total")?.type, "counter");
    assert.equal(value(fams, "twinbeat_resource_status", { status: "local" }), 1);
    assert.equal(value(fams, "twinbeat_resource_group_held", { group: VIP_KEY, home: SRV5 }), 1);
    assert.equal(value(fams, "twinbeat_failovers_total"), 0);
    assert.equal(value(fams, "twinbeat_uptime_seconds"), 60);
    assert.equal(value(fams, "twinbeat_takeover_duration_seconds", { le: "+Inf" }, "twinbeat_takeover_duration_seconds_bucket"), 0);
  });

  it("counts a takeover in the histogram and the failover counters", () => {
    const fams = parsePrometheusText(renderPrometheusMetrics(standbyAfterTakeover()));
    assert.equal(value(fams, "twinbeat_node_up", { node: SRV5 }), 0);
    assert.equal(value(fams, "twinbeat_link_up", { node: SRV5, link: "eth1" }), 0);
    assert.equal(value(fams, "twinbeat_failovers_total"), 1);
    assert.equal(value(fams, "twinbeat_last_failover_timestamp_seconds"), 1_700_000_000);
    const h = "twinbeat_takeover_duration_seconds";
    assert.equal(fams.get(h)?.type, "histogram");
    assert.equal(value(fams, h, { le: "0.25" }, `${h}_bucket`), 0);
    assert.equal(value(fams, h, { le: "0.5" }, `${h}_bucket`), 1);
    assert.equal(value(fams, h, { le: "+Inf" }, `${h}_bucket`), 1);
    assert.equal(value(fams, h, {}, `${h}_count`), 1);
    assert.equal(value(fams, h, {}, `${h}_sum`), 0.3);
    assert.equal(value(fams, "twinbeat_resource_status", { status: "all" }), 1);
  });

  it("escapes label values (backslash, quote, newline)", () => {
    const s = buildDaemonStatus({ snapshot: seedSnapshot(), config: seedConfig(), nowMs: millis(100_000), pid: 1 });
    const odd = { ...s, groups: [{ ...s.groups[0]!, key: 'a"b\\c\nd' }] };
    const fams = parsePrometheusText(renderPrometheusMetrics(odd));
    assert.equal(value(fams, "twinbeat_resource_group_held", { group: 'a"b\\c\nd' }), 1);
  });

  it("the parser catches what Prometheus would reject", () => {
    assert.throws(() => parsePrometheusText('a{b="c} 1\n'), /bad label|not a sample/);
    assert.throws(() => parsePrometheusText("a 1\n# TYPE a counter\n"), /TYPE after samples|after its samples/);
    assert.throws(() => parsePrometheusText("a 1\nb 1\na 2\n"), /not together|duplicate/);
    assert.throws(() => parsePrometheusText('# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n'), /cumulative/);
    assert.throws(() => parsePrometheusText("a 1"), /newline/);
  });
});
