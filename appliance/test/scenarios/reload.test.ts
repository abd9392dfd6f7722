// Live configuration reload (SIGHUP) on a virtual clock: what changes at once, what is logged and kept, and that nothing held or heard is lost.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { SimCluster, type SimClusterOptions } from "../sim/sim-cluster";

const VIP = "IPaddr::198.51.100.100/32";
const WEB = "IPaddr::198.51.100.101/32 httpd";
const GATEWAY = "198.51.100.2";
const WITNESS = "192.0.2.7";
const DEADTIME = 1000;

function pair(overrides: Partial<SimClusterOptions> = {}): SimCluster {
  const sim = new SimCluster({
    nodes: ["srv5", "srv6"],
    links: ["eth0", "eth1"],
    keepaliveMs: 200,
    deadtimeMs: DEADTIME,
    warntimeMs: 500,
    initdeadMs: 3000,
    groups: [{ key: VIP, homeNode: "srv5" }],
    autoFailback: "on",
    ...overrides,
  });
  sim.start("srv5");
  sim.start("srv6");
  sim.runFor(8000);
  assert.equal(sim.holders(VIP).join(","), "srv5");
  return sim;
}

function transcript(sim: SimCluster, lines = 40): string {
  return sim.log
    .slice(-lines)
    .map((l) => `${l.at} ${l.node} ${l.level} ${l.text}`)
    .join("\n");
}

function peerView(sim: SimCluster, viewer: string, node: string) {
  return sim
    .core(viewer)
    .snapshot()
    .nodes.find((n) => n.name === node)!;
}

/** Nothing a reload may disturb: no death, no restart seen, no late heartbeat, the VIP never moved. */
function assertUndisturbed(sim: SimCluster): void {
  assert.equal(sim.logsMatching("is dead").filter((l) => !l.text.startsWith("node 1") && !l.text.startsWith("node 2")).length, 0, transcript(sim));
  assert.equal(sim.logsMatching("Heartbeat restart").length, 0);
  assert.equal(sim.logsMatching("Late heartbeat").length, 0);
  assert.equal(sim.logsMatching("returning after partition").length, 0);
  assert.equal(sim.holderHistory.filter((h) => h.key === VIP).length, 1, "the VIP never moved");
}

describe("timings", () => {
  it("keepalive and deadtime change at once; the peer applies the new deadtime it is told; no heartbeat is missed", () => {
    const sim = pair();
    const sentBefore = sim.core("srv5").snapshot().counters.heartbeatsSent!;
    sim.reload("srv5", { keepaliveMs: 100, deadtimeMs: 600, warntimeMs: 300 });
    sim.runFor(2000);
    const sent = sim.core("srv5").snapshot().counters.heartbeatsSent! - sentBefore;
    assert.ok(sent >= 20 && sent <= 22, `${sent} heartbeats in 2 s at 100 ms`);
    assert.equal(sim.logsMatching("Configuration reload: keepalive 200 ms → 100 ms", "srv5").length, 1);
    assert.equal(sim.logsMatching("Configuration reload: deadtime 1000 ms → 600 ms", "srv5").length, 1);
    assertUndisturbed(sim);
    const crashAt = sim.clock.now();
    sim.crash("srv5");
    assert.ok(sim.runUntil(() => peerView(sim, "srv6", "srv5").status === "dead", 2000));
    const after = sim.clock.now() - crashAt;
    assert.ok(after <= 600 + 200 && after > 400, `srv6 declared srv5 dead after ${after} ms (srv5 now advertises 600 ms)`);
  });

  it("warntime applies to the next heartbeat", () => {
    const sim = pair();
    sim.reload("srv5", { warntimeMs: 150 });
    sim.runFor(1000);
    assert.ok(sim.logsMatching("Late heartbeat: Node srv6", "srv5").length >= 4);
    sim.reload("srv5", { warntimeMs: 500 });
    const n = sim.logsMatching("Late heartbeat").length;
    sim.runFor(1000);
    assert.equal(sim.logsMatching("Late heartbeat").length, n);
  });

  it("initdead changes the wait for a peer never heard", () => {
    const sim = new SimCluster({
      nodes: ["srv5", "srv6"],
      links: ["eth0"],
      keepaliveMs: 200,
      deadtimeMs: DEADTIME,
      initdeadMs: 3000,
      groups: [{ key: VIP, homeNode: "srv5" }],
    });
    sim.start("srv5");
    sim.runFor(500);
    sim.reload("srv5", { initdeadMs: 6000 });
    sim.runFor(4000);
    assert.equal(peerView(sim, "srv5", "srv6").status, "init", "not dead at 4.5 s: initdead is 6 s now");
    sim.runFor(2000);
    assert.equal(peerView(sim, "srv5", "srv6").status, "dead");
    assert.equal(sim.holders(VIP).join(","), "srv5");
  });
});

