// Resource takeover scenarios on a virtual clock: the spec's §4.8 paths with the seed's pair (srv5 home of the VIP group).

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { SimCluster, type SimClusterOptions } from "../sim/sim-cluster";
import { later } from "../../src/cluster/time";

const VIP = "IPaddr::198.51.100.100/32";
const WEB = "IPaddr::198.51.100.101/32"; // a second group, homed on srv6, where a test needs one each

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
    ...overrides,
  });
}

function held(sim: SimCluster, key = VIP): string {
  return sim.holders(key).join(",");
}

function stable(sim: SimCluster, ...nodes: string[]): boolean {
  return nodes.every((n) => sim.core(n).snapshot().rscStatus !== "transition");
}

describe("both nodes start together", () => {
  it("each takes its own groups at once, without Heartbeat's 10 s wait", () => {
    const sim = seedPair({
      groups: [
        { key: VIP, homeNode: "srv5" },
        { key: WEB, homeNode: "srv6" },
      ],
    });
    sim.start("srv5");
    sim.start("srv6");
    assert.ok(
      sim.runUntil(() => held(sim, VIP) === "srv5" && held(sim, WEB) === "srv6" && stable(sim, "srv5", "srv6"), 2000),
      sim.log.map((l) => `${l.at} ${l.node} ${l.text}`).join("\n"),
    );
    assert.equal(sim.core("srv5").snapshot().rscStatus, "local");
    assert.equal(sim.core("srv6").snapshot().rscStatus, "local");
    sim.runFor(30_000);
    assert.equal(held(sim, VIP), "srv5");
    assert.equal(held(sim, WEB), "srv6");
  });
});

describe("one node starts alone, then the other joins", () => {
  it("the first takes everything when initdead expires", () => {
    const sim = seedPair();
    sim.start("srv6");
    sim.runFor(2900);
    assert.equal(held(sim), "");
    sim.runFor(500);
    assert.equal(held(sim), "srv6");
    assert.equal(sim.core("srv6").snapshot().rscStatus, "all");
  });

  it("hb_takeover typed before comm-up takes nothing then; the groups are taken when initdead expires (seed 2589)", () => {
    const sim = seedPair({ agentDelayMs: 300 });
    sim.start("srv6");
    sim.runFor(1500);
    // The simulator fails the test at once if a core breaks an invariant (STABLE before comm-up).
    sim.admin("srv6", "takeover", "all");
    sim.runFor(1000);
    assert.equal(held(sim), "");
    assert.equal(sim.logsMatching("Takeover [all] ignored: communication is not up yet", "srv6").length, 1);
    sim.runFor(1000);
    assert.ok(sim.core("srv6").commUp);
    assert.equal(held(sim), "srv6");
    assert.equal(sim.core("srv6").snapshot().rscStatus, "all");
  });

  it("auto_failback on: the home node gets its group back, with exactly one holder throughout", () => {
    const sim = seedPair();
    sim.start("srv6");
    sim.runFor(4000);
    sim.start("srv5");
    assert.ok(
      sim.runUntil(() => held(sim) === "srv5" && stable(sim, "srv5", "srv6"), 5000),
      sim.log.map((l) => `${l.at} ${l.node} ${l.text}`).join("\n"),
    );
    assert.equal(sim.longestDoubleHolding(VIP), 0);
    assert.equal(sim.logsMatching("Initiating auto failback", "srv6").length, 1);
  });

  it("auto_failback off: the group stays where it is", () => {
    const sim = seedPair({ autoFailback: "off" });
    sim.start("srv6");
    sim.runFor(4000);
    sim.start("srv5");
    sim.runFor(10_000);
    assert.equal(held(sim), "srv6");
    assert.ok(stable(sim, "srv5", "srv6"));
    assert.equal(sim.core("srv5").snapshot().rscStatus, "none");
    assert.equal(sim.core("srv6").snapshot().rscStatus, "all");
  });

  it("auto_failback legacy: the home node pulls its group back with ip-request", () => {
    const sim = seedPair({ autoFailback: "legacy" });
    sim.start("srv6");
    sim.runFor(4000);
    assert.equal(held(sim), "srv6");
    sim.start("srv5");
    assert.ok(sim.runUntil(() => held(sim) === "srv5", 5000));
    assert.equal(sim.longestDoubleHolding(VIP), 0);
  });
});

describe("peer death", () => {
  for (const mode of ["on", "off", "legacy"] as const) {
    it(`auto_failback ${mode}: the survivor takes the dead node's group within deadtime plus the start`, () => {
      const sim = seedPair({ autoFailback: mode });
      sim.start("srv5");
      sim.start("srv6");
      sim.runFor(6000);
      assert.equal(held(sim), "srv5");
      const crashAt = sim.clock.now();
      sim.crash("srv5");
      assert.ok(sim.runUntil(() => held(sim) === "srv6", 3000));
      const took = sim.clock.now() - crashAt;
      assert.ok(took <= 1000 + 200 + 50, `took ${took} ms`);
      assert.equal(sim.logsMatching("mach_down takeover complete for node srv5.", "srv6").length, 1);
    });
  }

  it("the home node returning with auto_failback on gets the group back", () => {
    const sim = seedPair();
    sim.start("srv5");
    sim.start("srv6");
    sim.runFor(6000);
    sim.crash("srv5");
    sim.runFor(3000);
    assert.equal(held(sim), "srv6");
    sim.start("srv5");
    assert.ok(sim.runUntil(() => held(sim) === "srv5" && stable(sim, "srv5", "srv6"), 5000));
    assert.equal(sim.longestDoubleHolding(VIP), 0);
  });
});

