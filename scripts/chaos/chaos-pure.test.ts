// Unit tests (no root) for the chaos campaign's pure parts: the seeded schedule, the invariant checker, the report.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { allowsDoubleHolding, FAULT_KINDS, planCampaign, planIteration } from "./fault-catalogue";
import { checkIteration, holderIntervals, longestOutage, type IterationTimeline, type PairFacts } from "./invariant-checker";
import { buildReport, renderTable, renderViolations } from "./chaos-report";
import { parseMonitorTimestamp } from "./chaos-lab";

const TIMINGS = { keepaliveMs: 200, deadtimeMs: 1000 };
const FACTS: PairFacts = { macs: { srv5: "02:00:c6:33:64:05", srv6: "02:00:c6:33:64:06" }, pages: { srv5: "NodeA", srv6: "NodeB" } };

/** A healthy iteration: srv5 holds, cable-pull on the holder's eth1 moves the VIP to srv6, the heal brings it back. */
function healthy(): IterationTimeline {
  const samples = [];
  for (let t = 0; t <= 8000; t += 100) samples.push({ atMs: t, page: t < 1900 ? "NodeA" : t < 2100 ? "-" : t < 5600 ? "NodeB" : t < 5700 ? "-" : "NodeA" });
  return {
    startMs: 0,
    endMs: 8000,
    initialHolders: ["srv5"],
    holderEvents: [
      { atMs: 1900, node: "srv5", present: false },
      { atMs: 2000, node: "srv6", present: true },
      { atMs: 5600, node: "srv6", present: false },
      { atMs: 5650, node: "srv5", present: true },
    ],
    clientSamples: samples,
    exits: [],
    logLines: [{ atMs: 1000, node: "srv5", line: "heartbeat[1]: info: Link srv6:eth1 dead." }],
    faultAtMs: 800,
    healAtMs: 4000,
    settleBoundMs: 2000,
    doubleHoldingAllowed: false,
    expectedLog: [],
    final: { holders: ["srv5"], clientNeighbourMac: "02:00:c6:33:64:05", page: "NodeA", leaks: [] },
  };
}

describe("the fault schedule", () => {
  it("is a function of (seed, iteration): the same seed gives the same plans, another seed others", () => {
    const a = planCampaign(42, 30, TIMINGS);
    assert.deepEqual(planCampaign(42, 30, TIMINGS), a);
    assert.notDeepEqual(planCampaign(43, 30, TIMINGS), a);
    assert.deepEqual(planIteration(42, 17, TIMINGS), a[16], "replaying one iteration gives the campaign's plan");
  });

  it("draws every kind over a long campaign, phases within one keepalive", () => {
    const plans = planCampaign(7, 600, TIMINGS);
    assert.deepEqual(new Set(plans.map((p) => p.kind)), new Set(FAULT_KINDS));
    for (const p of plans) {
      assert.ok(p.phaseMs >= 0 && p.phaseMs < TIMINGS.keepaliveMs, `phase ${p.phaseMs}`);
      if (p.kind === "loss-burst") assert.ok(p.lossPercent! >= 20 && p.lossPercent! <= 60);
      if (p.kind === "kill9" || p.kind === "sigstop") assert.ok(p.holdMs > TIMINGS.deadtimeMs, "outages outlast deadtime");
    }
  });

  it("restricts and excludes kinds", () => {
    const only = planCampaign(1, 50, TIMINGS, { kinds: ["kill9", "sigstop"], excluded: ["sigstop"] });
    assert.ok(only.every((p) => p.kind === "kill9"));
    assert.throws(() => planCampaign(1, 5, TIMINGS, { kinds: ["latency"], excluded: ["latency"] }));
  });

  it("allows two holders only for the standby's own heartbeat cable", () => {
    assert.equal(allowsDoubleHolding({ kind: "cable-pull", target: "standby", ifName: "eth1" }), true);
    assert.equal(allowsDoubleHolding({ kind: "ifdown", target: "standby", ifName: "eth1" }), true);
    assert.equal(allowsDoubleHolding({ kind: "cable-pull", target: "holder", ifName: "eth1" }), false);
    assert.equal(allowsDoubleHolding({ kind: "cable-pull", target: "standby", ifName: "eth0" }), false);
    assert.equal(allowsDoubleHolding({ kind: "partial-partition", target: "holder" }), true);
  });
});

