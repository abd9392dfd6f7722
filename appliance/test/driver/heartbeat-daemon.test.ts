// The driver (HeartbeatDaemon) on fake ports: start, heartbeats, a dead peer, a takeover, a stop; virtual time only.

import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, it } from "node:test";
import { getField } from "../../src/protocol/ha-message";
import { decodeDatagram } from "../../src/protocol/wire-codec";
import { defaultFiles, FakePair, NODE_A, NODE_B, type FakeNode } from "../support/fake-pair";

/** How many status messages `node` has sent (decoded with its own keys). */
function statusesSent(pair: FakePair, node: FakeNode): number {
  const keys = node.daemon.config.authKeys;
  let count = 0;
  for (const bytes of pair.net.media(node.name).sent) {
    const d = decodeDatagram(bytes, keys);
    if (d.ok && getField(d.message, "t") === "status") count++;
  }
  return count;
}

function nodeStatus(viewer: FakeNode, name: string): string | undefined {
  return viewer.daemon.core.snapshot().nodes.find((n) => n.name === name)?.status;
}

describe("HeartbeatDaemon on fakes", () => {
  let pair: FakePair;
  const open = (p: FakePair) => (pair = p);
  afterEach(async () => {
    for (const n of pair.nodes.values()) if (n.exit) n.daemon.stop();
    await pair.clock.advance(2000);
    pair.cleanup();
  });

  it("starts: opens its ports, writes the pid file, logs the one version, and the home node takes its group", async () => {
    open(new FakePair());
    await pair.start();
    const a = pair.node(NODE_A);
    assert.ok(pair.net.media(NODE_A).opened);
    assert.ok(a.statuses[0]!.started);
    assert.equal(a.pidFile.files.size, 1);
    const version = (JSON.parse(readFileSync(join(__dirname, "../../../../package.json"), "utf8")) as { version: string }).version;
    assert.deepEqual(a.logger.find(/Starting heartbeat/), [`info: Configuration validated. Starting heartbeat ${version}`]);
    await pair.clock.advance(3000);
    assert.equal(nodeStatus(a, NODE_B), "active");
    assert.deepEqual([...a.running], ["IPaddr::198.51.100.100/24"]);
    assert.deepEqual([...pair.node(NODE_B).running], []);
    assert.deepEqual(a.guards[0]!.lastHeld, ["IPaddr::198.51.100.100/24"]);
    const answer = a.control.request({ cmd: "status" }) as { ok: boolean; pid: number };
    assert.equal(answer.ok, true);
    assert.equal(answer.pid, 4101);
    assert.equal(a.children.started, 1, "respawn children start once communication is up");
  });

  it("sends a status every keepalive and ticks the guard with the steps it takes anyway", async () => {
    open(new FakePair());
    await pair.start();
    await pair.clock.advance(3000);
    const a = pair.node(NODE_A);
    const before = statusesSent(pair, a);
    const ticks = a.guards[0]!.ticks;
    await pair.clock.advance(10_000);
    const sent = statusesSent(pair, a) - before;
    assert.ok(sent >= 49 && sent <= 51, `50 statuses in 10 s at keepalive 200 ms, got ${sent}`);
    const tickCount = a.guards[0]!.ticks - ticks;
    // At least one per keepalive (the status), at most one per half keepalive (datagrams in between).
    assert.ok(tickCount >= 49 && tickCount <= 101, `50 to 100 guard ticks in 10 s, got ${tickCount}`);
  });

  it("declares a silent peer dead after deadtime, and the survivor takes over its group", async () => {
    open(new FakePair());
    await pair.start();
    // Past the first 5 s, when a starting node advertises deadtime + 2 s (as Heartbeat).
    await pair.clock.advance(6000);
    const b = pair.node(NODE_B);
    pair.net.unplug(NODE_A, "eth1");
    // The last status may have left up to one keepalive (200 ms) before the cut.
    await pair.clock.advance(750);
    assert.equal(nodeStatus(b, NODE_A), "active", "not dead before deadtime");
    await pair.clock.advance(550);
    assert.equal(nodeStatus(b, NODE_A), "dead");
    assert.ok(b.logger.find(/node alpha: is dead/).length === 1);
    assert.deepEqual([...b.running], ["IPaddr::198.51.100.100/24"]);
    assert.deepEqual(b.operations, ["start IPaddr::198.51.100.100/24"]);
  });

  it("stops on SIGTERM: releases its group to the peer, cleans the guard, removes the pid file, exits 0", async () => {
    open(new FakePair());
    await pair.start();
    await pair.clock.advance(3000);
    const a = pair.node(NODE_A);
    const b = pair.node(NODE_B);
    assert.ok(a.signals.raise("SIGTERM"));
    await pair.clock.advance(2000);
    assert.equal(await a.exit, 0);
    assert.deepEqual([...a.running], []);
    assert.ok(a.guards[0]!.cleaned);
    assert.equal(a.pidFile.files.size, 0);
    assert.ok(pair.net.media(NODE_A).closed);
    assert.ok(a.control.closed);
    assert.ok(a.statuses[0]!.closed);
    assert.ok(a.logger.closed);
    assert.equal(a.signals.handlers.size, 0, "signal handlers removed at exit");
    assert.equal(a.children.stopped, 1);
    assert.deepEqual([...b.running], ["IPaddr::198.51.100.100/24"], "the peer took the group over");
    a.exit = undefined;
  });

  it("hb_standby through the control socket moves the group, with no time-based wait", async () => {
    open(new FakePair());
    await pair.start();
    await pair.clock.advance(3000);
    const a = pair.node(NODE_A);
    assert.deepEqual(a.control.request({ cmd: "admin", command: "standby", which: "all" }), { ok: true });
    await pair.clock.advance(500);
    assert.deepEqual([...a.running], []);
    assert.deepEqual([...pair.node(NODE_B).running], ["IPaddr::198.51.100.100/24"]);
  });

  it("passes the ping interval computed once to the core and to the pinger", async () => {
    open(
      new FakePair((n) => {
        const f = defaultFiles(n);
        return { ...f, haCf: f.haCf + "ping 203.0.113.1\n" };
      }),
    );
    await pair.start();
    const a = pair.node(NODE_A);
    assert.equal(a.pingers.length, 1);
    assert.equal(a.pingers[0]!.spec.intervalMs, 200);
    assert.ok(a.pingers[0]!.started);
    // Only the core's arbitration uses it; the snapshot has the ping node.
    assert.ok(a.daemon.core.snapshot().nodes.some((n) => n.type === "ping"));
  });

  it("reloads on SIGHUP: reopens the logs, takes the new keepalive and says what changed", async () => {
    open(new FakePair());
    await pair.start();
    await pair.clock.advance(6000);
    for (const n of pair.nodes.values()) {
      n.rewrite((f) => ({ haCf: f.haCf.replace("keepalive 200ms", "keepalive 400ms") }));
      assert.ok(n.signals.raise("SIGHUP"));
    }
    await pair.clock.advance(1000);
    const a = pair.node(NODE_A);
    assert.equal(a.daemon.config.ha.keepaliveMs, 400);
    assert.equal(a.logger.reopens, 1);
    assert.deepEqual(a.logger.find(/Configuration reloaded/), ["info: Configuration reloaded: timings changed"]);
  });
});
