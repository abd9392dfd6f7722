// buildDaemonStatus, RecentEvents and the FailoverTracker; every status document is checked against status-schema.json.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import type { ClusterAction } from "../cluster/cluster-actions";
import type { MembershipSnapshot } from "../cluster/cluster-node";
import { buildDaemonStatus, findNode, parameterOf, type DaemonStatus } from "./daemon-status";
import { FailoverTracker } from "./failover-tracker";
import { RecentEvents } from "./recent-events";
import { seedConfig, seedSnapshot, sourceFile, SRV5, SRV6, VIP_KEY } from "../../test/support/status-fixtures";
import { validateJsonSchema, type Schema } from "../../test/support/json-schema-subset";
import { millis } from "../cluster/time";

const SCHEMA = JSON.parse(readFileSync(sourceFile("appliance/src/status/status-schema.json"), "utf8")) as Schema;

function assertValid(status: DaemonStatus): void {
  const round = JSON.parse(JSON.stringify(status)) as unknown;
  assert.deepEqual(validateJsonSchema(SCHEMA, round), []);
}

const WALL = Date.UTC(2026, 0, 2, 3, 4, 5);

describe("buildDaemonStatus", () => {
  it("describes the seed pair from srv5: nodes in ha.cf order, then ping nodes; ages from the monotonic clock", () => {
    const s = buildDaemonStatus({
      snapshot: seedSnapshot(),
      config: seedConfig(),
      nowMs: millis(100_000),
      wallClockMs: WALL,
      pid: 42,
      startedAtMs: millis(40_000),
    });
    assertValid(s);
    assert.deepEqual(
      s.nodes.map((n) => [n.name, n.type, n.status, n.local]),
      [
        [SRV5, "normal", "active", true],
        [SRV6, "normal", "active", false],
        ["198.51.100.2", "ping", "ping", false],
        ["192.0.2.7", "ping", "ping", false],
      ],
    );
    const peer = findNode(s, "SRV6.localdomain")!;
    assert.equal(peer.lastHeardAgoMs, 150);
    assert.equal(peer.lastHeardAt, new Date(WALL - 150).toISOString());
    assert.deepEqual(peer.links, [{ name: "eth1", status: "up", lastHeardAgoMs: 150, lastHeardAt: new Date(WALL - 150).toISOString() }]);
    assert.equal(peer.weight, 100);
    assert.equal(peer.site, "");
    assert.equal(s.uptimeMs, 60_000);
    assert.equal(s.generatedAt, new Date(WALL).toISOString());
    assert.equal(s.version, s.parameters.hbversion);
    assert.match(s.version, /^3\.0\.6 \(Twinbeat \d+\.\d+\.\d+\)$/);
    assert.equal(s.timing.deadtimeMs, 30_000);
    assert.equal(parameterOf(s, "keepalive"), "2");
    assert.equal(parameterOf(s, "toString"), undefined);
    assert.deepEqual(findNode(s, SRV5)!.apiClients, ["ipfail"]);
    assert.deepEqual(findNode(s, "192.0.2.7")!.hosts, ["192.0.2.7"]);
  });

  it("says who holds the VIP group: here, or the active peer (inferred)", () => {
    const primary = buildDaemonStatus({ snapshot: seedSnapshot(), config: seedConfig(), nowMs: millis(100_000), pid: 1 });
    assert.deepEqual(primary.groups, [
      {
        key: VIP_KEY,
        homeNode: SRV5,
        resources: [VIP_KEY, "httpd"],
        addresses: ["198.51.100.100"],
        state: "running",
        heldHere: true,
        holder: SRV5,
        holderSource: "local",
      },
    ]);
    const standby = buildDaemonStatus({ snapshot: seedSnapshot({ localNode: SRV6 }), config: seedConfig({ localNode: SRV6 }), nowMs: millis(100_000), pid: 1 });
    assert.equal(standby.groups[0]!.holder, SRV5);
    assert.equal(standby.groups[0]!.holderSource, "inferred");
    const reported = buildDaemonStatus({
      snapshot: seedSnapshot({ localNode: SRV6 }),
      config: seedConfig({ localNode: SRV6 }),
      nowMs: millis(100_000),
      pid: 1,
      peerHolds: [],
    });
    assert.equal(reported.groups[0]!.holder, null);
    const alone = buildDaemonStatus({
      snapshot: seedSnapshot({ localNode: SRV6, peerStatus: "dead" }),
      config: seedConfig({ localNode: SRV6 }),
      nowMs: millis(100_000),
      pid: 1,
    });
    assert.equal(alone.groups[0]!.holder, null);
    assert.equal(alone.groups[0]!.holderSource, "none");
    assertValid(alone);
  });

  it("shows ping nodes the core does not report as unmonitored, init", () => {
    const s = buildDaemonStatus({ snapshot: seedSnapshot({ pings: "absent" }), config: seedConfig(), nowMs: millis(100_000), pid: 1 });
    const p = findNode(s, "198.51.100.2")!;
    assert.equal(p.monitored, false);
    assert.equal(p.status, "init");
    assert.deepEqual(
      p.links.map((l) => l.status),
      ["init"],
    );
    assertValid(s);
  });

  it("carries events, failovers and appliance facts, and stays valid JSON for the schema", () => {
    const events = new RecentEvents(3);
    events.push("info", "a", WALL);
    const s = buildDaemonStatus({
      snapshot: seedSnapshot(),
      config: seedConfig(),
      nowMs: millis(100_000),
      pid: 1,
      events,
      appliance: {
        sampledAt: new Date(WALL).toISOString(),
        hostname: "h",
        uptimeSeconds: 5,
        loadavg: [0.1, 0.2, 0.3],
        memory: { totalBytes: 10, availableBytes: 5 },
        interfaces: [{ name: "eth0", operstate: "up", mac: "02:00:00:00:00:01", addresses: [{ address: "198.51.100.5", family: "IPv4", prefixLength: 24 }] }],
      },
      lastFailover: {
        at: new Date(WALL).toISOString(),
        atMs: millis(99_000),
        durationMs: 12,
        from: SRV6,
        to: SRV5,
        cause: "deadtime",
        groups: [VIP_KEY],
        failedGroups: [],
      },
      failoverTotal: 1,
    });
    assert.deepEqual(s.events, [{ at: new Date(WALL).toISOString(), level: "info", text: "a" }]);
    assertValid(s);
  });

  it("the schema validator does reject what the schema forbids", () => {
    const s = JSON.parse(JSON.stringify(buildDaemonStatus({ snapshot: seedSnapshot(), config: seedConfig(), nowMs: millis(100_000), pid: 1 }))) as Record<
      string,
      unknown
    >;
    s.extra = 1;
    (s.nodes as Record<string, unknown>[])[0]!.status = "sleeping";
    delete s.pid;
    const errors = validateJsonSchema(SCHEMA, s);
    assert.ok(
      errors.some((e) => e.includes('missing required property "pid"')),
      errors.join("\n"),
    );
    assert.ok(
      errors.some((e) => e.includes("$.nodes[0].status")),
      errors.join("\n"),
    );
    assert.ok(
      errors.some((e) => e.includes("$.extra")),
      errors.join("\n"),
    );
  });
});

