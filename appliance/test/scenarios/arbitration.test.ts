// Network arbitration on a virtual clock: ping nodes, the lost-link rule, built-in ipfail, and partitions that heal.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { SimCluster, type SimClusterOptions } from "../sim/sim-cluster";
import { later } from "../../src/cluster/time";

const VIP = "IPaddr::198.51.100.100/32";
const GATEWAY = "198.51.100.2"; // the seed's gateway, on the public network (eth0)
const WITNESS = "192.0.2.7"; // the seed's third host, on the heartbeat network (eth1)

/** The seed's pair: heartbeats on eth1 only, ping nodes gateway + witness, ipfail on. */
function seedPair(overrides: Partial<SimClusterOptions> = {}): SimCluster {
  return new SimCluster({
    nodes: ["srv5", "srv6"],
    links: ["eth1"],
    keepaliveMs: 200,
    deadtimeMs: 1000,
    warntimeMs: 500,
    initdeadMs: 3000,
    groups: [{ key: VIP, homeNode: "srv5" }],
    autoFailback: "on",
    pingNodes: [
      { name: GATEWAY, hosts: [GATEWAY] },
      { name: WITNESS, hosts: [WITNESS] },
    ],
    ipfail: true,
    ...overrides,
  });
}

function held(sim: SimCluster): string {
  return sim.holders(VIP).join(",");
}

function started(sim: SimCluster): SimCluster {
  sim.start("srv5");
  sim.start("srv6");
  sim.runFor(8000);
  assert.equal(held(sim), "srv5");
  return sim;
}

/** The seed's test: srv5's eth1 cable pulled: heartbeats and the witness lost on srv5's side only. */
function cutPrimaryEth1(sim: SimCluster): void {
  sim.network.cut("eth1", "srv5");
  sim.setPingReachable("srv5", WITNESS, false);
}

function healPrimaryEth1(sim: SimCluster): void {
  sim.network.heal("eth1", "srv5");
  sim.setPingReachable("srv5", WITNESS, true);
}

describe("ping nodes", () => {
  it("appear in membership with status ping, and dead after deadping without answers", () => {
    const sim = started(seedPair());
    const nodes = sim.core("srv5").snapshot().nodes;
    assert.deepEqual(
      nodes.filter((n) => n.type === "ping").map((n) => `${n.name}:${n.status}`),
      [`${GATEWAY}:ping`, `${WITNESS}:ping`],
    );
    sim.setPingReachable("srv5", WITNESS, false);
    sim.runFor(1500);
    assert.equal(
      sim
        .core("srv5")
        .snapshot()
        .nodes.find((n) => n.name === WITNESS)!.status,
      "dead",
    );
    assert.equal(sim.logsMatching(`node ${WITNESS}: is dead`, "srv5").length, 1);
  });
});

