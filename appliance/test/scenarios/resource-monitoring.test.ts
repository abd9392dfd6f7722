// Resource monitoring scenarios on a virtual clock: restart in place, threshold → failover, expiry, both nodes failing, hung and flapping checks.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { SimCluster, type SimClusterOptions } from "../sim/sim-cluster";
import type { MonitoredGroup, ResourceCheckSpec } from "../../src/cluster/resource-monitor";

const VIP = "IPaddr::198.51.100.100/32";
const HTTPD = "httpd";
const CHECK = "httpd monitor";

interface PairOptions {
  readonly check?: Partial<ResourceCheckSpec>;
  readonly group?: Partial<MonitoredGroup>;
  readonly sim?: Partial<SimClusterOptions>;
}

/** The seed's pair: srv5 home of `VIP httpd`, httpd checked every 500 ms, fall 2. */
function monitoredPair(options: PairOptions = {}): SimCluster {
  const check: ResourceCheckSpec = { id: CHECK, resource: HTTPD, intervalMs: 500, timeoutMs: 500, fall: 2, rise: 1, onFail: "restart", ...options.check };
  return new SimCluster({
    nodes: ["srv5", "srv6"],
    links: ["eth1"],
    keepaliveMs: 200,
    deadtimeMs: 1000,
    warntimeMs: 500,
    initdeadMs: 3000,
    groups: [{ key: VIP, homeNode: "srv5" }],
    autoFailback: "on",
    monitoredGroups: [{ key: VIP, resources: [VIP, HTTPD], checks: [check], migrationThreshold: 3, failureTimeoutMs: 600_000, ...options.group }],
    ...options.sim,
  });
}

function held(sim: SimCluster): string {
  return sim.holders(VIP).join(",");
}

function story(sim: SimCluster): string {
  return sim.log
    .filter((l) => l.level !== "debug")
    .map((l) => `${l.at} ${l.node} ${l.level} ${l.text}`)
    .join("\n");
}

/** Boots both nodes and waits until srv5 serves and both are settled. */
function bootPair(sim: SimCluster): void {
  sim.start("srv5");
  sim.start("srv6");
  assert.ok(
    sim.runUntil(() => held(sim) === "srv5" && ["srv5", "srv6"].every((n) => sim.core(n).snapshot().rscStatus !== "transition"), 5000),
    story(sim),
  );
}

function monitorOf(sim: SimCluster, node: string) {
  return sim.core(node).snapshot().monitors![0]!;
}

/** How many times the group changed holders from `since` on (a start or stop counts once). */
function holderChanges(sim: SimCluster, since: number): number {
  return sim.holderHistory.filter((h) => h.key === VIP && h.at >= since).length;
}

describe("a service crashes on the holder", () => {
  it("is restarted in place after fall failed checks, and the group stays where it is", () => {
    const sim = monitoredPair();
    bootPair(sim);
    sim.runFor(2000);
    const crashAt = sim.clock.now();
    sim.brokenResources.set(`srv5/${HTTPD}`, "crashed");
    assert.ok(
      sim.runUntil(() => sim.restarts.length === 1, 5000),
      story(sim),
    );
    // Two failed runs 500 ms apart: noticed within fall × interval.
    assert.ok(sim.restarts[0]!.at - crashAt <= 2 * 500 + 10, `restart began ${sim.restarts[0]!.at - crashAt} ms after the crash`);
    assert.deepEqual(sim.restarts[0], { at: sim.restarts[0]!.at, node: "srv5", key: VIP, resource: HTTPD });
    assert.ok(sim.runUntil(() => !sim.brokenResources.has(`srv5/${HTTPD}`), 1000));
    sim.runFor(10_000);
    assert.equal(held(sim), "srv5");
    assert.equal(sim.restarts.length, 1);
    const m = monitorOf(sim, "srv5");
    assert.equal(m.failures, 1);
    assert.equal(m.phase, "watching");
    assert.equal(m.checks[0]!.health, "healthy");
    assert.match(m.lastFailure ?? "", /httpd: httpd is not running/);
    assert.equal(sim.logsMatching("Restarting resource httpd of group", "srv5").length, 1);
  });

  it("the restart respects the group: checks pause while it runs", () => {
    const sim = monitoredPair({ sim: { agentDelayMs: 400 } });
    bootPair(sim);
    sim.brokenResources.set(`srv5/${HTTPD}`, "crashed");
    assert.ok(
      sim.runUntil(() => sim.restarts.length === 1, 5000),
      story(sim),
    );
    const began = sim.restarts[0]!.at;
    const runsBefore = sim.checkRuns.length;
    sim.runFor(800); // the restart takes 2 × 400 ms
    assert.equal(sim.checkRuns.filter((r) => r.at > began && r.at < began + 800).length, 0, "no check ran during the restart");
    sim.runFor(2000);
    assert.ok(sim.checkRuns.length > runsBefore);
    assert.equal(monitorOf(sim, "srv5").checks[0]!.health, "healthy");
  });
});