describe("RecentEvents", () => {
  it("keeps the last N, oldest first, without debug lines", () => {
    const r = new RecentEvents(3);
    for (let i = 1; i <= 5; i++) r.push("info", `e${i}`, WALL + i);
    r.push("debug", "noise");
    assert.deepEqual(
      r.list().map((e) => e.text),
      ["e3", "e4", "e5"],
    );
    assert.equal(r.total, 5);
    assert.equal(r.size, 3);
  });

  it("cuts very long lines", () => {
    const r = new RecentEvents(1);
    r.push("warn", "x".repeat(2000));
    assert.equal(r.list()[0]!.text.length, 500);
  });
});

describe("FailoverTracker", () => {
  const snap = (peer: MembershipSnapshot["nodes"][number]["status"], state: MembershipSnapshot["groups"][number]["state"]) =>
    seedSnapshot({ localNode: SRV6, peerStatus: peer, groupState: state });
  const log = (text: string): ClusterAction => ({ type: "log", level: "warn", text });

  it("times a takeover from the peer's death to its group running here", () => {
    const t = new FailoverTracker();
    let calls = 0;
    const obs = (actions: ClusterAction[], s: MembershipSnapshot, at: number) =>
      t.observe(
        actions,
        () => {
          calls++;
          return s;
        },
        millis(at),
        WALL + at,
      );
    assert.equal(obs([{ type: "log", level: "info", text: "Status update for node srv5.localdomain: status active" }], snap("active", "stopped"), 1000), true);
    // Steps that only send heartbeats never take a snapshot.
    assert.equal(obs([{ type: "send", body: [] }], snap("active", "stopped"), 1200), false);
    assert.equal(calls, 1);
    obs([log("node srv5.localdomain: is dead"), { type: "start-group", key: VIP_KEY }], snap("dead", "starting"), 5000);
    assert.equal(t.last, null);
    obs([{ type: "report-transition", key: VIP_KEY, state: "acquired", reason: "" }], snap("dead", "running"), 5042);
    assert.deepEqual(t.last, {
      at: new Date(WALL + 5000).toISOString(),
      atMs: 5000,
      durationMs: 42,
      from: SRV5,
      to: SRV6,
      cause: "deadtime",
      groups: [VIP_KEY],
      failedGroups: [],
    });
    assert.equal(t.total, 1);
    const h = t.histogram();
    assert.equal(h.count, 1);
    assert.equal(h.sum, 0.042);
    assert.equal(h.counts[h.bounds.indexOf(0.05)], 1);
  });

  it("a clean stop (shutdone) is a takeover too; a peer never heard is not", () => {
    const t = new FailoverTracker();
    t.observe([log("Status update for node srv5.localdomain: status init")], () => snap("init", "stopped"), millis(0), WALL);
    t.observe([log("node srv5.localdomain: is dead")], () => snap("dead", "starting"), millis(100), WALL);
    t.observe([{ type: "report-transition", key: VIP_KEY, state: "acquired", reason: "" }], () => snap("dead", "running"), millis(200), WALL);
    assert.equal(t.last === null, true, "alone at start-up is not a failover");
    t.observe([log("x")], () => snap("active", "running"), millis(300), WALL);
    t.observe([{ type: "report-transition", key: VIP_KEY, state: "released", reason: "" }], () => snap("active", "stopped"), millis(400), WALL);
    t.observe([log("Received shutdown notice from 'srv5.localdomain'.")], () => snap("dead", "starting"), millis(1000), WALL);
    t.observe([{ type: "report-transition", key: VIP_KEY, state: "failed", reason: "" }], () => snap("dead", "start-failed"), millis(1100), WALL);
    assert.equal(t.last === null, true, "nothing was taken over when every start failed");
    t.observe([log("x")], () => snap("active", "stopped"), millis(2000), WALL);
    t.observe([log("Received shutdown notice from 'srv5.localdomain'.")], () => snap("dead", "starting"), millis(3000), WALL);
    t.observe([{ type: "report-transition", key: VIP_KEY, state: "acquired", reason: "" }], () => snap("dead", "running"), millis(3010), WALL);
    const last = (t as FailoverTracker).last;
    assert.equal(last?.cause, "shutdone");
    assert.equal(last?.durationMs, 10);
  });
});
