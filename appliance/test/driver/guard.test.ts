// The driver and the resource guard on fakes: ticks stop while the daemon is frozen, and the guard's report reaches the core.

import { strict as assert } from "node:assert";
import { afterEach, describe, it } from "node:test";
import { FakePair, NODE_A, NODE_B } from "../support/fake-pair";

const GROUP = "IPaddr::198.51.100.100/24";

describe("driver and resource guard (fakes)", () => {
  let pair: FakePair;
  afterEach(async () => {
    for (const n of pair.nodes.values()) {
      if (n.clock.frozen) n.clock.thaw();
      if (n.exit) n.daemon.stop();
    }
    await pair.clock.advance(2000);
    pair.cleanup();
  });

  it("a frozen daemon stops ticking; the peer takes over; on waking the guard's report is stepped to the core", async () => {
    pair = new FakePair();
    await pair.start();
    await pair.clock.advance(6000);
    const a = pair.node(NODE_A);
    const b = pair.node(NODE_B);
    const guard = a.guards[0]!;
    assert.deepEqual(guard.lastHeld, [GROUP]);
    // SIGSTOP for 3.5 s (deadtime 1 s).
    a.clock.freeze();
    const ticksAtFreeze = guard.ticks;
    await pair.clock.advance(3500);
    assert.equal(guard.ticks, ticksAtFreeze, "no tick while frozen: this is what the real guard watches");
    assert.deepEqual([...b.running], [GROUP], "the peer took the group over");
    // What the real guard does meanwhile (its own tests show the timing): addresses removed, report on the pipe.
    guard.report({ droppedAddresses: [GROUP] });
    a.clock.thaw();
    await pair.clock.advance(50);
    assert.ok(guard.ticks > ticksAtFreeze, "ticks again after SIGCONT");
    assert.deepEqual(a.logger.find(/resource guard removed the addresses/), [
      `crit: This node was frozen past the peer's deadtime: the resource guard removed the addresses of ${GROUP}`,
    ]);
  });

  it("a guard is created only when there are groups, and told every change of the held set", async () => {
    pair = new FakePair();
    await pair.start();
    await pair.clock.advance(3000);
    const a = pair.node(NODE_A);
    assert.equal(a.guards.length, 1);
    a.control.request({ cmd: "admin", command: "standby", which: "all" });
    await pair.clock.advance(500);
    assert.deepEqual(a.guards[0]!.lastHeld, []);
    assert.deepEqual(pair.node(NODE_B).guards[0]!.lastHeld, [GROUP]);
  });
});
