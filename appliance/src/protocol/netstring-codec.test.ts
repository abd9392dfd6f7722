// Tests for netstring-codec.ts: exact glue-style framing and the strict netstring parser.

import { test } from "node:test";
import assert from "node:assert/strict";
import { encodeNetstring, parseNetstring } from "./netstring-codec";
import { bin, str, type HaMessage } from "./ha-message";

function ns(text: string): Buffer {
  return Buffer.from(text, "latin1");
}

function parsedError(bytes: Buffer): string {
  const r = parseNetstring(bytes);
  assert.ok(!r.ok, `expected a parse error for ${JSON.stringify(bytes.toString("latin1"))}`);
  return r.detail;
}

test("encode: fields always typed, binary raw, inner auth last, trailer over ###…%%%", () => {
  const msg: HaMessage = [str("t", "status"), bin("u", Buffer.from([0x0a, 0x2c, 0x3a, 0x3d])), str("s", "a\nb")];
  let signedBody = "";
  const out = encodeNetstring(msg, "1 abc", (body) => {
    signedBody = body.toString("latin1");
    return "1 def";
  });
  const body = "###\n11:(0)t=status,9:(1)u=\n,:=,8:(0)s=a\nb,13:(0)auth=1 abc,%%%\n";
  assert.equal(signedBody, body);
  assert.equal(out.toString("latin1"), `${body}5:1 def,`);
});

test("encode without inner auth (msgfmt netstring) and with an empty message", () => {
  assert.equal(encodeNetstring([str("a", "b")], undefined, () => "0 0").toString("latin1"), "###\n6:(0)a=b,%%%\n3:0 0,");
  assert.equal(encodeNetstring([], undefined, () => "1 f").toString("latin1"), "###\n%%%\n3:1 f,");
});

test("encode rejects unencodable fields and bad auth text", () => {
  assert.throws(() => encodeNetstring([str("a", "")], undefined, () => "1 f"), TypeError);
  assert.throws(() => encodeNetstring([str("a=", "x")], undefined, () => "1 f"), TypeError);
  assert.throws(() => encodeNetstring([str("a", "x")], "1\n", () => "1 f"), TypeError);
  assert.throws(() => encodeNetstring([str("a", "x")], undefined, () => "1 f\n"), TypeError);
  assert.throws(() => encodeNetstring([str("a", "x")], undefined, () => `1 ${"f".repeat(200)}`), RangeError);
});

test("parse: round trip, body view, trailer, optional NUL", () => {
  const msg: HaMessage = [str("t", "x"), bin("u", Buffer.from("%%%\n,9:(0)", "latin1")), str("s", "ü\nz")];
  const out = encodeNetstring(msg, "2 aa", () => "2 bb");
  for (const bytes of [out, Buffer.concat([out, Buffer.from([0])])]) {
    const r = parseNetstring(bytes);
    assert.ok(r.ok, r.ok ? "" : r.detail);
    assert.deepEqual(r.fields, [...msg]);
    assert.equal(r.innerAuth, "2 aa");
    assert.equal(r.trailer, "2 bb");
    assert.equal(r.body.toString("latin1"), out.toString("latin1").slice(0, out.length - "5:2 bb,".length));
  }
});

test("parse: binary values are copies, not views of the datagram", () => {
  const out = encodeNetstring([bin("u", Buffer.from([1, 2, 3]))], undefined, () => "1 f");
  const r = parseNetstring(out);
  assert.ok(r.ok);
  const value = r.fields[0].value as Buffer;
  out.fill(0);
  assert.deepEqual([...value], [1, 2, 3]);
});

test("parse: no trailer means trailer undefined (with or without NUL)", () => {
  for (const text of ["###\n6:(0)a=b,%%%\n", "###\n6:(0)a=b,%%%\n\0", "###\n%%%\n"]) {
    const r = parseNetstring(ns(text));
    assert.ok(r.ok, text);
    assert.equal(r.trailer, undefined);
  }
});

test("parse: empty string value is structurally fine", () => {
  const r = parseNetstring(ns("###\n5:(0)a=,%%%\n"));
  assert.ok(r.ok);
  assert.deepEqual(r.fields, [str("a", "")]);
});

test("parse rejections: strict netstrings", () => {
  const cases: [string, RegExp][] = [
    ["###\n06:(0)a=b,%%%\n", /leading zero/],
    ["###\n7:(0)a=b,%%%\n", /","/],
    ["###\n5:(0)a=b,%%%\n", /","/],
    ["###\n6(0)a=b,%%%\n", /":"/],
    ["###\n6:(0)a=b;%%%\n", /","/],
    ["###\n-6:(0)a=b,%%%\n", /decimal length/],
    ["###\n 6:(0)a=b,%%%\n", /decimal length/],
    ["###\na:(0)a=b,%%%\n", /decimal length/],
    ["###\n1234567:(0)a=b,%%%\n", /too long/],
    ["###\n999999:(0)a=b,%%%\n", /past the end/],
    ["###\n6:(0)a=b,", /missing %%%/],
    ["###\n6:(0)a=b,%%%", /decimal length/],
    ["###\n6:(0)a=b,%%%\r\n", /decimal length/],
    ["###\n", /missing %%%/],
    ["##\n", /start/],
    ["", /start/],
  ];
  for (const [text, pattern] of cases) assert.match(parsedError(ns(text)), pattern, JSON.stringify(text));
});

test("parse rejections: field contents", () => {
  const cases: [string, RegExp][] = [
    ["###\n5:a=bcd,%%%\n", /\(T\)name=value/],
    ["###\n4:(0)a,%%%\n", /\(T\)name=value/],
    ["###\n6:(2)a=b,%%%\n", /unsupported type/],
    ["###\n6:(9)a=b,%%%\n", /unsupported type/],
    ["###\n6:(x)a=b,%%%\n", /unsupported type/],
    ["###\n6:[0]a=b,%%%\n", /\(T\)name=value/],
    ["###\n6:(0)=ab,%%%\n", /empty field name/],
    ["###\n6:(0)abc,%%%\n", /no "="/],
    ["###\n7:(0) a=b,%%%\n", /field name/],
    ["###\n6:(0)a=\0,%%%\n", /NUL/],
    ["###\n6:(0)a=b,6:(0)a=c,%%%\n", /duplicate/],
    ["###\n11:(1)auth=1 0,%%%\n", /binary auth/],
  ];
  for (const [text, pattern] of cases) assert.match(parsedError(ns(text)), pattern, JSON.stringify(text));
});

test("parse rejections: trailer", () => {
  const cases: [string, RegExp][] = [
    ["###\n%%%\n3:1 f", /trailer/],
    ["###\n%%%\n4:1 f,", /trailer/],
    ["###\n%%%\n03:1 f,", /trailer.*leading zero/],
    ["###\n%%%\n3:1 f,x", /after the trailer/],
    ["###\n%%%\n3:1 f,\0\0", /after the trailer/],
    ["###\n%%%\n3:1 f,3:1 f,", /after the trailer/],
    ["###\n%%%\n\0\0", /trailer/],
    ["###\n%%%\nx", /trailer/],
  ];
  for (const [text, pattern] of cases) assert.match(parsedError(ns(text)), pattern, JSON.stringify(text));
});
