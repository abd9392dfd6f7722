// Unit tests for ResourceMonitor alone: the wire field, late answers, pauses.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ClusterAction } from "./cluster-actions";
import { checkEarlyMs, parseFailureField, ResourceMonitor, type ResourceMonitorOptions } from "./resource-monitor";
import { millis } from "./time";

const KEY = "IPaddr::198.51.100.100/32";

function monitor(over: Partial<ResourceMonitorOptions> = {}) {
  const state = { running: true, quiet: true };
  const calls: string[] = [];
  const m = new ResourceMonitor({
    groups: [
      {
        key: KEY,
        resources: [KEY, "httpd"],
        checks: [{ id: "c", resource: "httpd", intervalMs: 100, timeoutMs: 80, fall: 1, rise: 1, onFail: "restart" }],
        migrationThreshold: 2,
        failureTimeoutMs: 1000,
      },
    ],
    groupState: () => (state.running ? "running" : "not-held"),
    managerQuiet: () => state.quiet,
    peerAlive: () => true,
    // As the resource manager does: a standby exchange begins, the group is no longer quiet.
    moveGroup: () => (calls.push("move"), (state.quiet = false), true),
    stopGroup: () => void calls.push("stop"),
    resumeGroup: () => void calls.push("resume"),
    ...over,
  });
  return { m, calls, state };
}

function runs(out: ClusterAction[]) {
  return out.filter((a): a is Extract<ClusterAction, { type: "run-check" }> => a.type === "run-check");
}

describe("ResourceMonitor", () => {
  it("runs a check one interval after the group settles, and not while a run is out", () => {
    const { m } = monitor();
    const out: ClusterAction[] = [];
    m.onClock(millis(0), out);
    assert.equal(runs(out).length, 0);
    assert.equal(m.nextWakeAt(), 100);
    m.onClock(millis(100), out);
    assert.equal(runs(out).length, 1);
    assert.equal(m.nextWakeAt(), 180, "the run's timeout");
    m.onClock(millis(150), out);
    assert.equal(runs(out).length, 1, "no overlap");
  });

  it("runs a nearly due check with another wake-up, at most a tenth of its interval early, never late, never overlapping", () => {
    assert.equal(checkEarlyMs(100), 10);
    assert.equal(checkEarlyMs(500), 50);
    const { m } = monitor();
    const out: ClusterAction[] = [];
    m.onClock(millis(0), out);
    assert.equal(m.nextWakeAt(), 100, "its own wake-up stays at the due time");
    m.onClock(millis(89), out); // e.g. a heartbeat sent 11 ms ahead: too early
    assert.equal(runs(out).length, 0);
    m.onClock(millis(90), out); // a heartbeat 10 ms ahead: shared
    assert.equal(runs(out).length, 1);
    assert.equal(m.nextWakeAt(), 170, "the timeout still runs from the real start");
    for (const t of [95, 100, 150, 169]) m.onClock(millis(t), out);
    assert.equal(runs(out).length, 1, "no overlap, even once due");
    m.onCheckFinished({ type: "check-finished", at: millis(93), check: "c", runId: runs(out)[0]!.runId, healthy: true, words: "HTTP 200", latencyMs: 3 }, out);
    assert.equal(m.nextWakeAt(), 190, "the next is due one interval after the start");
    m.onClock(millis(179), out);
    assert.equal(runs(out).length, 1);
    m.onClock(millis(190), out); // nothing else woke us: the check's own wake-up, on time
    assert.equal(runs(out).length, 2);
    m.onClock(millis(260), out);
    assert.equal(runs(out).length, 2);
    m.onClock(millis(270), out);
    assert.equal(runs(out).length, 2, "timed out at 270, not run again at once");
    assert.equal(m.snapshot()[0]!.checks[0]!.lastWords, "timed out after 80 ms");
    assert.deepEqual(out.at(-1), { type: "restart-resource", key: KEY, resource: "httpd" }, "fall=1: the timeout is a failure");
  });

  it("drops an answer that comes after the timeout or after a pause", () => {
    const { m, state } = monitor();
    const out: ClusterAction[] = [];
    m.onClock(millis(0), out);
    m.onClock(millis(100), out);
    const first = runs(out)[0]!;
    state.quiet = false;
    m.onClock(millis(120), out);
    m.onCheckFinished({ type: "check-finished", at: millis(130), check: "c", runId: first.runId, healthy: false, words: "x", latencyMs: 30 }, out);
    assert.equal(m.snapshot()[0]!.checks[0]!.runs, 0);
    assert.equal(m.snapshot()[0]!.phase, "idle");
    assert.equal(out.filter((a) => a.type === "restart-resource").length, 0);
  });

  it("counts failures, expires them, and says so in the peer field", () => {
    const { m, calls } = monitor();
    const out: ClusterAction[] = [];
    m.onClock(millis(0), out);
    m.onClock(millis(100), out);
    m.onCheckFinished(
      { type: "check-finished", at: millis(110), check: "c", runId: runs(out)[0]!.runId, healthy: false, words: "HTTP 503", latencyMs: 10 },
      out,
    );
    assert.deepEqual(out.at(-1), { type: "restart-resource", key: KEY, resource: "httpd" });
    assert.equal(m.failureField(), `1:0:${KEY}`);
    assert.deepEqual([...parseFailureField(m.failureField())], [[KEY, { count: 1, refusing: false }]]);
    assert.equal(m.refusal(KEY), undefined);
    m.onResourceRestarted({ type: "resource-restarted", at: millis(200), key: KEY, resource: "httpd", succeeded: false, detail: "exit 1" }, out);
    assert.deepEqual(calls, ["move"]);
    assert.match(m.refusal(KEY) ?? "", /monitor failure/);
    m.onClock(millis(1110), out);
    assert.equal(m.failureField(), "");
    assert.equal(m.refusal(KEY), undefined);
  });

  it("parses only well-formed peer entries", () => {
    const parsed = parseFailureField(`2:1:${KEY} junk 3:x:k 4:0:Filesystem::/dev/sdb1::/data`);
    assert.deepEqual(
      [...parsed],
      [
        [KEY, { count: 2, refusing: true }],
        ["Filesystem::/dev/sdb1::/data", { count: 4, refusing: false }],
      ],
    );
    assert.equal(parseFailureField(undefined).size, 0);
  });
});
