// Heartbeat UDP datagrams: signs and frames outgoing messages, authenticates and validates incoming ones (spec §3.3, §4.1–4.5).

import type { AuthKey, AuthKeys } from "../config/cluster-config";
import { getField, type HaField, type HaMessage } from "./ha-message";
import { computeDigest, formatAuth, parseAuth, verifyDigest } from "./message-auth";
import { AUTH_FIELD, CLASSIC_HEAD, classicAuthInput, encodeClassicFrame, parseClassic, unencodableReason } from "./classic-codec";
import { NETSTRING_HEAD, encodeNetstring, parseNetstring } from "./netstring-codec";

export { classicAuthInput } from "./classic-codec";

/** Largest datagram sent or accepted (Heartbeat's MAXMSG, 256 KiB). */
export const MAX_DATAGRAM_BYTES = 256 * 1024;

export type WireEncoding = "netstring" | "classic";

export interface EncodeOptions {
  /**
   * ha.cf `msgfmt`. "classic" (default) puts the inner Layer A `auth` field into
   * netstring packets as Heartbeat does; "netstring" leaves it out (trailer only).
   */
  readonly msgfmt?: "classic" | "netstring";
  /**
   * "netstring" (default): what cluster-glue 1.0.10+ sends, accepted by every 2.x/3.x
   * peer. "classic": the old text form for pre-2.0 peers; it always carries the inner
   * auth field (its only authentication), whatever `msgfmt` says.
   */
  readonly encoding?: WireEncoding;
}

export type DecodeRejectReason = "too-large" | "malformed" | "unsigned" | "bad-signature" | "unknown-key-index" | "missing-field";

export type DecodeResult =
  | {
      readonly ok: true;
      /** The fields in received order, without the `auth` field. */
      readonly message: HaMessage;
      readonly encoding: WireEncoding;
      /** The authkeys index the packet was signed with. */
      readonly authIndex: number;
    }
  | { readonly ok: false; readonly reason: DecodeRejectReason; readonly detail: string };

function activeEntry(authKeys: AuthKeys): AuthKey {
  const entry = authKeys.keys.get(authKeys.activeIndex);
  if (entry === undefined) throw new RangeError(`authkeys: active index ${authKeys.activeIndex} has no entry`);
  return entry;
}

/**
 * Why encodeDatagram would refuse `message` (undefined if it would not): an `auth`
 * field, a duplicate name, or a field neither encoding can carry (see
 * classic-codec `unencodableReason`). For callers relaying content they did not
 * build themselves (FIFO, API clients), to drop it instead of catching a throw.
 */
export function unsendableReason(message: HaMessage): string | undefined {
  const seen = new Set<string>();
  for (const field of message) {
    if (field.name === AUTH_FIELD) return "message already has an auth field";
    const reason = unencodableReason(field);
    if (reason !== undefined) return reason;
    if (seen.has(field.name)) return `duplicate field ${field.name}`;
    seen.add(field.name);
  }
  return undefined;
}

/**
 * Signs and frames `message` (which must not carry an `auth` field) with the active
 * authkeys entry. Default output is exactly what cluster-glue 1.0.12 emits: netstring
 * fields, the inner `auth=<n> <hex>` field last (over the classic NOHEAD text), "%%%\n",
 * then the trailer `<len>:<n> <hex>,` over "###\n"…"%%%\n".
 *
 * Throws (TypeError/RangeError) on caller bugs only: anything `unsendableReason`
 * names, a missing or keyless active authkeys entry, or a result over 256 KiB.
 */
export function encodeDatagram(message: HaMessage, authKeys: AuthKeys, options: EncodeOptions = {}): Buffer {
  const encoding = options.encoding ?? "netstring";
  const msgfmt = options.msgfmt ?? "classic";
  if (encoding !== "netstring" && encoding !== "classic") throw new TypeError(`unknown encoding ${String(encoding)}`);
  if (msgfmt !== "netstring" && msgfmt !== "classic") throw new TypeError(`unknown msgfmt ${String(msgfmt)}`);
  const problem = unsendableReason(message);
  if (problem !== undefined) throw new TypeError(problem);
  const index = authKeys.activeIndex;
  const { method, key } = activeEntry(authKeys);

  let out: Buffer;
  if (encoding === "classic") {
    const layerA = classicAuthInput(message);
    out = encodeClassicFrame(layerA, formatAuth(index, computeDigest(method, key, layerA)));
  } else {
    const inner = msgfmt === "classic" ? formatAuth(index, computeDigest(method, key, classicAuthInput(message))) : undefined;
    out = encodeNetstring(message, inner, (body) => formatAuth(index, computeDigest(method, key, body)));
  }
  if (out.length > MAX_DATAGRAM_BYTES) throw new RangeError(`datagram of ${out.length} bytes exceeds ${MAX_DATAGRAM_BYTES}`);
  return out;
}

type Rejection = Extract<DecodeResult, { ok: false }>;

function reject(reason: DecodeRejectReason, detail: string): Rejection {
  return { ok: false, reason, detail };
}

/**
 * Layer B (netstring trailer). Heartbeat verifies with the digest method of entry <n>
 * but the key of ITS OWN active entry (quirk, spec §3.3); we accept that, so we take
 * whatever a Heartbeat node in our place would take. We ALSO accept method+key of
 * entry <n>, because that is what the sender really used (a sender always signs with
 * its own active entry, whose index it writes): with the quirk alone, a key rotation
 * where the two nodes' `auth N` lines differ would fail here although both files list
 * both keys. Both variants still need a key from our authkeys file.
 */
