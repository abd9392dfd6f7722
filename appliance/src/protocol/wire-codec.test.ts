// Tests for wire-codec.ts: spec §4.3 wire bytes, round trips in both encodings, every rejection reason, the Layer-B key quirk.

import { test } from "node:test";
import assert from "node:assert/strict";
import type { AuthKey, AuthKeys } from "../config/cluster-config";
import { bin, getField, str, type HaField, type HaMessage } from "./ha-message";
import { computeDigest, formatAuth } from "./message-auth";
import { encodeNetstring } from "./netstring-codec";
import { encodeClassicFrame } from "./classic-codec";
import {
  MAX_DATAGRAM_BYTES,
  classicAuthInput,
  decodeDatagram,
  encodeDatagram,
  unsendableReason,
  type DecodeRejectReason,
  type DecodeResult,
} from "./wire-codec";

function keys(activeIndex: number, entries: Record<number, AuthKey>): AuthKeys {
  return { activeIndex, keys: new Map(Object.entries(entries).map(([i, k]) => [Number(i), k])) };
}

const SECRET = keys(1, { 1: { method: "sha1", key: "secret" } });

const UUID = Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);

/** The status message of spec §4.3 (without auth). */
const EXAMPLE: HaMessage = [
  str("t", "status"),
  str("st", "active"),
  str("dt", "7530"),
  str("protocol", "1"),
  str("src", "node1"),
  bin("srcuuid", UUID),
  str("seq", "1a"),
  str("hg", "4"),
  str("ts", "5f5e0ff0"),
  str("ld", "0.00 0.01 0.05 1/100 1234"),
  str("ttl", "3"),
];

/**
 * The §4.3 wire bytes, transcribed from the spec listing. The spec's prose says
 * "271 bytes total", but its listing is 303 bytes, and the Layer-B HMAC the spec
 * gives (f79b97…) is over exactly this body — the 271 is a miscount in the spec.
 */
const EXAMPLE_WIRE = Buffer.concat([
  Buffer.from("###\n11:(0)t=status,12:(0)st=active,10:(0)dt=7530,13:(0)protocol=1,12:(0)src=node1,27:(1)srcuuid=", "latin1"),
  UUID,
  Buffer.from(
    ",9:(0)seq=1a,7:(0)hg=4,14:(0)ts=5f5e0ff0,31:(0)ld=0.00 0.01 0.05 1/100 1234,8:(0)ttl=3," +
      "50:(0)auth=1 377776d5fd09302fd6db1021aca92f0fb7a15b1a,%%%\n" +
      "42:1 f79b9789d5fab28d9db902073916d4862a688163,",
    "latin1",
  ),
]);

function expectOk(result: DecodeResult): Extract<DecodeResult, { ok: true }> {
  assert.ok(result.ok, result.ok ? "" : `${result.reason}: ${result.detail}`);
  return result;
}

function expectReject(result: DecodeResult, reason: DecodeRejectReason): void {
  assert.ok(!result.ok, "expected a rejection");
  assert.equal(result.reason, reason, result.detail);
}

test("spec §4.3: encodeDatagram reproduces the wire bytes exactly", () => {
  const wire = encodeDatagram(EXAMPLE, SECRET);
  assert.equal(wire.length, 303);
  assert.deepEqual(wire, EXAMPLE_WIRE);
  const bodyEnd = wire.indexOf("%%%\n") + 4;
  assert.equal(computeDigest("sha1", "secret", wire.subarray(0, bodyEnd)), "f79b9789d5fab28d9db902073916d4862a688163");
});

test("spec §4.3: the wire bytes decode to the message, without the auth field", () => {
  const r = expectOk(decodeDatagram(EXAMPLE_WIRE, SECRET));
  assert.equal(r.encoding, "netstring");
  assert.equal(r.authIndex, 1);
  assert.deepEqual(r.message, [...EXAMPLE]);
  assert.equal(getField(r.message, "auth"), undefined);
});