describe("the invariant checker", () => {
  it("passes a healthy failover and failback, and measures it", () => {
    const v = checkIteration(healthy(), FACTS);
    assert.deepEqual(v.violations, []);
    assert.equal(v.timeToSingleHolderMs, 0, "srv6 alone served at the heal");
    assert.equal(v.clientOutageMs, 200);
    assert.equal(v.longestDoubleHoldingMs, 0);
  });

  it("catches two holders outside the documented row", () => {
    const t = {
      ...healthy(),
      holderEvents: [
        { atMs: 2000, node: "srv6" as const, present: true },
        { atMs: 2600, node: "srv5" as const, present: false },
        { atMs: 5600, node: "srv6" as const, present: false },
        { atMs: 5650, node: "srv5" as const, present: true },
      ],
    };
    const v = checkIteration(t, FACTS);
    const two = v.violations.filter((x) => x.kind === "two-holders");
    assert.equal(two.length, 1, JSON.stringify(v.violations));
    assert.match(two[0]!.detail, /600 ms/);
    assert.equal(v.longestDoubleHoldingMs, 600);
  });

  it("tolerates the documented split until the bound after the heal, not beyond", () => {
    const base = {
      ...healthy(),
      doubleHoldingAllowed: true,
      holderEvents: [
        { atMs: 2000, node: "srv6" as const, present: true },
        { atMs: 4500, node: "srv6" as const, present: false },
      ],
    };
    assert.deepEqual(checkIteration(base, FACTS).violations, []);
    const beyond = {
      ...base,
      holderEvents: [
        { atMs: 2000, node: "srv6" as const, present: true },
        { atMs: 6500, node: "srv6" as const, present: false },
      ],
    };
    assert.deepEqual(
      checkIteration(beyond, FACTS).violations.map((x) => x.kind),
      ["two-holders", "no-single-holder"],
    );
    const before = { ...base, faultAtMs: 2500 };
    assert.deepEqual(
      checkIteration(before, FACTS).violations.map((x) => x.kind),
      ["two-holders"],
      "a split before the fault is not the fault's",
    );
  });

  it("ignores an overlap shorter than the monitors can order", () => {
    const t = {
      ...healthy(),
      holderEvents: [
        { atMs: 1995, node: "srv6" as const, present: true },
        { atMs: 2000, node: "srv5" as const, present: false },
      ],
    };
    const v = checkIteration({ ...t, final: { ...t.final, holders: ["srv6"], clientNeighbourMac: FACTS.macs.srv6, page: "NodeB" } }, FACTS);
    assert.deepEqual(
      v.violations.filter((x) => x.kind === "two-holders"),
      [],
    );
  });

  it("catches a pair that does not settle within the bound, and a wrong final state", () => {
    const late = {
      ...healthy(),
      healAtMs: 4000,
      clientSamples: healthy().clientSamples.map((s) => (s.atMs >= 4000 && s.atMs < 7000 ? { ...s, page: "-" } : s)),
    };
    const v = checkIteration(late, FACTS);
    assert.deepEqual(
      v.violations.map((x) => x.kind),
      ["no-single-holder"],
    );
    assert.equal(v.timeToSingleHolderMs, 3000);

    const nobody = {
      ...healthy(),
      holderEvents: [...healthy().holderEvents, { atMs: 7000, node: "srv5" as const, present: false }],
      final: { holders: [], clientNeighbourMac: undefined, page: "-", leaks: [] },
    };
    assert.deepEqual(
      checkIteration(nobody, FACTS).violations.map((x) => x.kind),
      ["no-single-holder"],
    );

    const staleArp = { ...healthy(), final: { ...healthy().final, clientNeighbourMac: FACTS.macs.srv6, page: "NodeB" } };
    assert.deepEqual(
      checkIteration(staleArp, FACTS).violations.map((x) => x.kind),
      ["client-not-served", "client-not-served"],
    );
  });

  it("catches unexpected exits, unexplained severe log lines and leaks", () => {
    const t = {
      ...healthy(),
      exits: [
        { atMs: 3000, node: "srv6" as const, caused: false, how: "signal SIGHUP" },
        { atMs: 900, node: "srv5" as const, caused: true, how: "signal SIGKILL" },
      ],
      logLines: [
        { atMs: 1, node: "srv5" as const, line: "heartbeat[1]: ERROR: Cannot start httpd" },
        { atMs: 2, node: "srv6" as const, line: "heartbeat[2]: CRIT: Resource stop failed: httpd" },
        { atMs: 3, node: "srv6" as const, line: "heartbeat[2]: WARN: Late heartbeat" },
      ],
      expectedLog: [/stop failed/],
      final: { ...healthy().final, leaks: ["srv6: busybox httpd (pid 99) runs on a node without the VIP"] },
    };
    const v = checkIteration(t, FACTS);
    assert.deepEqual(
      v.violations.map((x) => x.kind),
      ["unexpected-exit", "log", "leak"],
    );
    assert.match(v.violations[1]!.detail, /Cannot start httpd/);
  });

  it("builds holder intervals and outages from events", () => {
    const iv = holderIntervals({
      startMs: 0,
      endMs: 10,
      initialHolders: ["srv5"],
      holderEvents: [
        { atMs: 4, node: "srv6", present: true },
        { atMs: 6, node: "srv5", present: false },
      ],
    });
    assert.deepEqual(iv, [
      { fromMs: 0, toMs: 4, holders: ["srv5"] },
      { fromMs: 4, toMs: 6, holders: ["srv5", "srv6"] },
      { fromMs: 6, toMs: 10, holders: ["srv6"] },
    ]);
    assert.equal(
      longestOutage(
        [
          { atMs: 0, page: "A" },
          { atMs: 5, page: "-" },
          { atMs: 9, page: "-" },
        ],
        0,
        20,
      ),
      15,
      "an outage running at the end counts to the end",
    );
  });
});

