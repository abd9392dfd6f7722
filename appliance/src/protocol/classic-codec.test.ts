// Tests for classic-codec.ts: the Layer-A NOHEAD text, classic framing, and the strict classic parser.

import { test } from "node:test";
import assert from "node:assert/strict";
import { classicAuthInput, encodeClassicFrame, parseClassic, unencodableReason } from "./classic-codec";
import { bin, str, type HaField, type HaMessage } from "./ha-message";

const UUID = Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);

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

const EXAMPLE_TEXT =
  "t=status\nst=active\ndt=7530\nprotocol=1\nsrc=node1\n(1)srcuuid=AQIDBAUGBwgJCgsMDQ4PEA==\n" +
  "seq=1a\nhg=4\nts=5f5e0ff0\nld=0.00 0.01 0.05 1/100 1234\nttl=3\n";

function classic(text: string): Buffer {
  return Buffer.from(text, "latin1");
}

function parsedOk(bytes: Buffer): { fields: HaField[]; auth: string | undefined; signed: Buffer } {
  const r = parseClassic(bytes);
  assert.ok(r.ok, r.ok ? "" : r.detail);
  return { fields: r.fields, auth: r.auth, signed: Buffer.concat(r.signed) };
}

function parsedError(bytes: Buffer): string {
  const r = parseClassic(bytes);
  assert.ok(!r.ok, `expected a parse error for ${JSON.stringify(bytes.toString("latin1"))}`);
  return r.detail;
}

test("classicAuthInput of the §4.3 message is the NOHEAD text", () => {
  assert.equal(classicAuthInput(EXAMPLE).toString("latin1"), EXAMPLE_TEXT);
});

test("classicAuthInput skips auth wherever it is, maps \\n to 0x13 and base64s binary", () => {
  const msg: HaMessage = [
    str("a", "x"),
    str("auth", "1 abc"),
    str("info", "two\nlines\n"),
    bin("raw", Buffer.from([0x0a, 0x3d, 0x2c, 0xff])),
    bin("empty", Buffer.alloc(0)),
    str("u", "żółw"),
  ];
  const expected = Buffer.concat([classic("a=x\ninfo=two\x13lines\x13\n(1)raw=Cj0s/w==\n(1)empty=\n"), Buffer.from("u=żółw\n", "utf8")]);
  assert.deepEqual(classicAuthInput(msg), expected);
});

test("classicAuthInput rejects what classic form cannot carry", () => {
  const bad: HaField[] = [
    str("", "x"),
    str("a=b", "x"),
    str("a b", "x"),
    str("(1)x", "x"),
    str("a\n", "x"),
    str("a", ""),
    str("a", "nul\0"),
    str("a", "x\x13"),
    { name: "a", type: 0, value: Buffer.from("x") },
    { name: "a", type: 1, value: "x" },
    { name: "a", type: 2 as never, value: "x" },
  ];
  for (const field of bad) {
    assert.notEqual(unencodableReason(field), undefined, JSON.stringify(field));
    assert.throws(() => classicAuthInput([field]), TypeError);
  }
});

test("encodeClassicFrame wraps the input with the auth line, <<< and one NUL", () => {
  const frame = encodeClassicFrame(classicAuthInput(EXAMPLE), "1 abc");
  assert.equal(frame.toString("latin1"), `>>>\n${EXAMPLE_TEXT}auth=1 abc\n<<<\n\0`);
  assert.throws(() => encodeClassicFrame(Buffer.alloc(0), "1 abc\n"), TypeError);
});

test("parse: round trip of fields, auth and signed bytes; NUL optional", () => {
  const input = classicAuthInput(EXAMPLE);
  const frame = encodeClassicFrame(input, "1 abc");
  for (const bytes of [frame, frame.subarray(0, frame.length - 1)]) {
    const p = parsedOk(bytes);
    assert.deepEqual(p.fields, [...EXAMPLE]);
    assert.equal(p.auth, "1 abc");
    assert.deepEqual(p.signed, input);
  }
});

test("parse: 0x13 comes back as \\n; UTF-8 decoded; auth line in the middle is left out of the signed bytes", () => {
  const bytes = Buffer.concat([classic(">>>\na=1\x132\nauth=1 ff\nb=x\n"), Buffer.from("c=ä\n<<<\n\0", "utf8")]);
  const p = parsedOk(bytes);
  assert.deepEqual(p.fields, [str("a", "1\n2"), str("b", "x"), str("c", "ä")]);
  assert.deepEqual(p.signed, classicAuthInput(p.fields));
});

test("parse: blank lines are skipped and not signed", () => {
  const p = parsedOk(classic(">>>\n\na=1\n\n\nb=2\n\n<<<\n"));
  assert.deepEqual(p.fields, [str("a", "1"), str("b", "2")]);
  assert.equal(p.auth, undefined);
  assert.equal(p.signed.toString("latin1"), "a=1\nb=2\n");
});

test("parse: empty message and empty value are structurally fine", () => {
  assert.deepEqual(parsedOk(classic(">>>\n<<<\n")).fields, []);
  assert.deepEqual(parsedOk(classic(">>>\na=\n<<<\n")).fields, [str("a", "")]);
});

test("parse: signed bytes stay exact for bytes that are not UTF-8", () => {
  const bytes = classic(">>>\na=\xff\xfe\nauth=1 0\n<<<\n\0");
  const p = parsedOk(bytes);
  assert.equal(p.signed.toString("latin1"), "a=\xff\xfe\n");
});

test("parse rejections", () => {
  const cases: [string, RegExp][] = [
    [">>>\nnoequals\n<<<\n", /without "="/],
    [">>>\n(0)a=x\n<<<\n", /\(0\)/],
    [">>>\n(2)a=x\n<<<\n", /unsupported/],
    [">>>\n(1a=x\n<<<\n", /prefix/],
    [">>>\n(1)a=not base64!\n<<<\n", /base64/],
    [">>>\n(1)a=AQI\n<<<\n", /base64/],
    [">>>\n(1)a=AQJ=\n<<<\n", /base64/],
    [">>>\n(1)auth=AQI=\n<<<\n", /binary auth/],
    [">>>\n=x\n<<<\n", /empty field name/],
    [">>>\na b=x\n<<<\n", /field name/],
    [">>>\na=1\na=2\n<<<\n", /duplicate/],
    [">>>\nauth=1 a\nauth=1 a\n<<<\n", /duplicate/],
    [">>>\na=1\n", /<<</],
    [">>>\na=1\n<<<", /<<</],
    [">>>\na=1\n<<<\n\0\0", /NUL|after/],
    [">>>\na=1\n<<<\nx", /after/],
    [">>>\na=1\n<<<\n<<<\n", /after/],
    [">>>\na=x\0y\n<<<\n\0", /NUL/],
    [">>>\r\na=1\n<<<\n", /start/],
    ["###\na=1\n<<<\n", /start/],
    [">>>", /start/],
    ["", /start/],
  ];
  for (const [text, pattern] of cases) {
    assert.match(parsedError(classic(text)), pattern, JSON.stringify(text));
  }
});
