// Property/fuzz test for decodeDatagram: 100k+ mutated and random datagrams; nothing throws, nothing forged is accepted.
//
// Reproduce a failure with TWINBEAT_FUZZ_SEED=<seed printed in the failure>; TWINBEAT_FUZZ_ROUNDS scales the run.

import { test } from "node:test";
import assert from "node:assert/strict";
import { randomInt } from "node:crypto";
import type { AuthKeys } from "../config/cluster-config";
import { bin, str, type HaField, type HaMessage } from "./ha-message";
import { decodeDatagramUnguarded, encodeDatagram, type DecodeResult, type EncodeOptions } from "./wire-codec";

const SEED = process.env.TWINBEAT_FUZZ_SEED !== undefined ? Number(process.env.TWINBEAT_FUZZ_SEED) >>> 0 : randomInt(2 ** 32);
const MUTATION_ROUNDS = Number(process.env.TWINBEAT_FUZZ_ROUNDS ?? 100_000);
const RANDOM_ROUNDS = Math.ceil(MUTATION_ROUNDS / 4);

/** mulberry32: a small, fast, seedable 32-bit PRNG. Returns floats in [0, 1). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Rng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  bytes(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }
  /** Bytes biased towards the ones that matter to the parsers. */
  nastyBytes(n: number): Buffer {
    const special = [0x00, 0x0a, 0x13, 0x2c, 0x3a, 0x3d, 0x25, 0x23, 0x3c, 0x3e, 0x28, 0x29, 0x30, 0x31, 0x39, 0xff];
    const out = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) out[i] = this.chance(0.5) ? this.pick(special) : this.int(256);
    return out;
  }
  hex(maxDigits: number): string {
    let s = (1 + this.int(0xfffffff)).toString(16);
    if (s.length > maxDigits) s = s.slice(0, maxDigits);
    return s;
  }
}

function keys(activeIndex: number, entries: [number, "crc" | "md5" | "sha1", string?][]): AuthKeys {
  return { activeIndex, keys: new Map(entries.map(([i, method, key]) => [i, key === undefined ? { method } : { method, key }])) };
}

/** Key sets; every index has a distinct method/key, so changing an index never keeps a packet valid. */
const CONFIGS: { name: string; keys: AuthKeys; keyed: boolean }[] = [
  { name: "sha1", keys: keys(1, [[1, "sha1", "secret"]]), keyed: true },
  {
    name: "md5+sha1",
    keys: keys(2, [
      [1, "sha1", "old-key"],
      [2, "md5", "new key ä"],
      [7, "sha1", "x".repeat(90)],
    ]),
    keyed: true,
  },
  {
    name: "crc",
    keys: keys(3, [
      [3, "crc"],
      [4, "md5", "k4"],
    ]),
    keyed: false,
  },
];

const TYPES = ["status", "NS_ackmsg", "NS_rexmit", "resource", "ask_resources", "hbapi-clstat", "ip-request", "starting", "repnodes"];
const NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.:,#%<>()[]{}!?/\\'\"";
const VALUE_PIECES = ["a", "Z", "0", "9", " ", "\n", ",", ":", "=", "%%%\n", "###\n", "<<<", ">>>", "(1)", "\t", "\r", "ä", "日本", "\x01", "\x7f", "auth=1 0"];

function randomName(rng: Rng): string {
  let name = "";
  const len = 1 + rng.int(10);
  while (name.length < len) name += NAME_CHARS[rng.int(NAME_CHARS.length)];
  return name;
}

function randomString(rng: Rng): string {
  let s = "";
  const pieces = 1 + rng.int(6);
  for (let i = 0; i < pieces; i++) s += rng.pick(VALUE_PIECES);
  return s;
}

function randomMessage(rng: Rng): HaField[] {
  const t = rng.chance(0.9) ? rng.pick(TYPES) : `NS_${randomName(rng)}`;
  const fields: HaField[] = [str("t", t), str("src", `node${rng.int(100)}`)];
  if (rng.chance(0.8)) fields.push(bin("srcuuid", rng.nastyBytes(16)));
  if (!t.startsWith("NS_") || rng.chance(0.3)) fields.push(str("seq", rng.hex(8)));
  fields.push(str("hg", rng.hex(8)), str("ts", rng.hex(8)));
  if (rng.chance(0.5)) fields.push(str("ld", "0.00 0.01 0.05 1/100 1234"), str("ttl", String(rng.int(10))));
  const names = new Set(fields.map((f) => f.name));
  const extra = rng.int(6);
  for (let i = 0; i < extra; i++) {
    const name = randomName(rng);
    if (name === "auth" || name.startsWith("(") || names.has(name)) continue;
    names.add(name);
    fields.push(rng.chance(0.7) ? str(name, randomString(rng)) : bin(name, rng.nastyBytes(rng.int(40))));
  }
  if (rng.chance(0.3)) {
    for (let i = fields.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [fields[i], fields[j]] = [fields[j], fields[i]];
    }
  }
  return fields;
}

