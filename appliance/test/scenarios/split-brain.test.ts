// The split-brain table of DESIGN.md, row by row, on a virtual clock: re-arbitration after giving way, partial partitions, one-way loss.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { SimCluster, type SimClusterOptions } from "../sim/sim-cluster";
import { runFaultSequence } from "../sim/fault-sweep";

const VIP = "IPaddr::198.51.100.100/32";
const GATEWAY = "198.51.100.2"; // the seed's gateway, on the public network (eth0)
const WITNESS = "192.0.2.7"; // the seed's third host, on the heartbeat network (eth1)
const DEADTIME = 1000;

/** The seed's pair: heartbeats on eth1 only, ping nodes gateway + witness, ipfail on. */
function seedPair(overrides: Partial<SimClusterOptions> = {}): SimCluster {
  return new SimCluster({
    nodes: ["srv5", "srv6"],
    links: ["eth1"],
    keepaliveMs: 200,
    deadtimeMs: DEADTIME,
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

function transcript(sim: SimCluster, lines = 40): string {
  return sim.log
    .slice(-lines)
    .map((l) => `${l.at} ${l.node} ${l.level} ${l.text}`)
    .join("\n");
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

/** The time of the first holder change of the VIP after `since` that made `node` a holder. */
function acquiredAt(sim: SimCluster, node: string, since: number): number | undefined {
  return sim.holderHistory.find((h) => h.key === VIP && h.at >= since && h.holders.includes(node))?.at;
}

describe("the seed's cable test at every phase of the two heartbeat timers", () => {
  // Network latency puts the two timers out of phase (the node that comes up second locks on
  // to the first one's status plus the latency): one declares the other dead up to a keepalive
  // plus the latency before the other does.
  const phases = [20, 50, 90].flatMap((latencyMs) =>
    (["srv5", "srv6"] as const).flatMap((first) => [0, 37, 111].map((extraMs) => ({ latencyMs, first, extraMs }))),
  );

  function pairAtPhase(p: (typeof phases)[number]): SimCluster {
    const sim = seedPair();
    sim.network.delay("eth1", p.latencyMs);
    sim.start(p.first);
    sim.runFor(500);
    sim.start(p.first === "srv5" ? "srv6" : "srv5");
    sim.runFor(8000 + p.extraMs);
    assert.equal(held(sim), "srv5");
    return sim;
  }

  it("the cable pulled (srv5 sees its eth1 go down): srv5 gives way before srv6 takes over, never two holders", () => {
    for (const p of phases) {
      const label = `latency ${p.latencyMs} ms, ${p.first} first, +${p.extraMs} ms`;
      const sim = pairAtPhase(p);
      const cutAt = sim.clock.now();
      cutPrimaryEth1(sim);
      sim.deliver("srv5", { type: "media-changed", at: cutAt, link: "eth1", up: false });
      assert.ok(
        sim.runUntil(() => held(sim) === "srv6", DEADTIME + 1000),
        `${label}\n${transcript(sim)}`,
      );
      sim.runFor(5000);
      assert.equal(held(sim), "srv6", label);
      assert.equal(sim.longestDoubleHolding(VIP), 0, `${label}\n${transcript(sim)}`);
      assert.equal(sim.logsMatching("Every heartbeat medium of ours is down", "srv5").length, 1, label);
    }
  });

  it("a break srv5 cannot see (behind the switch): two holders for at most the timers' phase", () => {
    for (const p of phases) {
      const label = `latency ${p.latencyMs} ms, ${p.first} first, +${p.extraMs} ms`;
      const sim = pairAtPhase(p);
      cutPrimaryEth1(sim);
      assert.ok(
        sim.runUntil(() => held(sim) === "srv6", DEADTIME + 1000),
        label,
      );
      sim.runFor(5000);
      assert.equal(held(sim), "srv6", label);
      assert.ok(sim.longestDoubleHolding(VIP) <= 200 + p.latencyMs, `${label}: ${sim.longestDoubleHolding(VIP)} ms`);
    }
  });

  it("the standby's cable pulled: the standby holds nothing, so nothing is decided early", () => {
    const sim = pairAtPhase(phases[0]!);
    const cutAt = sim.clock.now();
    sim.network.cut("eth1", "srv6");
    sim.setPingReachable("srv6", WITNESS, false);
    sim.deliver("srv6", { type: "media-changed", at: cutAt, link: "eth1", up: false });
    sim.runFor(3000);
    assert.equal(sim.logsMatching("Every heartbeat medium of ours is down").length, 0);
    // srv5 keeps the group; srv6 takes over as the table's row says (it cannot tell this from a
    // switch that died, which takes the carrier from both nodes alike).
    assert.equal(held(sim), "srv5,srv6");
  });
});

describe("re-arbitration after giving way (the cut-off node's network returns)", () => {
  it("the heal brings the peer's heartbeats back within deadtime: the node that gave way does not take over", () => {
    const sim = started(seedPair());
    cutPrimaryEth1(sim);
    sim.runFor(5000);
    assert.equal(held(sim), "srv6");
    const healAt = sim.clock.now();
    // The witness answers first (srv5's ping count is back to srv6's), the heartbeats 700 ms later.
    sim.setPingReachable("srv5", WITNESS, true);
    sim.runFor(700);
    assert.equal(held(sim), "srv6", transcript(sim));
    sim.network.heal("eth1", "srv5");
    assert.ok(
      sim.runUntil(() => held(sim) === "srv5", 5000),
      transcript(sim),
    );
    sim.runFor(5000);
    assert.equal(held(sim), "srv5");
    assert.equal(sim.longestDoubleHolding(VIP), 0, "never two holders");
    assert.equal(sim.logsMatching("stayed silent", "srv5").length, 0);
    assert.equal(sim.logsMatching("is heard again", "srv5").length, 1);
    // It came back through auto_failback (the standby exchange), not by a takeover.
    assert.ok(sim.logsMatching("Initiating auto failback", "srv6").length >= 1);
    assert.ok(acquiredAt(sim, "srv5", healAt)! > healAt + 700);
  });

  it("the same heal with the link first: no takeover, one handover home", () => {
    const sim = started(seedPair());
    cutPrimaryEth1(sim);
    sim.runFor(5000);
    sim.network.heal("eth1", "srv5");
    sim.runFor(300);
    sim.setPingReachable("srv5", WITNESS, true);
    assert.ok(
      sim.runUntil(() => held(sim) === "srv5", 5000),
      transcript(sim),
    );
    sim.runFor(3000);
    assert.equal(sim.longestDoubleHolding(VIP), 0);
    assert.equal(sim.logsMatching("Our network is back", "srv5").length, 0, "the peer was back before the count");
  });

  it("the peer really died meanwhile: the node that gave way takes over a full deadtime after its network came back, not before", () => {
    const sim = started(seedPair());
    cutPrimaryEth1(sim);
    sim.runFor(4000);
    assert.equal(held(sim), "srv6");
    sim.crash("srv6");
    sim.runFor(2000);
    const backAt = sim.clock.now();
    sim.setPingReachable("srv5", WITNESS, true); // srv5's path to the witness returns, not the heartbeat link
    assert.ok(
      sim.runUntil(() => held(sim) === "srv5", 4000),
      transcript(sim),
    );
    const tookAt = acquiredAt(sim, "srv5", backAt)!;
    assert.ok(tookAt >= backAt + DEADTIME, `took over ${tookAt - backAt} ms after the network came back`);
    assert.ok(tookAt <= backAt + DEADTIME + 500, `took over ${tookAt - backAt} ms after the network came back`);
    assert.equal(sim.logsMatching("stayed silent", "srv5").length, 1);
  });

  it("a ping count that drops again during the wait restarts it", () => {
    const sim = started(seedPair());
    cutPrimaryEth1(sim);
    sim.runFor(4000);
    sim.crash("srv6");
    const backAt = sim.clock.now();
    sim.setPingReachable("srv5", WITNESS, true);
    sim.runFor(600);
    sim.setPingReachable("srv5", WITNESS, false);
    sim.runFor(1500);
    assert.equal(held(sim), "", transcript(sim));
    const againAt = sim.clock.now();
    sim.setPingReachable("srv5", WITNESS, true);
    assert.ok(
      sim.runUntil(() => held(sim) === "srv5", 4000),
      transcript(sim),
    );
    assert.ok(acquiredAt(sim, "srv5", backAt)! >= againAt + DEADTIME);
  });

  it("a partial recovery (fewer ping nodes than the peer reached) never takes over", () => {
    const sim = started(seedPair());
    cutPrimaryEth1(sim);
    sim.runFor(4000);
    sim.crash("srv6");
    sim.runFor(10_000);
    assert.equal(held(sim), "", "srv5 still reaches only the gateway, srv6 reached two");
  });
});

describe("partial partitions", () => {
  it("srv5 and srv6 cannot reach each other but both reach every ping node: both hold until the heal (documented), then srv5 alone", () => {
    const sim = started(seedPair());
    const cutAt = sim.clock.now();
    sim.network.cut("eth1"); // the heartbeat path only; the witness answers both over another route
    sim.runFor(5000);
    assert.equal(held(sim), "srv5,srv6", "indistinguishable from a peer death for srv6");
    const healAt = sim.clock.now();
    sim.network.heal();
    assert.ok(
      sim.runUntil(() => held(sim) === "srv5", 2000),
      transcript(sim),
    );
    const doubleMs = sim.longestDoubleHolding(VIP);
    assert.ok(doubleMs <= healAt - cutAt - DEADTIME + 500, `two holders for ${doubleMs} ms`);
    sim.runFor(5000);
    assert.equal(held(sim), "srv5");
  });

  // Chaos campaign seed 20261203, iterations 446 and 495: the standby had been restarted (kill -9)
  // a few seconds before, so it still advertised deadtime + 2 s; it declared srv5 dead and took
  // over, srv5 never declared it dead. At the heal srv5's first status said it had not heard srv6
  // for longer than srv5's own deadtime: srv6 took that for one-way loss and released, while srv5
  // released because srv6 claimed its group; nobody took the group again.
  for (const restartedAgoMs of [2000, 2600, 3200]) {
    for (const cutForMs of [1300, 1780, 2210]) {
      it(`the standby restarted ${restartedAgoMs} ms before a ${cutForMs} ms partial partition (its longer start-up deadtime): one holder after the heal`, () => {
        const sim = started(seedPair());
        sim.crash("srv6", { daemonOnly: true });
        sim.runFor(1300);
        sim.start("srv6");
        sim.runFor(restartedAgoMs);
        assert.equal(held(sim), "srv5");
        sim.network.cut("eth1"); // both still reach both ping nodes
        sim.runFor(cutForMs);
        const healAt = sim.clock.now();
        sim.network.heal();
        sim.agentDelayOf.set("srv5", 80); // as in the lab, srv6's release ends (and says so) while srv5's still runs
        sim.runFor(DEADTIME + 1000);
        assert.equal(sim.holders(VIP).length, 1, `holders [${held(sim)}] ${sim.clock.now() - healAt} ms after the heal\n${transcript(sim, 60)}`);
        assert.ok(
          sim.runUntil(() => held(sim) === "srv5", 10_000),
          transcript(sim, 60),
        );
        sim.runFor(5000);
        assert.equal(held(sim), "srv5", transcript(sim, 60));
        assert.equal(sim.logsMatching("before it takes them over (one-way loss)", "srv6").length, 0, transcript(sim, 60));
      });
    }
  }

  // Fault-sweep seeds (outside npm test's default range) where both nodes released the group at
  // once and the home node got the peer's stable claim of none while its own release still ran:
  // it looked for orphans only on that message, and nobody held the group afterwards.
  it("both nodes release at once: the home node takes its group again once its own release is done (sweep seeds 179, 469, 494)", () => {
    for (const seed of [179, 469, 494]) {
      const r = runFaultSequence(seed);
      assert.equal(r.failure, undefined, `seed ${seed}: ${r.failure ?? ""}\n${r.transcript}`);
    }
  });

  for (const autoFailback of ["on", "off"] as const) {
    it(`one-way loss srv5 → srv6 (the holder cannot send, or the standby cannot hear; auto_failback ${autoFailback}): the standby takes over, the holder sees it claim the group and gives way`, () => {
      const sim = started(seedPair({ autoFailback }));
      sim.network.cutOneWay("srv5", "srv6");
      assert.ok(
        sim.runUntil(() => held(sim) === "srv6", 4000),
        transcript(sim),
      );
      // srv6's statuses say how long it has not heard srv5 (tb_silent): srv5 releases before srv6's deadtime.
      assert.equal(sim.longestDoubleHolding(VIP), 0, transcript(sim));
      assert.equal(sim.logsMatching("releasing every resource group before it takes them over", "srv5").length, 1, transcript(sim));
      sim.runFor(10_000);
      assert.equal(held(sim), "srv6", transcript(sim));
      sim.network.healOneWay("srv5", "srv6");
      sim.runFor(10_000);
      assert.equal(held(sim), autoFailback === "on" ? "srv5" : "srv6", transcript(sim));
      assert.equal(sim.longestDoubleHolding(VIP), 0);
    });
  }

  it("one-way loss srv5 → srv6 that heals right after srv5 released early: srv5 gets its group back, never two holders", () => {
    const sim = started(seedPair());
    sim.network.cutOneWay("srv5", "srv6");
    assert.ok(
      sim.runUntil(() => sim.logsMatching("releasing every resource group before it takes them over", "srv5").length === 1, DEADTIME),
      transcript(sim),
    );
    sim.network.healOneWay("srv5", "srv6");
    assert.ok(
      sim.runUntil(() => held(sim) === "srv5" && sim.core("srv5").snapshot().rscStatus === "local", 5000),
      transcript(sim),
    );
    sim.runFor(10_000);
    assert.equal(held(sim), "srv5");
    assert.equal(sim.longestDoubleHolding(VIP), 0);
  });

  it("the holder cannot receive on the heartbeat network (it loses the peer and the witness; the peer hears it): it gives way and the peer, which never saw it dead, takes the group", () => {
    const sim = started(seedPair());
    sim.network.cutOneWay("srv6", "srv5");
    sim.setPingReachable("srv5", WITNESS, false);
    assert.ok(
      sim.runUntil(() => held(sim) === "srv6", DEADTIME + 2000),
      transcript(sim),
    );
    assert.equal(sim.longestDoubleHolding(VIP), 0, transcript(sim));
    sim.runFor(10_000);
    assert.equal(held(sim), "srv6", transcript(sim));
    sim.network.healOneWay("srv6", "srv5");
    sim.setPingReachable("srv5", WITNESS, true);
    assert.ok(
      sim.runUntil(() => held(sim) === "srv5", 10_000),
      transcript(sim),
    );
    sim.runFor(10_000);
    assert.equal(held(sim), "srv5");
    assert.equal(sim.longestDoubleHolding(VIP), 0);
  });

  it("one-way loss srv6 → srv5 (the holder cannot hear, or the standby cannot send): the holder declares the standby dead and keeps the group, the standby sees it alive: one holder", () => {
    const sim = started(seedPair());
    sim.network.cutOneWay("srv6", "srv5");
    sim.runFor(10_000);
    assert.equal(held(sim), "srv5", transcript(sim));
    assert.equal(sim.longestDoubleHolding(VIP), 0);
    sim.network.healOneWay("srv6", "srv5");
    sim.runFor(5000);
    assert.equal(held(sim), "srv5");
    assert.equal(sim.longestDoubleHolding(VIP), 0);
  });
});

describe("the seed's cut healed at every moment (build/README.md's arbitration failback race)", () => {
  it("whatever the heal's timing and order, srv5 gets its group back with auto_failback on, never two holders", () => {
    const failures: string[] = [];
    // From past the give-way on (a witness back within deadtime is the row "both reach every ping node").
    for (let cutForMs = DEADTIME + 300; cutForMs <= 4000 && failures.length === 0; cutForMs += 97) {
      for (const gapMs of [-700, -300, -50, 0, 50, 300, 700]) {
        const sim = started(seedPair());
        cutPrimaryEth1(sim);
        sim.runFor(cutForMs);
        // gapMs < 0: the witness answers srv5 before the heartbeats return; > 0: after.
        if (gapMs < 0) sim.setPingReachable("srv5", WITNESS, true);
        else sim.network.heal("eth1", "srv5");
        sim.runFor(Math.abs(gapMs));
        if (gapMs < 0) sim.network.heal("eth1", "srv5");
        else sim.setPingReachable("srv5", WITNESS, true);
        const home = sim.runUntil(() => held(sim) === "srv5", 6000);
        sim.runFor(3000);
        if (!home || held(sim) !== "srv5" || sim.longestDoubleHolding(VIP) > 0) {
          failures.push(
            `cut ${cutForMs} ms, gap ${gapMs} ms: holders [${held(sim)}], two holders for ${sim.longestDoubleHolding(VIP)} ms\n${transcript(sim, 60)}`,
          );
          break;
        }
      }
    }
    assert.deepEqual(failures, []);
  });
});

describe("a node that restarts out of earshot takes every group alone at initdead", () => {
  for (const mode of ["on", "off", "legacy"] as const) {
    it(`auto_failback ${mode}: once they hear each other, the home node keeps its group and the other releases it within deadtime + 1 s (seed 137)`, () => {
      // No ping nodes: nothing tells the restarted node that it is the one cut off.
      const sim = started(seedPair({ autoFailback: mode, pingNodes: [], ipfail: false }));
      sim.crash("srv6");
      assert.ok(sim.runUntil(() => sim.logsMatching("node srv6: is dead", "srv5").length > 0, 2000));
      sim.network.cut("eth1");
      sim.start("srv6");
      assert.ok(
        sim.runUntil(() => held(sim) === "srv5,srv6", 5000),
        transcript(sim),
      );
      sim.runFor(1000);
      sim.network.heal();
      const healedAt = sim.clock.now();
      assert.ok(
        sim.runUntil(() => held(sim) === "srv5", DEADTIME + 1000),
        transcript(sim),
      );
      assert.ok(sim.clock.now() - healedAt <= DEADTIME + 1000);
      sim.runFor(20_000);
      assert.equal(held(sim), "srv5", transcript(sim));
    });
  }
});

describe("a node wakes from a stall into a takeover the peer made after giving way", () => {
  it("both hold the group for a moment: the home node keeps it and the other releases it, rather than both releasing (seed 1678)", () => {
    const WEB = "IPaddr::203.0.113.80/32";
    const sim = started(
      seedPair({
        ipfail: false,
        agentDelayMs: 280,
        groups: [
          { key: VIP, homeNode: "srv5" },
          { key: WEB, homeNode: "srv6" },
        ],
      }),
    );
    // srv6 loses the witness, then srv5 freezes: srv6 declares it dead and, reaching fewer ping
    // nodes than srv5 did, gives way, reporting that it holds nothing.
    sim.setPingReachable("srv6", WITNESS, false);
    sim.runFor(100);
    sim.freeze("srv5", 3300);
    assert.ok(
      sim.runUntil(() => sim.logsMatching("we are cut off, so we give way", "srv6").length > 0, 2000),
      transcript(sim),
    );
    // The witness answers again and srv5 stays silent: srv6 takes everything over.
    sim.setPingReachable("srv6", WITNESS, true);
    assert.ok(
      sim.runUntil(() => sim.logsMatching("Treating it as a partition", "srv5").length > 0, 3000),
      transcript(sim),
    );
    sim.runFor(DEADTIME + 2000);
    assert.equal(held(sim), "srv5", transcript(sim, 80));
    assert.equal(sim.holders(WEB).join(","), "srv6");
    sim.runFor(10_000);
    assert.equal(held(sim), "srv5");
  });
});

describe("auto_failback legacy: the heal comes while the home node's give-way still runs", () => {
  it("the peer's answer to its ip-request (weown=no) starts the group after the stop, instead of being dropped (seed 5651)", () => {
    const sim = started(seedPair({ autoFailback: "legacy", ipfail: false, agentDelayMs: 600 }));
    // The heartbeat network and every ping node go: srv5 gives way, srv6 (reaching none either) takes nothing.
    sim.network.cut("eth1");
    for (const n of ["srv5", "srv6"]) for (const h of [GATEWAY, WITNESS]) sim.setPingReachable(n, h, false);
    assert.ok(
      sim.runUntil(() => sim.logsMatching("we are the node cut off", "srv5").length > 0, 3000),
      transcript(sim),
    );
    // Everything is back while srv5 still stops the group (600 ms): it asks srv6 for it at once.
    sim.runFor(100);
    sim.network.heal();
    for (const n of ["srv5", "srv6"]) for (const h of [GATEWAY, WITNESS]) sim.setPingReachable(n, h, true);
    assert.ok(
      sim.runUntil(() => held(sim) === "srv5", 3000),
      transcript(sim),
    );
    sim.runFor(10_000);
    assert.equal(held(sim), "srv5", transcript(sim));
  });
});