describe("links", () => {
  it("a link added comes up, a link removed disappears, and the peer stays alive throughout", () => {
    const sim = pair();
    sim.reload("srv5", { links: ["eth0", "eth1", "eth2"] });
    sim.reload("srv6", { links: ["eth0", "eth1", "eth2"] });
    sim.runFor(1000);
    assert.deepEqual(
      peerView(sim, "srv5", "srv6").links.map((l) => `${l.name}:${l.status}`),
      ["eth0:up", "eth1:up", "eth2:up"],
    );
    sim.reload("srv5", { links: ["eth2"] });
    sim.reload("srv6", { links: ["eth2"] });
    sim.runFor(3000);
    assert.deepEqual(
      peerView(sim, "srv5", "srv6").links.map((l) => `${l.name}:${l.status}`),
      ["eth2:up"],
    );
    assert.equal(peerView(sim, "srv5", "srv6").status, "active");
    sim.network.cut("eth0");
    sim.network.cut("eth1");
    sim.runFor(3000);
    assert.equal(peerView(sim, "srv5", "srv6").status, "active", "eth2 alone carries the heartbeats");
    assertUndisturbed(sim);
  });
});

describe("ping nodes, deadping and ipfail", () => {
  const pinged: Partial<SimClusterOptions> = { links: ["eth1"], pingNodes: [{ name: GATEWAY, hosts: [GATEWAY] }], ipfail: true };

  it("a ping node added is pinged and counted, one removed is forgotten", () => {
    const sim = pair(pinged);
    const both = [
      { name: GATEWAY, hosts: [GATEWAY] },
      { name: WITNESS, hosts: [WITNESS] },
    ];
    sim.reload("srv5", { pingNodes: both });
    sim.reload("srv6", { pingNodes: both });
    sim.runFor(1000);
    assert.deepEqual(
      sim
        .core("srv5")
        .snapshot()
        .nodes.filter((n) => n.type === "ping")
        .map((n) => `${n.name}:${n.status}`),
      [`${GATEWAY}:ping`, `${WITNESS}:ping`],
    );
    // Both nodes reload (a node counting fewer ping nodes than its peer would give way to it, by ipfail's rule).
    sim.reload("srv5", { pingNodes: [both[1]!] });
    sim.reload("srv6", { pingNodes: [both[1]!] });
    sim.runFor(1000);
    assert.deepEqual(
      sim
        .core("srv5")
        .snapshot()
        .nodes.filter((n) => n.type === "ping")
        .map((n) => n.name),
      [WITNESS],
    );
    assertUndisturbed(sim);
  });

  it("deadping changes the silence after which a ping node is dead", () => {
    const sim = pair(pinged);
    sim.reload("srv5", { deadpingMs: 3000 });
    sim.reload("srv6", { deadpingMs: 3000 });
    sim.setPingReachable("srv5", GATEWAY, false);
    sim.runFor(2000);
    assert.equal(
      sim
        .core("srv5")
        .snapshot()
        .nodes.find((n) => n.name === GATEWAY)!.status,
      "ping",
    );
    sim.runFor(1500);
    assert.equal(
      sim
        .core("srv5")
        .snapshot()
        .nodes.find((n) => n.name === GATEWAY)!.status,
      "dead",
    );
  });

  it("ipfail off: losing the gateway moves nothing; on again: it arbitrates", () => {
    const sim = pair(pinged);
    sim.reload("srv5", { ipfail: false });
    sim.reload("srv6", { ipfail: false });
    sim.setPingReachable("srv5", GATEWAY, false);
    sim.runFor(5000);
    assert.equal(sim.holders(VIP).join(","), "srv5");
    sim.reload("srv5", { ipfail: true });
    sim.reload("srv6", { ipfail: true });
    assert.ok(
      sim.runUntil(() => sim.holders(VIP).join(",") === "srv6", 5000),
      transcript(sim),
    );
    assert.equal(sim.longestDoubleHolding(VIP), 0);
  });
});

