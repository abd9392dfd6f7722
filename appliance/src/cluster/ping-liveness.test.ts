// Tests for ping-liveness.ts: ping node status, groups, deadping, fresh counts and reconfiguration.

import { test } from "node:test";
import assert from "node:assert/strict";
import { PingLiveness } from "./ping-liveness";
import { millis, normalizeNodeName } from "./time";

const GW = { name: normalizeNodeName("198.51.100.2"), hosts: ["198.51.100.2"] };
const GROUP = { name: normalizeNodeName("uplinks"), hosts: ["203.0.113.1", "203.0.113.2"] };

test("a ping node is init until it answers, ping while answers come, dead after deadping of silence", () => {
  const p = new PingLiveness([GW], 1000);
  p.start(millis(0));
  assert.equal(p.nodes[0]!.status, "init");
  assert.equal(p.replied("198.51.100.2", millis(100))?.name, GW.name, "came up");
  assert.equal(p.replied("198.51.100.2", millis(300)), undefined, "already up");
  assert.equal(p.aliveCount(), 1);
  assert.equal(p.nextWakeAt(), 1300);
  assert.deepEqual(p.expire(millis(1299)), []);
  assert.deepEqual(
    p.expire(millis(1300)).map((n) => n.name),
    [GW.name],
  );
  assert.equal(p.aliveCount(), 0);
  assert.equal(p.nextWakeAt(), undefined, "dead nodes need no wake-up");
  assert.equal(p.replied("198.51.100.2", millis(2000))?.name, GW.name, "back up");
});

test("a node that never answers is dead deadping after the start", () => {
  const p = new PingLiveness([GW], 1000);
  p.start(millis(500));
  assert.deepEqual(p.expire(millis(1499)), []);
  assert.equal(p.expire(millis(1500)).length, 1);
});

test("a ping_group counts once and lives while any member answers; unknown hosts are ignored", () => {
  const p = new PingLiveness([GW, GROUP], 1000);
  p.start(millis(0));
  p.replied("203.0.113.1", millis(100));
  p.replied("203.0.113.2", millis(900));
  assert.equal(p.aliveCount(), 1);
  assert.deepEqual(
    p.expire(millis(1500)).map((n) => n.name),
    [GW.name],
    "the group's last answer was at 900",
  );
  assert.equal(p.replied("192.0.2.99", millis(1000)), undefined);
});

test("freshCount counts only nodes answering within the window", () => {
  const p = new PingLiveness([GW, GROUP], 5000);
  p.start(millis(0));
  p.replied("198.51.100.2", millis(1000));
  p.replied("203.0.113.2", millis(1800));
  assert.equal(p.freshCount(millis(2000), 500), 1);
  assert.equal(p.freshCount(millis(2000), 1000), 2);
  assert.equal(p.aliveCount(), 2);
});

test("reconfigure keeps the state of nodes that stay, starts added ones with a full deadping, forgets removed ones", () => {
  const p = new PingLiveness([GW, GROUP], 1000);
  p.start(millis(0));
  p.replied("198.51.100.2", millis(100));
  const WITNESS = { name: normalizeNodeName("192.0.2.7"), hosts: ["192.0.2.7"] };
  const r = p.reconfigure([GW, WITNESS], 3000, millis(5000));
  assert.deepEqual(r, { added: ["192.0.2.7"], removed: ["uplinks"] });
  assert.deepEqual(
    p.nodes.map((n) => `${n.name}:${n.status}`),
    ["198.51.100.2:ping", "192.0.2.7:init"],
  );
  assert.deepEqual(
    p.expire(millis(5000)).map((n) => n.name),
    ["198.51.100.2"],
    "silent since 100, deadping now 3 s",
  );
  assert.deepEqual(p.expire(millis(7999)), []);
  assert.deepEqual(
    p.expire(millis(8000)).map((n) => n.name),
    ["192.0.2.7"],
    "added at 5000 with 3 s deadping",
  );
  assert.equal(p.replied("203.0.113.1", millis(8100)), undefined, "a removed group's host is unknown now");
});
