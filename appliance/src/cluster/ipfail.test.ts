// Tests for ipfail.ts: the num_ping_nodes / you_are_dead / abort_giveup exchange and the delayed give-up.

import { test } from "node:test";
import assert from "node:assert/strict";
import { getField, str, type HaMessage } from "../protocol/ha-message";
import type { ClusterAction } from "./cluster-actions";
import { Ipfail } from "./ipfail";
import { millis, normalizeNodeName } from "./time";

function harness(options: { autoFailback?: boolean } = {}) {
  const sent: HaMessage[] = [];
  const gaveUp: { set: string; at: number }[] = [];
  const state = { count: 2, stable: true, unknown: false };
  const ipfail = new Ipfail({
    partner: normalizeNodeName("srv6"),
    keepaliveMs: 200,
    autoFailback: options.autoFailback ?? false,
    send: (_out, body) => sent.push(body),
    pingCount: () => state.count,
    pingUnknown: () => state.unknown,
    stable: () => state.stable,
    giveUp: (set, at) => gaveUp.push({ set, at }),
  });
  return { ipfail, sent, gaveUp, state, types: () => sent.map((m) => getField(m, "t")) };
}

const pingCount = (n: number): HaMessage => [str("t", "num_ping_nodes"), str("num_ping", String(n))];

test("ask sends our count to the partner's ipfail with Heartbeat's routing fields", () => {
  const h = harness();
  const out: ClusterAction[] = [];
  h.ipfail.ask(out, "test");
  assert.deepEqual(h.types(), ["num_ping_nodes"]);
  const m = h.sent[0]!;
  assert.equal(getField(m, "num_ping"), "2");
  assert.equal(getField(m, "dest"), "srv6");
  assert.equal(getField(m, "to_id"), "ipfail");
});

test("more ping nodes than the partner: you_are_dead; fewer: give up everything after 2 × keepalive", () => {
  const h = harness();
  const out: ClusterAction[] = [];
  h.ipfail.onMessage("num_ping_nodes", pingCount(1), millis(0), out);
  assert.deepEqual(h.types(), ["you_are_dead"]);
  h.ipfail.onMessage("num_ping_nodes", pingCount(3), millis(1000), out);
  assert.equal(h.ipfail.nextWakeAt(), 1400);
  h.ipfail.onClock(millis(1399), out);
  assert.deepEqual(h.gaveUp, []);
  h.ipfail.onClock(millis(1400), out);
  assert.deepEqual(h.gaveUp, [{ set: "all", at: 1400 }]);
  assert.equal(h.ipfail.nextWakeAt(), undefined);
});

test("balanced counts answer abort_giveup and cancel a pending give-up", () => {
  const h = harness();
  const out: ClusterAction[] = [];
  h.ipfail.onMessage("you_are_dead", [str("t", "you_are_dead")], millis(0), out);
  assert.equal(h.ipfail.nextWakeAt(), 400);
  h.ipfail.onMessage("num_ping_nodes", pingCount(2), millis(100), out);
  assert.deepEqual(h.types(), ["abort_giveup"]);
  assert.equal(h.ipfail.nextWakeAt(), undefined);
});

test("abort_giveup from the partner and the partner's death cancel a pending give-up", () => {
  const h = harness();
  const out: ClusterAction[] = [];
  h.ipfail.onMessage("num_ping_nodes", pingCount(5), millis(0), out);
  h.ipfail.onMessage("abort_giveup", [str("t", "abort_giveup")], millis(100), out);
  assert.equal(h.ipfail.nextWakeAt(), undefined);
  h.ipfail.onMessage("num_ping_nodes", pingCount(5), millis(200), out);
  h.ipfail.cancel();
  h.ipfail.onClock(millis(10_000), out);
  assert.deepEqual(h.gaveUp, []);
});

test("in transition the give-up waits a keepalive at a time", () => {
  const h = harness();
  const out: ClusterAction[] = [];
  h.state.stable = false;
  h.ipfail.onMessage("num_ping_nodes", pingCount(5), millis(0), out);
  h.ipfail.onClock(millis(400), out);
  assert.equal(h.ipfail.nextWakeAt(), 600);
  h.state.stable = true;
  h.ipfail.onClock(millis(600), out);
  assert.deepEqual(h.gaveUp, [{ set: "all", at: 600 }]);
});

test("a count that recovered before the give-up asks again instead of failing over", () => {
  const h = harness();
  const out: ClusterAction[] = [];
  h.state.count = 1;
  h.ipfail.onMessage("num_ping_nodes", pingCount(2), millis(0), out);
  h.state.count = 2;
  h.ipfail.onClock(millis(400), out);
  assert.deepEqual(h.gaveUp, []);
  assert.deepEqual(h.types(), ["num_ping_nodes"]);
});

test("with auto_failback, balanced counts give the foreign groups back; a join makes us ask", () => {
  const h = harness({ autoFailback: true });
  const out: ClusterAction[] = [];
  h.ipfail.onMessage("num_ping_nodes", pingCount(2), millis(0), out);
  h.ipfail.onClock(millis(400), out);
  assert.deepEqual(h.gaveUp, [{ set: "foreign", at: 400 }]);
  h.ipfail.onMessage("hbapi-clstat", [str("t", "hbapi-clstat"), str("st", "join"), str("from_id", "ipfail")], millis(500), out);
  assert.equal(h.types().at(-1), "num_ping_nodes");
});

test("a malformed count is ignored", () => {
  const h = harness();
  const out: ClusterAction[] = [];
  h.ipfail.onMessage("num_ping_nodes", [str("t", "num_ping_nodes"), str("num_ping", "lots")], millis(0), out);
  assert.deepEqual(h.types(), []);
  assert.equal(h.ipfail.nextWakeAt(), undefined);
});

test("while some of our ping nodes have not answered since start, fewer is no reason to give up (found in e2e: a restarted primary gave its group back)", () => {
  const h = harness();
  const out: ClusterAction[] = [];
  h.state.count = 0;
  h.state.unknown = true;
  h.ipfail.onMessage("num_ping_nodes", pingCount(2), millis(0), out);
  h.ipfail.onMessage("you_are_dead", [str("t", "you_are_dead")], millis(10), out);
  assert.equal(h.ipfail.nextWakeAt(), undefined);
  h.ipfail.onClock(millis(1000), out);
  assert.deepEqual(h.gaveUp, []);
  // They answered and we really see fewer: now it gives up.
  h.state.count = 1;
  h.state.unknown = false;
  h.ipfail.onMessage("num_ping_nodes", pingCount(2), millis(2000), out);
  h.ipfail.onClock(millis(2400), out);
  assert.deepEqual(h.gaveUp, [{ set: "all", at: 2400 }]);
});