function verifyTrailer(authKeys: AuthKeys, entry: AuthKey, body: Buffer, digest: string): boolean {
  if (verifyDigest(entry.method, entry.key, body, digest)) return true;
  if (entry.method === "crc") return false; // unkeyed: the quirk would compute the same thing
  const active = authKeys.keys.get(authKeys.activeIndex);
  if (active === undefined || active.key === undefined || active.key === entry.key) return false;
  return verifyDigest(entry.method, active.key, body, digest);
}

const HEX = /^[0-9a-fA-F]{1,16}$/;

/** Why the message lacks a required field (t, src, non-zero hex ts, hex seq unless NS_*), or undefined. */
function missingField(message: HaMessage): string | undefined {
  const t = getField(message, "t");
  if (t === undefined || t.length === 0) return "no t (message type) field";
  const src = getField(message, "src");
  if (src === undefined || src.length === 0) return "no src field";
  const ts = getField(message, "ts");
  if (ts === undefined || !HEX.test(ts)) return "no hex ts field";
  if (/^0+$/.test(ts)) return "ts is zero";
  if (!t.startsWith("NS_")) {
    const seq = getField(message, "seq");
    if (seq === undefined || !HEX.test(seq)) return `no hex seq field in a ${t} message`;
  }
  return undefined;
}

function accepted(message: HaField[], encoding: WireEncoding, authIndex: number): DecodeResult {
  const missing = missingField(message);
  if (missing !== undefined) return reject("missing-field", missing);
  return { ok: true, message, encoding, authIndex };
}

function decodeNetstring(bytes: Buffer, authKeys: AuthKeys): DecodeResult {
  const parsed = parseNetstring(bytes);
  if (!parsed.ok) return reject("malformed", parsed.detail);
  if (parsed.trailer === undefined) return reject("unsigned", "netstring packet without an auth trailer");
  const auth = parseAuth(parsed.trailer);
  if (auth === undefined) return reject("malformed", 'auth trailer is not "<n> <hex>"');
  const entry = authKeys.keys.get(auth.index);
  if (entry === undefined) return reject("unknown-key-index", `auth index ${auth.index} is not in authkeys`);
  if (!verifyTrailer(authKeys, entry, parsed.body, auth.digest)) {
    return reject("bad-signature", `auth trailer does not match (index ${auth.index}, ${entry.method})`);
  }
  return accepted(parsed.fields, "netstring", auth.index);
}

function decodeClassic(bytes: Buffer, authKeys: AuthKeys): DecodeResult {
  const parsed = parseClassic(bytes);
  if (!parsed.ok) return reject("malformed", parsed.detail);
  if (parsed.auth === undefined) return reject("unsigned", "classic packet without an auth field");
  const auth = parseAuth(parsed.auth);
  if (auth === undefined) return reject("malformed", 'auth field is not "<n> <hex>"');
  const entry = authKeys.keys.get(auth.index);
  if (entry === undefined) return reject("unknown-key-index", `auth index ${auth.index} is not in authkeys`);
  // Layer A: method and key of entry <n>, over the NOHEAD text (see ClassicParsed.signed).
  if (!verifyDigest(entry.method, entry.key, parsed.signed, auth.digest)) {
    return reject("bad-signature", `auth field does not match (index ${auth.index}, ${entry.method})`);
  }
  return accepted(parsed.fields, "classic", auth.index);
}

function startsWith(bytes: Buffer, head: Buffer): boolean {
  return bytes.length >= head.length && bytes.compare(head, 0, head.length, 0, head.length) === 0;
}

/**
 * decodeDatagram without the last-resort exception guard. Exported so the fuzz test
 * can prove the parsers themselves never throw; production code calls decodeDatagram.
 */
export function decodeDatagramUnguarded(bytes: Buffer, authKeys: AuthKeys): DecodeResult {
  const raw: unknown = bytes; // callers outside TypeScript may pass anything
  if (!(raw instanceof Uint8Array)) return reject("malformed", "not a byte buffer");
  const buf = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  if (buf.length > MAX_DATAGRAM_BYTES) return reject("too-large", `${buf.length} bytes exceeds ${MAX_DATAGRAM_BYTES}`);
  if (startsWith(buf, NETSTRING_HEAD)) return decodeNetstring(buf, authKeys);
  if (startsWith(buf, CLASSIC_HEAD)) return decodeClassic(buf, authKeys);
  return reject("malformed", "neither a netstring (###) nor a classic (>>>) message");
}

/**
 * Authenticates and parses one received datagram. The encoding is detected from the
 * first 4 bytes; one trailing NUL is tolerated in both. Netstring packets are checked
 * by their trailer (Layer B), classic packets by their inner auth field (Layer A).
 * Then `t`, `src`, a non-zero hex `ts` and (unless `t` starts with NS_) a hex `seq`
 * are required. Never throws, whatever `bytes` is.
 */
export function decodeDatagram(bytes: Buffer, authKeys: AuthKeys): DecodeResult {
  try {
    return decodeDatagramUnguarded(bytes, authKeys);
  } catch (err) {
    // Second line of defence only: the parsers are written not to throw (the fuzz test checks).
    return reject("malformed", `decoder error: ${err instanceof Error ? err.message : String(err)}`);
  }
}