describe("graceful shutdown", () => {
  it("hands the group over at once: no deadtime wait", () => {
    const sim = seedPair({ deadtimeMs: 30_000, keepaliveMs: 2000, warntimeMs: 10_000, initdeadMs: 60_000 });
    sim.start("srv5");
    sim.start("srv6");
    sim.runFor(10_000);
    assert.equal(held(sim), "srv5");
    const stopAt = sim.clock.now();
    sim.deliver("srv5", { type: "shutdown-requested", at: stopAt });
    assert.ok(sim.runUntil(() => held(sim) === "srv6", 2000));
    assert.ok(sim.clock.now() - stopAt < 500, `handover took ${sim.clock.now() - stopAt} ms`);
    assert.equal(sim.logsMatching("Received shutdown notice from 'srv5'.", "srv6").length, 1);
    assert.equal(sim.longestDoubleHolding(VIP), 0);
  });
});

describe("hb_standby and hb_takeover", () => {
  it("hb_standby on the holder moves the group to the peer", () => {
    const sim = seedPair({ autoFailback: "off" });
    sim.start("srv5");
    sim.start("srv6");
    sim.runFor(6000);
    sim.admin("srv5", "standby", "all");
    assert.ok(
      sim.runUntil(() => held(sim) === "srv6" && stable(sim, "srv5", "srv6"), 3000),
      sim.log.map((l) => `${l.at} ${l.node} ${l.text}`).join("\n"),
    );
    assert.equal(sim.longestDoubleHolding(VIP), 0);
  });

  it("hb_takeover on the other node pulls the group over", () => {
    const sim = seedPair({ autoFailback: "off" });
    sim.start("srv5");
    sim.start("srv6");
    sim.runFor(6000);
    sim.admin("srv6", "takeover", "all");
    assert.ok(sim.runUntil(() => held(sim) === "srv6" && stable(sim, "srv5", "srv6"), 3000));
  });

  it("hb_takeover failback on the home node brings its group home, hb_standby foreign gives it away again", () => {
    const sim = seedPair({ autoFailback: "off" });
    sim.start("srv6");
    sim.runFor(4000);
    sim.start("srv5");
    sim.runFor(3000);
    assert.equal(held(sim), "srv6");
    sim.admin("srv5", "takeover", "failback");
    assert.ok(sim.runUntil(() => held(sim) === "srv5" && stable(sim, "srv5", "srv6"), 3000));
    sim.admin("srv6", "takeover", "foreign");
    assert.ok(sim.runUntil(() => held(sim) === "srv6" && stable(sim, "srv5", "srv6"), 3000));
  });

  it("hb_standby with nobody to take over is refused and nothing moves", () => {
    const sim = seedPair();
    sim.start("srv5");
    sim.runFor(4000);
    sim.admin("srv5", "standby");
    sim.runFor(2000);
    assert.equal(held(sim), "srv5");
    assert.equal(sim.logsMatching("ignored: the peer is not alive", "srv5").length, 1);
  });

  it("a standby request the peer never answers is cancelled after 10 s", () => {
    const sim = seedPair({ autoFailback: "off" });
    sim.start("srv5");
    sim.start("srv6");
    sim.runFor(6000);
    // srv6 never gets the request, not even by retransmission.
    sim.network.filter = (_from, _to, m) => m.some((f) => f.name === "t" && f.value === "ask_resources");
    sim.admin("srv5", "standby");
    sim.runFor(11_000);
    assert.equal(sim.logsMatching("No reply to standby request.", "srv5").length, 1);
    assert.equal(held(sim), "srv5");
  });
});