describe("every heartbeat link lost (arbitration table)", () => {
  it("the seed's scenario: srv5 lost the witness the peer still reaches, so srv5 releases and only srv6 holds", () => {
    const sim = started(seedPair());
    const cutAt = sim.clock.now();
    cutPrimaryEth1(sim);
    assert.ok(
      sim.runUntil(() => held(sim) === "srv6", 3000),
      sim.log
        .slice(-30)
        .map((l) => `${l.at} ${l.node} ${l.text}`)
        .join("\n"),
    );
    assert.ok(sim.clock.now() - cutAt <= 1000 + 1000, `took ${sim.clock.now() - cutAt} ms`);
    sim.runFor(10_000);
    assert.equal(held(sim), "srv6");
    assert.equal(sim.logsMatching("we are cut off, so we give way", "srv5").length, 1);
    assert.equal(sim.longestDoubleHolding(VIP), 0);
  });

  it("both lose the same ping node (the whole heartbeat switch down): the holder gives way, the standby takes over, one holder throughout", () => {
    const sim = started(seedPair());
    sim.network.cut("eth1");
    sim.setPingReachable("srv5", WITNESS, false);
    sim.setPingReachable("srv6", WITNESS, false);
    sim.runFor(4000);
    assert.equal(held(sim), "srv6");
    assert.equal(sim.longestDoubleHolding(VIP), 0);
    sim.network.heal();
    sim.setPingReachable("srv5", WITNESS, true);
    sim.setPingReachable("srv6", WITNESS, true);
    assert.ok(sim.runUntil(() => held(sim) === "srv5", 5000));
    sim.runFor(5000);
    assert.equal(held(sim), "srv5");
  });

  it("the heartbeat switch dies at any phase between the two heartbeat timers: never two holders (the standby waits for the holder to give way)", () => {
    // Network latency puts the two nodes' timers out of phase (the second locks on to the
    // first's status plus the latency), so one declares the other dead up to a keepalive later.
    for (const latencyMs of [20, 50, 90]) {
      for (const first of ["srv5", "srv6"] as const) {
        for (const extraMs of [0, 37, 111]) {
          const label = `latency ${latencyMs} ms, ${first} first, cut at +${extraMs} ms`;
          const sim = seedPair();
          sim.network.delay("eth1", latencyMs);
          sim.start(first);
          sim.runFor(500);
          sim.start(first === "srv5" ? "srv6" : "srv5");
          sim.runFor(8000 + extraMs);
          assert.equal(held(sim), "srv5", label);
          const cutAt = sim.clock.now();
          sim.network.cut("eth1");
          sim.setPingReachable("srv5", WITNESS, false);
          sim.setPingReachable("srv6", WITNESS, false);
          sim.runFor(4000);
          assert.equal(held(sim), "srv6", label);
          assert.equal(sim.longestDoubleHolding(VIP), 0, label);
          const servedAt = sim.holderHistory.find((h) => h.at >= cutAt && h.holders.includes("srv6"))!.at;
          assert.ok(servedAt - cutAt <= 1000 + 1.5 * 200 + latencyMs + 200, `${label}: srv6 took over ${servedAt - cutAt} ms after the cut`);
        }
      }
    }
  });

  it("no ping nodes configured: Heartbeat's behaviour (both take over), then one holder after the heal", () => {
    const sim = started(seedPair({ pingNodes: [], ipfail: false }));
    sim.network.cut("eth1", "srv5");
    sim.runFor(4000);
    assert.equal(held(sim), "srv5,srv6");
    sim.network.heal();
    assert.ok(sim.runUntil(() => held(sim) === "srv5", 5000));
  });

  it("the standby's own link cut: it cannot tell this from a dead switch, takes over, and the heal leaves srv5 alone holding", () => {
    const sim = started(seedPair());
    sim.network.cut("eth1", "srv6");
    sim.setPingReachable("srv6", WITNESS, false);
    sim.runFor(4000);
    assert.equal(held(sim), "srv5,srv6", "documented: the one split this rule allows");
    sim.network.heal();
    sim.setPingReachable("srv6", WITNESS, true);
    assert.ok(sim.runUntil(() => held(sim) === "srv5", 5000));
  });

  it("a standby that reaches no ping node at all does not take over", () => {
    const sim = started(seedPair());
    sim.network.cut("eth1", "srv6");
    sim.setPingReachable("srv6", WITNESS, false);
    sim.setPingReachable("srv6", GATEWAY, false);
    sim.runFor(4000);
    assert.equal(held(sim), "srv5");
  });

  it("a real peer death with the ping nodes fine is an ordinary takeover", () => {
    const sim = started(seedPair());
    sim.crash("srv5");
    assert.ok(sim.runUntil(() => held(sim) === "srv6", 2500));
  });

  it("the cut-off node takes over after all if its network comes back while the peer stays silent", () => {
    const sim = started(seedPair());
    cutPrimaryEth1(sim);
    sim.runFor(4000);
    assert.equal(held(sim), "srv6");
    sim.crash("srv6"); // meanwhile the peer really dies
    sim.setPingReachable("srv5", WITNESS, true); // and srv5's path to the witness returns (not the heartbeat link)
    assert.ok(sim.runUntil(() => held(sim) === "srv5", 4000));
  });
});

describe("partitions that heal", () => {
  for (const order of ["link first", "ping first"] as const) {
    it(`after the seed's cut heals (${order}), srv5 gets its group back in one handover, never both holding`, () => {
      const sim = started(seedPair());
      cutPrimaryEth1(sim);
      sim.runFor(5000);
      assert.equal(held(sim), "srv6");
      if (order === "link first") {
        sim.network.heal("eth1", "srv5");
        sim.runFor(300);
        sim.setPingReachable("srv5", WITNESS, true);
      } else {
        sim.setPingReachable("srv5", WITNESS, true);
        sim.runFor(300);
        sim.network.heal("eth1", "srv5");
      }
      assert.ok(
        sim.runUntil(() => held(sim) === "srv5", 5000),
        sim.log
          .slice(-30)
          .map((l) => `${l.at} ${l.node} ${l.text}`)
          .join("\n"),
      );
      sim.runFor(5000);
      assert.equal(held(sim), "srv5");
      assert.equal(sim.longestDoubleHolding(VIP), 0);
      const handovers = sim.holderHistory.filter((h) => h.key === VIP && h.holders.length === 1).length;
      assert.ok(handovers <= 4, `${handovers} holder changes`);
    });
  }

  it("auto_failback off: after the heal the group stays on srv6", () => {
    const sim = started(seedPair({ autoFailback: "off" }));
    cutPrimaryEth1(sim);
    sim.runFor(5000);
    healPrimaryEth1(sim);
    sim.runFor(8000);
    assert.equal(held(sim), "srv6");
  });

  it("the holder re-announces its addresses when the peer returns after a partition", () => {
    const sim = started(seedPair({ pingNodes: [], ipfail: false }));
    sim.network.cut("eth1");
    sim.runFor(3000);
    sim.network.heal();
    sim.runFor(3000);
    assert.ok(sim.logsMatching("returning after partition").length >= 1);
  });
});

