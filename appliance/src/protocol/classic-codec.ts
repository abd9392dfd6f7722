// Classic Heartbeat text encoding (">>>\n name=value lines <<<\n" + NUL) and its Layer-A signing input (spec §3.3, §4.2).

import { bin, str, type HaField, type HaMessage } from "./ha-message";

/** First line of a classic message. */
export const CLASSIC_HEAD = Buffer.from(">>>\n", "latin1");
/** Last line of a classic message (followed by one NUL on the wire). */
export const CLASSIC_TAIL = Buffer.from("<<<\n", "latin1");
/** Name of the inner (Layer A) authentication field. */
export const AUTH_FIELD = "auth";

const NL = 0x0a;
const CLASSIC_NEWLINE = 0x13; // how classic text carries "\n" inside string values
const EQUALS = 0x3d;
const OPEN_PAREN = 0x28;
const CLOSE_PAREN = 0x29;

/**
 * Field names we send and accept: printable ASCII without space or "=", not starting
 * with "(" (which would read as a type prefix in classic form). Every Heartbeat
 * field name fits; anything else could not round-trip through both encodings.
 */
export function isFieldNameByte(b: number): boolean {
  return b > 0x20 && b < 0x7f && b !== EQUALS;
}

/**
 * Why `field` cannot be sent (undefined if it can). Rules shared by both encoders:
 * a valid name; strings non-empty (classic form cannot carry ""), without NUL (C
 * peers stop there) and without byte 0x13 (classic form would read it back as "\n");
 * binary values are Buffers.
 */
export function unencodableReason(field: HaField): string | undefined {
  const { name, type, value } = field;
  if (typeof name !== "string" || name.length === 0) return "field name must be a non-empty string";
  if (name.charCodeAt(0) === OPEN_PAREN) return `field name ${JSON.stringify(name)} starts with "("`;
  for (let i = 0; i < name.length; i++) {
    if (!isFieldNameByte(name.charCodeAt(i))) return `field name ${JSON.stringify(name)} has a byte we cannot send`;
  }
  if (type === 0) {
    if (typeof value !== "string") return `field ${name}: type 0 needs a string value`;
    if (value.length === 0) return `field ${name}: empty strings cannot be sent`;
    if (value.includes("\0")) return `field ${name}: NUL inside a string value`;
    if (value.includes("\x13")) return `field ${name}: byte 0x13 inside a string value`;
    return undefined;
  }
  if (type === 1) return Buffer.isBuffer(value) ? undefined : `field ${name}: type 1 needs a Buffer value`;
  return `field ${name}: unsupported type ${String(type)}`;
}

function assertEncodable(field: HaField): void {
  const reason = unencodableReason(field);
  if (reason !== undefined) throw new TypeError(reason);
}

/**
 * Layer A signing input: the message in classic text form without the ">>>"/"<<<"
 * lines and without any `auth` field, in field order — `name=value\n` for strings
 * ("\n" inside written as byte 0x13), `(1)name=<base64>\n` for binary. No trailing NUL.
 * Throws TypeError for a field that cannot be encoded (see `unencodableReason`).
 */
export function classicAuthInput(message: HaMessage): Buffer {
  let size = 0;
  const base64: (string | undefined)[] = new Array<string | undefined>(message.length);
  for (let i = 0; i < message.length; i++) {
    const field = message[i];
    if (field.name === AUTH_FIELD) continue;
    assertEncodable(field);
    if (field.type === 0) {
      size += field.name.length + 1 + Buffer.byteLength(field.value as string, "utf8") + 1;
    } else {
      const text = (field.value as Buffer).toString("base64");
      base64[i] = text;
      size += 3 + field.name.length + 1 + text.length + 1;
    }
  }
  const out = Buffer.allocUnsafe(size);
  let off = 0;
  for (let i = 0; i < message.length; i++) {
    const field = message[i];
    if (field.name === AUTH_FIELD) continue;
    if (field.type === 0) {
      off += out.write(field.name, off, "latin1");
      out[off++] = EQUALS;
      const start = off;
      off += out.write(field.value as string, off, "utf8");
      // UTF-8 never uses 0x0a inside a multi-byte sequence, so a byte swap is exact.
      for (let j = start; j < off; j++) if (out[j] === NL) out[j] = CLASSIC_NEWLINE;
    } else {
      off += out.write("(1)", off, "latin1");
      off += out.write(field.name, off, "latin1");
      out[off++] = EQUALS;
      off += out.write(base64[i] as string, off, "latin1");
    }
    out[off++] = NL;
  }
  if (off !== size) throw new Error(`classicAuthInput: wrote ${off} of ${size} bytes`);
  return out;
}

/**
 * A whole classic datagram around an already-built Layer A input (`classicAuthInput`):
 * ">>>\n" + input + "auth=<authValue>\n" + "<<<\n" + NUL.
 */
export function encodeClassicFrame(authInput: Buffer, authValue: string): Buffer {
  if (!/^[\x21-\x7e][\x20-\x7e]*$/.test(authValue)) throw new TypeError("auth value must be printable ASCII");
  const authLine = `${AUTH_FIELD}=${authValue}\n`;
  const size = CLASSIC_HEAD.length + authInput.length + authLine.length + CLASSIC_TAIL.length + 1;
  const out = Buffer.allocUnsafe(size);
  let off = CLASSIC_HEAD.copy(out, 0);
  off += authInput.copy(out, off);
  off += out.write(authLine, off, "latin1");
  off += CLASSIC_TAIL.copy(out, off);
  out[off++] = 0;
  if (off !== size) throw new Error(`encodeClassicFrame: wrote ${off} of ${size} bytes`);
  return out;
}