describe("failures", () => {
  it("a group that fails to start on its home node is stopped there and handed to the peer", () => {
    const sim = seedPair();
    sim.failingStarts.add(`srv5/${VIP}`);
    sim.start("srv5");
    sim.start("srv6");
    assert.ok(
      sim.runUntil(() => held(sim) === "srv6" && stable(sim, "srv5", "srv6"), 5000),
      sim.log.map((l) => `${l.at} ${l.node} ${l.text}`).join("\n"),
    );
    assert.equal(sim.logsMatching("Giving up resource group", "srv5").length, 1);
    sim.runFor(20_000);
    assert.equal(held(sim), "srv6", "no ping-pong back to the node where it failed");
  });

  // Chaos campaign seed 20261203 (this session's run), iteration 90: srv5's start of the VIP group
  // had failed in an earlier iteration; when srv6 gave way (the heartbeat switch died), srv5 took
  // over "except" that group, and nobody served it until an operator came.
  it("a group that failed to start here is tried again when the peer dies: nobody else can run it", () => {
    const sim = seedPair();
    sim.failingStarts.add(`srv5/${VIP}`);
    sim.start("srv5");
    sim.start("srv6");
    assert.ok(sim.runUntil(() => held(sim) === "srv6" && stable(sim, "srv5", "srv6"), 5000));
    sim.failingStarts.delete(`srv5/${VIP}`); // the cause went away (a full disk, a port in use)
    sim.runFor(5000);
    assert.equal(held(sim), "srv6", "no failback to the node where it failed");
    sim.crash("srv6");
    assert.ok(
      sim.runUntil(() => held(sim) === "srv5", 3000),
      sim.log
        .slice(-20)
        .map((l) => `${l.at} ${l.node} ${l.text}`)
        .join("\n"),
    );
    assert.equal(sim.logsMatching("failed to start here before", "srv5").length, 1);
  });

  it("a group that fails again after the peer died stays down, said at crit, and is not retried in a loop", () => {
    const sim = seedPair();
    sim.failingStarts.add(`srv5/${VIP}`);
    sim.start("srv5");
    sim.start("srv6");
    assert.ok(sim.runUntil(() => held(sim) === "srv6" && stable(sim, "srv5", "srv6"), 5000));
    sim.crash("srv6");
    sim.runFor(10_000);
    assert.equal(held(sim), "");
    assert.equal(sim.logsMatching("failed to start here before", "srv5").length, 1);
    assert.equal(sim.logsMatching("failed to start here and no peer is alive to take it", "srv5").length, 1);
  });

  // Chaos campaign seed 20261203, iteration 438: hb_standby on the holder whose httpd will not
  // stop. The runner went on right to left and removed the address, the core kept the group as
  // held, so the peer never took it: nobody served until an operator came.
  it("a stop that fails during hb_standby: the standby is aborted, the group stays where it is and serves, the peer's exchange ends", () => {
    const sim = seedPair({ autoFailback: "off" });
    sim.start("srv5");
    sim.start("srv6");
    sim.runFor(6000);
    sim.failingStops.add(`srv5/${VIP}`);
    sim.admin("srv5", "standby", "all");
    sim.runFor(3000);
    const log = () => sim.log.map((l) => `${l.at} ${l.node} ${l.level} ${l.text}`).join("\n");
    assert.equal(sim.logsMatching("Standby aborted: could not release", "srv5").length, 1, log());
    assert.equal(held(sim), "srv5", log());
    assert.ok(stable(sim, "srv5", "srv6"), log());
    // Fixed by hand: a second hb_standby now moves the group (srv6 is not stuck in the first exchange).
    sim.failingStops.delete(`srv5/${VIP}`);
    sim.admin("srv5", "standby", "all");
    assert.ok(
      sim.runUntil(() => held(sim) === "srv6" && stable(sim, "srv5", "srv6"), 3000),
      log(),
    );
    assert.equal(sim.longestDoubleHolding(VIP), 0);
  });
});

describe("a node that restarts within the deadtime", () => {
  // Chaos campaign seed 20261203, iteration 445 replayed: hb_takeover on the standby, killed
  // while acquiring (the guard released what it had started), restarted before the holder's
  // deadtime for it ran out. The holder had released for the exchange and waited for the
  // taker's "done" for ever: nobody held the group.
  for (const restartAfterMs of [300, 700]) {
    it(`the taker of an hb_takeover dies while acquiring and is back ${restartAfterMs} ms later: the exchange is over, the group is held again`, () => {
      const sim = seedPair();
      sim.start("srv5");
      sim.start("srv6");
      sim.runFor(8000);
      assert.equal(held(sim), "srv5");
      sim.admin("srv6", "takeover", "all");
      assert.ok(sim.runUntil(() => sim.logsMatching("Acquiring [all] HA resources", "srv6").length === 1, 1000));
      sim.runFor(20);
      sim.crash("srv6"); // what it had started goes with it (the resource guard's release)
      sim.runFor(restartAfterMs);
      sim.start("srv6");
      const log = () => sim.log.map((l) => `${l.at} ${l.node} ${l.level} ${l.text}`).join("\n");
      assert.ok(
        sim.runUntil(() => held(sim) !== "", 3000),
        log(),
      );
      sim.runFor(5000);
      assert.equal(sim.holders(VIP).length, 1, log());
      assert.ok(stable(sim, "srv5", "srv6"), log());
    });
  }
});

describe("lost and duplicated messages during the handshake", () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`converges to one holder with 30% loss at start-up (seed ${seed})`, () => {
      const sim = seedPair({
        seed,
        groups: [
          { key: VIP, homeNode: "srv5" },
          { key: WEB, homeNode: "srv6" },
        ],
      });
      sim.network.drop("eth1", 0.3);
      sim.start("srv6");
      sim.runFor(300);
      sim.start("srv5");
      sim.runFor(2000);
      sim.network.heal();
      assert.ok(
        sim.runUntil(() => held(sim, VIP) === "srv5" && held(sim, WEB) === "srv6" && stable(sim, "srv5", "srv6"), 30_000),
        `seed ${seed}\n` + sim.log.map((l) => `${l.at} ${l.node} ${l.text}`).join("\n"),
      );
    });
  }
});