describe("a service that keeps failing", () => {
  it("moves the group to the peer when migration_threshold failures are reached", () => {
    const sim = monitoredPair();
    bootPair(sim);
    sim.brokenResources.set(`srv5/${HTTPD}`, "broken");
    assert.ok(
      sim.runUntil(() => held(sim) === "srv6", 20_000),
      story(sim),
    );
    assert.equal(sim.restarts.filter((r) => r.node === "srv5").length, 2, "two restarts, then the third failure moves it");
    const m = monitorOf(sim, "srv5");
    assert.equal(m.failures, 3);
    assert.equal(m.refusing, true);
    assert.equal(sim.logsMatching("Moving resource group", "srv5").length, 1);
    sim.runFor(30_000);
    assert.equal(held(sim), "srv6", "srv6's httpd works: it keeps the group");
    assert.equal(monitorOf(sim, "srv6").failures, 0);
    assert.equal(monitorOf(sim, "srv6").peerFailures, 3, "srv5's count travelled in its status");
  });

  it("with on-fail=failover the first failure moves the group, and the giver refuses it back", () => {
    const sim = monitoredPair({ check: { onFail: "failover" } });
    bootPair(sim);
    sim.brokenResources.set(`srv5/${HTTPD}`, "crashed");
    assert.ok(
      sim.runUntil(() => held(sim) === "srv6", 5000),
      story(sim),
    );
    assert.equal(sim.restarts.length, 0);
    // The operator on srv6 tries to give it back before the failure expired: refused.
    sim.runFor(1000);
    sim.admin("srv6", "standby", "foreign");
    sim.runFor(12_000);
    assert.equal(held(sim), "srv6");
    assert.ok(sim.logsMatching("refused", "srv5").length >= 1, story(sim));
  });
});

describe("failures expire after failure_timeout", () => {
  it("the count drops and the node accepts the group again", () => {
    const sim = monitoredPair({ group: { migrationThreshold: 1, failureTimeoutMs: 60_000 } });
    bootPair(sim);
    sim.brokenResources.set(`srv5/${HTTPD}`, "crashed");
    assert.ok(
      sim.runUntil(() => held(sim) === "srv6", 5000),
      story(sim),
    );
    const movedAt = sim.clock.now();
    sim.runFor(30_000);
    assert.equal(monitorOf(sim, "srv5").failures, 1);
    sim.runFor(31_000);
    const m = monitorOf(sim, "srv5");
    assert.equal(m.failures, 0);
    assert.equal(m.refusing, false);
    assert.equal(held(sim), "srv6", "expiry alone does not move anything");
    assert.ok(sim.logsMatching("expired (failure_timeout)", "srv5").length === 1);
    assert.ok(sim.clock.now() - movedAt > 60_000);
    sim.admin("srv6", "standby", "foreign");
    assert.ok(
      sim.runUntil(() => held(sim) === "srv5", 15_000),
      story(sim),
    );
  });
});

