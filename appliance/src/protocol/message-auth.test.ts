// Tests for message-auth.ts: spec §3.2/§3.3 digest vectors, CRC parameters and formatting, auth-string parsing.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { crc32, computeDigest, formatAuth, parseAuth, verifyDigest } from "./message-auth";
import { classicAuthInput } from "./classic-codec";
import { bin, str, type HaMessage } from "./ha-message";

/** The status message of spec §4.3. */
const EXAMPLE: HaMessage = [
  str("t", "status"),
  str("st", "active"),
  str("dt", "7530"),
  str("protocol", "1"),
  str("src", "node1"),
  bin("srcuuid", Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16])),
  str("seq", "1a"),
  str("hg", "4"),
  str("ts", "5f5e0ff0"),
  str("ld", "0.00 0.01 0.05 1/100 1234"),
  str("ttl", "3"),
];

/** Bit-at-a-time CRC with the spec's parameters, written independently of the table version. */
function slowCrc(data: Buffer): number {
  let reg = 0;
  for (const byte of data) {
    for (let bit = 7; bit >= 0; bit--) {
      const inBit = (byte >> bit) & 1;
      const top = (reg >>> 31) & 1;
      reg = (reg << 1) >>> 0;
      if ((top ^ inBit) === 1) reg = (reg ^ 0x04c11db7) >>> 0;
    }
  }
  return (reg ^ 0xffffffff) >>> 0;
}

/** RFC 2104 HMAC from the bare hash, to cross-check node:crypto's key handling (long keys). */
function rfc2104(alg: "md5" | "sha1", key: Buffer, data: Buffer): string {
  const block = 64;
  let k = key.length > block ? createHash(alg).update(key).digest() : key;
  k = Buffer.concat([k, Buffer.alloc(block - k.length)]);
  const ipad = Buffer.from(k.map((b) => b ^ 0x36));
  const opad = Buffer.from(k.map((b) => b ^ 0x5c));
  const inner = createHash(alg).update(ipad).update(data).digest();
  return createHash(alg).update(opad).update(inner).digest("hex");
}

test('crc check value of "123456789" is 765e7680 (CRC-32/POSIX without length suffix)', () => {
  assert.equal(computeDigest("crc", undefined, Buffer.from("123456789")), "765e7680");
  assert.equal(crc32(Buffer.alloc(0)), 0xffffffff);
});

test("table crc equals a bit-at-a-time crc over many inputs", () => {
  let seed = 12345;
  for (let n = 0; n < 300; n++) {
    const data = Buffer.alloc(n % 97);
    for (let i = 0; i < data.length; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      data[i] = seed >>> 24;
    }
    assert.equal(crc32(data), slowCrc(data), `input ${data.toString("hex")}`);
  }
});

test("crc text is lowercase hex without leading zeros", () => {
  // Find inputs whose crc is below 0x10000000 (one in 16 are) and check they print short.
  let found = 0;
  for (let i = 0; found < 5 && i < 10000; i++) {
    const data = Buffer.from(`probe-${i}`);
    const value = slowCrc(data);
    if (value >= 0x10000000) continue;
    found++;
    const text = computeDigest("crc", undefined, data);
    assert.equal(text, value.toString(16));
    assert.ok(text.length < 8 && !text.startsWith("0"), text);
    assert.ok(verifyDigest("crc", undefined, data, text));
    assert.ok(!verifyDigest("crc", undefined, data, text.padStart(8, "0")), "zero-padded crc must not verify");
  }
  assert.equal(found, 5);
});

test("spec §3.3 Layer A vectors over the §4.3 message, key `secret`", () => {
  const input = classicAuthInput(EXAMPLE);
  assert.equal(computeDigest("sha1", "secret", input), "377776d5fd09302fd6db1021aca92f0fb7a15b1a");
  assert.equal(computeDigest("md5", "secret", input), "9c9c133a76268a62b306ea9952d35238");
  assert.equal(computeDigest("crc", undefined, input), "67193861");
  assert.equal(computeDigest("crc", "ignored", input), "67193861");
});

test("RFC 2202 HMAC vectors", () => {
  const data = Buffer.from("what do ya want for nothing?");
  assert.equal(computeDigest("md5", "Jefe", data), "750c783e6ab0b503eaa86e310a5db738");
  assert.equal(computeDigest("sha1", "Jefe", data), "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
});

test("keys longer than the block are hashed first; non-ASCII keys are UTF-8 bytes", () => {
  const data = Buffer.from("Test Using Larger Than Block-Size Key - Hash Key First");
  for (const key of ["k".repeat(80), "x".repeat(64), "schlüssel-ключ"]) {
    for (const alg of ["md5", "sha1"] as const) {
      assert.equal(computeDigest(alg, key, data), rfc2104(alg, Buffer.from(key, "utf8"), data), `${alg} ${key}`);
    }
  }
});

test("digesting several buffers equals digesting their concatenation", () => {
  const parts = [Buffer.from("abc"), Buffer.alloc(0), Buffer.from("\n\x13def"), Buffer.from([0, 255])];
  const whole = Buffer.concat(parts);
  for (const method of ["crc", "md5", "sha1"] as const) {
    assert.equal(computeDigest(method, "k", parts), computeDigest(method, "k", whole), method);
  }
});

test("verifyDigest accepts only the exact digest text and never throws", () => {
  const data = Buffer.from("hello");
  const good = computeDigest("sha1", "k", data);
  assert.ok(verifyDigest("sha1", "k", data, good));
  assert.ok(!verifyDigest("sha1", "other", data, good));
  assert.ok(!verifyDigest("md5", "k", data, good));
  assert.ok(!verifyDigest("sha1", "k", data, good.toUpperCase()));
  assert.ok(!verifyDigest("sha1", "k", data, good.slice(0, 39)));
  assert.ok(!verifyDigest("sha1", "k", data, ""));
  assert.ok(!verifyDigest("sha1", "k", Buffer.from("hellp"), good));
  assert.ok(!verifyDigest("sha1", undefined, data, good), "missing key fails instead of throwing");
  assert.ok(!verifyDigest("bogus" as never, "k", data, good));
  assert.ok(!verifyDigest("sha1", "k", data, 42 as never));
});

test("computeDigest throws on signing-side configuration bugs", () => {
  assert.throws(() => computeDigest("sha1", undefined, Buffer.from("x")), TypeError);
  assert.throws(() => computeDigest("rot13" as never, "k", Buffer.from("x")), TypeError);
});

test("formatAuth and parseAuth", () => {
  assert.equal(formatAuth(1, "abc"), "1 abc");
  assert.equal(formatAuth(15, "0"), "15 0");
  assert.throws(() => formatAuth(16, "abc"), RangeError);
  assert.throws(() => formatAuth(-1, "abc"), RangeError);
  assert.throws(() => formatAuth(1.5, "abc"), RangeError);
  assert.throws(() => formatAuth(1, "ABC"), RangeError);
  assert.throws(() => formatAuth(1, ""), RangeError);

  assert.deepEqual(parseAuth("1 377776d5"), { index: 1, digest: "377776d5" });
  assert.deepEqual(parseAuth("0 a"), { index: 0, digest: "a" });
  assert.deepEqual(parseAuth("99 a"), { index: 99, digest: "a" }, "range is the caller's check");
  for (const bad of ["", "1", "1 ", " 1 a", "01 a", "+1 a", "1  a", "1 a ", "1 A", "1 g", "x a", "1\ta", "1234 a", "1 a\n"]) {
    assert.equal(parseAuth(bad), undefined, JSON.stringify(bad));
  }
});