describe("Heartbeat peers' habits", () => {
  it("legacy: an ip-request the holder ignores (it was not comm-up yet) is asked again until answered", () => {
    const sim = seedPair({ autoFailback: "legacy" });
    sim.start("srv6");
    sim.runFor(4000);
    let ignored = 0;
    sim.network.filter = (_from, to, m) => {
      const hit = to === "srv6" && ignored < 6 && m.some((f) => f.name === "t" && f.value === "ip-request");
      if (hit) ignored++;
      return hit;
    };
    sim.start("srv5");
    assert.ok(sim.runUntil(() => held(sim) === "srv5", 10_000));
    assert.ok(ignored >= 2);
  });

  it("status messages a node sends after its shutdone do not bring it back", () => {
    const sim = seedPair();
    sim.start("srv5");
    sim.start("srv6");
    sim.runFor(6000);
    const now = sim.clock.now();
    const msg = (t: string, seq: number, extra: [string, string][] = []) =>
      [["t", t], ...extra, ["src", "srv5"], ["seq", seq.toString(16)], ["hg", "1"], ["ts", "1"]].map(([name, value]) => ({
        name: name!,
        type: 0 as const,
        value: value!,
      }));
    sim.crash("srv5");
    sim.deliver("srv6", { type: "message-received", at: now, link: "eth1", fromAddress: "192.0.2.5", message: msg("shutdone", 200, [["st", "dead"]]) });
    sim.deliver("srv6", {
      type: "message-received",
      at: later(now, 200),
      link: "eth1",
      fromAddress: "192.0.2.5",
      message: msg("status", 201, [
        ["st", "active"],
        ["dt", "3e8"],
      ]),
    });
    assert.equal(
      sim
        .core("srv6")
        .snapshot()
        .nodes.find((n) => n.name === "srv5")!.status,
      "dead",
    );
    assert.equal(sim.logsMatching("returning after partition", "srv6").length, 0);
  });
});

describe("auto_failback legacy (ip-request) after faults", () => {
  const WITNESS = "192.0.2.7";

  /**
   * Legacy pair with the seed's ping nodes, srv5 serving; then srv6 dies as srv5 loses the
   * witness: srv5, reaching fewer ping nodes than srv6 did, gives way (returns once it said so).
   */
  function homeNodeGivesWay(agentDelayMs?: number): SimCluster {
    const gateway = "198.51.100.2";
    const sim = seedPair({
      autoFailback: "legacy",
      ...(agentDelayMs !== undefined ? { agentDelayMs } : {}),
      pingNodes: [
        { name: gateway, hosts: [gateway] },
        { name: WITNESS, hosts: [WITNESS] },
      ],
    });
    sim.start("srv5");
    sim.start("srv6");
    sim.runFor(8000);
    assert.equal(held(sim), "srv5");
    sim.crash("srv6");
    sim.setPingReachable("srv5", WITNESS, false);
    assert.ok(sim.runUntil(() => sim.logsMatching("we are the node cut off", "srv5").length > 0, 3000));
    return sim;
  }

  it("the home node gave way while its peer was down; the peer restarts: the home node asks for its group and serves it again (seed 482)", () => {
    const sim = homeNodeGivesWay();
    assert.ok(sim.runUntil(() => held(sim) === "", 1000));
    sim.runFor(2000);
    // The witness comes back with the restarted peer (the usual heal): no silence confirms a death.
    sim.setPingReachable("srv5", WITNESS, true);
    sim.start("srv6");
    assert.ok(
      sim.runUntil(() => held(sim) === "srv5", 5000),
      sim.log.map((l) => `${l.at} ${l.node} ${l.text}`).join("\n"),
    );
    sim.runFor(10_000);
    assert.equal(held(sim), "srv5");
  });

  it("the peer restarts while the home node's give-way is still stopping its group: the home node asks for it then, and serves it after the stop (seed 15323)", () => {
    const sim = homeNodeGivesWay(500);
    // srv6 is back (and the witness with it) while srv5's stop still runs.
    sim.setPingReachable("srv5", WITNESS, true);
    sim.start("srv6");
    assert.ok(
      sim.runUntil(() => held(sim) === "srv5" && stable(sim, "srv5", "srv6"), 8000),
      sim.log.map((l) => `${l.at} ${l.node} ${l.text}`).join("\n"),
    );
    sim.runFor(10_000);
    assert.equal(held(sim), "srv5");
  });

  it("the peer restarts while its group still waits in our takeover queue: its ip-request is answered after our start, with a release (seed 542)", () => {
    const DB = "IPaddr::198.51.100.102/32";
    const sim = seedPair({
      autoFailback: "legacy",
      agentDelayMs: 200,
      groups: [
        { key: VIP, homeNode: "srv5" },
        { key: WEB, homeNode: "srv6" },
        { key: DB, homeNode: "srv6" },
      ],
    });
    sim.start("srv5");
    sim.start("srv6");
    sim.runFor(8000);
    assert.equal(`${held(sim, VIP)} ${held(sim, WEB)} ${held(sim, DB)}`, "srv5 srv6 srv6");
    // srv6 stops (shutdone): srv5 starts WEB, and DB waits behind it; srv6 is back at once.
    sim.deliver("srv6", { type: "shutdown-requested", at: sim.clock.now() });
    assert.ok(sim.runUntil(() => !sim.isRunning("srv6"), 3000));
    assert.equal(sim.logsMatching("Dead node srv6 gave up resources.", "srv5").length, 1);
    sim.start("srv6");
    sim.runFor(5000);
    assert.equal(sim.longestDoubleHolding(DB), 0, sim.log.map((l) => `${l.at} ${l.node} ${l.text}`).join("\n"));
    assert.equal(sim.longestDoubleHolding(WEB), 0);
    assert.equal(`${held(sim, VIP)} ${held(sim, WEB)} ${held(sim, DB)}`, "srv5 srv6 srv6");
  });

  it("only one node saw the other dead (srv6's messages were lost): when they arrive again, srv5 gives srv6's group back to it, which kept serving it (seed 116)", () => {
    const sim = seedPair({
      autoFailback: "legacy",
      groups: [
        { key: VIP, homeNode: "srv5" },
        { key: WEB, homeNode: "srv6" },
      ],
    });
    sim.start("srv5");
    sim.start("srv6");
    sim.runFor(8000);
    assert.equal(`${held(sim, VIP)} ${held(sim, WEB)}`, "srv5 srv6");
    // srv5 stops hearing srv6 and takes WEB; srv6 hears srv5 all along and keeps it.
    sim.network.cutOneWay("srv6", "srv5");
    assert.ok(sim.runUntil(() => held(sim, WEB) === "srv5,srv6", 3000));
    sim.runFor(2000);
    sim.network.healOneWay("srv6", "srv5");
    const healedAt = sim.clock.now();
    assert.ok(
      sim.runUntil(() => held(sim, WEB) === "srv6", 1000),
      sim.log.map((l) => `${l.at} ${l.node} ${l.text}`).join("\n"),
    );
    assert.ok(sim.clock.now() - healedAt <= 1000);
    sim.runFor(10_000);
    assert.equal(`${held(sim, VIP)} ${held(sim, WEB)}`, "srv5 srv6");
  });
});

