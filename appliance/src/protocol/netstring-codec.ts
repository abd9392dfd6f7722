// Netstring Heartbeat encoding ("###\n" <len>:(T)name=value, … "%%%\n" + trailer netstring), as cluster-glue ≥1.0.10 sends it (spec §4.2).

import { bin, str, type HaField, type HaMessage } from "./ha-message";
import { AUTH_FIELD, isFieldNameByte, unencodableReason } from "./classic-codec";

/** First bytes of a netstring message. */
export const NETSTRING_HEAD = Buffer.from("###\n", "latin1");
/** End of the signed netstring body; the trailer netstring follows. */
export const NETSTRING_TAIL = Buffer.from("%%%\n", "latin1");

const COLON = 0x3a;
const COMMA = 0x2c;
const EQUALS = 0x3d;
const OPEN_PAREN = 0x28;
const CLOSE_PAREN = 0x29;
const PERCENT = 0x25;
const NL = 0x0a;

/** Longest length prefix we read: 6 digits already exceed the 256 KiB message limit. */
const MAX_LENGTH_DIGITS = 6;
/** Room reserved after the body for the trailer ("<len>:<n> <digest>," with a ≤128-digit digest). */
const TRAILER_RESERVE = 3 + 1 + 3 + 1 + 128 + 1;

function decimalLength(n: number): number {
  let digits = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    digits++;
  }
  return digits;
}

/**
 * Encodes a netstring datagram: "###\n", one `<len>:(T)name=value,` per field (binary
 * values raw), then `<len>:(0)auth=<innerAuth>,` if `innerAuth` is given (Layer A),
 * "%%%\n", then the trailer `<len>:<sign(body)>,` where `body` is everything from
 * "###\n" through "%%%\n" (Layer B). No trailing NUL. `sign` must return the auth
 * string ("<n> <hex>"). Throws TypeError for a field that cannot be encoded.
 * Duplicate and `auth` fields are the caller's business (see wire-codec).
 */
export function encodeNetstring(message: HaMessage, innerAuth: string | undefined, sign: (body: Buffer) => string): Buffer {
  let bodySize = NETSTRING_HEAD.length + NETSTRING_TAIL.length;
  const payloadSizes = new Array<number>(message.length);
  for (let i = 0; i < message.length; i++) {
    const field = message[i];
    const reason = unencodableReason(field);
    if (reason !== undefined) throw new TypeError(reason);
    const valueSize = field.type === 0 ? Buffer.byteLength(field.value as string, "utf8") : (field.value as Buffer).length;
    const payload = 3 + field.name.length + 1 + valueSize;
    payloadSizes[i] = payload;
    bodySize += decimalLength(payload) + 1 + payload + 1;
  }
  let authPayload: string | undefined;
  if (innerAuth !== undefined) {
    if (!/^[\x20-\x7e]+$/.test(innerAuth)) throw new TypeError("inner auth value must be printable ASCII");
    authPayload = `(0)${AUTH_FIELD}=${innerAuth}`;
    bodySize += decimalLength(authPayload.length) + 1 + authPayload.length + 1;
  }

  const out = Buffer.allocUnsafe(bodySize + TRAILER_RESERVE);
  let off = NETSTRING_HEAD.copy(out, 0);
  for (let i = 0; i < message.length; i++) {
    const field = message[i];
    off += out.write(String(payloadSizes[i]), off, "latin1");
    out[off++] = COLON;
    out[off++] = OPEN_PAREN;
    out[off++] = field.type === 0 ? 0x30 : 0x31;
    out[off++] = CLOSE_PAREN;
    off += out.write(field.name, off, "latin1");
    out[off++] = EQUALS;
    if (field.type === 0) off += out.write(field.value as string, off, "utf8");
    else off += (field.value as Buffer).copy(out, off);
    out[off++] = COMMA;
  }
  if (authPayload !== undefined) off += out.write(`${authPayload.length}:${authPayload},`, off, "latin1");
  off += NETSTRING_TAIL.copy(out, off);
  if (off !== bodySize) throw new Error(`encodeNetstring: wrote ${off} of ${bodySize} bytes`);

  const trailerPayload = sign(out.subarray(0, bodySize));
  if (!/^[\x20-\x7e]+$/.test(trailerPayload)) throw new TypeError("trailer auth must be printable ASCII");
  const trailer = `${trailerPayload.length}:${trailerPayload},`;
  if (trailer.length > TRAILER_RESERVE) throw new RangeError("trailer auth too long");
  off += out.write(trailer, off, "latin1");
  return out.subarray(0, off);
}

/** A netstring datagram taken apart. */
export interface NetstringParsed {
  readonly ok: true;
  /** Every field except the inner `auth`, in received order. */
  readonly fields: HaField[];
  /** The inner (Layer A) auth value if present; netstring receivers do not check it. */
  readonly innerAuth: string | undefined;
  /** "###\n" through "%%%\n": the Layer B signing input (a view, not a copy). */
  readonly body: Buffer;
  /** The trailer netstring's payload ("<n> <hex>"), or undefined if the packet has none. */
  readonly trailer: string | undefined;
}