describe("both nodes fail the group", () => {
  it("it stays stopped on the second node and the operator is told, never bouncing", () => {
    const sim = monitoredPair();
    bootPair(sim);
    sim.brokenResources.set(`srv5/${HTTPD}`, "broken");
    sim.brokenResources.set(`srv6/${HTTPD}`, "broken");
    assert.ok(
      sim.runUntil(() => held(sim) === "srv6", 20_000),
      story(sim),
    );
    assert.ok(
      sim.runUntil(() => held(sim) === "" && monitorOf(sim, "srv6").phase === "stopped", 20_000),
      story(sim),
    );
    const stoppedAt = sim.clock.now();
    sim.runFor(120_000);
    assert.equal(held(sim), "");
    assert.equal(holderChanges(sim, stoppedAt + 1), 0, `nothing started it again\n${story(sim)}`);
    assert.equal(sim.logsMatching("fails on both nodes", "srv6").length, 1, story(sim));
    assert.equal(monitorOf(sim, "srv6").failures, 3);
    assert.equal(monitorOf(sim, "srv5").failures, 3);
    // One move srv5 → srv6, then a stop: four holder changes in all after the boot.
    assert.equal(sim.logsMatching("Moving resource group").length, 1);
  });

  it("the operator's hb_takeover forgives the failures and starts it again", () => {
    const sim = monitoredPair();
    bootPair(sim);
    sim.brokenResources.set(`srv5/${HTTPD}`, "broken");
    sim.brokenResources.set(`srv6/${HTTPD}`, "broken");
    assert.ok(
      sim.runUntil(() => monitorOf(sim, "srv6").phase === "stopped", 40_000),
      story(sim),
    );
    sim.brokenResources.delete(`srv5/${HTTPD}`); // fixed by hand on srv5
    sim.admin("srv5", "takeover", "local");
    assert.ok(
      sim.runUntil(() => held(sim) === "srv5", 15_000),
      story(sim),
    );
    sim.runFor(10_000);
    assert.equal(held(sim), "srv5");
    assert.equal(monitorOf(sim, "srv5").failures, 0);
  });
});

describe("checks that misbehave", () => {
  it("a check that hangs past its timeout counts as failed, and runs never overlap", () => {
    const sim = monitoredPair({ check: { timeoutMs: 300 } });
    bootPair(sim);
    sim.checkAnswer = (node) => (node === "srv5" ? "hang" : undefined);
    assert.ok(
      sim.runUntil(() => sim.restarts.length === 1, 5000),
      story(sim),
    );
    assert.match(monitorOf(sim, "srv5").lastFailure ?? "", /timed out after 300 ms/);
    const runs = sim.checkRuns.filter((r) => r.node === "srv5");
    for (let i = 1; i < runs.length; i++) assert.ok(runs[i]!.at - runs[i - 1]!.at >= 300, `runs ${i - 1} and ${i} overlap`);
  });

  it("a check failing in short bursts (fewer than fall) never counts, and rise debounces recovery", () => {
    const sim = monitoredPair({ check: { fall: 3, rise: 2 } });
    bootPair(sim);
    let n = 0;
    // fail, fail, ok, fail, fail, ok …: bursts of two under fall=3.
    sim.checkAnswer = (node) => (node === "srv5" ? (n++ % 3 === 2 ? { healthy: true, words: "ok" } : { healthy: false, words: "HTTP 503" }) : undefined);
    sim.runFor(30_000);
    assert.equal(sim.restarts.length, 0);
    assert.equal(monitorOf(sim, "srv5").failures, 0);
    assert.equal(monitorOf(sim, "srv5").checks[0]!.health, "healthy");
    assert.ok(monitorOf(sim, "srv5").checks[0]!.failedRuns >= 30);
    // Now three in a row: one failure, one restart; after it the check stays failing until two good runs.
    n = 0;
    sim.checkAnswer = (node) =>
      node === "srv5"
        ? n++ < 3
          ? { healthy: false, words: "HTTP 503" }
          : n === 4
            ? { healthy: false, words: "HTTP 503" }
            : { healthy: true, words: "ok" }
        : undefined;
    assert.ok(
      sim.runUntil(() => sim.restarts.length === 1, 5000),
      story(sim),
    );
    assert.ok(sim.runUntil(() => sim.checkRuns.filter((r) => r.node === "srv5" && r.at > sim.restarts[0]!.at).length === 2, 5000));
    sim.runFor(100);
    assert.equal(monitorOf(sim, "srv5").checks[0]!.health, "failing", "one good run is not enough with rise=2");
    sim.runFor(1200);
    assert.equal(monitorOf(sim, "srv5").checks[0]!.health, "healthy");
    assert.equal(sim.restarts.length, 1);
  });
});