test("classic encoding: exact text, inner auth = Layer A vector, trailing NUL", () => {
  const wire = encodeDatagram(EXAMPLE, SECRET, { encoding: "classic" });
  const expected =
    ">>>\nt=status\nst=active\ndt=7530\nprotocol=1\nsrc=node1\n(1)srcuuid=AQIDBAUGBwgJCgsMDQ4PEA==\n" +
    "seq=1a\nhg=4\nts=5f5e0ff0\nld=0.00 0.01 0.05 1/100 1234\nttl=3\n" +
    "auth=1 377776d5fd09302fd6db1021aca92f0fb7a15b1a\n<<<\n\0";
  assert.equal(wire.toString("latin1"), expected);
  // msgfmt has no say over classic: classic always carries its only authentication.
  assert.deepEqual(encodeDatagram(EXAMPLE, SECRET, { encoding: "classic", msgfmt: "netstring" }), wire);
  for (const bytes of [wire, wire.subarray(0, wire.length - 1)]) {
    const r = expectOk(decodeDatagram(bytes, SECRET));
    assert.equal(r.encoding, "classic");
    assert.equal(r.authIndex, 1);
    assert.deepEqual(r.message, [...EXAMPLE]);
  }
});

test("md5 and crc Layer A vectors appear as the inner auth field", () => {
  const md5 = encodeDatagram(EXAMPLE, keys(1, { 1: { method: "md5", key: "secret" } }), { encoding: "classic" });
  assert.ok(md5.includes("auth=1 9c9c133a76268a62b306ea9952d35238\n"));
  const crc = encodeDatagram(EXAMPLE, keys(3, { 3: { method: "crc" } }), { encoding: "classic" });
  assert.ok(crc.includes("auth=3 67193861\n"));
  const crcNs = encodeDatagram(EXAMPLE, keys(3, { 3: { method: "crc" } }));
  assert.ok(crcNs.includes("(0)auth=3 67193861,"));
});

test("msgfmt netstring: no inner auth field, trailer only", () => {
  const wire = encodeDatagram(EXAMPLE, SECRET, { msgfmt: "netstring" });
  assert.ok(!wire.includes("auth="));
  const r = expectOk(decodeDatagram(wire, SECRET));
  assert.deepEqual(r.message, [...EXAMPLE]);
});

test("round trips: binary with separator bytes, strings with newlines and UTF-8, every method, both encodings, NUL or not", () => {
  const messages: HaMessage[] = [
    EXAMPLE,
    [
      str("t", "resource"),
      str("src", "alpha"),
      bin("srcuuid", Buffer.from("\n\t,:=%%%\n<<<\n###\n\0\x13\xff", "latin1")),
      bin("destuuid", Buffer.alloc(0)),
      str("seq", "ffffffff"),
      str("ts", "1"),
      str("info", "line one\nline two\n"),
      str("note", "grüße, 日本 = : ,"),
      str("rsc_hold", "all"),
    ],
    [str("t", "NS_ackmsg"), str("src", "b"), str("ts", "a"), str("dest", "alpha"), str("ackseq", "1f")],
  ];
  const configs = [
    SECRET,
    keys(2, { 2: { method: "md5", key: "k2" } }),
    keys(15, { 15: { method: "crc" } }),
    keys(0, { 0: { method: "sha1", key: "x".repeat(100) } }),
  ];
  for (const msg of messages) {
    for (const authKeys of configs) {
      for (const options of [{}, { msgfmt: "netstring" as const }, { encoding: "classic" as const }]) {
        const wire = encodeDatagram(msg, authKeys, options);
        const withNul = wire[wire.length - 1] === 0 ? wire : Buffer.concat([wire, Buffer.from([0])]);
        const withoutNul = wire[wire.length - 1] === 0 ? wire.subarray(0, wire.length - 1) : wire;
        for (const bytes of [withNul, withoutNul]) {
          const r = expectOk(decodeDatagram(bytes, authKeys));
          assert.deepEqual(r.message, [...msg]);
          assert.equal(r.encoding, options.encoding ?? "netstring");
          assert.equal(r.authIndex, authKeys.activeIndex);
        }
      }
    }
  }
});

