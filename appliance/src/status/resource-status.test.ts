// Resource monitoring in the status document and its renderings: JSON schema, twinbeat status text, page section with SVG charts, metrics.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { SimCluster } from "../../test/sim/sim-cluster";
import { buildDaemonStatus } from "./daemon-status";
import { renderPrometheusMetrics } from "./prometheus-metrics";
import { renderStatusPage } from "./status-page";
import { renderResourceStatusText } from "./resource-status";
import { renderHistoryChart } from "./history-chart-svg";
import { seedConfig, sourceFile, VIP_KEY } from "../../test/support/status-fixtures";
import { parsePrometheusText } from "../../test/support/prometheus-text-parser";
import { validateJsonSchema } from "../../test/support/json-schema-subset";

/** srv5.localdomain serving, httpd restarted once after a crash. */
function monitoredStatus() {
  const srv5 = "srv5.localdomain";
  const sim = new SimCluster({
    nodes: [srv5, "srv6.localdomain"],
    links: ["eth1"],
    keepaliveMs: 200,
    deadtimeMs: 1000,
    groups: [{ key: VIP_KEY, homeNode: srv5 }],
    monitoredGroups: [
      {
        key: VIP_KEY,
        resources: [VIP_KEY, "httpd"],
        checks: [{ id: "httpd http://198.51.100.100/", resource: "httpd", intervalMs: 500, timeoutMs: 400, fall: 2, rise: 1, onFail: "restart" }],
        migrationThreshold: 3,
        failureTimeoutMs: 600_000,
      },
    ],
  });
  sim.start(srv5);
  sim.start("srv6.localdomain");
  sim.runFor(5000);
  sim.brokenResources.set(`${srv5}/httpd`, "crashed");
  sim.runFor(5000);
  const snapshot = sim.core(srv5).snapshot();
  return buildDaemonStatus({ snapshot, config: seedConfig(), nowMs: sim.clock.now(), wallClockMs: 1_700_000_000_000, pid: 1 });
}

describe("resource monitoring in the status", () => {
  it("shows per check healthy/failing, last check, failure count and words, and fits the schema", () => {
    const status = monitoredStatus();
    const g = status.resources![0]!;
    assert.equal(g.key, VIP_KEY);
    assert.equal(g.failures, 1);
    assert.equal(g.phase, "watching");
    assert.match(g.lastFailure ?? "", /httpd: httpd is not running/);
    const c = g.checks[0]!;
    assert.equal(c.health, "healthy");
    assert.ok(c.runs > 10 && c.failedRuns === 2, `${c.runs} runs, ${c.failedRuns} failed`);
    assert.ok(c.lastCheckAgoMs! <= 500);
    assert.ok(status.nodes[1]!.links[0]!.heartbeatIntervalsMs!.length > 10);
    const schema = JSON.parse(readFileSync(sourceFile("appliance/src/status/status-schema.json"), "utf8"));
    assert.deepEqual(validateJsonSchema(schema, JSON.parse(JSON.stringify(status))), []);
    const text = renderResourceStatusText(status.resources!);
    assert.match(text, /^group IPaddr::198\.51\.100\.100\/32: watching, 1 failure\(s\) of 3/m);
    assert.match(text, /healthy httpd http:\/\/198\.51\.100\.100\/ {2}\(last 0\.\d s ago in 5 ms: running; 2\/\d+ runs failed\)/);
  });

  it("draws a latency chart per check and an interval chart per link as inline SVG", () => {
    const html = renderStatusPage(monitoredStatus());
    assert.match(html, /<section id="resources"><h2>Resource monitoring<\/h2>/);
    assert.match(html, /<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" class="chart"[^>]*aria-label="latency of httpd http:\/\/198\.51\.100\.100\/"/);
    assert.match(html, /<section id="link-history">.*aria-label="heartbeat interval srv6\.localdomain:eth1"/s);
    assert.match(html, /<circle [^>]*fill="#c00"\/>/, "failed runs are marked");
  });

  it("exports counters and a latency histogram that parse as Prometheus text", () => {
    const fams = parsePrometheusText(renderPrometheusMetrics(monitoredStatus()));
    assert.equal(fams.get("twinbeat_resource_check_latency_seconds")?.type, "histogram");
    const inf = fams.get("twinbeat_resource_check_latency_seconds")!.samples.find((s) => s.labels.le === "+Inf")!;
    const runs = fams.get("twinbeat_resource_check_runs_total")!.samples[0]!;
    assert.equal(inf.value, runs.value);
    assert.equal(fams.get("twinbeat_resource_group_failures")!.samples[0]!.value, 1);
    assert.equal(fams.get("twinbeat_resource_check_healthy")!.samples[0]!.value, 1);
  });

  it("renders the same chart for the same points, and says when there is no data", () => {
    const pts = [
      { x: 0, y: 3 },
      { x: 1, y: 7, bad: true },
    ];
    assert.equal(renderHistoryChart(pts, { title: "t", unit: "ms" }), renderHistoryChart(pts, { title: "t", unit: "ms" }));
    assert.match(renderHistoryChart([], { title: "t", unit: "ms" }), /no data yet/);
  });
});
