// A daemon frozen (SIGSTOP, VM pause, GC, swap) longer than deadtime wakes into a partition: it releases, rejoins, and one holder remains.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { HaMessage } from "../../src/protocol/ha-message";
import { SimCluster, type SimClusterOptions } from "../sim/sim-cluster";

const VIP = "IPaddr::198.51.100.100/32";
const GATEWAY = "198.51.100.2";
const WITNESS = "192.0.2.7";
const DEADTIME = 1000;

function pair(overrides: Partial<SimClusterOptions> = {}): SimCluster {
  return new SimCluster({
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
}

function held(sim: SimCluster): string {
  return sim.holders(VIP).join(",");
}

function transcript(sim: SimCluster, lines = 50): string {
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

/** Two holders at any moment at or after `since`, as [from, to] spans. */
function doubleHoldingSince(sim: SimCluster, since: number): number {
  let longest = 0;
  let from: number | undefined = sim.holders(VIP).length > 1 ? since : undefined;
  for (const h of sim.holderHistory.filter((x) => x.key === VIP && x.at >= since)) {
    if (h.holders.length > 1 && from === undefined) from = h.at;
    if (h.holders.length <= 1 && from !== undefined) {
      longest = Math.max(longest, h.at - from);
      from = undefined;
    }
  }
  if (from !== undefined) longest = Math.max(longest, sim.clock.now() - from);
  return longest;
}

describe("a frozen primary wakes after 3.5 × deadtime", () => {
  const cases = [
    { autoFailback: "on", home: "srv5", ping: false },
    { autoFailback: "off", home: "srv6", ping: false },
    { autoFailback: "legacy", home: "srv5", ping: false },
    { autoFailback: "on", home: "srv5", ping: true },
  ] as const;
  for (const c of cases) {
    it(`auto_failback ${c.autoFailback}${c.ping ? ", ping nodes and ipfail" : ""}: the peer took over during the freeze; after waking, exactly one holder (${c.home}) within deadtime + 1 s`, () => {
      const sim = started(
        pair({
          autoFailback: c.autoFailback,
          ...(c.ping
            ? {
                links: ["eth1"],
                pingNodes: [
                  { name: GATEWAY, hosts: [GATEWAY] },
                  { name: WITNESS, hosts: [WITNESS] },
                ],
                ipfail: true,
              }
            : {}),
        }),
      );
      sim.freeze("srv5", 3.5 * DEADTIME);
      sim.runFor(3.5 * DEADTIME - 1);
      assert.equal(held(sim), "srv5,srv6", "frozen, srv5 cannot release: its address stays up while srv6 takes over");
      sim.runFor(1);
      const wokeAt = sim.clock.now();
      assert.equal(sim.logsMatching("Treating it as a partition", "srv5").length, 1, transcript(sim));
      sim.runFor(DEADTIME + 1000);
      assert.equal(held(sim), c.home, transcript(sim));
      // The double holding after waking lasts one group stop at most.
      assert.ok(doubleHoldingSince(sim, wokeAt) <= 100, `two holders for ${doubleHoldingSince(sim, wokeAt)} ms after waking`);
      const changes = sim.holderHistory.filter((h) => h.key === VIP).length;
      sim.runFor(20_000);
      assert.equal(held(sim), c.home);
      assert.equal(sim.holderHistory.filter((h) => h.key === VIP).length, changes, "settled: nothing moves any more");
    });
  }

  it("the peer died during the freeze: the woken node releases, then takes everything once the silence is confirmed", () => {
    const sim = started(pair());
    sim.freeze("srv5", 3.5 * DEADTIME);
    sim.runFor(1500);
    sim.crash("srv6");
    sim.runFor(2000);
    const wokeAt = sim.clock.now();
    assert.ok(
      sim.runUntil(() => held(sim) === "srv5" && sim.core("srv5").snapshot().rscStatus !== "transition", DEADTIME + 1000),
      transcript(sim),
    );
    assert.ok(sim.clock.now() - wokeAt <= DEADTIME + 1000);
  });

  it("the peer did not take over (it was frozen too): the woken primary gets its group back through the handshake", () => {
    const sim = started(pair());
    sim.freeze("srv5", 3.5 * DEADTIME);
    sim.freeze("srv6", 3.5 * DEADTIME);
    sim.runFor(3.5 * DEADTIME);
    assert.ok(
      sim.runUntil(() => held(sim) === "srv5" && sim.core("srv5").snapshot().rscStatus === "local", DEADTIME + 1000),
      transcript(sim),
    );
    sim.runFor(10_000);
    assert.equal(held(sim), "srv5");
  });
});

describe("a frozen standby", () => {
  it("wakes after 3.5 × deadtime, rejoins holding nothing, and the primary keeps serving throughout", () => {
    const sim = started(pair());
    sim.freeze("srv6", 3.5 * DEADTIME);
    sim.runFor(3.5 * DEADTIME);
    assert.equal(sim.logsMatching("Treating it as a partition", "srv6").length, 1);
    sim.runFor(DEADTIME + 1000);
    assert.equal(held(sim), "srv5");
    sim.runFor(10_000);
    assert.equal(held(sim), "srv5");
    assert.equal(sim.holderHistory.filter((h) => h.key === VIP).length, 1, "never moved");
    assert.deepEqual(
      sim
        .core("srv6")
        .snapshot()
        .groups.map((g) => g.state),
      ["stopped"],
    );
  });

  it("holding the primary's group (after an hb_standby), it releases it and the primary takes it back", () => {
    const sim = started(pair({ autoFailback: "off" }));
    sim.admin("srv5", "standby");
    assert.ok(sim.runUntil(() => held(sim) === "srv6", 3000));
    sim.runFor(2000);
    sim.freeze("srv6", 3.5 * DEADTIME);
    sim.runFor(3.5 * DEADTIME);
    sim.runFor(DEADTIME + 1000);
    assert.equal(held(sim), "srv5", transcript(sim));
    sim.runFor(10_000);
    assert.equal(held(sim), "srv5");
  });
});

describe("a stall shorter than deadtime", () => {
  for (const node of ["srv5", "srv6"] as const) {
    it(`${node} frozen for 0.8 × deadtime: a warning, nothing moves, nobody is declared dead`, () => {
      const sim = started(pair());
      sim.freeze(node, 0.8 * DEADTIME);
      sim.runFor(10_000);
      assert.equal(sim.logsMatching("Local stall", node).length, 1, transcript(sim));
      assert.equal(sim.logsMatching("Treating it as a partition").length, 0);
      assert.equal(sim.logsMatching("is dead").length, 0);
      assert.equal(held(sim), "srv5");
      assert.equal(sim.holderHistory.filter((h) => h.key === VIP).length, 1);
    });
  }
});

describe("the resource guard removed the addresses during a freeze (guard-dropped-addresses)", () => {
  it("frozen 0.9 × deadtime (the guard acts at 0.8 ×, the stall check does not call it a partition): the node releases, rejoins and gets its group back", () => {
    const sim = started(pair());
    sim.freeze("srv5", 0.9 * DEADTIME);
    sim.runFor(0.9 * DEADTIME);
    sim.deliver("srv5", { type: "guard-dropped-addresses", at: sim.clock.now(), keys: [VIP] });
    // Released either on the guard's report, or already by the buffered statuses in which srv6 said it had not heard srv5 for 800 ms (tb_silent).
    assert.equal(
      sim.logsMatching("releasing every group and rejoining", "srv5").length + sim.logsMatching("before it takes them over", "srv5").length,
      1,
      transcript(sim),
    );
    assert.deepEqual(
      sim
        .core("srv5")
        .snapshot()
        .groups.map((g) => g.state),
      ["stopping"],
      "the rest of the group is stopped, not counted as serving",
    );
    assert.ok(
      sim.runUntil(() => held(sim) === "srv5" && sim.core("srv5").snapshot().rscStatus === "local", DEADTIME + 3000),
      transcript(sim),
    );
    sim.runFor(20_000);
    assert.equal(held(sim), "srv5");
    assert.equal(sim.core("srv6").snapshot().groups[0]!.state, "stopped");
  });

  it("frozen 3.5 × deadtime: the stall check already released everything, the guard's report changes nothing", () => {
    const sim = started(pair());
    sim.freeze("srv5", 3.5 * DEADTIME);
    sim.runFor(3.5 * DEADTIME);
    sim.deliver("srv5", { type: "guard-dropped-addresses", at: sim.clock.now(), keys: [VIP] });
    assert.equal(sim.logsMatching("already released", "srv5").length, 1, transcript(sim));
    assert.equal(sim.logsMatching("Treating it as a partition", "srv5").length, 1);
    sim.runFor(DEADTIME + 1000);
    assert.equal(held(sim), "srv5", transcript(sim));
  });

  it("a report for a group the node does not hold changes nothing", () => {
    const sim = started(pair());
    sim.deliver("srv6", { type: "guard-dropped-addresses", at: sim.clock.now(), keys: [VIP] });
    sim.runFor(10_000);
    assert.equal(held(sim), "srv5");
    assert.equal(sim.holderHistory.filter((h) => h.key === VIP).length, 1, "never moved");
  });
});

describe("the woken node's `starting` arrives late (retransmitted) while the peer fails the group back", () => {
  it("the peer, stopping the group for the failback, does not answer it as stable: the home node keeps the group it just took (seed 179)", () => {
    const sim = started(pair());
    // srv5's `starting` after waking is lost, and its retransmissions too, until delivered below.
    let late: HaMessage | undefined;
    sim.network.filter = (from, to, m) => {
      const hit = from === "srv5" && to === "srv6" && m.some((f) => f.name === "t" && f.value === "starting");
      if (hit) late = m;
      return hit;
    };
    sim.freeze("srv5", 3.5 * DEADTIME);
    sim.runFor(3.5 * DEADTIME);
    assert.equal(held(sim), "srv6", transcript(sim));
    // The handshake goes on without it: srv5 holds nothing, reports stable, srv6 starts the failback.
    assert.ok(
      sim.runUntil(() => sim.logsMatching("Giving up [foreign] HA resources (standby)", "srv6").length > 0, DEADTIME + 1000),
      transcript(sim),
    );
    assert.ok(late, "srv5 sent `starting` after waking");
    // srv6 is stopping the group for srv5: now the late `starting` arrives, and srv6 answers it.
    const answers: string[] = [];
    sim.network.filter = (from, _to, m) => {
      const field = (name: string) => m.find((f) => f.name === name)?.value;
      if (from === "srv6" && field("t") === "resource") answers.push(`${String(field("rsc_hold"))} isstable=${String(field("isstable"))}`);
      return false;
    };
    sim.deliver("srv6", { type: "message-received", at: sim.clock.now(), link: "eth0", fromAddress: "192.0.2.5", message: late });
    assert.deepEqual([...new Set(answers)], ["all isstable=0"], "(on each medium) srv6 still holds the group it is stopping, and does not call that stable");
    sim.runFor(DEADTIME + 1000);
    assert.equal(held(sim), "srv5", transcript(sim));
    sim.runFor(10_000);
    assert.equal(held(sim), "srv5", transcript(sim));
  });
});

describe("a stall in the middle of a standby exchange", () => {
  it("the taker frozen while it starts the group wakes into a rejoin: the acquisition that finishes then does not end the new handshake (seed 2848)", () => {
    const sim = started(pair({ agentDelayMs: 280 }));
    sim.admin("srv5", "standby");
    assert.ok(sim.runUntil(() => sim.logsMatching("HA resources (the peer went standby)", "srv6").length > 0, 3000));
    // The start runs while srv6 is frozen; its result waits for srv6 to wake (the simulator
    // fails the test at once if a core breaks an invariant, e.g. STABLE with the handshake pending).
    sim.freeze("srv6", 2.5 * DEADTIME);
    sim.runFor(2.5 * DEADTIME);
    assert.equal(sim.logsMatching("Treating it as a partition", "srv6").length, 1, transcript(sim));
    assert.equal(sim.logsMatching("Standby resource acquisition done", "srv6").length, 0, "the cancelled exchange is not reported done");
    sim.runFor(DEADTIME + 1000);
    assert.equal(held(sim), "srv5", transcript(sim));
    sim.runFor(10_000);
    assert.equal(held(sim), "srv5", transcript(sim));
  });
});

describe("two stalls in a row", () => {
  it("frozen again while the release after the first stall runs: the older work that ends on waking does not end the second rejoin (seed 3377)", () => {
    const sim = started(pair({ agentDelayMs: 250 }));
    sim.freeze("srv5", 3.7 * DEADTIME);
    sim.runFor(3.7 * DEADTIME);
    assert.equal(held(sim), "srv6", transcript(sim));
    assert.equal(sim.logsMatching("Releasing every resource group after the stall", "srv5").length, 1, transcript(sim));
    // The release (250 ms) and the rejoin's acquisition queued behind it both end while srv5
    // is frozen again; their results wait for it to wake, after it saw the second stall (the
    // simulator fails the test at once on STABLE with the new handshake still pending).
    sim.runFor(150);
    sim.freeze("srv5", 1.4 * DEADTIME);
    sim.runFor(1.4 * DEADTIME);
    assert.equal(sim.logsMatching("Treating it as a partition", "srv5").length, 2, transcript(sim));
    sim.runFor(DEADTIME + 1000);
    assert.equal(held(sim), "srv5", transcript(sim));
    sim.runFor(10_000);
    assert.equal(held(sim), "srv5", transcript(sim));
  });
});

describe("the peer restarts while we are frozen", () => {
  it("the rejoin decided on the peer's takeover report; the restarted peer's report, holding nothing, makes the home node take its group (seed 6770)", () => {
    const sim = started(pair({ agentDelayMs: 218 }));
    sim.freeze("srv5", 2713);
    // srv6 takes the group over, crashes and starts again, all while srv5 is frozen: srv5 wakes
    // to srv6's old `resource` claiming the group, then hears the new srv6, which holds nothing.
    sim.runFor(1993);
    assert.equal(held(sim), "srv5,srv6", transcript(sim));
    sim.crash("srv6");
    sim.runFor(616);
    sim.start("srv6");
    sim.runFor(200);
    assert.equal(sim.logsMatching("Treating it as a partition", "srv5").length, 1, transcript(sim));
    assert.ok(
      sim.runUntil(() => held(sim) === "srv5", DEADTIME + 1000),
      transcript(sim),
    );
    sim.runFor(10_000);
    assert.equal(held(sim), "srv5", transcript(sim));
  });
});

describe("the woken peer's `starting` arrives after its stable report", () => {
  it("is old news: the peer still counts as stable, so a group we release for its deafness is taken back when it hears us again (seed 18395)", () => {
    const sim = started(pair());
    // srv6 (holding nothing) is frozen past its deadtime; the `starting` of its rejoin is held back.
    let late: HaMessage | undefined;
    sim.network.filter = (from, _to, m) => {
      const hit = from === "srv6" && m.some((f) => f.name === "t" && f.value === "starting");
      if (hit) late = m;
      return hit;
    };
    sim.freeze("srv6", 2.5 * DEADTIME);
    sim.runFor(2.5 * DEADTIME + 2000);
    assert.ok(late, "srv6 sent `starting` after waking");
    assert.equal(held(sim), "srv5", transcript(sim));
    // Now it arrives, after srv6's stable report.
    sim.network.filter = undefined;
    sim.deliver("srv5", { type: "message-received", at: sim.clock.now(), link: "eth0", fromAddress: "srv6", message: late });
    // srv6 stops hearing srv5 for a moment: srv5 releases the group ahead of srv6's deadtime.
    sim.network.cutOneWay("srv5", "srv6");
    assert.ok(
      sim.runUntil(() => sim.logsMatching("before it takes them over (one-way loss)", "srv5").length > 0, 2000),
      transcript(sim),
    );
    sim.network.healOneWay("srv5", "srv6");
    assert.equal(sim.logsMatching("is dead", "srv6").length, 0, "srv6 never saw srv5 dead");
    // srv6 hears srv5 again and took nothing: the group is srv5's again.
    assert.ok(
      sim.runUntil(() => held(sim) === "srv5", 2000),
      transcript(sim),
    );
    sim.runFor(10_000);
    assert.equal(held(sim), "srv5", transcript(sim));
  });
});