describe("the report", () => {
  it("renders one row per fault kind seen, with violations and the replay line", () => {
    const plans = planCampaign(3, 3, TIMINGS, { kinds: ["kill9", "sigstop"] });
    const ok = checkIteration(healthy(), FACTS);
    const bad = checkIteration({ ...healthy(), exits: [{ atMs: 3000, node: "srv6", caused: false, how: "signal SIGHUP" }] }, FACTS);
    const report = buildReport(
      3,
      plans.map((plan, i) => ({ plan, targetNode: "srv5", verdict: i === 0 ? bad : ok, durationMs: 9000 })),
    );
    assert.equal(report.violations.length, 1);
    assert.equal(
      report.rows.reduce((n, r) => n + r.count, 0),
      3,
    );
    const table = renderTable(report);
    assert.match(table, /^fault\s+count\s+violations/);
    assert.match(table, /total\s+3\s+1/);
    assert.match(table, /mean iteration 9000 ms/);
    assert.match(
      renderViolations(report, (k) => `npm run chaos -- --seed 3 --only-iteration ${k}`),
      /iteration 1 .*unexpected-exit.*\n {2}replay: npm run chaos -- --seed 3 --only-iteration 1/,
    );
    assert.doesNotThrow(() => JSON.stringify(report));
  });
});

describe("the address monitor's timestamps", () => {
  it("reads `ip -ts` stamps as local wall-clock milliseconds", () => {
    const at = parseMonitorTimestamp("[2026-12-03T10:30:29.855401] Deleted 3: eth0    inet 198.51.100.100/32 scope global eth0");
    assert.equal(at, new Date(2026, 11, 3, 10, 30, 29, 855).getTime());
    assert.equal(parseMonitorTimestamp("3: eth0    inet 198.51.100.100/32"), undefined);
  });
});