const OPTIONS: EncodeOptions[] = [{}, { msgfmt: "netstring" }, { encoding: "classic" }];

// ---------------------------------------------------------------------------
// Mutations. Each returns a new buffer; some only apply to one encoding.

type Mutation = (rng: Rng, wire: Buffer, other: Buffer) => Buffer;

function splice(wire: Buffer, start: number, deleteCount: number, insert: Buffer): Buffer {
  return Buffer.concat([wire.subarray(0, start), insert, wire.subarray(Math.min(wire.length, start + deleteCount))]);
}

/** [start, end) of every netstring length prefix (digits before ":") in a netstring datagram. */
function lengthFields(wire: Buffer): [number, number][] {
  const spans: [number, number][] = [];
  for (let i = 0; i < wire.length; i++) {
    if (wire[i] !== 0x3a) continue;
    let j = i;
    while (j > 0 && wire[j - 1] >= 0x30 && wire[j - 1] <= 0x39) j--;
    if (j < i && j > 0 && (wire[j - 1] === 0x0a || wire[j - 1] === 0x2c)) spans.push([j, i]);
  }
  return spans;
}

/** [start, end) of every complete "<len>:…," element, or of every line for classic. */
function elements(wire: Buffer): [number, number][] {
  const spans: [number, number][] = [];
  if (wire[0] === 0x3e) {
    let pos = 4;
    for (;;) {
      const nl = wire.indexOf(0x0a, pos);
      if (nl < 0) break;
      spans.push([pos, nl + 1]);
      pos = nl + 1;
    }
    return spans.slice(0, -1); // not the <<< line
  }
  for (const [start, colon] of lengthFields(wire)) {
    const len = Number(wire.toString("latin1", start, colon));
    if (colon + 1 + len < wire.length) spans.push([start, colon + 2 + len]);
  }
  return spans;
}

