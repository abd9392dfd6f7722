// Tests for time.ts: the brands hold at compile time (tsc fails if one is lost), and the helpers' arithmetic.

import { test } from "node:test";
import assert from "node:assert/strict";
import { later, latest, millis, normalizeNodeName, type Millis, type NodeName } from "./time";

test("a plain number is not a point on the monotonic clock, nor a plain string a node name", () => {
  // @ts-expect-error a duration or a Date.now() reading must go through millis() or later()
  const at: Millis = 1500;
  // @ts-expect-error a name from the wire or the command line must go through normalizeNodeName
  const name: NodeName = "SRV5";
  // Durations stay plain numbers: the difference of two points is one.
  const gapMs: number = later(millis(1000), 250) - millis(1000);
  assert.equal(at, 1500);
  assert.equal(name, "SRV5");
  assert.equal(gapMs, 250);
});

test("later, latest and normalizeNodeName", () => {
  assert.equal(later(millis(1000), 250), 1250);
  assert.equal(later(millis(1000), -250), 750);
  assert.equal(latest(millis(5), millis(7)), 7);
  assert.equal(latest(millis(7), millis(5)), 7);
  assert.equal(normalizeNodeName("Srv5.LocalDomain"), "srv5.localdomain");
});
