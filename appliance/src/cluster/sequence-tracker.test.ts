// Tests for sequence-tracker.ts: accept, duplicate, gaps, replays, restarts and the jump limit.

import { test } from "node:test";
import assert from "node:assert/strict";
import { MAX_MISSING_SEQS, SequenceTracker } from "./sequence-tracker";

test("the first message is accepted in order, whatever its number", () => {
  const t = new SequenceTracker();
  assert.deepEqual(t.observe(3, 40, true), { kind: "accept", restarted: false, filledGap: false, inOrder: true, newGaps: [] });
  assert.equal(t.generation, 3);
  assert.equal(t.highestSeq, 40);
});

test("the next number is in order; the same number again is a duplicate", () => {
  const t = new SequenceTracker();
  t.observe(1, 1, true);
  assert.equal(t.observe(1, 2, false).kind, "accept");
  assert.deepEqual(t.observe(1, 2, true), { kind: "duplicate" });
  assert.deepEqual(t.observe(1, 1, false), { kind: "duplicate" });
});

test("a jump reveals the gap; filling it is accepted once, then a duplicate", () => {
  const t = new SequenceTracker();
  t.observe(1, 1, true);
  const v = t.observe(1, 5, true);
  assert.deepEqual(v, { kind: "accept", restarted: false, filledGap: false, inOrder: false, newGaps: [2, 3, 4] });
  assert.deepEqual(t.missing(), [2, 3, 4]);
  assert.deepEqual(t.observe(1, 3, false), { kind: "accept", restarted: false, filledGap: true, inOrder: false, newGaps: [] });
  assert.deepEqual(t.missing(), [2, 4]);
  assert.deepEqual(t.observe(1, 3, false), { kind: "duplicate" });
});

test("an older generation is a replay and changes nothing", () => {
  const t = new SequenceTracker();
  t.observe(5, 10, true);
  assert.deepEqual(t.observe(4, 11, true), { kind: "replay", knownGeneration: 5 });
  assert.equal(t.highestSeq, 10);
  assert.equal(t.generation, 5);
});

test("a higher generation in a status is a restart: tracking starts over from its number", () => {
  const t = new SequenceTracker();
  t.observe(1, 1, true);
  t.observe(1, 9, true);
  assert.deepEqual(t.observe(2, 1, true), { kind: "accept", restarted: true, filledGap: false, inOrder: true, newGaps: [] });
  assert.equal(t.generation, 2);
  assert.deepEqual(t.missing(), []);
  assert.equal(t.observe(2, 2, true).kind, "accept");
});

test("a higher generation in a non-status message is accepted without moving the generation", () => {
  const t = new SequenceTracker();
  t.observe(1, 5, true);
  const v = t.observe(2, 6, false);
  assert.equal(v.kind, "accept");
  assert.equal(t.generation, 1, "only a status may raise the generation (Heartbeat's rule)");
});

test(`a jump of more than ${MAX_MISSING_SEQS} starts over instead of listing the gap`, () => {
  const t = new SequenceTracker();
  t.observe(1, 1, true);
  const v = t.observe(1, 2 + MAX_MISSING_SEQS, true);
  assert.deepEqual(v, { kind: "accept", restarted: false, filledGap: false, inOrder: true, newGaps: [] });
  assert.deepEqual(t.missing(), []);
  const w = t.observe(1, 1 + MAX_MISSING_SEQS, true);
  assert.equal(w.kind, "duplicate", "below the new start and not missing");
});