describe("a late `other`", () => {
  it("the taker's answer that arrives after it ended the exchange at our death starts a release whose done never comes: the requester ends its side 10 s after its release and acts on hb_takeover again (seed 17869)", () => {
    const sim = seedPair({ autoFailback: "off" });
    sim.start("srv5");
    sim.start("srv6");
    sim.runFor(8000);
    assert.equal(held(sim), "srv5");
    // srv6's `other` takes 3 s to reach srv5; meanwhile srv6 hears nothing from srv5 for
    // longer than the deadtime, declares it dead (ending the exchange on its side), takes the
    // group over, and at the heal gives it back to its home node, which still holds it.
    let slowOther = true;
    const realSend = sim.network.send.bind(sim.network);
    sim.network.send = (at, from, to, link, message) => {
      const other = message.some((f) => f.name === "t" && f.value === "ask_resources") && message.some((f) => f.name === "info" && f.value === "other");
      realSend(slowOther && from === "srv6" && other ? later(at, 3000) : at, from, to, link, message);
    };
    sim.admin("srv5", "standby");
    sim.runFor(50);
    sim.network.cutOneWay("srv5", "srv6");
    sim.runFor(1500);
    sim.network.healOneWay("srv5", "srv6");
    sim.runFor(4000);
    slowOther = false;
    const logText = () =>
      sim.log
        .slice(-30)
        .map((l) => `${l.at} ${l.node} ${l.text}`)
        .join("\n");
    assert.equal(sim.logsMatching("Giving up [all] HA resources (standby)", "srv5").length, 1, `the late other did not start a release:\n${logText()}`);
    // srv6 took the group when it declared srv5 dead (auto_failback off: it keeps it).
    assert.ok(
      sim.runUntil(() => held(sim) === "srv6" && stable(sim, "srv5", "srv6"), 15_000),
      logText(),
    );
    assert.ok(
      sim.runUntil(() => sim.logsMatching("did not confirm it took the resources", "srv5").length === 1, 15_000),
      logText(),
    );
    assert.equal(held(sim), "srv6");
    // Out of the exchange, srv5 acts on an operator's hb_takeover again (it was "in flux" for good).
    sim.admin("srv5", "takeover");
    assert.ok(
      sim.runUntil(() => held(sim) === "srv5" && stable(sim, "srv5", "srv6"), 5000),
      logText(),
    );
  });
});

describe("hb_standby with a slow release", () => {
  it("a release that outlasts the standby reply timeout completes the exchange, and the node does not wake for the expired deadline over and over (seed 396)", () => {
    // Each stop or start takes 11 s, longer than the 10 s the requester waits for the peer's answer.
    const sim = seedPair({ agentDelayMs: 11_000 });
    sim.start("srv5");
    sim.start("srv6");
    sim.runFor(20_000);
    assert.equal(held(sim), "srv5");
    sim.admin("srv5", "standby");
    // runUntil throws "simulation did not settle" if a core keeps asking to be woken in the past.
    assert.ok(
      sim.runUntil(() => held(sim) === "srv6" && stable(sim, "srv5", "srv6"), 30_000),
      sim.log.map((l) => `${l.at} ${l.node} ${l.text}`).join("\n"),
    );
    const wake = sim.core("srv5").nextWakeAt();
    assert.ok(wake === undefined || wake > sim.clock.now());
  });
});