describe("auto_failback", () => {
  it("off → on on the node holding the other's group: it gives the group back", () => {
    const sim = pair({ autoFailback: "off" });
    sim.crash("srv5");
    sim.runFor(3000);
    sim.start("srv5");
    sim.runFor(8000);
    assert.equal(sim.holders(VIP).join(","), "srv6");
    sim.reload("srv6", { autoFailback: "on" });
    sim.reload("srv5", { autoFailback: "on" });
    assert.ok(
      sim.runUntil(() => sim.holders(VIP).join(",") === "srv5", 3000),
      transcript(sim),
    );
    assert.equal(sim.longestDoubleHolding(VIP), 0);
  });
});

describe("resource groups", () => {
  it("a group added that homes here is acquired at once, the peer leaves it alone; the held group is untouched", () => {
    const sim = pair();
    const groups = [
      { key: VIP, homeNode: "srv5" },
      { key: WEB, homeNode: "srv5" },
    ];
    sim.reload("srv6", { groups });
    sim.runFor(1000);
    assert.equal(sim.holders(WEB).join(","), "", "srv6 does not take a group homing on a live srv5");
    sim.reload("srv5", { groups });
    assert.ok(sim.runUntil(() => sim.holders(WEB).join(",") === "srv5", 1000));
    sim.runFor(5000);
    assert.equal(sim.holders(WEB).join(","), "srv5");
    assert.equal(sim.core("srv6").snapshot().groups.length, 2);
    assertUndisturbed(sim);
  });

  it("a group added that homes on a dead peer is taken by the survivor, and returns home when it comes back", () => {
    const sim = pair();
    sim.crash("srv6");
    sim.runFor(3000);
    const groups = [
      { key: VIP, homeNode: "srv5" },
      { key: WEB, homeNode: "srv6" },
    ];
    sim.reload("srv5", { groups });
    assert.ok(sim.runUntil(() => sim.holders(WEB).join(",") === "srv5", 1000));
    sim.start("srv6", { groups });
    assert.ok(
      sim.runUntil(() => sim.holders(WEB).join(",") === "srv6", 10_000),
      transcript(sim),
    );
    assert.equal(sim.holders(VIP).join(","), "srv5");
  });

  it("a group removed is released if held, the others stay", () => {
    const sim = pair({
      groups: [
        { key: VIP, homeNode: "srv5" },
        { key: WEB, homeNode: "srv5" },
      ],
    });
    assert.equal(sim.holders(WEB).join(","), "srv5");
    sim.reload("srv5", { groups: [{ key: VIP, homeNode: "srv5" }] });
    assert.ok(sim.runUntil(() => sim.holders(WEB).length === 0, 1000));
    sim.runFor(3000);
    assert.deepEqual(
      sim
        .core("srv5")
        .snapshot()
        .groups.map((g) => g.key),
      [VIP],
    );
    assert.equal(sim.holders(VIP).join(","), "srv5");
    assertUndisturbed(sim);
  });

  it("a group removed while it is starting is stopped once the start ends", () => {
    const sim = pair({ agentDelayMs: 500 });
    const groups = [
      { key: VIP, homeNode: "srv5" },
      { key: WEB, homeNode: "srv5" },
    ];
    sim.reload("srv5", { groups });
    sim.runFor(100);
    assert.equal(
      sim
        .core("srv5")
        .snapshot()
        .groups.find((g) => g.key === WEB)!.state,
      "starting",
    );
    sim.reload("srv5", { groups: [{ key: VIP, homeNode: "srv5" }] });
    sim.runFor(3000);
    assert.equal(sim.holders(WEB).length, 0);
    assert.deepEqual(
      sim
        .core("srv5")
        .snapshot()
        .groups.map((g) => g.key),
      [VIP],
    );
  });
});

describe("what cannot change live", () => {
  it("the node list and this node's name are logged and kept", () => {
    const sim = pair();
    sim.reload("srv5", { nodes: ["srv5", "srv6", "srv7"], localNode: "srv9" });
    sim.runFor(3000);
    assert.equal(sim.logsMatching("the node list cannot change while running", "srv5").length, 1);
    assert.equal(sim.logsMatching("this node's name cannot change while running", "srv5").length, 1);
    assert.deepEqual(
      sim
        .core("srv5")
        .snapshot()
        .nodes.map((n) => n.name),
      ["srv5", "srv6"],
    );
    assert.equal(sim.core("srv5").snapshot().localNode, "srv5");
    assertUndisturbed(sim);
  });

  it("a reload with nothing changed changes nothing (sequence numbers and liveness go on)", () => {
    const sim = pair();
    sim.reload("srv5", {});
    sim.reload("srv6", {});
    sim.runFor(5000);
    assertUndisturbed(sim);
    assert.equal(sim.core("srv6").snapshot().counters.rexmitRequested, 0, "no gap in srv5's sequence numbers");
  });
});