/** A netstring datagram that could not be taken apart. */
export interface NetstringParseError {
  readonly ok: false;
  readonly detail: string;
}

function fail(detail: string): NetstringParseError {
  return { ok: false, detail };
}

/** Payload range [start, end) of one netstring, and where the next one starts; or an error text. */
type Span = { readonly start: number; readonly end: number; readonly next: number } | string;

/**
 * Reads one strict netstring at `pos`, bounded by `limit`: decimal length (no leading
 * zero, at most 6 digits), ":", exactly that many bytes, ",".
 */
function readNetstring(bytes: Buffer, pos: number, limit: number): Span {
  let i = pos;
  let len = 0;
  while (i < limit) {
    const b = bytes[i];
    if (b < 0x30 || b > 0x39) break;
    if (i - pos === MAX_LENGTH_DIGITS) return `length too long at offset ${pos}`;
    len = len * 10 + (b - 0x30);
    i++;
  }
  if (i === pos) return `expected a decimal length at offset ${pos}`;
  if (bytes[pos] === 0x30 && i - pos > 1) return `length with a leading zero at offset ${pos}`;
  if (i >= limit || bytes[i] !== COLON) return `expected ":" at offset ${i}`;
  const start = i + 1;
  const end = start + len;
  if (end >= limit) return `netstring at offset ${pos} runs past the end`;
  if (bytes[end] !== COMMA) return `expected "," at offset ${end}`;
  return { start, end, next: end + 1 };
}

function isTail(bytes: Buffer, pos: number): boolean {
  return pos + 4 <= bytes.length && bytes[pos] === PERCENT && bytes[pos + 1] === PERCENT && bytes[pos + 2] === PERCENT && bytes[pos + 3] === NL;
}

/**
 * Parses a netstring datagram (first 4 bytes "###\n"): strict netstrings up to
 * "%%%\n", each `(digit)name=value` with type 0 (UTF-8 string, no NUL) or 1 (raw
 * bytes, copied out); then an optional trailer netstring; then at most one NUL.
 * Duplicate names, a binary `auth`, any other type and any stray byte are rejected.
 * Never throws.
 */
export function parseNetstring(bytes: Buffer): NetstringParsed | NetstringParseError {
  const n = bytes.length;
  if (n < NETSTRING_HEAD.length || bytes.compare(NETSTRING_HEAD, 0, NETSTRING_HEAD.length, 0, NETSTRING_HEAD.length) !== 0) {
    return fail("netstring message must start with ###");
  }
  const fields: HaField[] = [];
  const seen = new Set<string>();
  let innerAuth: string | undefined;
  let pos = NETSTRING_HEAD.length;

  while (!isTail(bytes, pos)) {
    if (pos >= n) return fail("missing %%% line");
    const span = readNetstring(bytes, pos, n);
    if (typeof span === "string") return fail(span);
    const { start, end } = span;
    if (end - start < 5 || bytes[start] !== OPEN_PAREN || bytes[start + 2] !== CLOSE_PAREN) {
      return fail(`field at offset ${pos} is not (T)name=value`);
    }
    const type = bytes[start + 1] - 0x30;
    if (type !== 0 && type !== 1) return fail(`field at offset ${pos} has unsupported type byte ${bytes[start + 1]}`);
    const nameStart = start + 3;
    let eq = nameStart;
    while (eq < end && bytes[eq] !== EQUALS) {
      if (!isFieldNameByte(bytes[eq])) return fail(`bad byte in field name at offset ${eq}`);
      eq++;
    }
    if (eq === end) return fail(`field at offset ${pos} has no "="`);
    if (eq === nameStart) return fail(`empty field name at offset ${pos}`);
    const name = bytes.toString("latin1", nameStart, eq);
    if (seen.has(name)) return fail(`duplicate field ${name}`);
    seen.add(name);

    if (type === 0) {
      if (bytes.subarray(eq + 1, end).indexOf(0) >= 0) return fail(`field ${name}: NUL inside a string value`);
      const value = bytes.toString("utf8", eq + 1, end);
      if (name === AUTH_FIELD) innerAuth = value;
      else fields.push(str(name, value));
    } else {
      if (name === AUTH_FIELD) return fail("binary auth field");
      fields.push(bin(name, Buffer.from(bytes.subarray(eq + 1, end)))); // copy: never alias the datagram
    }
    pos = span.next;
  }

  const bodyEnd = pos + NETSTRING_TAIL.length;
  const body = bytes.subarray(0, bodyEnd);
  if (bodyEnd === n || (bodyEnd === n - 1 && bytes[bodyEnd] === 0)) {
    return { ok: true, fields, innerAuth, body, trailer: undefined };
  }
  const span = readNetstring(bytes, bodyEnd, n);
  if (typeof span === "string") return fail(`trailer: ${span}`);
  if (!(span.next === n || (span.next === n - 1 && bytes[span.next] === 0))) {
    return fail(`bytes after the trailer at offset ${span.next}`);
  }
  return { ok: true, fields, innerAuth, body, trailer: bytes.toString("latin1", span.start, span.end) };
}