describe("after a partition only one node saw", () => {
  it("the node that saw it asks the other for its resource report, so a later release of ours for a deaf peer is undone once it hears us again (seed 537)", () => {
    const sim = seedPair();
    sim.start("srv5");
    sim.start("srv6");
    sim.runFor(8000);
    assert.equal(held(sim), "srv5");
    // srv5 stops hearing srv6 and declares it dead; srv6 hears srv5 all along and sees nothing.
    sim.network.cutOneWay("srv6", "srv5");
    assert.ok(sim.runUntil(() => sim.logsMatching("node srv6: is dead", "srv5").length > 0, 3000));
    sim.network.healOneWay("srv6", "srv5");
    assert.ok(sim.runUntil(() => sim.logsMatching("returning after partition", "srv5").length > 0, 1000));
    sim.runFor(2000);
    // Now srv6 stops hearing srv5: srv5 releases ahead of srv6's deadtime, then srv6 hears it again in time.
    sim.network.cutOneWay("srv5", "srv6");
    assert.ok(sim.runUntil(() => sim.logsMatching("before it takes them over (one-way loss)", "srv5").length > 0, 2000));
    sim.network.healOneWay("srv5", "srv6");
    assert.equal(sim.logsMatching("node srv5: is dead", "srv6").length, 0, "srv6 never declared srv5 dead");
    assert.ok(
      sim.runUntil(() => held(sim) === "srv5", 2000),
      sim.log.map((l) => `${l.at} ${l.node} ${l.text}`).join("\n"),
    );
    sim.runFor(10_000);
    assert.equal(held(sim), "srv5");
  });
});

describe("auto failback with the requester's release report lost", () => {
  it("the taker counts the requester's `done` as the release of that set: an older stable claim does not make it drop the group it just took (seed 1891)", () => {
    const sim = seedPair();
    sim.start("srv5");
    sim.start("srv6");
    sim.runFor(8000);
    sim.crash("srv5");
    assert.ok(sim.runUntil(() => held(sim) === "srv6", 3000));
    // srv6's `resource … info=standby` (what it keeps while it releases) never reaches srv5.
    sim.network.filter = (from, _to, m) => from === "srv6" && m.some((f) => f.name === "info" && f.value === "standby");
    sim.start("srv5");
    assert.ok(
      sim.runUntil(() => sim.logsMatching("Standby [foreign] complete", "srv6").length > 0, 10_000),
      sim.log.map((l) => `${l.at} ${l.node} ${l.text}`).join("\n"),
    );
    sim.runFor(3000);
    assert.equal(held(sim), "srv5", sim.log.map((l) => `${l.at} ${l.node} ${l.text}`).join("\n"));
    sim.network.filter = undefined;
    sim.runFor(10_000);
    assert.equal(held(sim), "srv5");
  });
});

describe("what a `resource` message calls stable", () => {
  it("a batch that ends while another is queued does not report stable: the peer would settle on a held set about to change (seed 1829)", () => {
    const DB = "IPaddr::198.51.100.102/32";
    const sim = seedPair({ agentDelayMs: 300 });
    sim.start("srv5");
    sim.start("srv6");
    sim.runFor(8000);
    assert.equal(held(sim), "srv5");
    // srv6 stops hearing srv5: srv5 releases its group ahead of srv6's deadtime (one stop, 300 ms).
    sim.network.cutOneWay("srv5", "srv6");
    assert.ok(sim.runUntil(() => sim.logsMatching("before it takes them over (one-way loss)", "srv5").length > 0, 2000));
    sim.network.healOneWay("srv5", "srv6");
    // srv5's `resource` reports from now on: held set and isstable.
    const reports: string[] = [];
    sim.network.filter = (from, to, m) => {
      const field = (name: string) => m.find((f) => f.name === name)?.value;
      if (from === "srv5" && to === "srv6" && field("t") === "resource") reports.push(`${String(field("rsc_hold"))} ${String(field("isstable"))}`);
      return false;
    };
    // Meanwhile a reload adds a group homed here: its start waits behind the release.
    sim.reload("srv5", {
      groups: [
        { key: VIP, homeNode: "srv5" },
        { key: DB, homeNode: "srv5" },
      ],
    });
    sim.runFor(3000);
    assert.equal(sim.holders(DB).join(","), "srv5");
    // The release ended with DB still to start: "none" was never srv5's settled state.
    assert.ok(!reports.includes("none 1"), reports.join(", "));
    assert.ok(reports.includes("local 1"), reports.join(", "));
  });
});

describe("legacy ip-request answers", () => {
  it("an answer to a request the node never made (it was sent to its previous run) starts nothing (seed 1324)", () => {
    const sim = seedPair({ autoFailback: "legacy" });
    sim.start("srv5");
    sim.start("srv6");
    sim.runFor(8000);
    assert.equal(held(sim), "srv5");
    // srv5 releases the group and says so to "srv6" (as if srv6 had asked before a restart).
    const answer = [
      ["t", "ip-request-resp"],
      ["dest", "srv6"],
      ["ipaddr", VIP],
      ["weown", "yes"],
      ["ok", "OK"],
      ["src", "srv5"],
      ["seq", "fff"],
      ["hg", "1"],
      ["ts", "1"],
    ].map(([name, value]) => ({ name: name!, type: 0 as const, value: value! }));
    sim.deliver("srv6", { type: "message-received", at: sim.clock.now(), link: "eth1", fromAddress: "192.0.2.5", message: answer });
    sim.runFor(1000);
    assert.equal(held(sim), "srv5", "srv6 did not ask: it starts nothing");
  });
});