/** A classic datagram taken apart. */
export interface ClassicParsed {
  readonly ok: true;
  /** Every field except `auth`, in received order. */
  readonly fields: HaField[];
  /** The `auth` field's value, if there was one. */
  readonly auth: string | undefined;
  /**
   * The Layer A input as views into the datagram: the received lines minus the
   * header/trailer, blank lines and the auth line. Because base64 must be canonical
   * and lines are otherwise taken verbatim, these bytes are exactly what rebuilding
   * the classic NOHEAD text from `fields` gives (classicAuthInput) — and, unlike a
   * rebuild through JS strings, stay exact even for bytes that are not valid UTF-8.
   */
  readonly signed: Buffer[];
}

/** A classic datagram that could not be taken apart. */
export interface ClassicParseError {
  readonly ok: false;
  readonly detail: string;
}

function fail(detail: string): ClassicParseError {
  return { ok: false, detail };
}

/**
 * Parses a classic datagram (first 4 bytes ">>>\n"). One trailing NUL is tolerated;
 * blank lines are skipped; every other line must be `name=value` or `(1)name=base64`.
 * Rejected: a line without "=", a "(0)" prefix (strings carry no prefix in classic
 * form), other type prefixes, bad names, NUL bytes, non-canonical base64, duplicate
 * names, a missing "<<<" line and anything after it. Never throws.
 */
export function parseClassic(bytes: Buffer): ClassicParsed | ClassicParseError {
  const n = bytes.length;
  if (n < CLASSIC_HEAD.length || bytes.compare(CLASSIC_HEAD, 0, CLASSIC_HEAD.length, 0, CLASSIC_HEAD.length) !== 0) {
    return fail("classic message must start with >>>");
  }
  const end = n > 0 && bytes[n - 1] === 0 ? n - 1 : n; // tolerate the one NUL C peers send
  const firstNul = bytes.indexOf(0);
  if (firstNul >= 0 && firstNul < end) return fail(`NUL byte at offset ${firstNul}`);

  const fields: HaField[] = [];
  const seen = new Set<string>();
  const signed: Buffer[] = [];
  let auth: string | undefined;
  let runStart = -1; // current run of contiguous signed lines [runStart, runEnd)
  let runEnd = -1;
  let pos = CLASSIC_HEAD.length;

  for (;;) {
    const nl = pos < end ? bytes.indexOf(NL, pos) : -1;
    if (nl < 0 || nl >= end) return fail("missing <<< line");
    if (nl === pos) {
      pos++; // blank line
      continue;
    }
    if (nl - pos === 3 && bytes[pos] === 0x3c && bytes[pos + 1] === 0x3c && bytes[pos + 2] === 0x3c) {
      if (nl + 1 !== end) return fail("bytes after the <<< line");
      break;
    }

    let nameStart = pos;
    let type: 0 | 1 = 0;
    if (bytes[pos] === OPEN_PAREN) {
      if (nl - pos < 3 || bytes[pos + 2] !== CLOSE_PAREN) return fail(`bad type prefix at offset ${pos}`);
      const digit = bytes[pos + 1];
      if (digit === 0x30) return fail(`"(0)" prefix at offset ${pos}: strings carry no prefix in classic form`);
      if (digit !== 0x31) return fail(`unsupported field type prefix at offset ${pos}`);
      type = 1;
      nameStart = pos + 3;
    }
    let eq = nameStart;
    while (eq < nl && bytes[eq] !== EQUALS) {
      if (!isFieldNameByte(bytes[eq])) return fail(`bad byte in field name at offset ${eq}`);
      eq++;
    }
    if (eq === nl) return fail(`line without "=" at offset ${pos}`);
    if (eq === nameStart) return fail(`empty field name at offset ${pos}`);
    const name = bytes.toString("latin1", nameStart, eq);
    if (seen.has(name)) return fail(`duplicate field ${name}`);
    seen.add(name);

    if (name === AUTH_FIELD) {
      if (type !== 0) return fail("binary auth field");
      auth = bytes.toString("latin1", eq + 1, nl);
    } else {
      if (type === 0) {
        let value = bytes.toString("utf8", eq + 1, nl);
        if (value.includes("\x13")) value = value.replaceAll("\x13", "\n");
        fields.push(str(name, value));
      } else {
        const text = bytes.toString("latin1", eq + 1, nl);
        const value = Buffer.from(text, "base64");
        if (value.toString("base64") !== text) return fail(`field ${name}: not canonical base64`);
        fields.push(bin(name, value));
      }
      if (runEnd === pos) {
        runEnd = nl + 1;
      } else {
        if (runStart >= 0) signed.push(bytes.subarray(runStart, runEnd));
        runStart = pos;
        runEnd = nl + 1;
      }
    }
    pos = nl + 1;
  }
  if (runStart >= 0) signed.push(bytes.subarray(runStart, runEnd));
  return { ok: true, fields, auth, signed };
}
