// Tests for Heartbeat's time, boolean and integer syntaxes (cl_get_msec, cl_str_to_boolean).

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatMs, hasSecondsUnit, isDetachedUnit, parseBoolean, parseInteger, parseTimeMs } from "./time-syntax";

describe("parseTimeMs()", () => {
  const valid: ReadonlyArray<readonly [string, number]> = [
    ["2", 2000],
    ["30", 30_000],
    ["0", 0],
    ["0.1", 100],
    ["0.5", 500],
    [".5", 500],
    ["1.", 1000],
    ["0.001", 1],
    ["0.0004", 0],
    ["200ms", 200],
    ["1500ms", 1500],
    ["1500MS", 1500],
    ["1500msec", 1500],
    ["2.5ms", 3],
    ["1000000us", 1000],
    ["501us", 1],
    ["500us", 1],
    ["499us", 0],
    ["1000usec", 1],
    ["500 ms", 500],
    ["  7  ", 7000],
  ];
  for (const [text, ms] of valid) {
    it(`reads "${text}" as ${ms} ms`, () => {
      assert.equal(parseTimeMs(text), ms);
    });
  }

  const invalid = ["", " ", "s", "ms", "2s", "2 s", "30sec", "2m", "1h", "-1", "+1", "1.2.3", "abc", "1e3", "0x10", ".", "5 5"];
  for (const text of invalid) {
    it(`refuses "${text}"`, () => {
      assert.equal(parseTimeMs(text), undefined);
    });
  }

  it("accepts a seconds unit only when asked to (twinbeat.cf)", () => {
    assert.equal(parseTimeMs("90s"), undefined);
    assert.equal(parseTimeMs("90s", { allowSecondsUnit: true }), 90_000);
    assert.equal(parseTimeMs("1.5sec", { allowSecondsUnit: true }), 1500);
    assert.equal(parseTimeMs("2m", { allowSecondsUnit: true }), undefined);
  });
});

describe("time syntax hints", () => {
  it("hasSecondsUnit() spots a number with an s unit", () => {
    assert.equal(hasSecondsUnit("30s"), true);
    assert.equal(hasSecondsUnit("30 sec"), true);
    assert.equal(hasSecondsUnit("30"), false);
    assert.equal(hasSecondsUnit("s"), false);
  });

  it("isDetachedUnit() spots a unit that lost its number", () => {
    assert.equal(isDetachedUnit("s"), true);
    assert.equal(isDetachedUnit("ms"), true);
    assert.equal(isDetachedUnit("usec"), true);
    assert.equal(isDetachedUnit("2"), false);
    assert.equal(isDetachedUnit("abc"), false);
  });

  it("formatMs() renders like Heartbeat's computed parameters", () => {
    assert.equal(formatMs(15000), "15000ms");
  });
});

describe("parseBoolean()", () => {
  for (const word of ["true", "on", "yes", "y", "1", "TRUE", "On", "YES", "Y"]) {
    it(`reads "${word}" as true`, () => {
      assert.equal(parseBoolean(word), true);
    });
  }
  for (const word of ["false", "off", "no", "n", "0", "False", "OFF", "N"]) {
    it(`reads "${word}" as false`, () => {
      assert.equal(parseBoolean(word), false);
    });
  }
  for (const word of ["", "2", "yess", "enabled", "t", "f", "legacy"]) {
    it(`refuses "${word}"`, () => {
      assert.equal(parseBoolean(word), undefined);
    });
  }
});

describe("parseInteger()", () => {
  it("reads digits only", () => {
    assert.equal(parseInteger("694"), 694);
    assert.equal(parseInteger("0"), 0);
    assert.equal(parseInteger("12abc"), undefined);
    assert.equal(parseInteger("-1"), undefined);
    assert.equal(parseInteger(""), undefined);
    assert.equal(parseInteger("1.5"), undefined);
  });
});