describe("an hb_standby nobody answers while a partition seen by one side heals", () => {
  it("both released the group at the heal: once the request times out, its home node takes it again (seed 1808)", () => {
    const sim = seedPair();
    sim.start("srv5");
    sim.start("srv6");
    sim.runFor(8000);
    assert.equal(held(sim), "srv5");
    // srv5's hb_standby never reaches srv6, nor does anything else of srv5's below; of srv6's
    // messages only a status every 600 ms reaches srv5, so srv5 hears srv6 all along but never
    // for long enough to read, from srv6's `tb_silent`, that srv6 does not hear it.
    let lastStatusAt = -Infinity;
    sim.network.filter = (from, _to, m) => {
      if (from === "srv5" || m.find((f) => f.name === "t")?.value !== "status") return true;
      if (sim.clock.now() - lastStatusAt < 600) return true;
      lastStatusAt = sim.clock.now();
      return false;
    };
    sim.admin("srv5", "standby", "all");
    assert.ok(
      sim.runUntil(() => held(sim) === "srv5,srv6", 3000),
      sim.log.map((l) => `${l.at} ${l.node} ${l.text}`).join("\n"),
    );
    assert.equal(sim.logsMatching("is dead", "srv5").length, 0, "srv5 never saw srv6 dead");
    // The heal: srv6 releases the group to its home node, srv5 releases what srv6 claims.
    sim.network.filter = (from, _to, m) => from === "srv5" && m.some((f) => f.name === "t" && f.value === "ask_resources");
    sim.runFor(2000);
    assert.equal(held(sim), "", sim.log.map((l) => `${l.at} ${l.node} ${l.text}`).join("\n"));
    // srv5's request times out; nobody holds the group and srv6 says so.
    sim.runFor(12_000);
    assert.equal(sim.logsMatching("Standby request cancelled", "srv5").length, 1);
    assert.equal(held(sim), "srv5", sim.log.map((l) => `${l.at} ${l.node} ${l.text}`).join("\n"));
    sim.network.filter = undefined;
    sim.runFor(10_000);
    assert.equal(held(sim), "srv5");
  });
});

describe("hb_takeover of a group that failed here, with the peer in flux", () => {
  it("the peer holds it no more and ignores the request: the home node starts it at once (seed 4102)", () => {
    const sim = seedPair({ autoFailback: "off" });
    const log = () => sim.log.map((l) => `${l.at} ${l.node} ${l.text}`).join("\n");
    sim.start("srv5");
    sim.start("srv6");
    sim.runFor(8000);
    // The VIP fails to start on srv5 when srv6 hands it back: it goes to srv6, marked failed on srv5.
    sim.failingStarts.add(`srv5/${VIP}`);
    sim.admin("srv5", "standby", "all");
    assert.ok(
      sim.runUntil(() => held(sim) === "srv6" && stable(sim, "srv5", "srv6"), 3000),
      log(),
    );
    sim.admin("srv6", "standby", "all");
    assert.ok(
      sim.runUntil(() => sim.logsMatching("Giving up resource group", "srv5").length > 0, 3000),
      log(),
    );
    assert.ok(
      sim.runUntil(() => held(sim) === "srv6" && stable(sim, "srv5", "srv6"), 3000),
      log(),
    );
    sim.failingStarts.clear();
    // srv6 asks srv5 to take everything; srv5 refuses (the VIP failed there) and says nothing,
    // so srv6 waits 10 s for an answer, ignoring requests meanwhile.
    sim.admin("srv6", "standby", "all");
    assert.ok(
      sim.runUntil(() => sim.logsMatching("refused", "srv5").length > 0, 1000),
      log(),
    );
    // srv5 stops hearing srv6 for a moment: srv6 releases the VIP before srv5's deadtime, and
    // reports holding nothing once srv5 hears it again.
    sim.network.cutOneWay("srv6", "srv5");
    assert.ok(
      sim.runUntil(() => sim.logsMatching("before it takes them over (one-way loss)", "srv6").length > 0, 2000),
      log(),
    );
    sim.network.healOneWay("srv6", "srv5");
    sim.runFor(1000);
    assert.equal(held(sim), "", log());
    assert.equal(sim.logsMatching("is dead", "srv5").length, 0, "srv5 never saw srv6 dead");
    // The operator retries on srv5.
    sim.admin("srv5", "takeover", "all");
    assert.ok(
      sim.runUntil(() => held(sim) === "srv5", 2000),
      log(),
    );
    sim.runFor(15_000);
    assert.equal(held(sim), "srv5", log());
  });
});