test("a Uint8Array that is not a Buffer decodes too", () => {
  const wire = encodeDatagram(EXAMPLE, SECRET);
  const copy = new Uint8Array(wire.length + 8).subarray(4, 4 + wire.length);
  copy.set(wire);
  expectOk(decodeDatagram(copy as Buffer, SECRET));
});

test("classic Layer A is verified over received lines in received order, auth line anywhere, blank lines skipped", () => {
  const fields: HaMessage = [str("src", "n1"), str("t", "status"), str("ts", "5"), str("seq", "2"), str("info", "a\nb")];
  const digest = computeDigest("sha1", "secret", classicAuthInput(fields));
  const text = ">>>\n\nsrc=n1\nt=status\nauth=1 " + digest + "\nts=5\n\nseq=2\ninfo=a\x13b\n\n<<<\n\0";
  const r = expectOk(decodeDatagram(Buffer.from(text, "latin1"), SECRET));
  assert.deepEqual(r.message, [...fields]);
  // Same lines in another order: a different Layer A input, so a bad signature.
  const swapped = text.replace("src=n1\nt=status\n", "t=status\nsrc=n1\n");
  expectReject(decodeDatagram(Buffer.from(swapped, "latin1"), SECRET), "bad-signature");
});

test("netstring receivers check only the trailer, not the inner auth field (as Heartbeat does)", () => {
  const entry = SECRET.keys.get(1) as AuthKey;
  const wire = encodeNetstring(EXAMPLE, "1 deadbeef", (body) => formatAuth(1, computeDigest(entry.method, entry.key, body)));
  expectOk(decodeDatagram(wire, SECRET));
});

test("Layer B key quirk: method of entry <n>, key of our active entry, is accepted", () => {
  const sender = keys(1, { 1: { method: "md5", key: "shared" } });
  const receiver = keys(2, { 1: { method: "md5", key: "old" }, 2: { method: "sha1", key: "shared" } });
  const r = expectOk(decodeDatagram(encodeDatagram(EXAMPLE, sender), receiver));
  assert.equal(r.authIndex, 1);
  // Layer A has no such quirk: the classic path uses method and key of entry <n> only.
  expectReject(decodeDatagram(encodeDatagram(EXAMPLE, sender, { encoding: "classic" }), receiver), "bad-signature");
});

test("Layer B straightforward check: method and key of entry <n> is accepted (key rotation)", () => {
  // Heartbeat itself would reject this one (it uses the key of its own `auth 2`).
  const sender = keys(1, { 1: { method: "sha1", key: "k1" }, 2: { method: "sha1", key: "k2" } });
  const receiver = keys(2, { 1: { method: "sha1", key: "k1" }, 2: { method: "sha1", key: "k2" } });
  const r = expectOk(decodeDatagram(encodeDatagram(EXAMPLE, sender), receiver));
  assert.equal(r.authIndex, 1);
  expectOk(decodeDatagram(encodeDatagram(EXAMPLE, sender, { encoding: "classic" }), receiver));
});

test("Layer B: neither variant matching is a bad signature", () => {
  const sender = keys(1, { 1: { method: "sha1", key: "shared" } });
  const receiver = keys(2, { 1: { method: "sha1", key: "old" }, 2: { method: "sha1", key: "other" } });
  expectReject(decodeDatagram(encodeDatagram(EXAMPLE, sender), receiver), "bad-signature");
  const wrongMethod = keys(1, { 1: { method: "md5", key: "secret" } });
  expectReject(decodeDatagram(encodeDatagram(EXAMPLE, SECRET), wrongMethod), "bad-signature");
});

test("reject: wrong key, both encodings", () => {
  const other = keys(1, { 1: { method: "sha1", key: "Secret" } });
  expectReject(decodeDatagram(encodeDatagram(EXAMPLE, SECRET), other), "bad-signature");
  expectReject(decodeDatagram(encodeDatagram(EXAMPLE, SECRET, { encoding: "classic" }), other), "bad-signature");
});