describe("monitoring and the rest of the resource handshake", () => {
  it("pauses during a standby exchange: a crash meanwhile is not restarted by the node giving the group away", () => {
    const sim = monitoredPair({ sim: { agentDelayMs: 400 } });
    bootPair(sim);
    sim.admin("srv5", "standby", "all");
    sim.runFor(50);
    sim.brokenResources.set(`srv5/${HTTPD}`, "crashed");
    const from = sim.clock.now();
    assert.ok(
      sim.runUntil(() => held(sim) === "srv6" && sim.core("srv6").snapshot().rscStatus !== "transition", 10_000),
      story(sim),
    );
    assert.equal(sim.checkRuns.filter((r) => r.node === "srv5" && r.at >= from).length, 0);
    assert.equal(sim.restarts.length, 0);
    // srv6 watches it now.
    sim.runFor(2000);
    assert.ok(sim.checkRuns.some((r) => r.node === "srv6"));
    assert.equal(monitorOf(sim, "srv6").phase, "watching");
  });

  it("after a failure move, auto failback does not bring the group home until the operator says so", () => {
    const sim = monitoredPair();
    // srv5 crashes and returns: srv6 takes over and fails back (auto_failback on), as usual.
    bootPair(sim);
    sim.crash("srv5");
    assert.ok(sim.runUntil(() => held(sim) === "srv6", 5000));
    sim.start("srv5");
    assert.ok(
      sim.runUntil(() => held(sim) === "srv5", 20_000),
      story(sim),
    );
    // Now srv5's httpd breaks for good: the group moves to srv6 and stays there.
    sim.brokenResources.set(`srv5/${HTTPD}`, "broken");
    assert.ok(
      sim.runUntil(() => held(sim) === "srv6", 20_000),
      story(sim),
    );
    const movedAt = sim.clock.now();
    sim.runFor(60_000);
    assert.equal(held(sim), "srv6");
    assert.equal(holderChanges(sim, movedAt + 1), 0);
    // Fixed by hand; the operator brings it home.
    sim.brokenResources.delete(`srv5/${HTTPD}`);
    sim.admin("srv5", "takeover", "failback");
    assert.ok(
      sim.runUntil(() => held(sim) === "srv5", 15_000),
      story(sim),
    );
  });

  it("when the peer dies, a group refused for failures is still taken over, and a still-broken service is stopped, not bounced", () => {
    const sim = monitoredPair({ sim: { pingNodes: [{ name: "192.0.2.254", hosts: ["192.0.2.254"] }] } });
    bootPair(sim);
    sim.brokenResources.set(`srv5/${HTTPD}`, "broken");
    assert.ok(
      sim.runUntil(() => held(sim) === "srv6", 20_000),
      story(sim),
    );
    sim.crash("srv6");
    // Arbitration: srv5 reaches the ping node as srv6 did: it takes over (nobody else can serve).
    assert.ok(
      sim.runUntil(() => held(sim) === "srv5", 5000),
      story(sim),
    );
    assert.ok(sim.logsMatching("Arbitration", "srv5").length >= 1);
    // Its httpd is still broken: the threshold is already reached, no peer: stopped and reported.
    assert.ok(
      sim.runUntil(() => held(sim) === "" && monitorOf(sim, "srv5").phase === "stopped", 10_000),
      story(sim),
    );
    assert.equal(sim.logsMatching("no peer is alive to take it", "srv5").length, 1);
  });
});

describe("checks share the daemon's wake-ups", () => {
  it("a run starts with a heartbeat sent or read when one comes within a tenth of the interval: never late, never overlapping, after the heartbeat", () => {
    const sim = monitoredPair();
    bootPair(sim);
    sim.traceSteps = true;
    const since = sim.clock.now();
    sim.runFor(60_000);
    const runs = sim.checkRuns.filter((r) => r.node === "srv5" && r.at >= since);
    assert.ok(runs.length >= 119 && runs.length <= 134, `${runs.length} runs in 60 s at 500 ms, at most 50 ms early each`);
    for (let i = 1; i < runs.length; i++) {
      const gap = runs[i]!.at - runs[i - 1]!.at;
      assert.ok(gap >= 450 && gap <= 500, `runs ${runs[i - 1]!.at} and ${runs[i]!.at}: ${gap} ms apart`);
    }
    const withRun = sim.steps.filter((s) => s.node === "srv5" && s.actions.includes("run-check"));
    assert.equal(withRun.length, runs.length);
    let shared = 0;
    for (const s of withRun) {
      const sent = s.actions.indexOf("send");
      if (sent >= 0) assert.ok(sent < s.actions.indexOf("run-check"), `at ${s.at} the heartbeat comes first: ${s.actions.join(", ")}`);
      if (sent >= 0 || s.event === "message-received") shared++;
    }
    // Own heartbeats and the peer's every 200 ms: here every other run finds one within 50 ms (without the allowance: none).
    assert.ok(shared / withRun.length >= 0.5, `${shared} of ${withRun.length} runs shared a wake-up`);
  });
});