describe("a standby exchange cut by a partition only the requester saw", () => {
  it("the taker ends its side when the requester, back, says it saw it dead: it takes part in the failback (seed 3830)", () => {
    const sim = seedPair({
      groups: [
        { key: VIP, homeNode: "srv5" },
        { key: WEB, homeNode: "srv6" },
      ],
    });
    const log = () => sim.log.map((l) => `${l.at} ${l.node} ${l.text}`).join("\n");
    sim.start("srv5");
    sim.start("srv6");
    sim.runFor(8000);
    // srv5 asks srv6 to take everything; srv6's answer, and everything after it, is lost.
    sim.network.cutOneWay("srv6", "srv5");
    sim.admin("srv5", "standby", "all");
    assert.ok(
      sim.runUntil(() => sim.logsMatching("Standby resource acquisition requested [all]", "srv6").length > 0, 1000),
      log(),
    );
    // srv5 declares srv6 dead (ending the exchange on its side) and takes WEB over; srv6, which
    // hears srv5 all along, released WEB before that.
    assert.ok(
      sim.runUntil(() => held(sim, WEB) === "srv5", 3000),
      log(),
    );
    assert.equal(sim.logsMatching("Standby exchange cancelled: peer is dead", "srv5").length, 1, log());
    sim.network.healOneWay("srv6", "srv5");
    // srv5 fails WEB back to srv6, which would refuse it while it still waited for srv5's done.
    assert.ok(
      sim.runUntil(() => held(sim, WEB) === "srv6" && held(sim, VIP) === "srv5", 5000),
      log(),
    );
    assert.equal(sim.logsMatching("from the peer ignored", "srv6").length, 0, log());
    sim.runFor(10_000);
    assert.equal(held(sim, WEB), "srv6");
    assert.equal(held(sim, VIP), "srv5");
  });
});

describe("a standby taker whose `other` finds no exchange on the requester", () => {
  it("gives up after the reply timeout when the requester does not begin its release, and takes part in the next exchange (seeds 9521 9571)", () => {
    const sim = seedPair({ autoFailback: "off" });
    const log = () => sim.log.map((l) => `${l.at} ${l.node} ${l.text}`).join("\n");
    sim.start("srv5");
    sim.start("srv6");
    sim.runFor(8000);
    // srv6's `other` never reaches srv5 (in the sweep: srv5 had ended the exchange when srv6,
    // frozen, answered it late): srv5 gives up after 10 s and keeps the group.
    // That `other` is lost for good, retransmissions (same seq) included.
    let lostSeq: string | undefined;
    sim.network.filter = (from, _to, m) => {
      const field = (name: string) => m.find((f) => f.name === name)?.value;
      if (from !== "srv6") return false;
      if (lostSeq === undefined && field("info") === "other") lostSeq = String(field("seq"));
      return lostSeq !== undefined && field("seq") === lostSeq;
    };
    sim.admin("srv5", "standby", "all");
    assert.ok(
      sim.runUntil(() => sim.logsMatching("Standby resource acquisition requested [all]", "srv6").length > 0, 1000),
      log(),
    );
    sim.runFor(11_000);
    assert.equal(sim.logsMatching("Standby request cancelled", "srv5").length, 1, log());
    assert.equal(held(sim), "srv5");
    // The operator tries again: srv6 is no longer held by the first exchange.
    sim.admin("srv5", "standby", "all");
    assert.ok(
      sim.runUntil(() => held(sim) === "srv6" && stable(sim, "srv5", "srv6"), 3000),
      log(),
    );
    assert.equal(sim.logsMatching("ignored", "srv6").length, 0, log());
    assert.equal(sim.logsMatching("cancelled: the peer did not begin its release", "srv6").length, 1, log());
  });
});

describe("a standby requester whose taker saw it dead after the release", () => {
  it("ends its side when the taker, back, says it saw it dead: it takes part in the failback (seed 6742)", () => {
    const sim = seedPair({
      groups: [
        { key: VIP, homeNode: "srv5" },
        { key: WEB, homeNode: "srv6" },
      ],
    });
    const log = () => sim.log.map((l) => `${l.at} ${l.node} ${l.text}`).join("\n");
    sim.start("srv5");
    sim.start("srv6");
    sim.runFor(8000);
    // srv5 gives its group away; from its `done` on, nothing of srv5's reaches srv6.
    let cut = false;
    sim.network.filter = (from, _to, m) => {
      if (from === "srv5" && m.some((f) => f.name === "info" && f.value === "done")) cut = true;
      return cut && from === "srv5";
    };
    sim.admin("srv5", "standby", "all");
    // srv6, waiting for that `done`, declares srv5 dead (ending the exchange on its side) and takes over.
    assert.ok(
      sim.runUntil(() => sim.logsMatching("Standby exchange cancelled: peer is dead", "srv6").length > 0, 3000),
      log(),
    );
    assert.ok(
      sim.runUntil(() => held(sim, VIP) === "srv6" && held(sim, WEB) === "srv6", 2000),
      log(),
    );
    sim.network.filter = undefined;
    // srv6 fails VIP back to srv5, which would ignore it while it still waited for srv6's done.
    assert.ok(
      sim.runUntil(() => held(sim, VIP) === "srv5" && held(sim, WEB) === "srv6", 5000),
      log(),
    );
    assert.equal(sim.logsMatching("ignored", "srv5").length, 0, log());
    sim.runFor(10_000);
    assert.equal(held(sim, VIP), "srv5");
    assert.equal(held(sim, WEB), "srv6");
  });
});