test("reject: unknown key index, both encodings", () => {
  const sender = keys(7, { 7: { method: "sha1", key: "secret" } });
  expectReject(decodeDatagram(encodeDatagram(EXAMPLE, sender), SECRET), "unknown-key-index");
  expectReject(decodeDatagram(encodeDatagram(EXAMPLE, sender, { encoding: "classic" }), SECRET), "unknown-key-index");
});

test("reject: unsigned classic (no auth line) and unsigned netstring (no trailer)", () => {
  const classic = encodeClassicFrame(classicAuthInput(EXAMPLE), "1 0").toString("latin1").replace("auth=1 0\n", "");
  expectReject(decodeDatagram(Buffer.from(classic, "latin1"), SECRET), "unsigned");
  const wire = encodeDatagram(EXAMPLE, SECRET);
  const body = wire.subarray(0, wire.indexOf("%%%\n") + 4);
  expectReject(decodeDatagram(body, SECRET), "unsigned");
  expectReject(decodeDatagram(Buffer.concat([body, Buffer.from([0])]), SECRET), "unsigned");
});

test("reject: malformed auth strings", () => {
  const wire = encodeDatagram(EXAMPLE, SECRET).toString("latin1");
  for (const trailer of ["43:01 f79b9789d5fab28d9db902073916d4862a688163,", "42:1 F79B9789D5FAB28D9DB902073916D4862A688163,", "1:1,"]) {
    const bytes = Buffer.from(wire.replace(/42:1 [0-9a-f]+,$/, trailer), "latin1");
    expectReject(decodeDatagram(bytes, SECRET), "malformed");
  }
  const classic = encodeDatagram(EXAMPLE, SECRET, { encoding: "classic" }).toString("latin1");
  expectReject(decodeDatagram(Buffer.from(classic.replace("auth=1 ", "auth=01 "), "latin1"), SECRET), "malformed");
});

test("reject: tampering with any single byte, both encodings", () => {
  for (const options of [{}, { encoding: "classic" as const }, { msgfmt: "netstring" as const }]) {
    const wire = encodeDatagram(EXAMPLE, SECRET, options);
    for (let i = 0; i < wire.length; i++) {
      for (const mask of [0x01, 0x20, 0x80, 0xff]) {
        const bad = Buffer.from(wire);
        bad[i] ^= mask;
        const r = decodeDatagram(bad, SECRET);
        assert.ok(!r.ok, `byte ${i} ^ ${mask} accepted (${JSON.stringify(options)})`);
      }
    }
  }
});

test("reject: too large (over 256 KiB) before anything else", () => {
  const huge = Buffer.alloc(MAX_DATAGRAM_BYTES + 1, 0x41);
  Buffer.from("###\n").copy(huge);
  expectReject(decodeDatagram(huge, SECRET), "too-large");
  expectReject(decodeDatagram(Buffer.alloc(MAX_DATAGRAM_BYTES, 0x41), SECRET), "malformed");
});

test("reject: malformed framing and junk; decoding never throws, whatever it is given", () => {
  for (const bytes of [Buffer.alloc(0), Buffer.from("##"), Buffer.from("hello world"), Buffer.from("\0\0\0\0")]) {
    expectReject(decodeDatagram(bytes, SECRET), "malformed");
  }
  const wire = encodeDatagram(EXAMPLE, SECRET);
  expectReject(decodeDatagram(Buffer.concat([wire, Buffer.from([0, 0])]), SECRET), "malformed");
  for (const junk of [null, undefined, "###\n", 42, {}, [1, 2], new ArrayBuffer(8), Symbol("x")]) {
    expectReject(decodeDatagram(junk as unknown as Buffer, SECRET), "malformed");
  }
  // Even broken authkeys objects only yield a rejection (the top-level guard).
  const r = decodeDatagram(wire, null as unknown as AuthKeys);
  assert.ok(!r.ok);
});