const MUTATIONS: Record<string, Mutation> = {
  bitFlip(rng, wire) {
    const out = Buffer.from(wire);
    if (out.length > 0) out[rng.int(out.length)] ^= 1 << rng.int(8);
    return out;
  },
  byteSet(rng, wire) {
    const out = Buffer.from(wire);
    if (out.length > 0) out[rng.int(out.length)] = rng.int(256);
    return out;
  },
  truncate(rng, wire) {
    return Buffer.from(wire.subarray(0, rng.int(wire.length)));
  },
  insertBytes(rng, wire) {
    return splice(wire, rng.int(wire.length + 1), 0, rng.nastyBytes(1 + rng.int(8)));
  },
  deleteRange(rng, wire) {
    return splice(wire, rng.int(wire.length), 1 + rng.int(16), Buffer.alloc(0));
  },
  overwriteRandom(rng, wire) {
    const at = rng.int(wire.length);
    const len = 1 + rng.int(12);
    return splice(wire, at, len, rng.bytes(len));
  },
  lengthEdit(rng, wire) {
    const spans = lengthFields(wire);
    if (spans.length === 0) return MUTATIONS.byteSet(rng, wire, wire);
    const [start, end] = rng.pick(spans);
    const len = Number(wire.toString("latin1", start, end));
    const replacement = rng.pick([
      String(len + 1),
      String(Math.max(0, len - 1)),
      String(len + 2 + rng.int(5)),
      String(rng.int(1000)),
      `0${len}`,
      "0",
      "",
      "99999999999",
      "4294967296",
      "18446744073709551617",
      "-1",
      "1e2",
      " 5",
      `${len} `,
      "a",
      "0x1f",
      String(len).replace(/\d$/, "x"),
    ]);
    return splice(wire, start, end - start, Buffer.from(replacement, "latin1"));
  },
  hugeLength(rng, wire) {
    const spans = lengthFields(wire);
    if (spans.length === 0) return MUTATIONS.insertBytes(rng, wire, wire);
    const [start, end] = rng.pick(spans);
    return splice(wire, start, end - start, Buffer.from(rng.pick(["262144", "999999", "1000000", "9".repeat(40)]), "latin1"));
  },
  duplicateElement(rng, wire) {
    const spans = elements(wire);
    if (spans.length === 0) return MUTATIONS.insertBytes(rng, wire, wire);
    const [start, end] = rng.pick(spans);
    return splice(wire, rng.chance(0.5) ? end : start, 0, Buffer.from(wire.subarray(start, end)));
  },
  removeElement(rng, wire) {
    const spans = elements(wire);
    if (spans.length === 0) return MUTATIONS.deleteRange(rng, wire, wire);
    const [start, end] = rng.pick(spans);
    return splice(wire, start, end - start, Buffer.alloc(0));
  },
  swapElements(rng, wire) {
    const spans = elements(wire);
    if (spans.length < 2) return MUTATIONS.bitFlip(rng, wire, wire);
    const i = rng.int(spans.length - 1);
    const [a0, a1] = spans[i];
    const [b0, b1] = spans[i + 1];
    if (a1 !== b0) return MUTATIONS.bitFlip(rng, wire, wire);
    return Buffer.concat([wire.subarray(0, a0), wire.subarray(b0, b1), wire.subarray(a0, a1), wire.subarray(b1)]);
  },
  spliceOther(rng, wire, other) {
    // Prefix of this packet + suffix of another (e.g. someone else's trailer or auth line).
    return Buffer.concat([wire.subarray(0, rng.int(wire.length + 1)), other.subarray(rng.int(other.length + 1))]);
  },
  swapTrailer(_rng, wire, other) {
    const cut = (b: Buffer) => (b[0] === 0x3e ? b.lastIndexOf("auth=") : b.lastIndexOf("%%%\n") + 4);
    const a = cut(wire);
    const b = cut(other);
    if (a < 0 || b < 0) return Buffer.from(wire);
    return Buffer.concat([wire.subarray(0, a), other.subarray(b)]);
  },
  changeIndex(rng, wire) {
    const text = wire.toString("latin1");
    const replaced = text.replace(/(auth=|\d+:)(\d+) ([0-9a-f]+)(\n<<<\n\0|,)$/, (_m, pre: string, _n: string, hex: string, post: string) => {
      const index = String(rng.pick([0, 1, 2, 3, 4, 7, 15, 16, 99]));
      return pre.startsWith("auth") ? `${pre}${index} ${hex}${post}` : `${index.length + 1 + hex.length}:${index} ${hex}${post}`;
    });
    return Buffer.from(replaced, "latin1");
  },
  digestCase(_rng, wire) {
    return Buffer.from(
      wire.toString("latin1").replace(/[a-f](?=[0-9a-f]*(\n<<<\n\0|,)$)/, (c) => c.toUpperCase()),
      "latin1",
    );
  },
  dropSignature(_rng, wire) {
    if (wire[0] === 0x3e) return Buffer.from(wire.toString("latin1").replace(/auth=[^\n]*\n/, ""), "latin1");
    return Buffer.from(wire.subarray(0, wire.lastIndexOf("%%%\n") + 4));
  },
  appendBytes(rng, wire) {
    return Buffer.concat([wire, rng.chance(0.5) ? Buffer.from([0]) : rng.nastyBytes(1 + rng.int(4))]);
  },
  typePrefix(rng, wire) {
    const text = wire.toString("latin1");
    const at = rng.pick(["(0)", "(1)"]);
    const i = text.indexOf(at, rng.int(text.length));
    if (i < 0) return MUTATIONS.bitFlip(rng, wire, wire);
    return splice(wire, i, 3, Buffer.from(rng.pick(["(0)", "(1)", "(2)", "(5)", "(a)", "", "((1)", "(1"]), "latin1"));
  },
  blankLine(rng, wire) {
    // Harmless for classic (blank lines are skipped); structural damage for netstring.
    const nls: number[] = [];
    for (let i = 0; i < wire.length; i++) if (wire[i] === 0x0a) nls.push(i);
    if (nls.length === 0) return Buffer.from(wire);
    return splice(wire, rng.pick(nls) + 1, 0, Buffer.from("\n"));
  },
};
const MUTATION_NAMES = Object.keys(MUTATIONS);