describe("ipfail", () => {
  it("the primary loses the gateway (public side) while the heartbeat link is up: the group moves to srv6", () => {
    const sim = started(seedPair());
    sim.setPingReachable("srv5", GATEWAY, false);
    assert.ok(
      sim.runUntil(() => held(sim) === "srv6", 5000),
      sim.log
        .slice(-30)
        .map((l) => `${l.at} ${l.node} ${l.text}`)
        .join("\n"),
    );
    assert.equal(
      sim.logsMatching("giving up because we were told", "srv5").length + sim.logsMatching("giving up because we see fewer", "srv5").length >= 1,
      true,
    );
    // The gateway comes back: counts are balanced again, and auto_failback brings the group home.
    sim.setPingReachable("srv5", GATEWAY, true);
    assert.ok(
      sim.runUntil(() => held(sim) === "srv5", 8000),
      sim.log
        .slice(-30)
        .map((l) => `${l.at} ${l.node} ${l.text}`)
        .join("\n"),
    );
    assert.equal(sim.longestDoubleHolding(VIP), 0);
  });

  it("a ping node that flaps faster than deadping changes nothing", () => {
    const sim = started(seedPair());
    for (let i = 0; i < 20; i++) {
      sim.setPingReachable("srv5", GATEWAY, i % 2 === 1);
      sim.runFor(400);
    }
    sim.setPingReachable("srv5", GATEWAY, true);
    sim.runFor(3000);
    assert.equal(held(sim), "srv5");
    assert.equal(sim.holderHistory.filter((h) => h.key === VIP).length, 1);
  });

  it("both lose the gateway: balanced, nothing moves", () => {
    const sim = started(seedPair());
    sim.setPingReachable("srv5", GATEWAY, false);
    sim.setPingReachable("srv6", GATEWAY, false);
    sim.runFor(8000);
    assert.equal(held(sim), "srv5");
  });
});

describe("message order at the heal", () => {
  it("the holder's auto-failback request overtaking its status (srv5 does not count it alive yet) is answered once it does, and the group goes home", () => {
    // Seen in the lab with inetutils ping: srv6 asked for the standby the moment it heard srv5
    // again; srv5 got the request 20 ms before srv6's status, ignored it ("in flux"), and the
    // group stayed on srv6 until the request timed out, with nothing to ask again.
    const sim = started(seedPair());
    cutPrimaryEth1(sim);
    sim.runFor(5000);
    assert.equal(held(sim), "srv6");
    let delayed = true;
    const realSend = sim.network.send.bind(sim.network);
    sim.network.send = (at, from, to, link, message) => {
      const isStatus = message.some((f) => f.name === "t" && f.value === "status");
      realSend(delayed && from === "srv6" && isStatus ? later(at, 300) : at, from, to, link, message);
    };
    healPrimaryEth1(sim);
    sim.runFor(1000);
    delayed = false;
    const logText = () =>
      sim.log
        .slice(-30)
        .map((l) => `${l.at} ${l.node} ${l.text}`)
        .join("\n");
    assert.ok(
      sim.log.some((l) => l.node === "srv5" && /Standby request \[foreign\] from the peer deferred/.test(l.text)),
      `the request did not come before the status:\n${logText()}`,
    );
    assert.ok(
      sim.runUntil(() => held(sim) === "srv5", 3000),
      logText(),
    );
    sim.runFor(5000);
    assert.equal(held(sim), "srv5");
    assert.equal(sim.longestDoubleHolding(VIP), 0);
  });

  it("the returning node's resource message overtaking its status still leads to the failback", () => {
    const sim = started(seedPair());
    cutPrimaryEth1(sim);
    sim.runFor(5000);
    assert.equal(held(sim), "srv6");
    // srv5's status is delayed by 300 ms when the link returns, its other messages are not.
    sim.network.filter = undefined;
    let delayed = true;
    const realSend = sim.network.send.bind(sim.network);
    sim.network.send = (at, from, to, link, message) => {
      const isStatus = message.some((f) => f.name === "t" && f.value === "status");
      realSend(delayed && from === "srv5" && isStatus ? later(at, 300) : at, from, to, link, message);
    };
    healPrimaryEth1(sim);
    sim.runFor(1000);
    delayed = false;
    assert.ok(
      sim.runUntil(() => held(sim) === "srv5", 8000),
      sim.log
        .slice(-20)
        .map((l) => `${l.at} ${l.node} ${l.text}`)
        .join("\n"),
    );
  });
});