test("reject: missing or invalid required fields (after authentication)", () => {
  const base: HaField[] = [str("t", "status"), str("src", "n1"), str("seq", "1"), str("ts", "5f5e0ff0")];
  const without = (name: string) => base.filter((f) => f.name !== name);
  const replace = (field: HaField) => base.map((f) => (f.name === field.name ? field : f));
  const cases: [string, HaMessage][] = [
    ["no t", without("t")],
    ["no src", without("src")],
    ["no ts", without("ts")],
    ["no seq", without("seq")],
    ["zero ts", replace(str("ts", "0"))],
    ["zero ts, several digits", replace(str("ts", "0000"))],
    ["non-hex ts", replace(str("ts", "5g"))],
    ["negative ts", replace(str("ts", "-5"))],
    ["too long ts", replace(str("ts", "1".repeat(17)))],
    ["non-hex seq", replace(str("seq", "x1"))],
    ["seq with spaces", replace(str("seq", " 1"))],
    ["binary t", replace(bin("t", Buffer.from("status")))],
    ["binary src", replace(bin("src", Buffer.from("n1")))],
  ];
  for (const [label, msg] of cases) {
    for (const encoding of ["netstring", "classic"] as const) {
      const r = decodeDatagram(encodeDatagram(msg, SECRET, { encoding }), SECRET);
      assert.ok(!r.ok && r.reason === "missing-field", `${label} (${encoding}): ${JSON.stringify(r)}`);
    }
  }
  // Empty strings cannot be produced by encodeDatagram; a hand-signed netstring can still carry them.
  const signed = (body: string) => {
    const digest = computeDigest("sha1", "secret", Buffer.from(body, "latin1"));
    return Buffer.from(`${body}42:1 ${digest},`, "latin1");
  };
  expectOk(decodeDatagram(signed("###\n11:(0)t=status,9:(0)src=n1,8:(0)seq=1,14:(0)ts=5f5e0ff0,%%%\n"), SECRET));
  expectReject(decodeDatagram(signed("###\n11:(0)t=status,7:(0)src=,8:(0)seq=1,14:(0)ts=5f5e0ff0,%%%\n"), SECRET), "missing-field");
  expectReject(decodeDatagram(signed("###\n5:(0)t=,9:(0)src=n1,8:(0)seq=1,14:(0)ts=5f5e0ff0,%%%\n"), SECRET), "missing-field");
});

test("accept: NS_ types need no seq; uppercase hex is hex", () => {
  expectOk(decodeDatagram(encodeDatagram([str("t", "NS_rexmit"), str("src", "a"), str("ts", "1")], SECRET), SECRET));
  expectOk(decodeDatagram(encodeDatagram([str("t", "status"), str("src", "a"), str("ts", "5F5E0FF0"), str("seq", "1A")], SECRET), SECRET));
});

test("unsendableReason names what encodeDatagram would refuse", () => {
  assert.equal(unsendableReason(EXAMPLE), undefined);
  assert.match(unsendableReason([...EXAMPLE, str("auth", "1 x")]) ?? "", /auth/);
  assert.match(unsendableReason([...EXAMPLE, str("src", "again")]) ?? "", /duplicate/);
  assert.match(unsendableReason([...EXAMPLE, str("info", "")]) ?? "", /empty/);
});

test("encodeDatagram refuses caller bugs", () => {
  assert.throws(() => encodeDatagram([...EXAMPLE, str("auth", "1 x")], SECRET), TypeError);
  assert.throws(() => encodeDatagram([...EXAMPLE, str("t", "again")], SECRET), TypeError);
  assert.throws(() => encodeDatagram(EXAMPLE, keys(2, { 1: { method: "sha1", key: "k" } })), RangeError);
  assert.throws(() => encodeDatagram(EXAMPLE, keys(1, { 1: { method: "sha1" } })), TypeError);
  assert.throws(() => encodeDatagram([str("t", "")], SECRET), TypeError);
  assert.throws(() => encodeDatagram(EXAMPLE, SECRET, { encoding: "xml" as never }), TypeError);
  assert.throws(() => encodeDatagram([...EXAMPLE, bin("big", Buffer.alloc(MAX_DATAGRAM_BYTES))], SECRET), RangeError);
});