// ---------------------------------------------------------------------------
// The acceptance oracle.

/**
 * The packet with the differences a receiver is allowed to ignore removed: one
 * trailing NUL; for classic also blank lines and the position of the auth line
 * (Layer A signs the other lines in order, wherever the auth line sits).
 */
function canonical(wire: Buffer): string {
  let text = wire.toString("latin1");
  if (text.endsWith("\0")) text = text.slice(0, -1);
  if (!text.startsWith(">>>\n")) return text;
  const lines = text.split("\n").filter((line) => line.length > 0);
  const auth = lines.filter((line) => line.startsWith("auth="));
  return [...lines.filter((line) => !line.startsWith("auth=")), ...auth].join("\n");
}

function sameMessage(a: HaMessage, b: HaMessage): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x.name !== y.name || x.type !== y.type) return false;
    if (typeof x.value === "string" ? x.value !== y.value : !(Buffer.isBuffer(y.value) && x.value.equals(y.value))) return false;
  }
  return true;
}

const REASONS = new Set(["too-large", "malformed", "unsigned", "bad-signature", "unknown-key-index", "missing-field"]);

function decodeChecked(bytes: Buffer, authKeys: AuthKeys, where: () => string): DecodeResult {
  let result: DecodeResult;
  try {
    result = decodeDatagramUnguarded(bytes, authKeys);
  } catch (err) {
    assert.fail(`decoder threw ${String(err)}; ${where()}`);
  }
  if (result.ok) {
    assert.ok(Array.isArray(result.message) && typeof result.authIndex === "number", `bad ok result; ${where()}`);
  } else {
    assert.ok(REASONS.has(result.reason) && typeof result.detail === "string", `bad rejection ${JSON.stringify(result)}; ${where()}`);
  }
  return result;
}

function describe(seed: number, round: number, extra: string, bytes: Buffer): string {
  const hex = bytes.length > 2048 ? `${bytes.subarray(0, 2048).toString("hex")}…` : bytes.toString("hex");
  return `seed=${seed} (TWINBEAT_FUZZ_SEED=${seed}) round=${round} ${extra} bytes=${hex}`;
}

test(`fuzz: ${MUTATION_ROUNDS} mutated valid packets are never accepted unless equivalent; nothing throws`, (t) => {
  t.diagnostic(`seed ${SEED} (set TWINBEAT_FUZZ_SEED=${SEED} to replay)`);
  const rng = new Rng(SEED);
  let previous = encodeDatagram([str("t", "status"), str("src", "x"), str("seq", "1"), str("ts", "1")], CONFIGS[0].keys);
  let decodes = 0;
  let acceptedMutants = 0;
  const rejections = new Map<string, number>();

  for (let round = 0; round < MUTATION_ROUNDS; round++) {
    const config = CONFIGS[round % CONFIGS.length];
    const message = randomMessage(rng);
    const options = rng.pick(OPTIONS);
    const wire = encodeDatagram(message, config.keys, options);

    // Property 1: a freshly encoded packet decodes back to the same message.
    const clean = decodeChecked(wire, config.keys, () => describe(SEED, round, "clean", wire));
    decodes++;
    assert.ok(clean.ok && sameMessage(clean.message, message), `round trip failed: ${JSON.stringify(clean)}; ${describe(SEED, round, "clean", wire)}`);

    // Property 2: a mutated packet never throws and is accepted only if equivalent.
    const count = 1 + (rng.chance(0.7) ? 0 : rng.int(3));
    const applied: string[] = [];
    let mutated = wire;
    for (let k = 0; k < count; k++) {
      const name = rng.pick(MUTATION_NAMES);
      applied.push(name);
      mutated = MUTATIONS[name](rng, mutated, previous);
    }
    const where = () => describe(SEED, round, `config=${config.name} options=${JSON.stringify(options)} mutations=${applied.join(",")}`, mutated);
    const result = decodeChecked(mutated, config.keys, where);
    decodes++;
    if (result.ok) {
      acceptedMutants++;
      // An unkeyed crc is forgeable by design; it is only guaranteed to catch single-bit errors.
      const mustHold = config.keyed || (applied.length === 1 && applied[0] === "bitFlip");
      if (mustHold) {
        assert.ok(canonical(mutated) === canonical(wire) && sameMessage(result.message, message), `mutated packet accepted; ${where()}`);
      }
    } else {
      rejections.set(result.reason, (rejections.get(result.reason) ?? 0) + 1);
    }
    previous = wire;
  }
  t.diagnostic(`decodes ${decodes}; equivalent mutants accepted ${acceptedMutants}; rejections ${JSON.stringify(Object.fromEntries(rejections))}`);
  // The generator must actually reach every rejection path the mutations can produce.
  for (const reason of ["malformed", "unsigned", "bad-signature", "unknown-key-index"]) {
    assert.ok((rejections.get(reason) ?? 0) > 0, `no ${reason} rejections: the fuzzer is not reaching that path (seed ${SEED})`);
  }
});

test(`fuzz: ${RANDOM_ROUNDS * 4} random datagrams (raw, headed, structured) are never accepted; nothing throws`, (t) => {
  const seed = (SEED ^ 0x9e3779b9) >>> 0;
  t.diagnostic(`seed ${seed} (derived from TWINBEAT_FUZZ_SEED=${SEED})`);
  const rng = new Rng(seed);
  const keyed = CONFIGS.filter((c) => c.keyed);

  const structuredNetstring = (authKeys: AuthKeys): Buffer => {
    const parts: string[] = ["###\n"];
    const n = rng.int(8);
    for (let i = 0; i < n; i++) {
      const payload = `(${rng.pick(["0", "1", "0", "1", "2"])})${rng.pick(["t", "src", "seq", "ts", "hg", randomName(rng)])}=${rng.pick(["status", "1", "5f5e0ff0", randomString(rng)])}`;
      const len = Buffer.byteLength(payload);
      parts.push(`${rng.chance(0.9) ? len : len + rng.int(3) - 1}:${payload},`);
    }
    parts.push("%%%\n");
    const index = rng.pick([...authKeys.keys.keys(), 0, 5]);
    const digest = rng.bytes(rng.pick([4, 16, 20])).toString("hex");
    parts.push(`${String(index).length + 1 + digest.length}:${index} ${digest},`);
    return Buffer.from(parts.join(""), "utf8");
  };
  const structuredClassic = (authKeys: AuthKeys): Buffer => {
    const lines: string[] = [">>>"];
    const n = rng.int(8);
    for (let i = 0; i < n; i++) {
      lines.push(
        `${rng.pick(["", "(1)", "(0)"])}${rng.pick(["t", "src", "seq", "ts", randomName(rng)])}=${rng.pick(["status", "1", "AQID", randomString(rng).replace(/\n/g, "\x13")])}`,
      );
    }
    lines.splice(1 + rng.int(lines.length), 0, `auth=${rng.pick([...authKeys.keys.keys()])} ${rng.bytes(rng.pick([16, 20])).toString("hex")}`);
    lines.push("<<<", rng.chance(0.5) ? "\0" : "");
    return Buffer.from(lines.join("\n"), "utf8");
  };
  const generators: [string, (authKeys: AuthKeys) => Buffer][] = [
    ["raw", () => rng.bytes(rng.int(600))],
    ["headed", () => Buffer.concat([Buffer.from(rng.pick(["###\n", ">>>\n"])), rng.nastyBytes(rng.int(300))])],
    ["structured-netstring", structuredNetstring],
    ["structured-classic", structuredClassic],
  ];

  let decodes = 0;
  for (let round = 0; round < RANDOM_ROUNDS; round++) {
    const config = keyed[round % keyed.length];
    for (const [kind, generate] of generators) {
      const bytes = generate(config.keys);
      const where = () => describe(seed, round, `kind=${kind} config=${config.name}`, bytes);
      const result = decodeChecked(bytes, config.keys, where);
      decodes++;
      assert.ok(!result.ok, `random datagram accepted; ${where()}`);
    }
  }
  // A few oversized ones (allocation-heavy, so not many).
  for (let i = 0; i < 20; i++) {
    const bytes = Buffer.concat([Buffer.from(rng.pick(["###\n", ">>>\n", ""])), rng.bytes(256 * 1024 + rng.int(1000))]);
    const result = decodeChecked(bytes, keyed[0].keys, () => `seed=${seed} oversized ${bytes.length} bytes`);
    decodes++;
    assert.ok(!result.ok && result.reason === "too-large", `oversized datagram not rejected as too-large (seed ${seed})`);
  }
  t.diagnostic(`decodes ${decodes}`);
});
